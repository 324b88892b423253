"""Settlement against hand-worked cases: every quarter-line case, pushes, void rules, and the vector kernel."""

from __future__ import annotations

import numpy as np
import pytest

from betfolio.canonical.enums import MatchStatus
from betfolio.markets.settlement import (
    MARKET_CODES,
    OUTCOME_CODES,
    SELECTION_CODES,
    Settlement,
    SettlementOutcome,
    VoidRules,
    outcome_codes,
    settle,
    settle_fractions,
    settle_fractions_with_status,
    settle_many,
)

W, HW, P, HL, L, V = (
    SettlementOutcome.WON,
    SettlementOutcome.HALF_WON,
    SettlementOutcome.PUSH,
    SettlementOutcome.HALF_LOST,
    SettlementOutcome.LOST,
    SettlementOutcome.VOID,
)

# (market, selection, line, home goals, away goals, expected outcome) — worked out by hand.
CASES = [
    # Asian handicap, quarter lines from the home side.
    ("asian_handicap", "home", -0.75, 1, 0, HW),  # win by one: -0.5 half wins, -1 half pushes
    ("asian_handicap", "home", -0.75, 2, 0, W),
    ("asian_handicap", "home", -0.75, 3, 1, W),
    ("asian_handicap", "home", -0.75, 1, 1, L),
    ("asian_handicap", "home", -0.75, 0, 1, L),
    ("asian_handicap", "home", -0.25, 1, 0, W),
    ("asian_handicap", "home", -0.25, 1, 1, HL),  # draw: 0 pushes, -0.5 loses
    ("asian_handicap", "home", -0.25, 0, 1, L),
    ("asian_handicap", "home", 0.25, 1, 1, HW),  # draw: 0 pushes, +0.5 wins
    ("asian_handicap", "home", 0.25, 0, 1, L),
    ("asian_handicap", "home", 0.25, 2, 1, W),
    ("asian_handicap", "home", 0.75, 0, 1, HL),  # lose by one: +0.5 loses, +1 pushes
    ("asian_handicap", "home", 0.75, 0, 2, L),
    ("asian_handicap", "home", 0.75, 1, 1, W),
    ("asian_handicap", "home", -1.25, 2, 1, HL),  # win by one: -1 pushes, -1.5 loses
    ("asian_handicap", "home", -1.25, 3, 1, W),
    ("asian_handicap", "home", 1.25, 0, 1, HW),  # lose by one: +1 pushes, +1.5 wins
    ("asian_handicap", "home", -1.75, 2, 0, HW),
    ("asian_handicap", "home", -1.75, 1, 0, L),
    # The away side reads the line from its own side.
    ("asian_handicap", "away", 0.75, 1, 0, HL),
    ("asian_handicap", "away", 0.75, 2, 0, L),
    ("asian_handicap", "away", 0.75, 1, 1, W),
    ("asian_handicap", "away", 0.25, 1, 1, HW),
    ("asian_handicap", "away", -0.25, 1, 1, HL),
    ("asian_handicap", "away", -0.75, 0, 1, HW),
    # Whole and half lines.
    ("asian_handicap", "home", 0.0, 1, 1, P),
    ("asian_handicap", "home", 0.0, 2, 1, W),
    ("asian_handicap", "home", -1.0, 2, 1, P),
    ("asian_handicap", "home", -1.0, 3, 1, W),
    ("asian_handicap", "home", -1.0, 1, 1, L),
    ("asian_handicap", "away", 1.0, 2, 1, P),
    ("asian_handicap", "home", -0.5, 1, 1, L),
    ("asian_handicap", "home", -0.5, 1, 0, W),
    ("asian_handicap", "home", 1.5, 0, 1, W),
    ("asian_handicap", "home", -2.0, 2, 0, P),
    # Totals: quarter lines.
    ("total_goals", "over", 2.25, 1, 1, HL),  # 2 goals: over 2 pushes, over 2.5 loses
    ("total_goals", "over", 2.25, 2, 1, W),
    ("total_goals", "over", 2.25, 1, 0, L),
    ("total_goals", "under", 2.25, 1, 1, HW),
    ("total_goals", "under", 2.25, 2, 1, L),
    ("total_goals", "under", 2.25, 0, 1, W),
    ("total_goals", "over", 2.75, 2, 1, HW),  # 3 goals: over 2.5 wins, over 3 pushes
    ("total_goals", "over", 2.75, 2, 2, W),
    ("total_goals", "over", 2.75, 1, 1, L),
    ("total_goals", "under", 2.75, 2, 1, HL),
    ("total_goals", "under", 2.75, 1, 1, W),
    ("total_goals", "under", 2.75, 3, 1, L),
    ("total_goals", "over", 0.75, 1, 0, HW),
    ("total_goals", "under", 0.75, 0, 0, W),
    ("total_goals", "over", 3.25, 2, 1, HL),
    ("total_goals", "under", 3.25, 2, 1, HW),
    # Totals: whole and half lines.
    ("total_goals", "over", 2.0, 1, 1, P),
    ("total_goals", "under", 2.0, 1, 1, P),
    ("total_goals", "over", 2.0, 2, 1, W),
    ("total_goals", "under", 3.0, 1, 1, W),
    ("total_goals", "over", 2.5, 2, 1, W),
    ("total_goals", "under", 2.5, 2, 1, L),
    # 1X2, draw-no-bet, BTTS, double chance.
    ("1x2", "home", None, 2, 1, W),
    ("1x2", "home", None, 1, 1, L),
    ("1x2", "draw", None, 0, 0, W),
    ("1x2", "draw", None, 1, 0, L),
    ("1x2", "away", None, 0, 3, W),
    ("draw_no_bet", "home", None, 1, 1, P),
    ("draw_no_bet", "away", None, 1, 1, P),
    ("draw_no_bet", "home", None, 2, 1, W),
    ("draw_no_bet", "away", None, 2, 1, L),
    ("btts", "yes", None, 1, 1, W),
    ("btts", "yes", None, 1, 0, L),
    ("btts", "no", None, 0, 0, W),
    ("btts", "no", None, 2, 2, L),
    ("double_chance", "home_draw", None, 1, 1, W),
    ("double_chance", "home_draw", None, 0, 1, L),
    ("double_chance", "home_away", None, 1, 1, L),
    ("double_chance", "home_away", None, 0, 1, W),
    ("double_chance", "draw_away", None, 2, 1, L),
]

