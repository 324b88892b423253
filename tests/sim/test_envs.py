"""The Gymnasium environments pass the checker and never emit NaN."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from betfolio.features.live import OBS_DIM
from betfolio.sim.envs import LiveBettingEnv, PreMatchBettingEnv


@pytest.mark.parametrize("reward", ["mission", "log_wealth", "diff_sharpe"])
def test_live_env_passes_check_env(reward):
    env = LiveBettingEnv(reward=reward, seed=1)
    check_env(env, skip_render_check=True)


def test_prematch_env_passes_check_env():
    check_env(PreMatchBettingEnv(max_matches=40), skip_render_check=True)


def test_live_episode_is_ninety_minutes_and_finite():
    env = LiveBettingEnv(seed=2)
    obs, info = env.reset(seed=5)
    assert obs.shape == (OBS_DIM,)
    steps = 0
    rng = np.random.default_rng(0)
    while True:
        mask = info["action_mask"]
        action = rng.choice(np.nonzero(mask)[0])
        obs, reward, terminated, truncated, info = env.step(action)
        steps += 1
        assert np.isfinite(obs).all() and np.isfinite(reward)
        if terminated or truncated:
            break
    assert steps == 90 and terminated and not truncated


def test_environments_are_registered_with_gymnasium():
    import gymnasium as gym

    import betfolio.sim  # noqa: F401  (registers on import)

    env = gym.make("betfolio/LiveBetting-v0", reward="log_wealth", seed=3)
    obs, info = env.reset(seed=1)
    assert obs.shape == (OBS_DIM,) and info["action_mask"][0]
    env.close()
    pre = gym.make("betfolio/PreMatchBetting-v0", max_matches=5)
    assert pre.reset(seed=0)[0].shape == pre.observation_space.shape
    pre.close()


def test_prematch_envs_on_one_match_set_share_its_features_read_only(sample_matches):
    from betfolio.features.prematch import prematch_features

    matches = sample_matches.subset(list(range(60)))
    first, second = PreMatchBettingEnv(matches), PreMatchBettingEnv(matches, reward="log_wealth")
    values, masks = prematch_features(matches)
    assert second.values is first.values and second.masks is first.masks
    np.testing.assert_array_equal(first.values, values)
    np.testing.assert_array_equal(first.masks, masks)
    with pytest.raises(ValueError, match="read-only"):
        first.values[0, 0] = 1.0
    # another match set object (even with the same rows) gets its own features
    other = PreMatchBettingEnv(sample_matches.subset(list(range(60))))
    assert other.values is not first.values
    np.testing.assert_array_equal(other.values, values)
