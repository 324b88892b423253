"""Settling bets on final scores: 1X2, totals, Asian handicap (whole, half and quarter lines), draw-no-bet,
both-teams-to-score and double chance, with configurable void rules.

Every settlement reduces to two fractions of the stake: the part settled as a *win* (paid at the odds) and
the part *refunded* (paid back at 1.0). Payout per unit stake is therefore ``win * odds + refund``:

=========  ===  ======  =========================
outcome    win  refund  payout per unit stake
=========  ===  ======  =========================
won        1    0       odds
half_won   ½    ½       (odds + 1) / 2
push       0    1       1
half_lost  0    ½       ½
lost       0    0       0
void       0    1       1
=========  ===  ======  =========================

A quarter line (±0.25, ±0.75, 2.25 …) is two half-stakes on the neighbouring lines a quarter goal either
side, each settled on its own; that single rule produces every half-won/half-lost case. Lines follow the
canonical convention (``OddsQuote``): an Asian handicap line is read from the selection's own side
(home −0.75 and away +0.75 are the two sides of one market), a totals line is the goal line.

The scalar :func:`settle` and the vectorised :func:`settle_many` share one kernel (:func:`settle_fractions`)
so the two can never disagree; the goal models price lines by running the same kernel over a scoreline grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from betfolio.canonical.enums import LINE_MARKETS, MARKET_SELECTIONS, Market, MatchStatus, Selection


class SettlementOutcome(StrEnum):
    WON = "won"
    HALF_WON = "half_won"
    PUSH = "push"
    HALF_LOST = "half_lost"
    LOST = "lost"
    VOID = "void"


@dataclass(frozen=True)
class VoidRules:
    """Which match statuses void a pre-match bet, and what happens to abandoned matches.

    Defaults follow common bookmaker rules: postponed, cancelled and abandoned matches void every bet;
    awarded matches settle on the awarded score. ``settle_decided_when_abandoned`` applies the stricter rule
    many books use: a bet whose result was already decided when play stopped (over 1.5 with two goals
    scored, both teams to score once both have) stands; everything else on that match is void.
    """

    void_statuses: frozenset[MatchStatus] = frozenset(
        {MatchStatus.POSTPONED, MatchStatus.CANCELLED, MatchStatus.ABANDONED}
    )
    settle_decided_when_abandoned: bool = False
    awarded_result_stands: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "void_statuses", frozenset(MatchStatus(s) for s in self.void_statuses))


@dataclass(frozen=True)
class Settlement:
    """The result of one bet: its outcome and the win/refund fractions of the stake."""

    outcome: SettlementOutcome
    win_fraction: float
    refund_fraction: float

    def return_multiplier(self, odds: float) -> float:
        """Money back per unit stake (stake included): ``win_fraction * odds + refund_fraction``."""
        return self.win_fraction * odds + self.refund_fraction

    def payout(self, stake: float, odds: float) -> float:
        return stake * self.return_multiplier(odds)

    def profit(self, stake: float, odds: float) -> float:
        return self.payout(stake, odds) - stake


# Integer codes for the vectorised kernel (order is part of the API: arrays of codes may be stored).
MARKET_CODES: dict[Market, int] = {market: code for code, market in enumerate(Market)}
SELECTION_CODES: dict[Selection, int] = {selection: code for code, selection in enumerate(Selection)}
STATUS_CODES: dict[MatchStatus, int] = {status: code for code, status in enumerate(MatchStatus)}
OUTCOME_CODES: dict[SettlementOutcome, int] = {outcome: code for code, outcome in enumerate(SettlementOutcome)}

_M = {market: np.int8(code) for market, code in MARKET_CODES.items()}
_S = {selection: np.int8(code) for selection, code in SELECTION_CODES.items()}

_FRACTIONS_TO_OUTCOME = {
    (1.0, 0.0): SettlementOutcome.WON,
    (0.5, 0.5): SettlementOutcome.HALF_WON,
    (0.0, 1.0): SettlementOutcome.PUSH,
    (0.0, 0.5): SettlementOutcome.HALF_LOST,
    (0.0, 0.0): SettlementOutcome.LOST,
}


def _codes(values: ArrayLike, table: dict, what: str) -> np.ndarray:
    """Map strings/enums (or pass through integer codes) to int8 codes, naming the first bad value."""
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        if arr.size and (arr.min() < 0 or arr.max() >= len(table)):
            raise ValueError(f"{what} code out of range 0..{len(table) - 1}")
        return arr.astype(np.int8, copy=False)
    lookup = {str(key): code for key, code in table.items()}
    if arr.dtype.kind == "U":
        # Fixed-width strings: one vectorised comparison per known label beats sorting millions of strings.
        out = np.full(arr.shape, -1, dtype=np.int8)
        for key, code in lookup.items():
            out[arr == key] = code
        unknown = out < 0
        if unknown.any():
            bad = arr.reshape(-1)[int(np.flatnonzero(unknown.reshape(-1))[0])]
            raise ValueError(f"unknown {what} {str(bad)!r}; expected one of {sorted(lookup)}")
        return out
    # Objects (enums, Python strings): pandas' hash-based factorize is the fast path.
    codes, uniques = pd.factorize(arr.reshape(-1).astype(object))
    try:
        mapped = np.array([lookup[str(u)] for u in uniques], dtype=np.int8)
    except KeyError as exc:
        raise ValueError(f"unknown {what} {str(exc.args[0])!r}; expected one of {sorted(lookup)}") from None
    if (codes < 0).any():
        raise ValueError(f"missing {what} at bet {int(np.flatnonzero(codes < 0)[0])}")
    return mapped[codes].reshape(arr.shape)


def _half_line(margin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Win and refund fraction of a whole/half-line bet whose adjusted goal margin is ``margin``."""
    return (margin > 0).astype(float), (margin == 0).astype(float)


