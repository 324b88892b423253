"""Dixon-Coles (1997): Poisson goals with a low-score dependence correction and time-decay weighting.

Independent Poisson under-predicts 0-0 and 1-1 and over-predicts 1-0 and 0-1. Dixon and Coles multiply the
four low-score cells by a factor τ with one parameter ρ (negative in practice):

    τ(0,0) = 1 − λμρ    τ(0,1) = 1 + λρ    τ(1,0) = 1 + μρ    τ(1,1) = 1 − ρ    (1 elsewhere)

The likelihood and its gradient are vectorised over matches (see :class:`~betfolio.models.goal_model.GoalModel`)
so a two-season league fit takes tens of milliseconds.
"""

from __future__ import annotations

import numpy as np

from betfolio.models.goal_model import GoalModel, _Data

#: τ is floored here: at extreme rates and ρ a cell factor could reach zero; the optimiser must not see log 0.
_TAU_FLOOR = 1e-10


class DixonColes(GoalModel):
    """Dixon-Coles goal model. ``xi`` is the time decay per day (see :mod:`betfolio.models.weights`)."""

    _extra_names = ("rho",)
    _extra_init = (-0.05,)
    _extra_bounds = ((-0.5, 0.5),)

    @property
    def rho(self) -> float:
        self._require_fit()
        return self.extra["rho"]

    def _correction(
        self, data: _Data, lam: np.ndarray, mu: np.ndarray, extra: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        rho = float(extra[0])
        x, y = data.x, data.y
        c00 = (x == 0) & (y == 0)
        c01 = (x == 0) & (y == 1)
        c10 = (x == 1) & (y == 0)
        c11 = (x == 1) & (y == 1)
        lm = lam * mu
        tau = np.ones_like(lam)
        tau = np.where(c00, 1.0 - lm * rho, tau)
        tau = np.where(c01, 1.0 + lam * rho, tau)
        tau = np.where(c10, 1.0 + mu * rho, tau)
        tau = np.where(c11, 1.0 - rho, tau)
        live = tau > _TAU_FLOOR
        tau = np.maximum(tau, _TAU_FLOOR)
        inv = np.where(live, 1.0 / tau, 0.0)
        d_loglam = np.where(c00, -lm * rho, 0.0) + np.where(c01, lam * rho, 0.0)
        d_logmu = np.where(c00, -lm * rho, 0.0) + np.where(c10, mu * rho, 0.0)
        d_rho = np.select([c00, c01, c10, c11], [-lm, lam, mu, -np.ones_like(lam)], 0.0)
        return np.log(tau), d_loglam * inv, d_logmu * inv, (d_rho * inv)[:, None]

    def _grid_correction(self, grids: np.ndarray, lam: np.ndarray, mu: np.ndarray) -> np.ndarray:
        rho = self.extra["rho"]
        out = grids.copy()
        out[:, 0, 0] *= np.maximum(1.0 - lam * mu * rho, 0.0)
        out[:, 0, 1] *= np.maximum(1.0 + lam * rho, 0.0)
        out[:, 1, 0] *= np.maximum(1.0 + mu * rho, 0.0)
        out[:, 1, 1] *= max(1.0 - rho, 0.0)
        return out
