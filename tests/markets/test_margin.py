"""Margin removal checked against penaltyblog's published implementations and against hand-computed values."""

from __future__ import annotations

import numpy as np
import penaltyblog as pb
import pytest

from betfolio.markets.margin import (
    MarginMethod,
    fair_odds,
    implied_probabilities,
    overround,
    remove_margin,
    remove_margin_multiplicative,
)

PB_NAMES = {
    MarginMethod.MULTIPLICATIVE: "multiplicative",
    MarginMethod.ADDITIVE: "additive",
    MarginMethod.POWER: "power",
    MarginMethod.SHIN: "shin",
    MarginMethod.ODDS_RATIO: "odds_ratio",
}
PB_PARAM = {MarginMethod.POWER: "k", MarginMethod.SHIN: "z", MarginMethod.ODDS_RATIO: "c"}

MARKETS = [
    [2.7, 3.5, 2.9],
    [1.2, 6.5, 15.0],
    [2.1, 3.6, 3.9],
    [1.9, 1.9],
    [1.55, 2.45],
    [1.05, 15.0, 40.0],
    [3.1, 3.3, 2.35],
]


@pytest.mark.parametrize("method", list(PB_NAMES))
@pytest.mark.parametrize("odds", MARKETS)
def test_matches_penaltyblog(method: MarginMethod, odds: list[float]) -> None:
    expected = pb.implied.calculate_implied(odds, method=PB_NAMES[method])
    result = remove_margin(odds, method)
    np.testing.assert_allclose(result.probabilities, expected.probabilities, atol=1e-10)
    assert result.margin == pytest.approx(expected.margin, abs=1e-12)
    if method in PB_PARAM:
        assert result.params[PB_PARAM[method]] == pytest.approx(expected.method_params[PB_PARAM[method]], abs=1e-9)


@pytest.mark.parametrize("method", list(PB_NAMES))
def test_vectorised_rows_equal_one_market_at_a_time(method: MarginMethod) -> None:
    rng = np.random.default_rng(7)
    fair = rng.dirichlet([4, 2.5, 2.5], size=300)
    odds = 1.0 / (fair * rng.uniform(1.02, 1.08, size=(300, 1)))
    odds = np.clip(odds, 1.01, None)
    if method is MarginMethod.ADDITIVE:
        odds = odds[(fair > 0.08).all(axis=1)]
    batch = remove_margin(odds, method)
    np.testing.assert_allclose(batch.probabilities.sum(axis=1), 1.0, atol=1e-12)
    for i in range(0, odds.shape[0], 37):
        one = remove_margin(odds[i], method)
        np.testing.assert_allclose(batch.probabilities[i], one.probabilities, atol=1e-11)
        reference = pb.implied.calculate_implied(odds[i].tolist(), method=PB_NAMES[method])
        np.testing.assert_allclose(batch.probabilities[i], reference.probabilities, atol=1e-9)


def test_hand_computed_values() -> None:
    # 1.9 / 1.9: implied 0.5263 each, margin 0.0526; every method splits a symmetric market evenly.
    for method in MarginMethod:
        np.testing.assert_allclose(remove_margin([1.9, 1.9], method).probabilities, [0.5, 0.5], atol=1e-12)
    # Additive: 1/2 + 1/4 + 1/5 = 0.95 → +0.05/3 each.
    np.testing.assert_allclose(
        remove_margin([2.0, 4.0, 5.0], "additive").probabilities, [0.5 + 0.05 / 3, 0.25 + 0.05 / 3, 0.2 + 0.05 / 3]
    )
    # Multiplicative: 1/2, 1/3, 1/4 sum to 13/12.
    np.testing.assert_allclose(remove_margin([2.0, 3.0, 4.0]).probabilities, [6 / 13, 4 / 13, 3 / 13])
    assert overround([2.0, 3.0, 4.0]) == pytest.approx(1 / 12)


def test_power_and_shin_shade_longshots_more_than_multiplicative() -> None:
    odds = [1.25, 5.5, 11.0]
    basic = remove_margin(odds).probabilities
    for method in (MarginMethod.POWER, MarginMethod.SHIN, MarginMethod.ODDS_RATIO):
        p = remove_margin(odds, method).probabilities
        assert p[0] > basic[0] and p[2] < basic[2]


def test_negative_overround_is_solved_on_the_other_side() -> None:
    # Best prices across bookmakers can sum below one.
    odds = [2.2, 3.9, 4.0]
    power = remove_margin(odds, MarginMethod.POWER)
    shin = remove_margin(odds, MarginMethod.SHIN)
    assert power.margin < 0 and power.params["k"] < 1.0 and shin.params["z"] < 0.0
    for result in (power, shin):
        assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-12)


def test_result_shapes_and_fair_odds() -> None:
    result = remove_margin([[2.0, 3.0, 4.0], [1.5, 4.0, 6.0]], "shin")
    assert result.probabilities.shape == (2, 3)
    assert result.margin.shape == (2,) and result.params["z"].shape == (2,)
    np.testing.assert_allclose(result.fair_odds, 1.0 / result.probabilities)
    np.testing.assert_allclose(fair_odds([2.0, 3.0, 4.0]), [13 / 6, 13 / 4, 13 / 3])
    assert MarginMethod("multiplicative") is MarginMethod.MULTIPLICATIVE
    assert MarginMethod("basic") is MarginMethod.MULTIPLICATIVE


def test_legacy_names_keep_working() -> None:
    np.testing.assert_allclose(remove_margin_multiplicative([[2.0, 3.0, 4.0]]), [[6 / 13, 4 / 13, 3 / 13]])
    np.testing.assert_allclose(implied_probabilities([2.0, 4.0]), [0.5, 0.25])


@pytest.mark.parametrize("bad", [1.0, 0.5, -2.0, np.inf])
def test_bad_odds_name_the_position(bad: float) -> None:
    with pytest.raises(ValueError, match=r"index \(1, 2\)"):
        remove_margin([[2.0, 3.0, 4.0], [2.0, 3.0, bad]], "power")


def test_nan_is_missing_not_guessed() -> None:
    odds = [[2.0, 3.0, 4.0], [2.0, np.nan, 4.0]]
    with pytest.raises(ValueError, match=r"index \(1, 1\)"):
        remove_margin(odds)
    for method in MarginMethod:
        result = remove_margin(odds, method, nan_policy="propagate")
        assert np.isnan(result.probabilities[1]).all() and np.isnan(result.margin[1])
        assert np.isfinite(result.probabilities[0]).all()
        if method in PB_PARAM:
            assert np.isnan(result.params[PB_PARAM[method]][1])
    with pytest.raises(ValueError, match="nan_policy"):
        remove_margin(odds, nan_policy="ignore")  # type: ignore[arg-type]


def test_additive_refuses_markets_it_cannot_price() -> None:
    with pytest.raises(ValueError, match="row 1"):
        remove_margin([[2.0, 3.0, 4.0], [1.01, 20.0, 150.0]], "additive")


def test_shape_errors() -> None:
    with pytest.raises(ValueError, match="at least two outcomes"):
        remove_margin([2.0])
    with pytest.raises(ValueError, match="1-D"):
        remove_margin(np.full((2, 2, 3), 2.0))
    with pytest.raises(ValueError):
        remove_margin([2.0, 2.0], "nonsense")
