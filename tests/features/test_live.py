"""The live feature builder (:mod:`betfolio.features.live`): each row of the batch observation builder equals the
single-state observation (which the simulator parity test in tests/sim/test_batched.py holds to the simulator's own
observations)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from betfolio.canonical import LiveMatchState
from betfolio.canonical.coverage import Coverage
from betfolio.features.live import (
    OBS_DIM,
    feature_index,
    observation_from_state,
    observation_layout,
    observations_from_states,
)


def _state(minute: int, stats: dict, staleness: float = 0.0, reds: tuple[int | None, int | None] = (None, None)):
    return LiveMatchState(provider="p", provider_match_id=str(minute), minute=minute, home_goals=minute % 3,
                          away_goals=1, statistics=stats, observed_at=datetime(2026, 1, 1, tzinfo=UTC),
                          data_staleness=staleness, home_red_cards=reds[0], away_red_cards=reds[1])  # fmt: skip


def test_batch_rows_equal_single_observations() -> None:
    states = [
        _state(12, {"home": {"shots": 4, "xg": 0.7}, "away": {"shots": 1}}, 3.0),
        _state(95, {"home": {"corners": 5}, "away": {"dangerous_attacks": 40}}, 400.0, (1, 0)),
        _state(60, {}),
    ]
    fair = [np.array([0.5, 0.3, 0.2]), None, (np.nan, 0.4, 0.6)]
    odds = np.array([[2.0, 3.5, 4.0, 1.9, 1.95], [np.nan] * 5, [1.0, 7.0, np.nan, 1.5, 2.5]])
    exposure = np.array([0.0, 0.02, 0.05])
    positions = np.arange(15, dtype=float).reshape(3, 5) / 100
    coverage = Coverage(provider="p", league="E0", season="2026", statistics=("shots", "corners", "red_cards"))
    for cov in (None, coverage):
        batch = observations_from_states(states, fair, odds, coverage=cov, cash_fraction=0.8,
                                         exposure_fraction=exposure, positions=positions, halted=True)  # fmt: skip
        assert batch.shape == (3, OBS_DIM) and batch.dtype == np.float32
        for r, state in enumerate(states):
            single = observation_from_state(
                state, fair[r], odds[r], coverage=cov, cash_fraction=0.8, exposure_fraction=exposure[r],
                positions=positions[r], halted=True,
            )  # fmt: skip
            np.testing.assert_array_equal(batch[r], single)


def test_batch_refuses_negative_staleness() -> None:
    state = _state(5, {}).model_copy(update={"data_staleness": -1.0})
    with pytest.raises(ValueError, match="staleness"):
        observations_from_states([state], [None])


def test_statistics_masks_and_the_red_card_fallback() -> None:
    """A statistic counts where the state carries it (0 included), is masked where it is absent or outside the
    coverage, and the red-card count of the state stands in when the statistics leave red cards out."""
    layout = observation_layout()
    states = [
        _state(30, {"home": {"shots": 0.0, "red_cards": 0.0}, "away": {"possession": 55.0}}, reds=(2, 1)),
        _state(31, {}, reds=(None, 1)),
    ]
    coverage = Coverage(provider="p", league="E0", season="2026", statistics=("shots",))
    full, covered = (observations_from_states(states, [None, None], coverage=c) for c in (None, coverage))
    values, mask = full[:, layout.values], full[:, layout.mask]
    at = feature_index
    assert mask[0, at("home_shots")] and values[0, at("home_shots")] == 0.0  # a reported 0 is known
    assert not mask[0, at("away_shots")]  # absent is unknown
    assert mask[0, at("home_red_cards")] and values[0, at("home_red_cards")] == 0.0  # the statistic wins
    assert mask[0, at("away_red_cards")] and values[0, at("away_red_cards")] == pytest.approx(1 / 2)  # the count
    assert not mask[1, at("home_red_cards")] and mask[1, at("away_red_cards")]
    assert mask[:, at("minute")].all() and not mask[:, at("prematch_home")].any()
    c_mask = covered[:, layout.mask]
    assert c_mask[0, at("home_shots")] and not c_mask[:, at("away_red_cards")].any()  # outside the coverage
