"""The jobs reuse the backtest tests' synthetic football-data folder."""

from tests.backtest.conftest import synthetic_dir

__all__ = ["synthetic_dir"]