PAYOUT_PER_UNIT = {W: lambda o: o, HW: lambda o: (o + 1) / 2, P: lambda o: 1.0, HL: lambda o: 0.5, L: lambda o: 0.0}


@pytest.mark.parametrize(("market", "selection", "line", "hg", "ag", "expected"), CASES)
def test_hand_cases(market: str, selection: str, line: float | None, hg: int, ag: int, expected) -> None:
    result = settle(market, selection, line, hg, ag)
    assert result.outcome is expected
    assert result.return_multiplier(1.9) == pytest.approx(PAYOUT_PER_UNIT[expected](1.9))
    assert result.profit(10.0, 1.9) == pytest.approx(10.0 * PAYOUT_PER_UNIT[expected](1.9) - 10.0)


def test_vectorised_kernel_agrees_with_every_hand_case() -> None:
    market = [c[0] for c in CASES]
    selection = [c[1] for c in CASES]
    line = [np.nan if c[2] is None else c[2] for c in CASES]
    hg = [c[3] for c in CASES]
    ag = [c[4] for c in CASES]
    odds = np.linspace(1.5, 4.0, len(CASES))
    payout = settle_many(market, selection, line, hg, ag, odds, stake=2.0)
    expected = [2.0 * PAYOUT_PER_UNIT[c[5]](o) for c, o in zip(CASES, odds, strict=True)]
    np.testing.assert_allclose(payout, expected)
    win, refund = settle_fractions(market, selection, line, hg, ag)
    codes = outcome_codes(win, refund)
    assert [list(OUTCOME_CODES)[c] for c in codes] == [c[5] for c in CASES]


