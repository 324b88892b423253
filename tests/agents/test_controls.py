"""Random policies of a given betting rate: the control that tells skill from betting rarely."""

from __future__ import annotations

import numpy as np
import pytest

from betfolio.agents.controls import RandomRatePolicy, betting_rate


def test_betting_rate() -> None:
    assert betting_rate(30, 120) == 0.25
    assert betting_rate(0, 0) == 0.0
    with pytest.raises(ValueError, match=">= 0"):
        betting_rate(-1, 3)


def test_prematch_random_policy_bets_at_its_rate_on_allowed_actions_only() -> None:
    mask = np.array([True, False, True, True, False, True, False])
    policy = RandomRatePolicy(0.3, seed=4)
    actions = np.array([policy(np.zeros(3), mask) for _ in range(20_000)])
    assert abs((actions > 0).mean() - 0.3) < 0.02
    assert set(np.unique(actions)) == {0, 2, 3, 5}
    again = RandomRatePolicy(0.3, seed=4)
    assert [again(np.zeros(3), mask) for _ in range(50)] == actions[:50].tolist()  # seeded
    assert RandomRatePolicy(1.0)(np.zeros(3), np.array([True, False, False])) == 0  # nothing allowed
    with pytest.raises(ValueError, match="rate"):
        RandomRatePolicy(1.5)
