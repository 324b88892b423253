"""Every provider the system knows, by name; the one place that maps a name to an adapter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from betfolio.providers.base import PayloadError, Provider


def adapters() -> dict[str, Provider]:
    from betfolio.providers.api_football.adapter import ApiFootball
    from betfolio.providers.odds_api.adapter import OddsApi

    return {"api-football": ApiFootball(), "odds-api": OddsApi()}


def parse_payload(
    provider: str, endpoint: str, content: bytes, *, source: str = "<payload>", observed_at: datetime | None = None
) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """(records as JSON dicts, rejects, skipped) for any provider, football-data's CSV files included."""
    if provider == "football-data":
        return _football_data(endpoint, content, source)
    found = adapters().get(provider)
    if found is None:
        raise PayloadError(f"unknown provider {provider!r} (known: api-football, odds-api, football-data)")
    result = found.parse(endpoint, content, source=source, observed_at=observed_at)  # type: ignore[call-arg]
    return (
        [r.to_json_dict() for r in result.records],
        [str(r) for r in result.rejects],
        [str(r) for r in result.skipped],
    )


def _football_data(endpoint: str, content: bytes, source: str) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    import gzip

    from betfolio.providers.football_data.parser import FormatError, parse_csv

    if endpoint.strip("/") != "csv":
        raise PayloadError(f"football-data: unknown endpoint {endpoint!r} (known: csv)")
    if content[:2] == b"\x1f\x8b":
        content = gzip.decompress(content)
    try:
        parsed = parse_csv(content, source)
    except FormatError as exc:
        raise PayloadError(f"football-data csv: {exc}") from exc
    records = [m.to_json_dict() for m in parsed.matches] + [q.to_json_dict() for q in parsed.quotes]
    if parsed.coverage is not None:
        records.append(parsed.coverage.to_json_dict())
    return records, [f"football-data csv {r}" for r in parsed.rejects], []
