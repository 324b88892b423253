"""One real local Ray for the scale tests (2 CPUs, no dashboard), shut down when the session ends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from betfolio.backtest.data import BacktestData
from tests.conftest import shared_file

#: One league, one season of real football-data: small enough to keep the Ray tests quick.
LEAGUE, SEASON = "E0", "2021-22"


@pytest.fixture(scope="session")
def local_ray() -> Iterator[object]:
    ray = pytest.importorskip("ray")
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def football_data_dir() -> Path:
    return shared_file("football-data", SEASON, f"{LEAGUE}.csv").parents[1]


@pytest.fixture(scope="session")
def season_data(football_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> BacktestData:
    from betfolio.jobs.backtest import load_data
    from betfolio.store.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('scale-db') / 'season.sqlite'}")
    data, _ = load_data(engine, [LEAGUE], [SEASON], data_dir=football_data_dir)
    engine.dispose()
    return data
