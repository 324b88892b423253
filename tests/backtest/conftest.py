from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from betfolio.backtest.data import BacktestData, load_from_directory
from betfolio.backtest.engine import BacktestConfig
from tests.backtest.synthetic import write_season

SEASONS = ["2020-21", "2021-22"]


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("football-data")
    for i, season in enumerate(SEASONS):
        write_season(folder, season, seed=i)
    return folder


@pytest.fixture(scope="session")
def synthetic_data(synthetic_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> BacktestData:
    from betfolio.store.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'bt.sqlite'}")
    data, _ = load_from_directory(synthetic_dir, ["E0"], SEASONS, engine=engine)
    engine.dispose()
    return data


def small_config(**kwargs: object) -> BacktestConfig:
    """Fits start after 40 results (the synthetic league has 56 matches a season)."""
    defaults: dict[str, object] = {"min_training_matches": 40, "refit_every": timedelta(days=7)}
    defaults.update(kwargs)
    return BacktestConfig(**defaults)  # type: ignore[arg-type]
