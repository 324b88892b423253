"""Ingest football-data.co.uk files into the store: one file, one transaction.

Each file is streamed in chunks of rows through the providers' common write path
(:func:`betfolio.ingest.payload.open_payload`): one write transaction holding its raw bytes, its records and an
``ingest_runs`` record. Memory stays flat whatever the file's size, and killing the process mid-ingest still
leaves every file either fully stored or not at all; re-running completes the rest while adding nothing twice.
A file no row of which could be read is refused whole (rolled back, not recorded as ingested).

What a file changed is reported, not just counted: prices and scores a newer file corrected (old and new
value), implausible prices flagged (by reason), rows the file listed twice (counted, conflicting copies listed).
"""

from __future__ import annotations

import gzip
import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from betfolio.ingest.payload import open_payload
from betfolio.listing import MAX_LISTED, extend_capped
from betfolio.providers.football_data import PARSER_VERSION, PROVIDER
from betfolio.providers.football_data.parser import CsvFile, FormatError, RowReject
from betfolio.store.ingest_guard import marks_ingest
from betfolio.store.tables import ingest_runs

SUFFIXES = (".csv", ".csv.gz")


@dataclass
class FileResult:
    source: str
    league: str
    season: str
    matches: int
    matches_added: int
    quotes: int
    quotes_added: int
    rejects: list[RowReject]  # the first MAX_LISTED row rejections (all are counted in ``rejected``)
    unchanged: bool = False
    warnings: list[str] = field(default_factory=list)
    rejected: int = 0
    duplicates: int = 0  # rows listing a match the file had already listed
    corrected: int = 0  # stored prices/scores this file changed
    flagged: dict[str, int] = field(default_factory=dict)  # implausible quotes written, by reason
    corrections: list[str] = field(default_factory=list)  # the first of them, with old and new value


