"""Season-long live episodes: the bankroll runs on across matches (so the budget penalty can bite), the worker
sees its own recent record, and a season ends after its matches."""

from __future__ import annotations

import numpy as np

from betfolio.features.live import LIVE_EXTRAS, OBS_DIM
from betfolio.sim.batched import BatchedLiveSim
from betfolio.sim.reward import RewardContext, make_reward

_RATE = OBS_DIM - len(LIVE_EXTRAS) + LIVE_EXTRAS.index("recent_win_rate")
_COUNT = OBS_DIM - len(LIVE_EXTRAS) + LIVE_EXTRAS.index("recent_bets")


def _bet_every_kickoff(sim: BatchedLiveSim, matches: int) -> list[dict]:
    """Back the first offered selection at each match's first minute; the per-match ``info['episode']``s."""
    obs, mask = sim.reset()
    assert (obs[:, _COUNT] == 0).all() and (obs[:, _RATE] == 0).all()  # no record yet
    fresh = np.ones(sim.n_envs, bool)
    episodes = []
    while len(episodes) < matches:
        actions = np.where(fresh & mask[:, 1:].any(1), mask[:, 1:].argmax(1) + 1, 0)
        obs, _r, _te, _tr, mask, info = sim.step(actions)
        fresh[:] = False
        if "episode" in info:
            episodes.append(
                info["episode"]
                | {"start_equity": sim.bankroll.equity.copy(), "obs": obs.copy(), "played": sim.matches_played.copy()}
            )
            fresh[info["episode"]["rows"]] = True
    return episodes


def test_bankroll_runs_on_within_a_season_and_starts_afresh_after_it(small_bank) -> None:
    sim = BatchedLiveSim(4, seed=3, bank=small_bank, reward="mission", carry_bankroll=True, season_matches=3)
    episodes = _bet_every_kickoff(sim, 6)
    first = episodes[0]
    rows = first["rows"]
    # after match 1 the next match starts with the equity match 1 ended on, not a fresh 1.0
    np.testing.assert_allclose(first["start_equity"][rows], first["equity"])
    assert not np.allclose(first["equity"], 1.0)
    # the record shows in the observation: bets settled, so a count and a win rate within [0, 1]
    assert (first["obs"][rows, _COUNT] > 0).all()
    assert ((first["obs"][rows, _RATE] >= 0) & (first["obs"][rows, _RATE] <= 1)).all()
    # every env's third match ends its season: its next match starts from the initial budget
    ends = [(e["rows"], e["played"][e["rows"]] == 0) for e in episodes]
    assert any(end.any() for _, end in ends)
    for episode, (rows, end) in zip(episodes, ends, strict=True):
        np.testing.assert_allclose(episode["start_equity"][rows[end]], 1.0)
        np.testing.assert_allclose(episode["start_equity"][rows[~end]], episode["equity"][~end])


def test_budget_penalty_is_live_when_the_carried_bankroll_is_down() -> None:
    n = 2
    ctx = RewardContext(np.ones(n), np.ones(n), 1.0, np.ones(n, bool), np.array([0.05, 0.05]),
                        np.array([0.1, 0.1]), np.full(n, 0.5), np.ones(n), np.array([1.0, 0.6]),
                        np.full(n, np.nan), np.full(n, np.nan), np.zeros(n))  # fmt: skip
    reward = make_reward("mission", n)(ctx)
    assert reward[1] < reward[0]  # the same won bet, 40 % of the season's budget gone: penalised