def test_integer_codes_equal_strings() -> None:
    rng = np.random.default_rng(3)
    n = 5000
    markets = rng.choice(["1x2", "asian_handicap", "total_goals", "draw_no_bet"], n)
    selection = np.where(
        markets == "total_goals", rng.choice(["over", "under"], n), rng.choice(["home", "away"], n)
    ).astype(object)
    selection[(markets == "1x2") & (rng.random(n) < 0.3)] = "draw"
    line = np.where(np.isin(markets, ["asian_handicap"]), rng.integers(-12, 13, n) / 4, np.nan)
    line = np.where(markets == "total_goals", rng.integers(2, 18, n) / 4, line)
    hg, ag = rng.poisson(1.4, n), rng.poisson(1.1, n)
    odds = rng.uniform(1.3, 5.0, n)
    by_name = settle_many(markets, selection, line, hg, ag, odds)
    by_code = settle_many(
        np.array([MARKET_CODES[m] for m in markets]),
        np.array([SELECTION_CODES[s] for s in selection]),
        line,
        hg,
        ag,
        odds,
    )
    np.testing.assert_array_equal(by_name, by_code)
    for i in range(0, n, 250):
        one = settle(markets[i], selection[i], None if np.isnan(line[i]) else line[i], int(hg[i]), int(ag[i]))
        assert by_name[i] == pytest.approx(one.return_multiplier(odds[i]))


def test_quarter_line_equals_two_half_stakes() -> None:
    """A quarter line is by definition half the stake on each neighbouring line."""
    rng = np.random.default_rng(11)
    hg, ag = rng.poisson(1.5, 2000), rng.poisson(1.2, 2000)
    for market, selection in (("asian_handicap", "home"), ("asian_handicap", "away"), ("total_goals", "over")):
        for line in (-1.75, -0.75, -0.25, 0.25, 0.75, 1.25, 2.25, 2.75):
            if market == "total_goals" and line < 0:
                continue
            whole = settle_many(market, selection, line, hg, ag, 2.0)
            halves = 0.5 * settle_many(market, selection, line - 0.25, hg, ag, 2.0) + 0.5 * settle_many(
                market, selection, line + 0.25, hg, ag, 2.0
            )
            np.testing.assert_allclose(whole, halves)


@pytest.mark.parametrize("status", ["postponed", "cancelled", "abandoned"])
def test_void_statuses_refund_the_stake(status: str) -> None:
    result = settle("1x2", "home", None, None, None, status=status)
    assert result == Settlement(V, 0.0, 1.0)
    assert result.return_multiplier(3.0) == 1.0
    payout = settle_many(
        ["1x2", "total_goals"],
        ["home", "over"],
        [np.nan, 2.5],
        [np.nan, 1],
        [np.nan, 2],
        2.5,
        stake=[4.0, 6.0],
        status=[status, "finished"],
    )
    np.testing.assert_allclose(payout, [4.0, 15.0])


def test_void_rules_are_configurable() -> None:
    rules = VoidRules(void_statuses=frozenset({MatchStatus.CANCELLED}))
    with pytest.raises(ValueError, match="'postponed' is neither final nor void"):
        settle("1x2", "home", None, None, None, status="postponed", rules=rules)
    assert settle("1x2", "home", None, None, None, status="cancelled", rules=rules).outcome is V
    # Awarded results stand by default; a stricter book voids them.
    assert settle("1x2", "home", None, 3, 0, status="awarded").outcome is W
    assert (
        settle("1x2", "home", None, 3, 0, status="awarded", rules=VoidRules(awarded_result_stands=False)).outcome is V
    )
    assert VoidRules(void_statuses=frozenset({"abandoned"})).void_statuses == frozenset({MatchStatus.ABANDONED})


