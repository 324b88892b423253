"""The bundled football-data sample as a store: what tests, benchmarks and the simulator's defaults replay.

The sample goes through the one ingest path (parser, identity resolution, writers) into an in-memory SQLite
database, and everything downstream reads it through the store's queries — the same reads as on a real
database, so nothing downstream needs to know a provider's file format.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources

from sqlalchemy import Engine
from sqlalchemy.pool import StaticPool

from betfolio.ingest.football_data import ingest_files
from betfolio.store.engine import make_engine
from betfolio.store.migrate import upgrade


def sample_store(leagues: Sequence[str], seasons: Sequence[str]) -> Engine:
    """An in-memory store holding the bundled sample's ``leagues`` × ``seasons`` (built once per process)."""
    return _sample_store(tuple(sorted(set(leagues))), tuple(sorted(set(seasons))))


@cache
def _sample_store(leagues: tuple[str, ...], seasons: tuple[str, ...]) -> Engine:
    root = resources.files("betfolio.data").joinpath("sample", "football-data")
    missing = [
        f"{league} {season}"
        for season in seasons
        for league in leagues
        if not root.joinpath(season, f"{league}.csv.gz").is_file()
    ]
    if missing:
        raise FileNotFoundError(f"no bundled sample for {', '.join(missing)}")
    engine = make_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    upgrade(engine)
    with resources.as_file(root) as folder:
        files = [folder / season / f"{league}.csv.gz" for season in seasons for league in leagues]
        summary = ingest_files(engine, files)
    if summary.errors:
        raise ValueError(f"bundled sample could not be ingested: {'; '.join(summary.errors)}")
    return engine
