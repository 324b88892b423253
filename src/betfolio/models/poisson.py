"""Independent Poisson goal model (Maher, 1982): the baseline Dixon-Coles must beat.

Same team-strength parameterisation, time-decay weighting, leakage guard and API as
:class:`~betfolio.models.dixon_coles.DixonColes`, without the low-score correction.
"""

from __future__ import annotations

from betfolio.models.goal_model import GoalModel


class PoissonModel(GoalModel):
    """Independent Poisson goals with attack/defence strengths and a home advantage."""
