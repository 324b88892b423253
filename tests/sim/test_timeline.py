"""Replay timelines agree with every stored fact, are seeded, and drive suspensions and prices."""

from __future__ import annotations

import numpy as np
import pytest

from betfolio.canonical import statistics as st
from betfolio.engine.book import BookConfig
from betfolio.features.live import LIVE_FEATURES, MATCH_STATS, STATE_SLICE
from betfolio.sim.episodes import LiveTrack, event_minutes
from betfolio.sim.timeline import MINUTES, build_bank

STATE = LIVE_FEATURES[STATE_SLICE]


def col(name: str) -> int:
    return STATE.index(name)


def test_scores_pass_through_half_time_and_full_time(small_bank):
    ms = small_bank.matches
    known = ms.half_time[:, 0] >= 0
    assert known.all()
    for k, side in enumerate(("home_goals", "away_goals")):
        v = small_bank.values[..., col(side)]
        assert (v[:, :, 45] == ms.half_time[:, None, k]).all()
        assert (v[:, :, MINUTES] == ms.full_time[:, None, k]).all()
        assert (v[:, :, 0] == 0).all()


def test_statistic_totals_are_reached_exactly_and_never_decrease(small_bank):
    ms = small_bank.matches
    for s, stat in enumerate(MATCH_STATS):
        for k, side in enumerate(("home", "away")):
            c = col(f"{side}_{stat}")
            total = ms.stat_totals[:, s, k]
            present = np.isfinite(total)
            assert (small_bank.present[:, :, :, c] == present[:, None, None]).all()
            final = small_bank.values[:, :, MINUTES, c]
            np.testing.assert_allclose(final[present], np.repeat(total[present, None], 3, 1), atol=1e-4)
            assert (np.diff(small_bank.values[..., c], axis=2) >= -1e-6).all()
    # football-data has no xG or dangerous attacks: masked, not zero-filled as if known
    assert not small_bank.present[..., col("home_xg")].any()


def test_goals_are_shots_on_target_which_are_shots(small_bank):
    ms = small_bank.matches
    s_sot, s_shots = MATCH_STATS.index(st.SHOTS_ON_TARGET), MATCH_STATS.index(st.SHOTS)
    for k, side in enumerate(("home", "away")):
        goals = small_bank.values[..., col(f"{side}_goals")]
        sot = small_bank.values[..., col(f"{side}_shots_on_target")]
        shots = small_bank.values[..., col(f"{side}_shots")]
        consistent = (ms.full_time[:, k] <= ms.stat_totals[:, s_sot, k]) & (
            ms.stat_totals[:, s_sot, k] <= ms.stat_totals[:, s_shots, k]
        )
        assert consistent.sum() > 60
        assert (goals[consistent] <= sot[consistent] + 1e-6).all()
        assert (sot[consistent] <= shots[consistent] + 1e-6).all()


def test_seeded_and_reproducible(sample_matches):
    subset = sample_matches.subset(list(range(20)))
    a = build_bank(subset, n_variants=2, seed=3)
    b = build_bank(subset, n_variants=2, seed=3)
    c = build_bank(subset, n_variants=2, seed=4)
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.odds, b.odds)
    assert not np.array_equal(a.values, c.values)


def test_market_suspends_at_goals_and_prices_converge_to_the_result(small_bank):
    goals = small_bank.values[..., 0] + small_bank.values[..., 1]
    scored = np.zeros_like(small_bank.suspended)
    scored[:, :, 1:] = np.diff(goals, axis=2) > 0
    assert scored.any()
    assert small_bank.suspended[scored].all()
    assert np.isnan(small_bank.odds[small_bank.suspended]).all()
    assert (small_bank.event_second[scored] < 60).all()
    assert (small_bank.event_second[~scored & (np.arange(91) > 0)] <= 60).all()
    final = small_bank.fair[:, :, MINUTES]
    np.testing.assert_allclose(final, np.repeat(small_bank.won[:, None].astype(np.float32), 3, 1), atol=1e-5)
    np.testing.assert_allclose(small_bank.fair[..., :3].sum(-1), 1.0, atol=1e-5)
    # kick-off prices reproduce the pre-match market exactly; totals within the Poisson fit
    np.testing.assert_allclose(small_bank.fair[:, :, 0, :3], np.repeat(small_bank.prematch[:, None], 3, 1), atol=1e-5)
    fair_over = small_bank.matches.fair_over
    assert np.abs(small_bank.fair[:, 0, 0, 3] - fair_over).max() < 0.05


