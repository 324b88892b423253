"""Probability models producing scoreline grids (Dixon-Coles, Poisson baseline)."""

from betfolio.models.dixon_coles import DixonColes
from betfolio.models.goal_model import FitInfo, GoalModel
from betfolio.models.grid import ScorelineGrid, SidePrice, expected_settlement, outcome_distribution
from betfolio.models.poisson import PoissonModel
from betfolio.models.weights import time_decay_weights

__all__ = [
    "DixonColes",
    "FitInfo",
    "GoalModel",
    "PoissonModel",
    "ScorelineGrid",
    "SidePrice",
    "expected_settlement",
    "outcome_distribution",
    "time_decay_weights",
]
