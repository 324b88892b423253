"""A small real store (one bundled league season) shared by the live tests, and the Redis DB they may use."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from betfolio.store.engine import make_engine
from tests.conftest import ingested_sqlite

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "betfolio" / "data" / "sample" / "football-data"


@pytest.fixture(scope="session")
def season_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """E0 2022-23 from the bundled sample (380 real matches with their odds), ingested once per session."""
    return ingested_sqlite(tmp_path_factory.mktemp("live-store") / "e0.sqlite", [SAMPLE / "2022-23" / "E0.csv.gz"])


@pytest.fixture
def season_engine(season_db: Path, tmp_path: Path) -> Iterator[Engine]:
    """A private, writable copy of the season store."""
    copy = tmp_path / "store.sqlite"
    shutil.copyfile(season_db, copy)
    engine = make_engine(f"sqlite:///{copy}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def trained_run(season_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real (briefly) trained live worker in a training run directory, as `betfolio train` leaves it."""
    from betfolio.agents.training import LiveSettings, RunDir, build_timelines, load_training_matches, train_live

    engine = make_engine(f"sqlite:///{season_db}")
    matches = load_training_matches(engine, ["E0"], ["2022-23"])
    run = RunDir.named(tmp_path_factory.mktemp("runs") / "tiny")
    train_live(build_timelines(matches, 1), run, LiveSettings(total_steps=512, n_envs=8, seed=1))
    run.write_manifest({"manager": {"variant": "sliding", "window": 20}})
    engine.dispose()
    return run.path