def _line_fractions(margin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Win/refund fractions for any quarter-multiple line: two half-stakes a quarter goal either side.

    For a whole or half line both halves see the same line, so the result collapses to the plain case.
    """
    win_lo, refund_lo = _half_line(margin - 0.25)
    win_hi, refund_hi = _half_line(margin + 0.25)
    quarter = np.abs(margin * 2 - np.round(margin * 2)) > 1e-9  # margin ends in .25/.75
    win = np.where(quarter, 0.5 * (win_lo + win_hi), (margin > 0).astype(float))
    refund = np.where(quarter, 0.5 * (refund_lo + refund_hi), (margin == 0).astype(float))
    return win, refund


def settle_fractions(
    market: ArrayLike,
    selection: ArrayLike,
    line: ArrayLike,
    home_goals: ArrayLike,
    away_goals: ArrayLike,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised kernel: (win_fraction, refund_fraction) per bet on a *played* match.

    ``market``/``selection`` are canonical string values, enums or integer codes (:data:`MARKET_CODES`,
    :data:`SELECTION_CODES`); ``line`` is ignored (may be NaN) for markets without a line. Arrays broadcast.
    Raises ``ValueError`` for a selection outside its market, a missing or non-quarter line on a line market,
    and missing or negative goals.
    """
    m = _codes(market, MARKET_CODES, "market")
    s = _codes(selection, SELECTION_CODES, "selection")
    hg = np.asarray(home_goals, dtype=float)
    ag = np.asarray(away_goals, dtype=float)
    ln = np.asarray(line, dtype=float)
    m, s, ln, hg, ag = np.broadcast_arrays(m, s, ln, hg, ag)
    bad_goals = ~np.isfinite(hg) | ~np.isfinite(ag) | (hg < 0) | (ag < 0)
    if bad_goals.any():
        i = int(np.flatnonzero(bad_goals.reshape(-1))[0])
        raise ValueError(
            f"missing or invalid score at bet {i}: {hg.reshape(-1)[i]}-{ag.reshape(-1)[i]} (a played match needs "
            "both goal counts)"
        )
    _check_selections(m, s)
    is_line_market = (m == _M[Market.ASIAN_HANDICAP]) | (m == _M[Market.TOTAL_GOALS])
    bad_line = is_line_market & (~np.isfinite(ln) | (np.abs(ln * 4 - np.round(ln * 4)) > 1e-9))
    if bad_line.any():
        i = int(np.flatnonzero(bad_line.reshape(-1))[0])
        raise ValueError(f"bet {i}: a line market needs a finite line in steps of 0.25, got {ln.reshape(-1)[i]}")

    diff = hg - ag
    total = hg + ag
    ln0 = np.where(is_line_market, ln, 0.0)
    home_side = (s == _S[Selection.HOME]) | (s == _S[Selection.OVER]) | (s == _S[Selection.YES])
    # Adjusted margin from the selection's side for line markets (positive = winning).
    ah_margin = np.where(s == _S[Selection.HOME], diff, -diff) + ln0
    tg_margin = np.where(s == _S[Selection.OVER], total - ln0, ln0 - total)
    margin = np.where(m == _M[Market.ASIAN_HANDICAP], ah_margin, tg_margin)
    win, refund = _line_fractions(np.where(is_line_market, margin, 0.0))

    # Markets without a line: plain indicator (draw-no-bet is AH 0 with a push on the draw).
    dnb_margin = np.where(s == _S[Selection.HOME], diff, -diff)
    x12_won = np.select(
        [s == _S[Selection.HOME], s == _S[Selection.DRAW], s == _S[Selection.AWAY]],
        [diff > 0, diff == 0, diff < 0],
        False,
    )
    both = (hg > 0) & (ag > 0)
    btts_won = np.where(home_side, both, ~both)
    dc_won = np.select(
        [s == _S[Selection.HOME_OR_DRAW], s == _S[Selection.HOME_OR_AWAY], s == _S[Selection.DRAW_OR_AWAY]],
        [diff >= 0, diff != 0, diff <= 0],
        False,
    )
    win = np.select(
        [
            m == _M[Market.MATCH_ODDS],
            m == _M[Market.DRAW_NO_BET],
            m == _M[Market.BOTH_TEAMS_TO_SCORE],
            m == _M[Market.DOUBLE_CHANCE],
        ],
        [x12_won, dnb_margin > 0, btts_won, dc_won],
        win,
    ).astype(float)
    refund = np.where(
        m == _M[Market.DRAW_NO_BET], (dnb_margin == 0).astype(float), np.where(is_line_market, refund, 0.0)
    )
    return win, refund


def _check_selections(m: np.ndarray, s: np.ndarray) -> None:
    legal = np.zeros((len(MARKET_CODES), len(SELECTION_CODES)), dtype=bool)
    for market, selections in MARKET_SELECTIONS.items():
        for selection in selections:
            legal[MARKET_CODES[market], SELECTION_CODES[selection]] = True
    bad = ~legal[m, s]
    if bad.any():
        i = int(np.flatnonzero(bad.reshape(-1))[0])
        market = list(MARKET_CODES)[int(m.reshape(-1)[i])]
        selection = list(SELECTION_CODES)[int(s.reshape(-1)[i])]
        raise ValueError(f"bet {i}: selection {selection.value!r} is not part of market {market.value!r}")


def _decided_early(m: np.ndarray, s: np.ndarray, win: np.ndarray, refund: np.ndarray) -> np.ndarray:
    """Bets already decided by a partial score whatever happens next (for abandoned matches).

    Only markets where more goals can never flip the result qualify: over already fully won / under already
    fully lost (goals only go up), and both-teams-to-score once both have scored.
    """
    totals = m == _M[Market.TOTAL_GOALS]
    over_won = totals & (s == _S[Selection.OVER]) & (win == 1.0)
    under_lost = totals & (s == _S[Selection.UNDER]) & (win == 0.0) & (refund == 0.0)
    btts_yes_both = (m == _M[Market.BOTH_TEAMS_TO_SCORE]) & (s == _S[Selection.YES]) & (win == 1.0)
    btts_no_both = (m == _M[Market.BOTH_TEAMS_TO_SCORE]) & (s == _S[Selection.NO]) & (win == 0.0)
    return over_won | under_lost | btts_yes_both | btts_no_both


def _void_mask(st: np.ndarray, rules: VoidRules) -> tuple[np.ndarray, np.ndarray]:
    """(void, unsettled) masks from match status codes under ``rules``."""
    void_codes = [STATUS_CODES[x] for x in rules.void_statuses]
    if not rules.awarded_result_stands:
        void_codes.append(STATUS_CODES[MatchStatus.AWARDED])
    void = np.isin(st, void_codes)
    final_codes = [STATUS_CODES[MatchStatus.FINISHED], STATUS_CODES[MatchStatus.AWARDED]]
    unsettled = ~void & ~np.isin(st, final_codes)
    return void, unsettled


def settle_many(
    market: ArrayLike,
    selection: ArrayLike,
    line: ArrayLike,
    home_goals: ArrayLike,
    away_goals: ArrayLike,
    odds: ArrayLike,
    stake: ArrayLike = 1.0,
    status: ArrayLike | None = None,
    rules: VoidRules | None = None,
) -> np.ndarray:
    """Payout (stake included) of many bets at once: ``stake * (win * odds + refund)``.

    ``status`` (canonical ``MatchStatus`` values or codes; ``None`` = all finished) applies ``rules``: void
    bets pay back their stake, and a goal count may be NaN for them. A bet on a match that is neither final
    nor void (scheduled, in play, suspended) cannot be settled and raises ``ValueError`` naming the bet —
    the caller decides what is pending, never this function. Odds must be > 1.0.
    """
    rules = rules or VoidRules()
    o = np.asarray(odds, dtype=float)
    bad_odds = ~np.isfinite(o) | (o <= 1.0)
    if bad_odds.any():
        i = int(np.flatnonzero(bad_odds.reshape(-1))[0])
        raise ValueError(f"bet {i}: decimal odds must be finite and > 1.0, got {o.reshape(-1)[i]}")
    win, refund = settle_fractions_with_status(market, selection, line, home_goals, away_goals, status, rules)
    return np.asarray(stake, dtype=float) * (win * o + refund)


def settle_fractions_with_status(
    market: ArrayLike,
    selection: ArrayLike,
    line: ArrayLike,
    home_goals: ArrayLike,
    away_goals: ArrayLike,
    status: ArrayLike | None = None,
    rules: VoidRules | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`settle_fractions` plus void rules: void bets get (win 0, refund 1). See :func:`settle_many`."""
    rules = rules or VoidRules()
    m = _codes(market, MARKET_CODES, "market")
    s = _codes(selection, SELECTION_CODES, "selection")
    hg = np.asarray(home_goals, dtype=float)
    ag = np.asarray(away_goals, dtype=float)
    if status is None:
        return settle_fractions(m, s, line, hg, ag)
    m_b, s_b, hg_b, ag_b, st = np.broadcast_arrays(m, s, hg, ag, _codes(status, STATUS_CODES, "match status"))
    ln_b = np.broadcast_to(np.asarray(line, dtype=float), m_b.shape)
    void, unsettled = _void_mask(st, rules)
    if unsettled.any():
        i = int(np.flatnonzero(unsettled.reshape(-1))[0])
        name = list(STATUS_CODES)[int(st.reshape(-1)[i])].value
        raise ValueError(f"bet {i}: match status {name!r} is neither final nor void; cannot settle yet")
    # Void bets may lack a score (a postponed match has none); settle them on 0-0 and overwrite below.
    scored = np.isfinite(hg_b) & np.isfinite(ag_b)
    blank = void & ~scored
    win, refund = settle_fractions(m_b, s_b, ln_b, np.where(blank, 0.0, hg_b), np.where(blank, 0.0, ag_b))
    if rules.settle_decided_when_abandoned:
        stands = (st == STATUS_CODES[MatchStatus.ABANDONED]) & scored & _decided_early(m_b, s_b, win, refund)
        void = void & ~stands
    win = np.where(void, 0.0, win)
    refund = np.where(void, 1.0, refund)
    return win, refund


def settle(
    market: Market | str,
    selection: Selection | str,
    line: float | None,
    home_goals: int | None,
    away_goals: int | None,
    status: MatchStatus | str = MatchStatus.FINISHED,
    rules: VoidRules | None = None,
) -> Settlement:
    """Settle one bet. ``line`` is required for totals and Asian handicap, ignored (may be None) otherwise.

    For an abandoned match pass the score at abandonment (or None); whether anything stands is up to ``rules``.
    This is the plain-Python twin of :func:`settle_fractions_with_status` (a few microseconds instead of a
    few hundred for numpy on one element); an exhaustive test holds the two to identical results.
    """
    market = Market(market)
    selection = Selection(selection)
    status = MatchStatus(status)
    rules = rules or VoidRules()
    if selection not in MARKET_SELECTIONS[market]:
        raise ValueError(f"selection {selection.value!r} is not part of market {market.value!r}")
    if market in LINE_MARKETS and (line is None or not math.isfinite(line) or abs(line * 4 - round(line * 4)) > 1e-9):
        raise ValueError(f"market {market.value!r} needs a finite line in steps of 0.25, got {line}")
    voided = status in rules.void_statuses or (status is MatchStatus.AWARDED and not rules.awarded_result_stands)
    if not voided and not status.is_final:
        raise ValueError(f"match status {status.value!r} is neither final nor void; cannot settle yet")
    scored = home_goals is not None and away_goals is not None
    if scored and (home_goals < 0 or away_goals < 0):  # type: ignore[operator]
        raise ValueError(f"invalid score {home_goals}-{away_goals}")
    if not scored:
        if voided:
            return Settlement(SettlementOutcome.VOID, 0.0, 1.0)
        raise ValueError(f"missing score {home_goals}-{away_goals} for a {status.value} match")
    win, refund = _fractions_one(market, selection, line, int(home_goals), int(away_goals))  # type: ignore[arg-type]
    if voided:
        stands = (
            rules.settle_decided_when_abandoned
            and status is MatchStatus.ABANDONED
            and _decided_one(market, selection, win, refund)
        )
        if not stands:
            return Settlement(SettlementOutcome.VOID, 0.0, 1.0)
    return Settlement(_FRACTIONS_TO_OUTCOME[(win, refund)], win, refund)


def _fractions_one(market: Market, selection: Selection, line: float | None, hg: int, ag: int) -> tuple[float, float]:
    diff, total = hg - ag, hg + ag
    if market is Market.MATCH_ODDS:
        won = {Selection.HOME: diff > 0, Selection.DRAW: diff == 0, Selection.AWAY: diff < 0}[selection]
        return (1.0, 0.0) if won else (0.0, 0.0)
    if market is Market.BOTH_TEAMS_TO_SCORE:
        both = hg > 0 and ag > 0
        return (1.0, 0.0) if both == (selection is Selection.YES) else (0.0, 0.0)
    if market is Market.DOUBLE_CHANCE:
        won = {Selection.HOME_OR_DRAW: diff >= 0, Selection.HOME_OR_AWAY: diff != 0, Selection.DRAW_OR_AWAY: diff <= 0}
        return (1.0, 0.0) if won[selection] else (0.0, 0.0)
    if market is Market.DRAW_NO_BET:
        margin = float(diff if selection is Selection.HOME else -diff)
    elif market is Market.ASIAN_HANDICAP:
        margin = (diff if selection is Selection.HOME else -diff) + float(line)  # type: ignore[arg-type]
    else:
        margin = total - float(line) if selection is Selection.OVER else float(line) - total  # type: ignore[arg-type]
    quarter = abs(margin * 2 - round(margin * 2)) > 1e-9
    halves = (margin - 0.25, margin + 0.25) if quarter else (margin, margin)
    return sum(0.5 for m in halves if m > 0), sum(0.5 for m in halves if m == 0)


def _decided_one(market: Market, selection: Selection, win: float, refund: float) -> bool:
    """Scalar twin of :func:`_decided_early`."""
    if market is Market.TOTAL_GOALS:
        return win == 1.0 if selection is Selection.OVER else (win, refund) == (0.0, 0.0)
    if market is Market.BOTH_TEAMS_TO_SCORE:
        return win == 1.0 if selection is Selection.YES else win == 0.0
    return False


def outcome_codes(win: np.ndarray, refund: np.ndarray, void: np.ndarray | None = None) -> np.ndarray:
    """Vectorised :class:`SettlementOutcome` codes (:data:`OUTCOME_CODES`) from win/refund fractions."""
    codes = np.select(
        [win == 1.0, win == 0.5, refund == 1.0, refund == 0.5],
        [
            OUTCOME_CODES[SettlementOutcome.WON],
            OUTCOME_CODES[SettlementOutcome.HALF_WON],
            OUTCOME_CODES[SettlementOutcome.PUSH],
            OUTCOME_CODES[SettlementOutcome.HALF_LOST],
        ],
        OUTCOME_CODES[SettlementOutcome.LOST],
    ).astype(np.int8)
    if void is not None:
        codes = np.where(void, np.int8(OUTCOME_CODES[SettlementOutcome.VOID]), codes)
    return codes
