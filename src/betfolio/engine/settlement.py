"""Settling bets on their own match's result, through :mod:`betfolio.markets.settlement` only.

:func:`settle_outcomes` is pure: it says what each bet pays given its match's result. The engine applies it at
the match's end (bankroll, ledger row, ``settled_at`` = the match's end); a training environment may call the same
function to attribute a bet's reward to the decision that placed it — one computation, never a second rule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from betfolio.engine.bets import BetRecord
from betfolio.engine.events import MatchResult
from betfolio.engine.execution import market_key
from betfolio.markets.clv import clv as clv_of
from betfolio.markets.settlement import OUTCOME_CODES, outcome_codes, settle_fractions_with_status

_OUTCOME_NAMES = {code: outcome.value for outcome, code in OUTCOME_CODES.items()}
#: Closing books used for closing line value, most efficient first.
CLOSING_REFERENCE = ("pinnacle", "market_avg")
UNSETTLED = "unsettled"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a bet returns (stake included) and its settlement status (won, half_lost, void, …)."""

    payout: float
    status: str


def settle_outcomes(bets: Sequence[BetRecord], results: Mapping[int, MatchResult]) -> list[Outcome]:
    """The outcome of each bet on its own match's result (each result must be settleable).

    A few bets (an environment's step, one match's end) are settled one by one from a memo of the kernel's
    answers — a bet type on a final score always settles the same way, and football has few scores — which
    keeps numpy's per-call overhead out of a training step; many bets (a backtest's round) go through the
    kernel in one vectorised call. Both paths are the same kernel and give the same floats.
    """
    if not bets:
        return []
    ms = [results[b.match_id] for b in bets]
    for b, m in zip(bets, ms, strict=True):
        if not m.settleable:
            raise ValueError(f"match {b.match_id} has no final result (status {m.status!r}); cannot settle")
    if len(bets) <= _ONE_BY_ONE:
        out = []
        for b, m in zip(bets, ms, strict=True):
            win, refund, status = _settled(
                b.market, b.selection, b.line, m.home_goals, m.away_goals, m.status, m.is_void
            )
            out.append(Outcome(float(b.stake * (win * b.odds + refund)), status))
        return out
    win, refund = settle_fractions_with_status(
        [b.market for b in bets],
        [b.selection for b in bets],
        [np.nan if b.line is None else b.line for b in bets],
        [np.nan if m.home_goals is None else m.home_goals for m in ms],
        [np.nan if m.away_goals is None else m.away_goals for m in ms],
        [m.status for m in ms],
    )
    codes = outcome_codes(win, refund, np.array([m.is_void for m in ms]))
    payout = np.array([b.stake for b in bets]) * (win * np.array([b.odds for b in bets]) + refund)
    return [Outcome(float(p), _OUTCOME_NAMES[int(c)]) for p, c in zip(payout, codes, strict=True)]


#: Up to this many bets are settled one by one from the memo (:func:`_settled`), more in one vectorised call.
_ONE_BY_ONE = 16


@lru_cache(maxsize=8192)
def _settled(
    market: str, selection: str, line: float | None, home: int | None, away: int | None, status: str, void: bool
) -> tuple[float, float, str]:
    """(win fraction, refund fraction, outcome name) of one bet type on one final result, by the kernel."""
    win, refund = settle_fractions_with_status(
        [market],
        [selection],
        [np.nan if line is None else line],
        [np.nan if home is None else home],
        [np.nan if away is None else away],
        [status],
    )
    code = outcome_codes(win, refund, np.array([void]))
    return float(win[0]), float(refund[0]), _OUTCOME_NAMES[int(code[0])]


def closing_value(bet: BetRecord, result: MatchResult) -> tuple[float | None, float | None]:
    """Margin-free closing odds of the bet's selection and its closing line value (evaluation only)."""
    table = result.closing.get(market_key(bet.market, bet.selection, bet.line))
    if table is None or bet.selection not in table.selections:
        return None, None
    col = table.selections.index(bet.selection)
    for book in CLOSING_REFERENCE:
        row = table.price(book)
        if row is not None:
            value = float(clv_of([bet.odds], row[None, :], [col])[0])
            if math.isfinite(value):
                return bet.odds / (1.0 + value), value
    return None, None
