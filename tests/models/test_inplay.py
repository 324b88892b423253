"""In-play pricing (:mod:`betfolio.models.inplay`): Poisson outcome probabilities, intensity inversion, red cards,
the book's margin."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import poisson, skellam

from betfolio.models.inplay import (
    RED_CARD_OPPONENT,
    RED_CARD_OWN,
    REMAINING,
    IntensityGrid,
    implied_intensities,
    offered_odds,
    outcome_probabilities,
    remaining_intensities,
)

CASES = [(1.4, 1.1, 0, 0), (0.6, 0.9, 1, 0), (0.3, 0.2, 0, 2), (2.5, 0.4, 3, 3)]


@pytest.mark.parametrize(("mu_h", "mu_a", "h", "a"), CASES)
def test_outcomes_match_skellam_and_poisson(mu_h, mu_a, h, a):
    p = outcome_probabilities(mu_h, mu_a, h, a)
    lead = h - a
    # P(X − Y > −lead); the grid stops at 10 more goals per side, hence 1e-4
    assert p[0] == pytest.approx(skellam.sf(-lead, mu_h, mu_a), abs=1e-4)
    assert p[1] == pytest.approx(skellam.pmf(-lead, mu_h, mu_a), abs=1e-4)
    assert p[2] == pytest.approx(skellam.cdf(-lead - 1, mu_h, mu_a), abs=1e-4)
    need = 3 - (h + a)
    under = poisson.cdf(need - 1, mu_h + mu_a) if need > 0 else 0.0
    assert p[4] == pytest.approx(under, abs=1e-6)
    assert p[:3].sum() == pytest.approx(1.0) and p[3:].sum() == pytest.approx(1.0)


def test_no_time_left_means_the_result_is_decided():
    p = outcome_probabilities(np.zeros(3), np.zeros(3), np.array([2, 1, 0]), np.array([1, 1, 3]))
    assert p.tolist() == [[1, 0, 0, 1, 0], [0, 1, 0, 0, 1], [0, 0, 1, 1, 0]]


def test_intensities_round_trip():
    lam = np.array([[1.6, 1.1], [0.7, 2.2], [2.9, 0.5]])
    probs = outcome_probabilities(lam[:, 0], lam[:, 1], np.zeros(3, int), np.zeros(3, int))
    lh, la = IntensityGrid().fit(probs[:, :3], probs[:, 3])
    assert np.abs(lh - lam[:, 0]).max() <= 0.03 and np.abs(la - lam[:, 1]).max() <= 0.03
    lh2, la2 = implied_intensities(probs[:, :3])  # without the totals price the fit is looser but close
    back = outcome_probabilities(lh2, la2, np.zeros(3, int), np.zeros(3, int))
    assert np.abs(back[:, :3] - probs[:, :3]).max() < 0.01


def test_intensity_fit_refuses_bad_shape():
    with pytest.raises(ValueError, match=r"\[n, 3\]"):
        implied_intensities([0.5, 0.3, 0.2])


def test_remaining_share_and_red_cards():
    assert REMAINING[0] == 1.0 and REMAINING[-1] == 0.0
    assert np.all(np.diff(REMAINING) < 0)
    assert REMAINING[45] < 0.6  # goals come more often late, so less than half the match's goals are left
    mu_h, mu_a = remaining_intensities(1.5, 1.2, 0, 1, 0)
    assert mu_h == pytest.approx(1.5 * RED_CARD_OWN) and mu_a == pytest.approx(1.2 * RED_CARD_OPPONENT)
    late = remaining_intensities(1.5, 1.2, 80, 0, 0)
    assert late[0] == pytest.approx(1.5 * REMAINING[80])


def test_book_margin_and_decided_selections():
    fair = np.array([[0.5, 0.3, 0.2], [0.995, 0.004, 0.001]])
    odds = offered_odds(fair, margin=0.05)
    assert (1 / odds[0]).sum() == pytest.approx(1.05)
    assert np.isnan(odds[1]).all()  # 1/(0.995·1.05) < 1.01 and the others below min probability


def test_grid_pricing_equals_the_truncated_poisson_reference_to_float_precision():
    """The in-play book is priced on models.grid's scoreline grid; the numbers are those of the plain reference:
    1X2 on the 11 × 11 joint Poisson grid of goals still to come (renormalised), under 2.5 from the Poisson total."""
    rng = np.random.default_rng(5)
    mu_h, mu_a = rng.uniform(0.0, 5.0, 300), rng.uniform(0.0, 5.0, 300)
    h, a = rng.integers(0, 5, 300), rng.integers(0, 5, 300)
    got = outcome_probabilities(mu_h, mu_a, h, a)
    k = np.arange(11)
    for i in range(300):
        joint = np.outer(poisson.pmf(k, mu_h[i]), poisson.pmf(k, mu_a[i]))
        joint /= joint.sum()
        final_lead = (k[:, None] + h[i]) - (k[None, :] + a[i])
        ref = [joint[final_lead > 0].sum(), joint[final_lead == 0].sum(), joint[final_lead < 0].sum()]
        need = 3 - (h[i] + a[i])
        under = poisson.cdf(need - 1, mu_h[i] + mu_a[i]) if need > 0 else 0.0
        np.testing.assert_allclose(got[i], [*ref, 1.0 - under, under], rtol=0, atol=1e-12)
