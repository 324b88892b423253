"""A trained pre-match worker as a walk-forward backtest :class:`~betfolio.backtest.strategy.Strategy`.

The worker was trained on :class:`betfolio.sim.envs.PreMatchBettingEnv` observations. In the backtest the same
observation is rebuilt **from the decision context only** — the as-of prices of every bookmaker and the results
known at ``as_of`` — by the one pre-match feature builder (:mod:`betfolio.features.prematch`) the environment
uses too, under the same clock (results known at the decision time).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from betfolio.engine.strategy import BetOrder, DecisionContext, PastResult
from betfolio.features.prematch import PREMATCH_EXTRAS, Form, form_features, prematch_values
from betfolio.markets.settlement import SettlementOutcome, settle

SELECTIONS = ("home", "draw", "away")
#: Decides an action index of the pre-match env from an observation and its action mask.
Policy = Callable[[np.ndarray, np.ndarray], int]
__all__ = ["PrematchAgentStrategy", "form_features", "prematch_values"]


#: The last history seen and its form: the strategies deciding one round read the same history object (the
#: backtest builds it once per round), so the form is built once per round rather than once per strategy.
_last_form: list[tuple[Sequence[PastResult], Form]] = []


def _shared_form(past: Sequence[PastResult]) -> Form:
    """``form_features(past)``, reused while the same history object comes back (it is read, never changed)."""
    if _last_form and _last_form[0][0] is past:
        return _last_form[0][1]
    form = form_features(past)
    _last_form[:] = [(past, form)]
    return form


@dataclass
class PrematchAgentStrategy:
    """Backtest adapter: observation from the context → worker action → a bet order at a real as-of price."""

    name: str
    policy: Policy
    stakes: tuple[float, ...]  # stake fraction per stake-size action (the env's PREMATCH_STAKES)
    seasons: frozenset[str] | None = None  # decide only in these (evaluation) seasons
    peak: float = 0.0
    decisions: int = 0  # matches the policy was asked about (bets / decisions = the worker's betting rate)
    _results: list[float] = field(default_factory=list)  # 1 won / 0 lost, own settled bets
    _open: dict[int, int] = field(default_factory=dict)  # match_id → selection index

    def _update_results(self, past: Sequence[PastResult]) -> None:
        if not self._open:
            return
        for r in past:
            sel = self._open.pop(r.match_id, None)
            if sel is not None:
                won = settle("1x2", SELECTIONS[sel], None, r.home_goals, r.away_goals).outcome is SettlementOutcome.WON
                self._results = [*self._results, float(won)][-10:]

    def decide(self, context: DecisionContext) -> list[BetOrder]:
        matches = [m for m in context.matches if self.seasons is None or m.season in self.seasons]
        if not matches:
            return []
        past = context.history()
        self._update_results(past)
        form = _shared_form(past)
        self.peak = max(self.peak, context.equity)
        has_history = bool(self._results)
        extras = np.array(
            [
                context.cash / context.initial_bankroll,
                1.0 - context.equity / self.peak if self.peak > 0 else 0.0,
                float(np.mean(self._results)) if has_history else 0.0,
                float(has_history),
                float(context.cash <= 0),
            ],
            np.float32,
        )
        assert len(extras) == len(PREMATCH_EXTRAS)
        orders = []
        n_stakes = len(self.stakes)
        for m in matches:
            values, mask, book, price = prematch_values(m, context.odds.get(m.match_id, {}), form)
            if book is None or price is None:
                context.skip(m.match_id, "no complete 1X2 prices")
                continue
            obs = np.concatenate([values, mask.astype(np.float32), extras])
            action_mask = np.ones(1 + 3 * n_stakes, bool)
            action_mask[1:] = context.cash > 0  # as the environment: no bets without cash
            action = self.policy(obs, action_mask)
            self.decisions += 1
            if action == 0:
                continue
            sel, size = divmod(action - 1, n_stakes)
            stake = min(self.stakes[size] * context.equity, context.max_stake(m.match_id))
            if stake <= 0:
                context.skip(m.match_id, "no stake room")
                continue
            self._open[m.match_id] = sel
            orders.append(BetOrder(m.match_id, "1x2", SELECTIONS[sel], None, float(price[sel]), stake, book, self.name))
        return orders
