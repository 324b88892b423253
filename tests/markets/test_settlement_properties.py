"""Properties of settlement that must hold for every score and line (hypothesis explores them)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from betfolio.markets.settlement import settle_fractions

goals = st.integers(min_value=0, max_value=12)
quarter_lines = st.integers(min_value=-16, max_value=16).map(lambda q: q / 4)
total_lines = st.integers(min_value=1, max_value=28).map(lambda q: q / 4)


@given(goals, goals, quarter_lines)
def test_asian_handicap_sides_mirror_each_other(hg: int, ag: int, line: float) -> None:
    """Home at L and away at -L are the two sides of one market: one's win is the other's loss."""
    home_win, home_refund = settle_fractions("asian_handicap", "home", line, hg, ag)
    away_win, away_refund = settle_fractions("asian_handicap", "away", -line, hg, ag)
    assert home_refund == away_refund
    assert home_win == 1.0 - away_win - away_refund


@given(goals, goals, total_lines)
def test_over_and_under_mirror_each_other(hg: int, ag: int, line: float) -> None:
    over_win, over_refund = settle_fractions("total_goals", "over", line, hg, ag)
    under_win, under_refund = settle_fractions("total_goals", "under", line, hg, ag)
    assert over_refund == under_refund
    assert over_win == 1.0 - under_win - under_refund


@given(goals, goals, quarter_lines)
def test_fractions_are_legal_settlements(hg: int, ag: int, line: float) -> None:
    win, refund = settle_fractions("asian_handicap", "home", line, hg, ag)
    assert (float(win), float(refund)) in {(1.0, 0.0), (0.5, 0.5), (0.0, 1.0), (0.0, 0.5), (0.0, 0.0)}


@given(goals, goals, quarter_lines)
def test_a_better_handicap_never_settles_worse(hg: int, ag: int, line: float) -> None:
    """Receiving a quarter goal more can only improve the payout at any odds above 1."""
    low = settle_fractions("asian_handicap", "home", line, hg, ag)
    high = settle_fractions("asian_handicap", "home", line + 0.25, hg, ag)
    for odds in (1.01, 2.0, 10.0):
        assert high[0] * odds + high[1] >= low[0] * odds + low[1]


@given(goals, goals)
def test_draw_no_bet_is_asian_handicap_zero(hg: int, ag: int) -> None:
    for side in ("home", "away"):
        dnb = settle_fractions("draw_no_bet", side, np.nan, hg, ag)
        ah = settle_fractions("asian_handicap", side, 0.0, hg, ag)
        assert (float(dnb[0]), float(dnb[1])) == (float(ah[0]), float(ah[1]))
