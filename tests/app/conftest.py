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
from betfolio.store.engine import make_engine
from betfolio.store.migrate import upgrade
from tests.conftest import ingested_sqlite


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the whole bundled sample (3 leagues × 3 seasons); read-only for tests."""
    with bundled_sample() as sample:
        return ingested_sqlite(tmp_path_factory.mktemp("app-sample") / "sample.sqlite", [sample])


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


@pytest.fixture
def settle():  # type: ignore[no-untyped-def]
    """Wait, with the event loop running, until a page's (or window's) background reads have all arrived."""

    def wait(widget) -> None:  # type: ignore[no-untyped-def]
        assert widget.context.reads.wait(120), "background reads did not finish"

    return wait
