"""Replay every match of a (held-out) timeline bank once with a trained live policy, recording each bet.

Training samples matches at random; evaluation must instead play each unseen match exactly once, in one batch,
so the results can be laid on a calendar next to the pre-match backtest. Each match is traded with its own
budget of 1.0 (the live sleeve splits its capital equally across a day's matches, see
:mod:`betfolio.agents.evaluation`). Bets are struck and refused by the simulator; each is settled on its own
match's final score by :func:`betfolio.markets.settlement.settle_many`.

The evaluation compares a trained checkpoint with two references on the same matches, replayed the same way:
its untrained network (:func:`betfolio.agents.live.ppo.initial_network` — the weights training started from)
and a random policy placing as many bets (:func:`replay_random`, :class:`RandomBetPolicy`). A trained
worker that cannot beat both has learned nothing usable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from betfolio.agents.live.network import LivePolicy, MaskedAttentionLSTM
from betfolio.engine.book import BookConfig
from betfolio.features.live import LIVE_BETS, LIVE_SELECTIONS
from betfolio.markets.settlement import settle_many
from betfolio.sim.batched import BatchedLiveSim
from betfolio.sim.timeline import TimelineBank

_MARKET = np.array([b[0] for b in LIVE_BETS])
_SELECTION = np.array([b[1] for b in LIVE_BETS])
_LINE = np.array([np.nan if b[2] is None else b[2] for b in LIVE_BETS])


@dataclass(frozen=True, slots=True)
class LiveBet:
    match_row: int  # row of the bank's match set
    minute: int
    selection: str
    stake: float  # fraction of the match budget
    odds: float
    payout: float
    status: str = "lost"  # settlement outcome of the bet on its match's final score


@dataclass(slots=True)
class ReplayResult:
    bets: list[LiveBet]
    match_return: np.ndarray  # [M] profit per unit of match budget
    staleness: np.ndarray  # [M] mean observed data staleness (seconds)
    volatility: np.ndarray  # [M] mean in-play price volatility


class MatchPolicy(Protocol):
    """What the replay asks of a policy: one action per match slot per minute, and forgetting finished slots."""

    def act(self, obs: np.ndarray, action_mask: np.ndarray) -> np.ndarray: ...

    def reset(self, slots: np.ndarray | None = None) -> None: ...


class RandomBetPolicy:
    """Bets in a minute with probability ``bet_probability``, on a uniformly drawn selection the book offers.

    The yardstick of "same betting rate, no skill": a trained worker that does not beat it on the same matches
    has learned when to bet no better than chance.
    """

    def __init__(self, bet_probability: float, seed: int = 0) -> None:
        if not 0.0 <= bet_probability <= 1.0:
            raise ValueError(f"bet_probability must be within 0…1, got {bet_probability}")
        self.bet_probability = bet_probability
        self.rng = np.random.default_rng(seed)

    @classmethod
    def for_rate(cls, bets_per_match: float, seed: int = 0, minutes: int | None = None) -> RandomBetPolicy:
        """The per-minute probability that gives ``bets_per_match`` bets over the ``minutes`` a bet is accepted
        (the book's last betting minute by default), when neither the exposure cap nor suspensions bind."""
        if not bets_per_match >= 0.0:
            raise ValueError(f"bets_per_match must be ≥ 0, got {bets_per_match}")
        span = minutes if minutes is not None else BookConfig().last_bet_minute
        return cls(min(bets_per_match / span, 1.0), seed)

    def act(self, obs: np.ndarray, action_mask: np.ndarray) -> np.ndarray:
        mask = np.asarray(action_mask, bool)
        n = mask.shape[0]
        bets = mask[:, 1:]
        offered = bets.sum(1)
        wants = (self.rng.random(n) < self.bet_probability) & (offered > 0)
        # the k-th offered selection, k uniform: argmax of the cumulative count reaching k
        k = (self.rng.random(n) * np.maximum(offered, 1)).astype(np.int64) + 1
        pick = np.argmax(np.cumsum(bets, axis=1) >= k[:, None], axis=1) + 1
        return np.where(wants, pick, 0)

    def reset(self, slots: np.ndarray | None = None) -> None:
        """Memoryless: nothing to forget."""


def replay_bank(
    network: MaskedAttentionLSTM,
    bank: TimelineBank,
    *,
    reward: str = "mission",
    seed: int = 0,
    variant: int = 0,
    deterministic: bool = False,
    policy: MatchPolicy | None = None,
) -> ReplayResult:
    """Play every match of ``bank`` once (timeline variant ``variant``).

    By default the policy is *sampled* (seeded), as it was trained: PPO learns a stochastic policy, and a
    betting policy that bets in 2 % of the minutes has "no bet" as its most likely action in every single
    minute, so its greedy version never bets at all — that would evaluate a different policy than the one
    trained. ``deterministic=True`` gives the greedy version. ``policy`` replaces the network's policy (e.g. a
    random policy of the same betting rate) on the very same matches.
    """
    if policy is None:
        policy = LivePolicy(network, bank.n_matches, deterministic=deterministic, seed=seed)
    return replay_policy(policy, bank, reward=reward, seed=seed, variant=variant)


def replay_random(bank: TimelineBank, target_bets: int, seed: int, rounds: int = 8) -> tuple[ReplayResult, float]:
    """Replay ``bank`` with a random live policy placing about ``target_bets`` bets (the trained worker's count).

    :meth:`RandomBetPolicy.for_rate` assumes no bet is refused; the exposure cap, suspensions and a bankroll
    run down over a season do refuse some, so the per-minute probability is searched: doubled or halved until
    the target is bracketed, then bisected (geometrically). The replay closest to the target is kept.
    Deterministic for a seed. Returns the replay and the per-minute probability used.
    """
    rate = RandomBetPolicy.for_rate(target_bets / max(bank.n_matches, 1), seed).bet_probability
    low, high = 0.0, 1.0
    best: tuple[ReplayResult, float] | None = None
    for _ in range(rounds):
        result = replay_policy(RandomBetPolicy(rate, seed), bank, seed=seed)
        got = len(result.bets)
        if best is None or abs(got - target_bets) < abs(len(best[0].bets) - target_bets):
            best = (result, rate)
        if target_bets == 0 or abs(got - target_bets) <= max(2, 0.05 * target_bets):
            break
        if got < target_bets:
            low = rate
            rate = min(rate * 2, 1.0) if high >= 1.0 else (rate * high) ** 0.5
        else:
            high = rate
            rate = rate / 2 if low <= 0.0 else (rate * low) ** 0.5
    assert best is not None
    return best


def replay_policy(
    policy: MatchPolicy, bank: TimelineBank, *, reward: str = "mission", seed: int = 0, variant: int = 0
) -> ReplayResult:
    """Play every match of ``bank`` once with ``policy`` (one slot per match); the core of the replays above."""
    n = bank.n_matches
    sim = BatchedLiveSim(n, seed=seed, bank=bank, reward=reward, autoreset=True)
    # "Match i in env i" (faults drawn from the seeded sim): the layout the desktop app's replay shows too.
    obs, mask = sim.reset_to(np.arange(n), np.full(n, variant % bank.n_variants))
    full_time = bank.matches.full_time
    staleness = sim.tapes.staleness.mean(axis=1).astype(np.float64)
    volatility = sim.tapes.volatility.mean(axis=1).astype(np.float64)
    active = np.ones(n, bool)
    profit = np.zeros(n)
    bets: list[LiveBet] = []
    minute = 0
    while active.any():
        actions = np.where(active, policy.act(obs, mask), 0)
        obs, _reward, terminated, truncated, mask, info = sim.step(actions)
        placed = np.nonzero(active & (info["stake"] > 0))[0]
        if len(placed):
            sel = actions[placed] - 1
            stake, odds = info["stake"][placed].astype(float), info["fill_odds"][placed].astype(float)
            match = placed  # match i is replayed in env i
            payout = settle_many(
                _MARKET[sel], _SELECTION[sel], _LINE[sel], full_time[match, 0], full_time[match, 1], odds, stake
            )
            for row, s, st, o, p in zip(placed, sel, stake, odds, payout, strict=True):
                profit[row] += p - st
                status = "won" if p > st else ("push" if p == st else "lost")
                bets.append(LiveBet(int(row), minute, LIVE_SELECTIONS[s], float(st), float(o), float(p), status))
        done = terminated | truncated
        policy.reset(done)
        active &= ~done
        minute += 1
        if minute > 200:
            raise RuntimeError("live replay did not finish: episodes longer than a match")
    return ReplayResult(bets, profit, staleness, volatility)
