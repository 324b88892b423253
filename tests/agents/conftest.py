"""A store holding the bundled E0 sample (three seasons), shared by the agents' integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from betfolio.data import bundled_sample
from betfolio.ingest.football_data import discover, ingest_files
from betfolio.store.engine import make_engine
from betfolio.store.migrate import upgrade


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Path]]:
    root = tmp_path_factory.mktemp("agents-store")
    engine = make_engine(f"sqlite:///{root / 'sample.sqlite'}")
    upgrade(engine)
    with bundled_sample() as sample:
        files, problems = discover([sample / season / "E0.csv.gz" for season in ("2020-21", "2021-22", "2022-23")])
        assert not problems
        summary = ingest_files(engine, files)
    assert not summary.errors
    yield engine, root
    engine.dispose()
