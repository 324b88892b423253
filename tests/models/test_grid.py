"""Scoreline grid pricing: hand-computed grids, the settlement kernel, and penaltyblog's grid as an oracle."""

from __future__ import annotations

import numpy as np
import penaltyblog as pb
import pytest
from scipy.stats import poisson

from betfolio.markets.settlement import settle_many
from betfolio.models.grid import ScorelineGrid, SidePrice, expected_settlement

# Home goals 0/1/2 with 0.3/0.4/0.3, away 0/1/2 with 0.5/0.3/0.2, independent.
HAND = ScorelineGrid(np.outer([0.3, 0.4, 0.3], [0.5, 0.3, 0.2]))


def test_hand_grid_match_markets() -> None:
    home, draw, away = HAND.match_odds()
    # Draw: 0.3*0.5 + 0.4*0.3 + 0.3*0.2 = 0.33; away: 0.3*0.3 + 0.3*0.2 + 0.4*0.2 = 0.23.
    assert (home, draw, away) == pytest.approx((0.44, 0.33, 0.23))
    assert HAND.btts() == pytest.approx((0.7 * 0.5, 1 - 0.35))
    assert HAND.double_chance() == pytest.approx((0.77, 0.67, 0.56))
    assert HAND.expected_goals == pytest.approx((1.0, 0.7))
    assert HAND.correct_score(1, 1) == pytest.approx(0.12)
    assert HAND.correct_score(5, 0) == 0.0


def test_hand_grid_lines() -> None:
    # Totals: P(0)=0.15, P(1)=0.29, P(2)=0.33, P(3)=0.17, P(4)=0.06.
    over, under = HAND.totals(2.25)
    assert over == SidePrice(pytest.approx(0.23), pytest.approx(0.165))  # 2 goals: half refunded, half lost
    assert under == SidePrice(pytest.approx(0.44 + 0.165), pytest.approx(0.165))  # 2 goals: half won, half refunded
    over, under = HAND.totals(2.0)
    assert (over.win, over.refund, under.win) == pytest.approx((0.23, 0.33, 0.44))
    home, away = HAND.asian_handicap(-0.25)
    assert (home.win, home.refund) == pytest.approx((0.44, 0.165))  # draw: half push, half lose
    assert (away.win, away.refund) == pytest.approx((0.23 + 0.165, 0.165))  # away +0.25 on a draw: half won
    dnb_home, dnb_away = HAND.draw_no_bet()
    assert (dnb_home.win, dnb_home.refund, dnb_away.win) == pytest.approx((0.44, 0.33, 0.23))
    assert dnb_home.fair_odds == pytest.approx((1 - 0.33) / 0.44)


def test_fair_odds_have_zero_expected_profit() -> None:
    grid = ScorelineGrid(np.outer(poisson.pmf(np.arange(11), 1.6), poisson.pmf(np.arange(11), 1.1)))
    for line in (-1.75, -0.75, -0.25, 0.0, 0.5, 1.25):
        for side in grid.asian_handicap(line):
            assert side.edge(side.fair_odds) == pytest.approx(0.0, abs=1e-12)
            assert side.win + side.refund + side.lose == pytest.approx(1.0)
    assert SidePrice(0.0, 0.3).fair_odds == float("inf")


@pytest.mark.parametrize("line", [-2.0, -1.75, -1.25, -1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.75, 1.5])
def test_asian_handicap_matches_penaltyblog(line: float) -> None:
    matrix = np.outer(poisson.pmf(np.arange(11), 1.7), poisson.pmf(np.arange(11), 0.9))
    ours = ScorelineGrid(matrix)
    theirs = pb.models.FootballProbabilityGrid(matrix / matrix.sum(), 1.7, 0.9)
    home, away = ours.asian_handicap(line)
    for mine, side, their_line in ((home, "home", line), (away, "away", -line)):
        ref = theirs.asian_handicap_probs(side, their_line)
        assert mine.win == pytest.approx(ref["win"], abs=1e-12)
        assert mine.refund == pytest.approx(ref["push"], abs=1e-12)
        assert mine.lose == pytest.approx(ref["lose"], abs=1e-12)


@pytest.mark.parametrize("line", [0.5, 1.75, 2.0, 2.25, 2.5, 2.75, 3.0, 3.25])
def test_totals_match_penaltyblog(line: float) -> None:
    matrix = np.outer(poisson.pmf(np.arange(11), 1.4), poisson.pmf(np.arange(11), 1.2))
    over, under = ScorelineGrid(matrix).totals(line)
    ref_under, ref_push, ref_over = pb.models.FootballProbabilityGrid(matrix / matrix.sum(), 1.4, 1.2).totals(line)
    assert (over.win, over.refund) == pytest.approx((ref_over, ref_push), abs=1e-12)
    assert (under.win, under.refund) == pytest.approx((ref_under, ref_push), abs=1e-12)


