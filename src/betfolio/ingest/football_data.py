"""Ingest football-data.co.uk files into the store: one file, one transaction.

Each file is parsed completely first, then written atomically together with its raw bytes and an
``ingest_runs`` record. Killing the process mid-ingest therefore leaves every file either fully stored or not
at all, and re-running completes the rest while adding nothing twice.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from betfolio.providers.football_data import PARSER_VERSION, PROVIDER
from betfolio.providers.football_data.parser import FormatError, ParsedFile, RowReject, parse_csv
from betfolio.store.identity import TeamResolver
from betfolio.store.tables import ingest_runs
from betfolio.store.writer import archive_payload, insert_quotes, record_ingest_run, upsert_coverage, upsert_matches

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
    rejects: list[RowReject]
    unchanged: bool = False
    warnings: list[str] = field(default_factory=list)


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
    def warnings(self) -> list[str]:
        return [f"{f.source}: {w}" for f in self.files for w in f.warnings]

    def as_dict(self) -> dict[str, object]:
        return {
            "files": len(self.files),
            "matches": self.matches,
            "matches_added": self.matches_added,
            "quotes": self.quotes,
            "quotes_added": self.quotes_added,
            "rejected": [str(r) for r in self.rejects],
            "warnings": self.warnings,
            "errors": self.errors,
        }


def _is_data_file(path: Path) -> bool:
    return path.name.lower().endswith(SUFFIXES)


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[str]]:
    """Data files under ``paths`` (files, or folders laid out ``<season>/<Div>.csv``), plus problems found."""
    found: list[Path] = []
    problems: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and _is_data_file(p))
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


def store_parsed(engine: Engine, parsed: ParsedFile, content: bytes, *, started_at: datetime) -> FileResult:
    """Write one parsed file in a single transaction."""
    with engine.begin() as conn:
        digest, _ = archive_payload(
            conn,
            provider=PROVIDER,
            endpoint="csv",
            source=parsed.source,
            content=content,
            params={"league": parsed.league, "season": parsed.season},
        )
        resolver = TeamResolver(conn)
        ids, written = upsert_matches(conn, parsed.matches, resolver, create_teams=True)
        quotes_added, _ = insert_quotes(conn, parsed.quotes, ids)
        if parsed.coverage is not None:
            upsert_coverage(conn, parsed.coverage)
        record_ingest_run(
            conn,
            provider=PROVIDER,
            source=parsed.source,
            sha256=digest,
            parser_version=PARSER_VERSION,
            league=parsed.league,
            season=parsed.season,
            started_at=started_at,
            matches=len(parsed.matches),
            matches_added=written.matches_added,
            quotes=len(parsed.quotes),
            quotes_added=quotes_added,
            rejected=len(parsed.rejects),
            rejects=[str(r) for r in parsed.rejects],
        )
    return FileResult(
        source=parsed.source,
        league=parsed.league,
        season=parsed.season,
        matches=len(parsed.matches),
        matches_added=written.matches_added,
        quotes=len(parsed.quotes),
        quotes_added=quotes_added,
        rejects=parsed.rejects,
        warnings=written.duplicates + written.unresolved,
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
            parsed = parse_csv(content, _display_source(path), ingested_at=started)
            result = store_parsed(engine, parsed, content, started_at=started)
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
