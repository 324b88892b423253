"""The jobs reuse the backtest tests' synthetic football-data folder and the agents' sample store."""

from tests.agents.conftest import sample_store
from tests.backtest.conftest import synthetic_dir

__all__ = ["sample_store", "synthetic_dir"]