def test_price_equals_average_settlement_over_the_grid() -> None:
    rng = np.random.default_rng(5)
    matrix = rng.dirichlet(np.ones(36)).reshape(6, 6)
    grid = ScorelineGrid(matrix)
    hg, ag = np.meshgrid(np.arange(6), np.arange(6), indexing="ij")
    for market, selection, line in (
        ("asian_handicap", "away", 0.75),
        ("total_goals", "under", 3.25),
        ("1x2", "draw", None),
    ):
        price = grid.price(market, selection, line)
        payout = settle_many(market, selection, np.nan if line is None else line, hg.ravel(), ag.ravel(), 3.0)
        assert price.expected_return(3.0) == pytest.approx(float(matrix.ravel() @ payout))


def test_expected_settlement_vectorised_over_grids_and_lines() -> None:
    grids = np.stack(
        [np.outer(poisson.pmf(np.arange(8), lam), poisson.pmf(np.arange(8), 1.0)) for lam in (0.8, 1.5, 2.4)]
    )
    grids /= grids.sum(axis=(1, 2), keepdims=True)
    lines = np.array([0.25, -0.5, -1.25])
    win, refund = expected_settlement(grids, "asian_handicap", "home", lines)
    for i in range(3):
        single = ScorelineGrid(grids[i]).price("asian_handicap", "home", lines[i])
        assert (win[i], refund[i]) == pytest.approx((single.win, single.refund))


def test_grid_is_renormalised_and_validated() -> None:
    grid = ScorelineGrid(np.full((3, 3), 2.0))
    assert grid.probabilities.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError):
        ScorelineGrid(np.array([[0.5, -0.1], [0.3, 0.3]]))
    with pytest.raises(ValueError):
        ScorelineGrid(np.zeros((2, 2)))
    with pytest.raises(ValueError):
        ScorelineGrid(np.ones(4))


def test_outcome_distribution_splits_the_expected_settlement() -> None:
    from betfolio.models.grid import outcome_distribution

    # Totals 2.25 on the hand grid: 3+ goals won (0.23), exactly 2 half lost (0.33), fewer lost (0.44).
    np.testing.assert_allclose(HAND.outcome_probabilities("total_goals", "over", 2.25), [0.23, 0, 0, 0.33, 0.44])
    np.testing.assert_allclose(HAND.outcome_probabilities("total_goals", "under", 2.25), [0.44, 0.33, 0, 0, 0.23])
    np.testing.assert_allclose(HAND.outcome_probabilities("draw_no_bet", "home"), [0.44, 0, 0.33, 0, 0.23])
    grids = np.stack([HAND.probabilities, HAND.probabilities.T])
    dist = outcome_distribution(grids, "asian_handicap", "home", np.array([-0.75, 0.25]))
    for k, line in enumerate((-0.75, 0.25)):
        price = ScorelineGrid(grids[k]).price("asian_handicap", "home", line)
        assert dist[k] @ [1, 0.5, 0, 0, 0] == pytest.approx(price.win)
        assert dist[k] @ [0, 0.5, 1, 0.5, 0] == pytest.approx(price.refund)
        assert dist[k].sum() == pytest.approx(1.0)


def test_in_play_settlement_on_remaining_goals_equals_the_final_score_grid():
    """A grid of goals still to come plus the score on the board prices like the grid of final scores."""
    from betfolio.models.grid import expected_settlements_in_play, poisson_grids

    remaining = poisson_grids([1.2, 0.4, 0.0], [0.7, 1.5, 0.0], max_goals=8)
    scored = (np.array([1, 0, 2]), np.array([0, 2, 2]))
    bets = [
        ("1x2", "home", None),
        ("1x2", "draw", None),
        ("total_goals", "over", 2.5),
        ("asian_handicap", "home", -0.25),
    ]
    win, refund = expected_settlements_in_play(remaining, bets, scored)
    for i in range(3):
        final = np.zeros((12, 12))
        final[scored[0][i] : scored[0][i] + 9, scored[1][i] : scored[1][i] + 9] = remaining[i]
        for j, (market, selection, line) in enumerate(bets):
            w, r = expected_settlement(final, market, selection, np.nan if line is None else line)
            assert win[i, j] == pytest.approx(w[0], abs=1e-14) and refund[i, j] == pytest.approx(r[0], abs=1e-14)
    assert win[2].tolist() == [0.0, 1.0, 1.0, 0.0]  # 2-2 at full time: a draw, over 2.5, the home -0.25 half-loses
    assert refund[2, 3] == pytest.approx(0.5)
