"""Qt runs offscreen; every page is tested against the bundled real sample, ingested once per session."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from betfolio.data import bundled_sample
from betfolio.ingest.football_data import ingest_paths
from betfolio.store.engine import make_engine
from betfolio.store.migrate import upgrade


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the whole bundled sample (3 leagues × 3 seasons); read-only for tests."""
    path = tmp_path_factory.mktemp("app-sample") / "sample.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with bundled_sample() as sample:
        summary = ingest_paths(engine, [sample])
    assert not summary.errors, summary.errors
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def sample_engine(sample_db: Path) -> Iterator[Engine]:
    """The shared sample, not to be written to (use ``writable_engine`` for that)."""
    engine = make_engine(f"sqlite:///{sample_db}")
    yield engine
    engine.dispose()


@pytest.fixture
def writable_engine(sample_db: Path, tmp_path: Path) -> Iterator[Engine]:
    """A private copy of the sample for tests that add runs, bets or live states."""
    copy = tmp_path / "copy.sqlite"
    shutil.copyfile(sample_db, copy)
    engine = make_engine(f"sqlite:///{copy}")
    yield engine
    engine.dispose()


@pytest.fixture
def empty_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    upgrade(engine)
    yield engine
    engine.dispose()