def test_abandoned_bets_already_decided_can_stand() -> None:
    rules = VoidRules(settle_decided_when_abandoned=True)
    assert settle("total_goals", "over", 1.5, 2, 0, status="abandoned", rules=rules).outcome is W
    assert settle("total_goals", "under", 1.5, 2, 0, status="abandoned", rules=rules).outcome is L
    assert settle("total_goals", "over", 1.75, 3, 0, status="abandoned", rules=rules).outcome is W
    assert settle("total_goals", "over", 1.75, 2, 0, status="abandoned", rules=rules).outcome is V  # half-won so far
    assert settle("total_goals", "under", 1.75, 2, 0, status="abandoned", rules=rules).outcome is V  # could lose all
    assert (
        settle("total_goals", "over", 2.25, 2, 0, status="abandoned", rules=rules).outcome is V
    )  # could still lose half
    assert settle("total_goals", "over", 2.5, 2, 0, status="abandoned", rules=rules).outcome is V
    assert settle("btts", "yes", None, 1, 1, status="abandoned", rules=rules).outcome is W
    assert settle("btts", "no", None, 1, 1, status="abandoned", rules=rules).outcome is L
    assert settle("btts", "yes", None, 1, 0, status="abandoned", rules=rules).outcome is V
    assert settle("1x2", "home", None, 3, 0, status="abandoned", rules=rules).outcome is V
    assert settle("asian_handicap", "home", -0.5, 3, 0, status="abandoned", rules=rules).outcome is V
    # Without the rule everything on an abandoned match is void.
    assert settle("total_goals", "over", 1.5, 2, 0, status="abandoned").outcome is V


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="'asian_handicap' needs a finite line"):
        settle("asian_handicap", "home", None, 1, 0)
    with pytest.raises(ValueError, match="missing score"):
        settle("1x2", "home", None, None, 0)
    with pytest.raises(ValueError, match=r"bet 1: a line market needs a finite line in steps of 0\.25"):
        settle_many(["1x2", "asian_handicap"], ["home", "home"], [np.nan, 0.3], [1, 1], [0, 0], 2.0)
    with pytest.raises(ValueError, match="bet 1: selection 'over' is not part of market 'asian_handicap'"):
        settle_many(["1x2", "asian_handicap"], ["home", "over"], [np.nan, 0.5], [1, 1], [0, 0], 2.0)
    with pytest.raises(ValueError, match=r"bet 2: decimal odds must be finite and > 1\.0"):
        settle_many("1x2", "home", np.nan, [1, 1, 1], [0, 0, 0], [2.0, 3.0, 1.0])
    with pytest.raises(ValueError, match="missing or invalid score at bet 1"):
        settle_many("1x2", "home", np.nan, [1, np.nan], [0, 0], 2.0)
    with pytest.raises(ValueError, match="'in_play' is neither final nor void"):
        settle("1x2", "home", None, 1, 0, status="in_play")
    with pytest.raises(ValueError, match="unknown market 'corners'"):
        settle_many("corners", "home", np.nan, 1, 0, 2.0)
    with pytest.raises(ValueError):
        settle("1x2", "over", None, 1, 0)


def test_scalar_and_vector_paths_agree_everywhere() -> None:
    """`settle` is a plain-Python twin of the numpy kernel: check them against each other exhaustively."""
    from betfolio.canonical.enums import MARKET_SELECTIONS, Market

    lines = {
        Market.ASIAN_HANDICAP: [q / 4 for q in range(-14, 15)],
        Market.TOTAL_GOALS: [q / 4 for q in range(1, 23)],
    }
    rows = []
    for market, selections in MARKET_SELECTIONS.items():
        for selection in selections:
            for line in lines.get(market, [None]):
                for hg in range(7):
                    for ag in range(7):
                        rows.append((market.value, selection.value, line, hg, ag))
    for status, rules in (
        ("finished", VoidRules()),
        ("abandoned", VoidRules(settle_decided_when_abandoned=True)),
        ("awarded", VoidRules(awarded_result_stands=False)),
    ):
        markets, selections, line, hg, ag = (list(c) for c in zip(*rows, strict=True))
        line = [np.nan if x is None else x for x in line]
        win, refund = settle_fractions_with_status(markets, selections, line, hg, ag, [status] * len(rows), rules)
        for i, row in enumerate(rows):
            one = settle(*row, status=status, rules=rules)
            assert (one.win_fraction, one.refund_fraction) == (win[i], refund[i]), (row, status)
