"""The batched live simulator: layout, faults, the book, risk rules, settlement, rewards, auto-reset."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from betfolio.canonical import LiveMatchState
from betfolio.canonical import statistics as st
from betfolio.engine.book import BetReject, BookConfig, accept_bets
from betfolio.features.live import (
    LIVE_ACTIONS,
    LIVE_FEATURES,
    MATCH_STATS,
    N_FEATURES,
    N_LIVE_ACTIONS,
    OBS_DIM,
    feature_index,
    observation_from_state,
    observation_layout,
)
from betfolio.risk import RejectReason, RiskLimits
from betfolio.sim.batched import BatchedLiveSim
from betfolio.sim.envs import LiveBettingEnv
from betfolio.sim.episodes import LiveTrack
from betfolio.sim.faults import FaultConfig
from betfolio.sim.timeline import build_bank

LAYOUT = observation_layout()
NO_FAULTS = FaultConfig.none()


def random_policy(rng, mask, p=0.3):
    choice = (rng.random(mask.shape) * mask).argmax(1)
    return np.where(rng.random(len(mask)) < p, choice, 0)


def test_layout_is_consistent():
    assert LAYOUT.dim == OBS_DIM == 2 * N_FEATURES + 1 + len(LAYOUT.extras)
    assert LIVE_ACTIONS[:4] == ("no_bet", "back_home", "back_draw", "back_away")
    assert len(LIVE_FEATURES) == len(set(LIVE_FEATURES)) == N_FEATURES
    parts = LAYOUT.split(np.zeros((2, 5, OBS_DIM)))
    assert parts["values"].shape == (2, 5, N_FEATURES) and parts["staleness"].shape == (2, 5, 1)
    with pytest.raises(KeyError, match="unknown live feature"):
        feature_index("possession_of_the_moon")


def test_reset_shapes_and_kickoff_state(small_bank):
    sim = BatchedLiveSim(8, seed=1, bank=small_bank, faults=NO_FAULTS)
    obs, mask = sim.reset()
    assert obs.shape == (8, OBS_DIM) and obs.dtype == np.float32
    assert mask.shape == (8, N_LIVE_ACTIONS) and mask.dtype == bool and mask[:, 0].all()
    parts = LAYOUT.split(obs)
    assert (parts["values"][:, feature_index("minute")] == 0).all()
    assert (parts["mask"][:, feature_index("prematch_home")] == 1).all()
    assert (parts["staleness"] == 0).all()
    assert (parts["extras"][:, 0] == 1.0).all()  # all cash, nothing staked


def test_blackout_gives_all_zero_masks_and_never_nan(small_bank):
    faults = FaultConfig(blackout_probability=1.0, outage_probability=1.0, coverage_loss_probability=1.0)
    sim = BatchedLiveSim(16, seed=2, bank=small_bank, faults=faults, reward="diff_sharpe")
    obs, mask = sim.reset()
    rng = np.random.default_rng(0)
    for _ in range(200):
        parts = LAYOUT.split(obs)
        assert (parts["mask"] == 0).all() and (parts["values"] == 0).all()
        obs, reward, _terminated, _truncated, mask, _info = sim.step(random_policy(rng, mask))
        assert np.isfinite(obs).all() and np.isfinite(reward).all()


def test_outage_repeats_the_last_state_with_growing_staleness(small_bank):
    faults = FaultConfig(latency_seconds=(0.0, 0.0), outage_probability=1.0, outage_minutes=(10, 10))
    sim = BatchedLiveSim(4, seed=3, bank=small_bank, faults=faults)
    obs, _ = sim.reset()
    rows = [obs]
    for _ in range(89):
        obs, *_ = sim.step(np.zeros(4, int))
        rows.append(obs)
    path = np.stack(rows, 1)  # [env, minute, obs]
    minute = path[:, :, feature_index("minute")] * 90
    stale = path[:, :, LAYOUT.staleness][..., 0] * 300
    for env in range(4):
        frozen = np.nonzero(stale[env] > 0)[0]
        assert len(frozen) == 10 and np.all(np.diff(frozen) == 1)
        start = frozen[0]
        assert (minute[env, frozen] == start - 1).all()  # the last valid state repeats…
        np.testing.assert_allclose(stale[env, frozen], 60.0 * np.arange(1, 11))  # …growing 60 s a minute
        np.testing.assert_array_equal(
            path[env, frozen, : 2 * N_FEATURES], path[env, [start - 1] * 10, : 2 * N_FEATURES]
        )


def test_coverage_loss_drops_masks_for_the_rest_of_the_match(small_bank):
    faults = FaultConfig(latency_seconds=(0.0, 0.0), outage_probability=0.0, coverage_loss_probability=1.0,
                         coverage_loss_max_groups=3)  # fmt: skip
    sim = BatchedLiveSim(6, seed=4, bank=small_bank, faults=faults)
    obs, _ = sim.reset()
    masks = [LAYOUT.split(obs)["mask"]]
    for _ in range(89):
        obs, *_ = sim.step(np.zeros(6, int))
        masks.append(LAYOUT.split(obs)["mask"])
    m = np.stack(masks, 1)
    lost = (m[:, :1] == 1) & (m[:, -1:] == 0)
    assert lost.any()
    for env, feat in zip(*np.nonzero(lost[:, 0]), strict=True):
        if feat >= feature_index("live_home"):
            continue  # live odds also vanish during suspensions
        gone = np.nonzero(m[env, :, feat] == 0)[0]
        assert np.all(np.diff(gone) == 1), "a lost group never comes back"


def test_a_bet_settles_on_the_real_result(small_bank):
    sim = BatchedLiveSim(32, seed=5, bank=small_bank, faults=NO_FAULTS, autoreset=False)
    _, mask = sim.reset()
    action = np.where(mask[:, 1], 1, 0)  # back the home side at kick-off where offered
    _obs, _reward, terminated, truncated, mask, info = sim.step(action)
    placed = info["stake"] > 0
    assert placed.sum() > 20
    stake, fill = info["stake"].copy(), info["fill_odds"].copy()
    np.testing.assert_allclose(stake[placed], 0.05)  # 5 % of equity: the mission's per-trade stake
    won = sim.tapes.won[:, 0].copy()
    for _ in range(89):
        _obs, _reward, terminated, truncated, mask, info = sim.step(np.zeros(32, int))
    assert terminated.all() and not truncated.any()
    expected = 1.0 - stake + np.where(won, stake * np.nan_to_num(fill), 0.0)
    np.testing.assert_allclose(info["equity"], expected)
    np.testing.assert_allclose(info["episode"]["equity"], expected)
    with pytest.raises(RuntimeError, match="reset"):
        sim.step(np.zeros(32, int))


def test_risk_rules_cap_stakes_and_exposure_and_prevent_ruin(small_bank):
    limits = RiskLimits(max_stake_fraction=0.05, max_match_exposure_fraction=0.12)
    sim = BatchedLiveSim(64, seed=6, bank=small_bank, limits=limits, stake_fraction=0.5, carry_bankroll=True)
    _, mask = sim.reset()
    rng = np.random.default_rng(1)
    reasons = set()
    for _ in range(400):
        equity_before = sim.bankroll.equity.copy()
        _obs, _reward, _terminated, _truncated, mask, info = sim.step(random_policy(rng, mask, p=0.8))
        assert (info["stake"] <= 0.05 * equity_before + 1e-12).all()
        assert (sim.bankroll.open_stake <= 0.12 * sim.bankroll.equity + 1e-9).all()
        assert (sim.bankroll.cash >= -1e-12).all() and (sim.bankroll.equity > 0).all()
        reasons.update(info["risk_reason"][info["stake"] > 0].tolist())
    assert RejectReason.STAKE_CAP in reasons  # asked for 50 %, cut to the 5 % cap by the shared rules


def test_masked_actions_are_refused(small_bank):
    sim = BatchedLiveSim(64, seed=7, bank=small_bank, faults=NO_FAULTS)
    _, mask = sim.reset()
    for _ in range(90):
        blocked = ~mask[:, 2]
        _obs, _reward, _terminated, _truncated, new_mask, info = sim.step(np.full(64, 2))
        assert (info["reject_reason"][blocked] == BetReject.NOT_OFFERED).all()
        assert (info["stake"][blocked] == 0).all()
        mask = new_mask
    assert (np.asarray(sim.episode.rejected) >= 0).all()


def test_action_mask_follows_suspensions(small_bank):
    sim = BatchedLiveSim(16, seed=8, bank=small_bank, faults=NO_FAULTS, autoreset=False)
    _, mask = sim.reset()
    for minute in range(90):
        m, v = sim.tapes.match, sim.tapes.variant
        suspended = small_bank.suspended[m, v, minute]
        assert not mask[suspended, 1:].any()
        _obs, _reward, _terminated, _truncated, mask, _info = sim.step(np.zeros(16, int))
    assert not mask[:, 1:].any()  # full time


def test_acceptance_rules_by_hand():
    book = BookConfig(acceptance_delay_seconds=10.0, price_tolerance=0.0)
    fill, code = accept_bets(
        requested=np.array([2.0, 2.0, 2.0, 2.2, 2.0]),
        price_now=np.array([2.0, 2.0, 2.0, 2.0, np.nan]),
        price_next=np.array([2.06, 1.94, 2.0, 2.0, 2.0]),
        next_event_second=np.array([60.0, 60.0, 5.0, 60.0, 60.0]),
        stale=np.array([False, False, False, True, False]),
        book=book,
    )
    # price at acceptance = now + (next − now)·10/60
    assert fill[0] == pytest.approx(2.0)  # drifted up: filled at the requested price
    assert code.tolist() == [
        BetReject.NONE,
        BetReject.PRICE_MOVED,  # 1.99 < 2.0
        BetReject.SUSPENDED_DURING_DELAY,  # goal 5 s into the next minute, inside the 10 s delay
        BetReject.STALE_PRICE,  # asked for 2.2, the book had moved to 2.0
        BetReject.SUSPENDED_DURING_DELAY,  # not offered any more
    ]
    assert np.isnan(fill[1:]).all()


def test_log_wealth_rewards_sum_to_the_episode_log_return(small_bank):
    sim = BatchedLiveSim(16, seed=9, bank=small_bank, reward="log_wealth", autoreset=False)
    _, mask = sim.reset()
    rng = np.random.default_rng(2)
    total = np.zeros(16)
    for _ in range(90):
        _obs, reward, _terminated, _truncated, mask, info = sim.step(random_policy(rng, mask))
        total += reward
    np.testing.assert_allclose(total, np.log(info["equity"]), atol=1e-5)
    assert (info["equity"] != 1.0).any()


def test_same_seed_same_trajectory_and_single_env_matches_batch(small_bank):
    def run(sim, steps=120):
        out = []
        obs, mask = sim.reset(seed=11)
        rng = np.random.default_rng(3)
        for _ in range(steps):
            obs, reward, _terminated, _truncated, mask, _info = sim.step(random_policy(rng, mask))
            out.append((obs.copy(), reward.copy()))
        return out

    a = run(BatchedLiveSim(4, seed=0, bank=small_bank))
    b = run(BatchedLiveSim(4, seed=99, bank=small_bank))  # reset(seed=…) decides
    for (oa, ra), (ob, rb) in zip(a, b, strict=True):
        np.testing.assert_array_equal(oa, ob)
        np.testing.assert_array_equal(ra, rb)

    env = LiveBettingEnv(small_bank)
    batch = BatchedLiveSim(1, seed=0, bank=small_bank, autoreset=False)
    obs_e, info = env.reset(seed=21)
    obs_b, _ = batch.reset(seed=21)
    np.testing.assert_array_equal(obs_e, obs_b[0])
    rng = np.random.default_rng(4)
    for _ in range(90):
        action = int(random_policy(rng, info["action_mask"][None])[0])
        obs_e, r_e, term_e, trunc_e, info = env.step(action)
        obs_b, r_b, term_b, trunc_b, _mask_b, _ = batch.step(np.array([action]))
        np.testing.assert_array_equal(obs_e, obs_b[0])
        assert r_e == pytest.approx(float(r_b[0]))
        assert (term_e, trunc_e) == (bool(term_b[0]), bool(trunc_b[0]))
    assert term_e


def test_autoreset_returns_the_next_episode_and_keeps_the_final_observation(small_bank):
    sim = BatchedLiveSim(3, seed=12, bank=small_bank, faults=NO_FAULTS)
    sim.reset()
    for _ in range(90):
        obs, _reward, terminated, _truncated, _mask, info = sim.step(np.zeros(3, int))
    assert terminated.all() and info["done"].all()
    final = LAYOUT.split(info["final_observation"])["values"][:, feature_index("minute")]
    np.testing.assert_allclose(final, 1.0)
    assert (LAYOUT.split(obs)["values"][:, feature_index("minute")] == 0).all()
    assert info["episode"]["rows"].tolist() == [0, 1, 2]
    assert (sim.t == 0).all() and (sim.bankroll.equity == 1.0).all()


def test_mission_reward_pays_outcome_terms_at_settlement_only(small_bank):
    sim = BatchedLiveSim(32, seed=13, bank=small_bank, faults=FaultConfig(latency_seconds=(30.0, 30.0),
                         outage_probability=0.0, coverage_loss_probability=0.0))  # fmt: skip
    _, mask = sim.reset()
    _, reward, *_ = sim.step(np.where(mask[:, 1], 1, 0))
    np.testing.assert_allclose(reward, -0.001 * 30 / 300, rtol=1e-6)
    for _ in range(89):
        _obs, reward, _terminated, _truncated, mask, info = sim.step(np.zeros(32, int))
    bet = info["episode"]["bets"] > 0
    assert bet.any()
    assert (np.abs(reward[bet]) > 0.01).all()  # the settled bets' risk-adjusted ROI
    assert np.isfinite(reward).all() and (np.abs(reward) <= 20).all()


def test_real_data_that_ends_early_truncates(sample_matches):
    ms = sample_matches.subset([0])
    stats = np.full((2, len(MATCH_STATS), 2), np.nan)
    stats[:, MATCH_STATS.index(st.CORNERS)] = [[1, 0], [3, 2]]
    ms.live = {0: LiveTrack(np.array([0, 50]), np.array([[0, 0], [0, 1]]), stats, np.zeros(2), finished=False)}
    bank = build_bank(ms, n_variants=1, seed=0)
    sim = BatchedLiveSim(2, seed=0, bank=bank, faults=NO_FAULTS)
    sim.reset()
    for minute in range(1, 51):
        _obs, _reward, terminated, truncated, _mask, info = sim.step(np.zeros(2, int))
        if minute < 50:
            assert not (terminated | truncated).any()
    assert truncated.all() and not terminated.any()
    stale = LAYOUT.split(info["final_observation"])["staleness"][:, 0]
    assert math.isclose(float(stale[0]), 0.0)


def test_bad_arguments_are_refused(small_bank):
    with pytest.raises(ValueError, match="n_envs"):
        BatchedLiveSim(0, bank=small_bank)
    with pytest.raises(ValueError, match="unknown reward"):
        BatchedLiveSim(1, bank=small_bank, reward="profit")
    with pytest.raises(ValueError, match="matches"):
        BatchedLiveSim(1, bank=small_bank, matches=np.array([10_000]))
    sim = BatchedLiveSim(2, bank=small_bank)
    sim.reset()
    with pytest.raises(ValueError, match="expected 2 actions"):
        sim.step(np.zeros(3, int))


def test_reset_to_replays_chosen_matches(small_bank):
    sim = BatchedLiveSim(3, seed=0, bank=small_bank, faults=NO_FAULTS)
    sim.reset_to([5, 6, 5], variants=[0, 1, 2])
    assert sim.tapes.match.tolist() == [5, 6, 5] and sim.tapes.variant.tolist() == [0, 1, 2]
    assert sim.episode_facts(1)["match_id"] == small_bank.matches.match_id[6]
    assert sim.market_volatility.shape == (3,) and np.isfinite(sim.market_volatility).all()
    with pytest.raises(ValueError, match="bank rows"):
        sim.reset_to([0, 1])
    with pytest.raises(ValueError, match="variants"):
        sim.reset_to([0, 1, 2], variants=[0, 0, 9])


def test_a_canonical_live_state_gives_the_replayed_observation(small_bank):
    """The same features live and replayed: rebuild a replay minute as a LiveMatchState and compare."""
    sim = BatchedLiveSim(1, seed=14, bank=small_bank, faults=NO_FAULTS, autoreset=False)
    obs, _ = sim.reset()
    for _ in range(60):
        obs, *_ = sim.step(np.zeros(1, int))
    m, v, t = int(sim.tapes.match[0]), int(sim.tapes.variant[0]), int(sim.t[0])
    row, present = small_bank.values[m, v, t], small_bank.present[m, v, t]
    stats = {"home": {}, "away": {}}
    for s, stat in enumerate(MATCH_STATS):
        for k, side in enumerate(("home", "away")):
            if present[2 + 2 * s + k]:
                stats[side][stat] = float(row[2 + 2 * s + k])
    state = LiveMatchState(
        provider="replay",
        provider_match_id="x",
        minute=t,
        home_goals=int(row[0]),
        away_goals=int(row[1]),
        statistics=stats,
        observed_at=datetime(2023, 1, 1, tzinfo=UTC),
        data_staleness=0.0,
    )
    live = observation_from_state(state, small_bank.prematch[m], small_bank.odds[m, v, t])
    np.testing.assert_allclose(live, obs[0], rtol=1e-6, atol=1e-7)
    blank = LiveMatchState(provider="p", provider_match_id="x", minute=3, home_goals=0, away_goals=0,
                           observed_at=datetime(2023, 1, 1, tzinfo=UTC), data_staleness=600.0)  # fmt: skip
    empty = observation_from_state(blank, None)
    assert np.isfinite(empty).all() and empty[LAYOUT.staleness][0] == pytest.approx(2.0)
    assert LAYOUT.split(empty)["mask"].sum() == 3  # clock and score only