def test_longer_suspension_window(sample_matches):
    bank = build_bank(sample_matches.subset(list(range(10))), n_variants=1, seed=1, book=BookConfig(suspend_minutes=3))
    goals = bank.values[..., 0] + bank.values[..., 1]
    minute = np.nonzero(np.diff(goals[0, 0]) > 0)[0][0] + 1
    assert bank.suspended[0, 0, minute : minute + 3].all()


def test_real_minute_data_replaces_the_synthetic_path_and_truncates(sample_matches):
    ms = sample_matches.subset([0, 1])
    minutes = np.array([0, 10, 30, 60])
    stats = np.full((4, len(MATCH_STATS), 2), np.nan)
    stats[:, MATCH_STATS.index(st.SHOTS)] = [[0, 0], [2, 1], [5, 3], [9, 4]]
    stats[:, MATCH_STATS.index(st.EXPECTED_GOALS)] = [[0, 0], [0.2, 0.1], [0.9, 0.3], [1.4, 0.6]]
    ms.live = {
        0: LiveTrack(
            minutes=minutes,
            goals=np.array([[0, 0], [0, 0], [1, 0], [1, 1]]),
            stats=stats,
            staleness=np.array([5.0, 5.0, 20.0, 10.0]),
            finished=False,
        )
    }
    bank = build_bank(ms, n_variants=2, seed=0)
    assert bank.last_minute.tolist() == [60, MINUTES]
    v = bank.values[0, 0]
    assert v[29, col("home_goals")] == 0 and v[30, col("home_goals")] == 1 and v[60, col("away_goals")] == 1
    assert v[45, col("home_shots")] == 5 and bank.present[0, 0, 45, col("home_xg")]
    assert v[45, col("home_xg")] == pytest.approx(0.9)
    assert not bank.present[0, 0, 45, col("home_corners")]  # not delivered → masked
    assert bank.base_staleness[0, 0, 45] == pytest.approx(20.0 + 15 * 60)  # last state at 30', 15 min ago
    assert bank.suspended[0, 0, 30] and bank.suspended[0, 0, 60:].all()


def _event(minute, side, kind, detail, extra=None):
    return {"minute": minute, "extra_minute": extra, "side": side, "type": kind, "detail": detail}


def test_real_event_minutes_place_goals_and_cards(sample_matches):
    ms = sample_matches.subset([0, 1])  # Crystal Palace 0-2 Arsenal (HT 0-1)
    events = [
        _event(20, "away", "goal", "Normal Goal"),
        _event(33, "home", "goal", "Missed Penalty"),  # not a goal
        _event(85, "home", "goal", "Own Goal"),  # Arsenal's second: the event's team is the scorer's side here
        _event(45, "away", "card", "Yellow Card", extra=2),  # first-half stoppage folds into 45'
        _event(90, "home", "card", "Red Card", extra=4),
        _event(110, "home", "goal", "Normal Goal"),  # extra time: not part of the regular-time score
    ]
    found = event_minutes(events, (0, 2), (0, 1))
    assert found is not None and found.goals is not None
    assert np.nonzero(found.goals[1])[0].tolist() == [19, 84]  # own goal credited to the other side
    ms.events = {0: found}
    ms.stat_totals = ms.stat_totals.copy()
    ms.stat_totals[0, MATCH_STATS.index("red_cards")] = np.nan  # no stored red-card total: the events decide
    bank = build_bank(ms, n_variants=3, seed=2)
    away = bank.values[0, :, :, col("away_goals")]
    assert (away[:, 19] == 0).all() and (away[:, 20] == 1).all() and (away[:, 85] == 2).all()
    assert bank.suspended[0, :, 20].all() and bank.suspended[0, :, 85].all()
    red = bank.values[0, :, :, col("home_red_cards")]
    assert (red[:, 89] == 0).all() and (red[:, 90] == 1).all()
    assert bank.present[0, 0, 90, col("home_red_cards")]
    assert bank.values[0, 0, 90, col("away_red_cards")] == 0 and bank.present[0, 0, 90, col("away_red_cards")]
    # one yellow in the events, two in the stored total: the events are incomplete, the stored total wins
    assert ms.stat_totals[0, MATCH_STATS.index("yellow_cards"), 1] == 2
    assert (bank.values[0, :, 90, col("away_yellow_cards")] == 2).all()


def test_events_that_contradict_the_score_are_not_used_for_goals():
    events = [_event(10, "home", "goal", "Normal Goal")]
    found = event_minutes(events, (0, 2), None)
    assert found is not None and found.goals is None
    assert event_minutes([], (0, 0), None) is None
    assert event_minutes(None, (0, 0), None) is None