@dataclass
class IngestSummary:
    files: list[FileResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def matches(self) -> int:
        return sum(f.matches for f in self.files)

    @property
    def matches_added(self) -> int:
        return sum(f.matches_added for f in self.files)

    @property
    def quotes(self) -> int:
        return sum(f.quotes for f in self.files)

    @property
    def quotes_added(self) -> int:
        return sum(f.quotes_added for f in self.files)

    @property
    def rejects(self) -> list[RowReject]:
        return [r for f in self.files for r in f.rejects]

    @property
    def rejected(self) -> int:
        return sum(max(f.rejected, len(f.rejects)) for f in self.files)

    @property
    def warnings(self) -> list[str]:
        return [f"{f.source}: {w}" for f in self.files for w in f.warnings]

    @property
    def flagged(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(f.flagged)
        return dict(sorted(total.items()))

    @property
    def covered(self) -> list[str]:
        """``league season`` of every file in the run (unchanged ones included): what the data now covers."""
        return sorted({f"{f.league} {f.season}" for f in self.files if f.league})

    def as_dict(self) -> dict[str, object]:
        return {
            "files": len(self.files),
            "covered": self.covered,
            "matches": self.matches,
            "matches_added": self.matches_added,
            "quotes": self.quotes,
            "quotes_added": self.quotes_added,
            "quotes_flagged": self.flagged,
            "corrected": sum(f.corrected for f in self.files),
            "corrections": [f"{f.source}: {c}" for f in self.files for c in f.corrections],
            "duplicate_rows": sum(f.duplicates for f in self.files),
            "rejected_count": self.rejected,
            "rejected": [str(r) for r in self.rejects],
            "warnings": self.warnings,
            "errors": self.errors,
        }


def _is_data_file(path: Path) -> bool:
    return path.name.lower().endswith(SUFFIXES)


def _data_files_below(folder: Path) -> Iterator[Path]:
    """Data files anywhere below ``folder``, following symlinked folders (a season folder linked in from
    elsewhere is data like any other; ``Path.rglob`` skips it). A link back up the tree is visited once."""
    seen: set[str] = set()
    for root, dirs, names in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:
            dirs.clear()
            continue
        seen.add(real)
        for name in names:
            candidate = Path(root) / name
            if candidate.is_file() and _is_data_file(candidate):
                yield candidate


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[str]]:
    """Data files under ``paths`` (files, or folders laid out ``<season>/<Div>.csv``), plus problems found."""
    found: list[Path] = []
    problems: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(_data_files_below(path))
            if not files:
                problems.append(f"{path}: no .csv or .csv.gz files found")
            found.extend(files)
        elif path.is_file():
            if _is_data_file(path):
                found.append(path)
            else:
                problems.append(f"{path}: unknown file format (expected a football-data.co.uk .csv or .csv.gz)")
        else:
            problems.append(f"{path}: no such file or directory")
    return found, problems


def league_files(folders: Iterable[str | Path], leagues: Iterable[str]) -> dict[tuple[str, str], list[Path]]:
    """``<folder>/<season>/<league>.csv[.gz]`` of these leagues in every folder, keyed by (league, season).

    A league season present in several folders lists each copy (ingesting both adds nothing twice).
    """
    wanted = set(leagues)
    found: dict[tuple[str, str], list[Path]] = {}
    for folder in map(Path, folders):
        if not folder.is_dir():
            continue
        for season_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
            for league in sorted(wanted):
                path = next(
                    (season_dir / f"{league}{s}" for s in SUFFIXES if (season_dir / f"{league}{s}").is_file()), None
                )
                if path is not None:
                    found.setdefault((league, season_dir.name), []).append(path)
    return found


def read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.lower().endswith(".gz") else data


def store_file(engine: Engine, reader: CsvFile, content: bytes, *, started_at: datetime) -> FileResult:
    """Stream one file through the providers' common write path, chunk by chunk (memory per chunk).

    Football-data defines the teams (``create_teams``) and is matched on exact names only (``fuzzy=False``):
    its spellings are the reference the other providers' fuzzy matching resolves against."""
    rejects: list[RowReject] = []
    with open_payload(
        engine,
        provider=PROVIDER,
        endpoint="csv",
        source=reader.source,
        content=content,
        params={"league": reader.league, "season": reader.season},
        league=reader.league,
        season=reader.season,
        parser_version=PARSER_VERSION,
        started_at=started_at,
        fuzzy=False,
        max_listed=MAX_LISTED,
    ) as writer:
        for chunk in reader.chunks():
            writer.write([*chunk.matches, *chunk.quotes])
            writer.reject([str(r) for r in chunk.rejects], len(chunk.rejects))
            extend_capped(rejects, chunk.rejects)
        reader.check_usable()  # raises inside the transaction: nothing of an unreadable file is kept
        writer.write([reader.coverage()])
    summary, written = writer.summary, writer.written
    rejected = writer.input_rejected
    warnings = list(reader.conflicts) + summary.rejects
    if writer.unlisted_rejects:
        warnings.append(f"{writer.unlisted_rejects} more team names that match no team, not listed")
    if reader.duplicates:
        shown = f" ({len(reader.conflicts)} with different values listed)" if reader.conflicts else ""
        repeated = f"{reader.duplicates} rows list a match already listed in the file: first listing kept{shown}"
        warnings.insert(0, repeated)
    if rejected > len(rejects):
        warnings.append(f"{rejected} rows or quotes rejected, the first {len(rejects)} listed")
    return FileResult(
        source=reader.source,
        league=reader.league,
        season=reader.season,
        matches=summary.matches,
        matches_added=summary.matches_added,
        quotes=summary.quotes,
        quotes_added=summary.quotes_added,
        rejects=rejects,
        warnings=warnings,
        rejected=rejected,
        duplicates=reader.duplicates,
        corrected=summary.corrected,
        flagged=summary.quotes_flagged,
        corrections=written.corrections,
    )


def _display_source(path: Path) -> str:
    """'2022-23/E0.csv' style: the season folder stays visible (it decides the season)."""
    parts = path.parts[-2:]
    name = parts[-1][: -len(".gz")] if parts[-1].lower().endswith(".gz") else parts[-1]
    return str(Path(*parts[:-1], name)) if len(parts) == 2 else name


def already_ingested(engine: Engine, content: bytes) -> FileResult | None:
    """The earlier run of these exact bytes by this parser version, if any.

    Each file is written in one transaction together with its run record, so a recorded run proves every row
    of the file is stored: re-reading it could only add nothing. ``force`` bypasses this.
    """
    digest = hashlib.sha256(content).hexdigest()
    with engine.connect() as conn:
        row = (
            conn.execute(
                select(ingest_runs)
                .where(ingest_runs.c.sha256 == digest, ingest_runs.c.parser_version == PARSER_VERSION)
                .order_by(ingest_runs.c.run_id)
                .limit(1)
            )
            .mappings()
            .first()
        )
    if row is None:
        return None
    return FileResult(
        source=row["source"],
        league=row["league"] or "",
        season=row["season"] or "",
        matches=row["matches"],
        matches_added=0,
        quotes=row["quotes"],
        quotes_added=0,
        rejects=[],
        unchanged=True,
    )


@marks_ingest
def ingest_files(
    engine: Engine,
    files: Sequence[Path],
    *,
    force: bool = False,
    on_file: Callable[[Path, FileResult | None], None] | None = None,
) -> IngestSummary:
    summary = IngestSummary()
    for path in files:
        started = datetime.now(UTC)
        result: FileResult | None = None
        try:
            content = read_bytes(path)
            if not force and (result := already_ingested(engine, content)) is not None:
                summary.files.append(result)
                if on_file is not None:
                    on_file(path, result)
                continue
            reader = CsvFile(content, _display_source(path), ingested_at=started)
            result = store_file(engine, reader, content, started_at=started)
            summary.files.append(result)
        except FormatError as exc:
            summary.errors.append(f"{path}: {exc}")
        except (OSError, EOFError) as exc:
            summary.errors.append(f"{path}: cannot read ({exc})")
        if on_file is not None:
            on_file(path, result)
    return summary


def ingest_paths(
    engine: Engine,
    paths: Iterable[str | Path],
    *,
    force: bool = False,
    on_file: Callable[[Path, FileResult | None], None] | None = None,
) -> IngestSummary:
    files, problems = discover(paths)
    summary = ingest_files(engine, files, force=force, on_file=on_file)
    summary.errors[:0] = problems
    return summary
