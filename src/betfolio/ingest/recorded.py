"""Ingesting a folder of recorded payloads, the same way live responses are ingested."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from betfolio.ingest.payload import PayloadSummary, store_parse_result
from betfolio.providers.base import ParseResult, PayloadError, load_json
from betfolio.store.ingest_guard import marks_ingest


@dataclass
class IngestReport:
    provider: str
    payloads: list[PayloadSummary] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(p, name) for p in self.payloads)

    @property
    def rejects(self) -> list[str]:
        return [r for p in self.payloads for r in p.rejects]

    def as_dict(self) -> dict[str, Any]:
        keys = (
            "records",
            "matches",
            "matches_added",
            "matches_linked",
            "quotes",
            "quotes_added",
            "live_states_added",
            "fixture_parts",
            "players",
            "injuries",
            "coverage",
            "filtered_out",
            "skipped",
        )
        return {
            "provider": self.provider,
            "payloads": len(self.payloads),
            **{k: self.total(k) for k in keys},
            "rejected": self.rejects,
            "problems": [q for p in self.payloads for q in p.problems],
            "errors": self.errors,
            "ignored": self.ignored,
            "stale": self.stale,
        }


Detect = Callable[[Any], str | None]
Parse = Callable[..., ParseResult]


@marks_ingest
def ingest_directory(
    engine: Engine,
    directory: Path,
    *,
    provider: str,
    detect: Detect,
    parse: Parse,
    order: tuple[str, ...],
    league: str | None = None,
    season: str | None = None,
    parser_version: str = "1",
    results_authority: bool = True,
) -> IngestReport:
    """Every ``*.json`` under ``directory`` whose endpoint is recognised, in dependency order (fixtures before
    their odds). Unrecognised files are listed as ignored; unusable ones as errors; the rest are stored."""
    report = IngestReport(provider)
    if not directory.is_dir():
        report.errors.append(f"{directory}: not a directory")
        return report
    queue: list[tuple[int, str, Path, bytes, Any]] = []
    for path in sorted(directory.rglob("*.json")):
        content = path.read_bytes()
        try:
            payload = load_json(content, provider=provider, endpoint=path.name)
        except PayloadError as exc:
            report.errors.append(f"{path}: {exc}")
            continue
        endpoint = detect(payload)
        if endpoint is None or endpoint not in order:
            report.ignored.append(f"{path}: not a payload this adapter maps ({endpoint or 'unrecognised'})")
            continue
        queue.append((order.index(endpoint), str(path), path, content, (endpoint, payload)))
    for _, _, path, content, (endpoint, payload) in sorted(queue, key=lambda q: (q[0], q[1])):
        # A recording that carries no observation time of its own (``/fixtures`` live states) was observed
        # when it was recorded: the file's modification time, stable across re-ingests.
        observed_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        try:
            result = parse(endpoint, payload, observed_at=observed_at)
        except PayloadError as exc:
            report.errors.append(f"{path}: {exc}")
            continue
        params = payload.get("parameters") if isinstance(payload, dict) else None
        report.payloads.append(
            store_parse_result(
                engine,
                result,
                content,
                source=str(path),
                params=params if isinstance(params, dict) else {},
                league=league,
                season=season,
                parser_version=parser_version,
                results_authority=results_authority,
            )
        )
    return report
