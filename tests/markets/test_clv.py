"""Closing line value against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from betfolio.markets.clv import closing_fair_probability, clv, clv_from_probability, clv_log
from betfolio.markets.margin import remove_margin


def test_hand_values() -> None:
    # Closing 2.0/3.0/4.0 → fair 6/13, 4/13, 3/13. Taking 2.4 on the home side: 2.4 * 6/13 - 1.
    value = clv([2.4], [[2.0, 3.0, 4.0]], [0])
    assert value[0] == pytest.approx(2.4 * 6 / 13 - 1)
    assert clv_log([2.4], [[2.0, 3.0, 4.0]], [0])[0] == pytest.approx(np.log(2.4 / (13 / 6)))
    # Taking the closing price itself is negative CLV: the margin is paid.
    assert clv([2.0], [[2.0, 3.0, 4.0]], [0])[0] < 0


def test_method_choice_changes_the_benchmark() -> None:
    closing = [[1.3, 5.0, 10.0]]
    basic = closing_fair_probability(closing, [2])
    shin = closing_fair_probability(closing, [2], method="shin")
    assert shin[0] == pytest.approx(remove_margin(closing[0], "shin").probabilities[2])
    assert shin[0] < basic[0]  # Shin takes more margin off the longshot


def test_missing_closing_prices_are_nan_not_guessed() -> None:
    value = clv([2.1, 3.0], [[2.0, 3.5, 4.0], [2.0, 3.5, np.nan]], [0, 1])
    assert np.isfinite(value[0]) and np.isnan(value[1])


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="bet 1"):
        clv([2.1, 1.0], [[2.0, 3.5, 4.0]] * 2, [0, 1])
    with pytest.raises(ValueError, match="out of range"):
        clv([2.1], [[2.0, 3.5, 4.0]], [3])
    with pytest.raises(ValueError, match="2 closing markets for 1"):
        clv([2.1], [[2.0, 3.5, 4.0]] * 2, [0])
    with pytest.raises(ValueError):
        clv_from_probability([2.0], [1.5])
    assert clv_from_probability([2.0], [0.55])[0] == pytest.approx(0.1)
