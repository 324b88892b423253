"""Model selection on held-out training matches: a policy with an edge is kept, one without is replaced by
abstaining — on the planted environments (where the truth is known) and on real matches."""

from __future__ import annotations

import numpy as np
import pytest

from betfolio.agents.controls import RandomRatePolicy
from betfolio.agents.live.replay import RandomBetPolicy, replay_policy
from betfolio.agents.prematch.tabular import Discretiser, QConfig, TabularQAgent, prematch_reader
from betfolio.agents.selection import (
    ABSTAIN,
    MIN_VALIDATION_BETS,
    TRAINED,
    Abstain,
    gate,
    live_validation,
    prematch_validation,
    validation_split,
)
from betfolio.bench.planted import LivePlant, PlantedPrematchEnv, PrematchPlant, plant_live_signal
from betfolio.features.live import LIVE_FEATURES
from betfolio.sim.batched import sample_bank

_HOME_XG = LIVE_FEATURES.index("home_xg")
_AWAY_XG = LIVE_FEATURES.index("away_xg")


@pytest.fixture(scope="module")
def bank():
    return sample_bank()


class BackTheSurge:
    """Backs home when the home side's running xG pulls clear of the away side's: the policy a worker that found
    the planted live signal acts out."""

    def act(self, obs: np.ndarray, action_mask: np.ndarray) -> np.ndarray:
        surge = obs[:, _HOME_XG] - obs[:, _AWAY_XG]
        return np.where((surge > 0.1) & action_mask[:, 1], 1, 0)

    def reset(self, slots: np.ndarray | None = None) -> None:
        """Memoryless."""


def test_validation_split_holds_out_the_latest_match_days(bank) -> None:
    ms = bank.matches
    fit, held = validation_split(ms, 0.2)
    assert len(fit) + len(held) == len(ms)
    assert 0.15 < len(held) / len(ms) < 0.25
    assert fit.kickoff.max().astype("datetime64[D]") < held.kickoff.min().astype("datetime64[D]")  # no shared day
    assert not set(fit.match_id.tolist()) & set(held.match_id.tolist())
    with pytest.raises(ValueError, match="fraction"):
        validation_split(ms, 1.0)
    with pytest.raises(ValueError, match="two days"):
        validation_split(ms.subset(np.arange(1)), 0.2)


def test_live_gate_keeps_a_policy_with_an_edge_and_abstains_without_one(bank) -> None:
    planted, _ = plant_live_signal(bank, LivePlant(q_win=0.8, q_other=0.05, from_minute=1, oracle_minute=2,
                                                   surge_rate=1.0), seed=1)  # fmt: skip
    control, _ = plant_live_signal(bank, LivePlant(q_win=0.3, q_other=0.3, from_minute=1, oracle_minute=2,
                                                   surge_rate=1.0), seed=1)  # fmt: skip
    kickoffs = bank.matches.kickoff
    edge = live_validation("live", replay_policy(BackTheSurge(), planted, seed=1), kickoffs, seed=1)
    assert edge.deployed == TRAINED and edge.keeps
    assert edge.bets > 50 and edge.roi_ci_low > 0 and edge.log_growth > 0 and edge.matches == bank.n_matches
    # the same rule where the signal carries nothing, and a random policy, pay the book's margin: abstain
    for policy, bank_ in ((BackTheSurge(), control), (RandomBetPolicy(0.02, seed=1), planted)):
        result = live_validation("live", replay_policy(policy, bank_, seed=1), kickoffs, seed=1)
        assert result.bets > 50 and result.deployed == ABSTAIN and not result.keeps
        assert result.roi_ci_low is not None and result.roi_ci_low <= 0
    # what is deployed then never bets, on the very same matches
    assert replay_policy(Abstain(), planted, seed=1).bets == []


def _validate_planted(env: PlantedPrematchEnv, act, seed: int):
    """Every validation match five times (results drawn afresh), each bet's stake and profit into the gate."""
    rows = np.tile(np.arange(len(env.fair)), 5)
    obs, info = env.reset(seed=seed, options={"rows": rows})
    stakes, profits, done = [], [], False
    while not done:
        action = int(act(obs, info["action_mask"]))
        obs, _reward, done, _truncated, info = env.step(action)
        if action:
            stakes.append(env.stakes[(action - 1) % len(env.stakes)])
            profits.append(info["profit"])
    n = len(stakes)
    return gate("prematch-q", np.array(stakes), np.array(profits), np.arange(n), matches=len(rows),
                log_growth=float(np.log1p(np.array(profits)).sum()), seed=seed)  # fmt: skip


@pytest.mark.parametrize(("plant", "kept"), [(PrematchPlant(flagged_share=0.5, draw_edge=0.4), True),
                                             (PrematchPlant(flagged_share=0.0), False)])  # fmt: skip
def test_prematch_gate_keeps_a_learnt_edge_and_abstains_on_the_no_edge_control(bank, plant, kept) -> None:
    fair = bank.matches.prematch_fair
    train_env = PlantedPrematchEnv(fair[:300], plant, reward_scale=1.0 / plant.stake, seed=1)
    config = QConfig(seed=1, epsilon_decay_episodes=60, min_learning_rate=1e-5,
                     discretiser=Discretiser(bankroll_bins=()), stakes=train_env.stakes)  # fmt: skip
    agent = TabularQAgent(int(train_env.action_space.n), prematch_reader(), config)
    agent.train(train_env, 90)
    held = PlantedPrematchEnv(fair[300:], plant, seed=2)  # matches the worker never trained on
    result = _validate_planted(held, agent.act, seed=3)
    assert result.keeps is kept
    if kept:
        assert result.bets > 50 and result.roi_ci_low > 0
    # a random policy of a similar rate pays the margin wherever it bets: never kept
    assert not _validate_planted(held, RandomRatePolicy(0.3, seed=1), seed=3).keeps


def test_prematch_validation_on_real_matches(bank) -> None:
    _fit, held = validation_split(bank.matches, 0.2)
    nothing = prematch_validation("prematch", Abstain(), held, seed=1)
    assert nothing.bets == 0 and nothing.roi is None and nothing.deployed == ABSTAIN and nothing.log_growth == 0.0
    random = prematch_validation("prematch", RandomRatePolicy(0.5, seed=2), held, seed=1)
    assert random.bets > 20 and random.matches == len(held)
    assert random.deployed == ABSTAIN  # the real book's margin: no evidence of an edge
    assert random.as_dict()["deployed"] == ABSTAIN and random.roi == pytest.approx(random.profit / random.staked)


def test_a_few_lucky_bets_are_no_evidence() -> None:
    def winners(n: int):
        return gate("live", np.full(n, 0.05), np.full(n, 0.05), np.arange(n), matches=100, log_growth=0.1)

    assert winners(MIN_VALIDATION_BETS - 1).deployed == ABSTAIN  # every resample above 0, but too few bets
    assert winners(MIN_VALIDATION_BETS).deployed == TRAINED
