"""Environments whose best policy is known: the yardstick ``betfolio bench learn`` measures the agents against.

An agent that loses about the book margin on real matches may be unable to learn or may simply face a market
without an edge; the two look the same. Here an edge is *planted*, so the oracle's profit is known and an agent
that learns must capture most of it, and a control without an edge must teach it to abstain.

* **Live planted edge** (:func:`plant_live_signal`): the replayed matches and the modelled in-play book are the
  real ones (same :class:`~betfolio.sim.batched.BatchedLiveSim`, same observation layout); only the home side's
  running xG — a statistic the modelled book ignores when it prices — is replaced. In a "signal" episode the home
  xG climbs fast from ``from_minute`` on, and signal episodes are drawn more often when the home side goes on to
  win (``q_win`` vs ``q_other``), so the feature carries real information about the goals still to come. The
  oracle backs home from ``oracle_minute`` in every signal episode.
* **No-edge control**: the same planting with ``q_win == q_other`` — the same feature distribution carrying no
  information, priced by the real modelled book with its margin. The oracle abstains (profit 0).
* **Pre-match planted edge** (:class:`PlantedPrematchEnv`): the pre-match observation layout of the simulator
  (``PREMATCH_FEATURES`` + masks + extras); the consensus fair probabilities of real matches are taken as the
  truth and results are drawn from them afresh every episode. The bet bookmaker's prices carry the usual margin,
  except on a flagged share of matches where its draw is priced ``draw_edge`` too long — visible as the draw's
  price against the consensus. Each bet is settled on its own match and its reward belongs to its decision.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from betfolio.canonical import statistics as st
from betfolio.features.live import LIVE_FEATURES
from betfolio.features.prematch import PREMATCH_OBS_DIM, feature_vector
from betfolio.sim.timeline import MINUTES, T, TimelineBank

#: Index of the planted statistic in the simulator's state block (``LIVE_FEATURES[STATE_SLICE]``).
_HOME_XG = LIVE_FEATURES.index(f"home_{st.EXPECTED_GOALS}") - 1
_AWAY_XG = LIVE_FEATURES.index(f"away_{st.EXPECTED_GOALS}") - 1


@dataclass(frozen=True, slots=True)
class LivePlant:
    """How the live signal is planted (see the module docstring)."""

    q_win: float = 0.4  # P(signal | home wins)
    q_other: float = 0.2  # P(signal | home does not win)
    from_minute: int = 5  # the signal's xG surge starts here
    oracle_minute: int = 8  # by now the surge is unmistakable: the oracle backs home from this minute
    base_rate: tuple[float, float] = (0.008, 0.022)  # ordinary xG per minute, drawn per side and episode
    surge_rate: float = 0.05  # extra home xG per minute in a signal episode

    @property
    def informative(self) -> bool:
        return self.q_win != self.q_other


def plant_live_signal(bank: TimelineBank, plant: LivePlant, seed: int) -> tuple[TimelineBank, np.ndarray]:
    """A copy of ``bank`` with the planted xG feature, and ``signal[match, variant]``."""
    rng = np.random.default_rng(seed)
    m, v = bank.n_matches, bank.n_variants
    p = np.where(bank.won[:, 0], plant.q_win, plant.q_other)[:, None]
    signal = rng.random((m, v)) < p
    minutes = np.arange(T, dtype=np.float64)
    lo, hi = plant.base_rate
    rate = rng.uniform(lo, hi, size=(m, v, 2))
    surge = np.where(signal, plant.surge_rate, 0.0)[:, :, None] * np.maximum(minutes - plant.from_minute + 1, 0)
    values = bank.values.copy()
    present = bank.present.copy()
    values[:, :, :, _HOME_XG] = rate[:, :, 0, None] * minutes + surge
    values[:, :, :, _AWAY_XG] = rate[:, :, 1, None] * minutes
    present[:, :, :, [_HOME_XG, _AWAY_XG]] = True
    return replace(bank, values=values.astype(bank.values.dtype), present=present), signal


@dataclass(slots=True)
class LiveOutcome:
    """Per evaluated episode: profit (fraction of the episode's bankroll) and bets placed."""

    profit: np.ndarray
    bets: np.ndarray

    def summary(self) -> dict[str, float]:
        return {
            "profit": float(self.profit.sum()),
            # percentage of a bankroll won per 100 matches (the bankroll is fresh every match)
            "profit_pct_per_100_matches": float(100.0 * 100.0 * self.profit.mean()),
            "bets_per_match": float(self.bets.mean()),
            "episodes": len(self.profit),
        }


def run_live_episodes(
    sim: Any, matches: np.ndarray, variants: np.ndarray, decide: Any, *, seed: int = 0
) -> LiveOutcome:
    """Play each (match, variant) once with ``decide(obs, mask, sim) -> actions``; fresh bankroll per match.

    ``sim`` is a :class:`~betfolio.sim.batched.BatchedLiveSim` with ``n_envs == len(matches)``; an env whose
    episode ended plays "no bet" until every episode has ended (its next, auto-reset match is not counted).
    """
    n = sim.n_envs
    obs, mask = sim.reset_to(matches, variants, seed=seed)
    start = sim.bankroll.equity.copy()
    finished = np.zeros(n, bool)
    profit = np.zeros(n)
    bets = np.zeros(n, np.int64)
    for _ in range(MINUTES + 1):
        actions = np.where(finished, 0, decide(obs, mask, sim))
        obs, _reward, _term, _trunc, mask, info = sim.step(actions)
        episode = info.get("episode")
        if episode is not None:
            rows = episode["rows"]
            new = ~finished[rows]
            r = rows[new]
            profit[r] = (episode["equity"][new] - start[r]) / start[r]
            bets[r] = episode["bets"][new]
            finished[r] = True
        if finished.all():
            break
    if not finished.all():
        raise RuntimeError("some evaluation episodes did not end within a match's minutes")
    return LiveOutcome(profit, bets)


def live_oracle(signal: np.ndarray, plant: LivePlant) -> Any:
    """The known best policy of the planted environment: back home from ``oracle_minute`` in signal episodes."""

    def decide(_obs: np.ndarray, mask: np.ndarray, sim: Any) -> np.ndarray:
        sig = signal[sim.tapes.match, sim.tapes.variant]
        act = sig & plant.informative & (sim.t >= plant.oracle_minute) & mask[:, 1]
        return np.where(act, 1, 0)

    return decide


# --------------------------------------------------------------------------------------------------------------
# Pre-match planted edge
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrematchPlant:
    flagged_share: float = 0.3  # share of matches where the bet bookmaker misprices the draw
    draw_edge: float = 0.08  # the flagged draw pays this much more than fair (expected return +8 %)
    margin: float = 0.05  # the bookmaker's usual overround
    stake: float = 0.05  # stake of the bet actions used by the oracle (fraction of the bankroll)


#: Pre-match actions: no bet, or back home / draw / away at one of the stakes (the simulator's action set).
_SELECTIONS = 3


class PlantedPrematchEnv(gym.Env[np.ndarray, np.int64]):
    """One decision per match over ``fair`` (true probabilities, rows of ``[home, draw, away]``).

    An episode is ``episode_matches`` matches drawn at random from the pool; a fresh result is drawn for each
    match from its true probabilities, so the agent can neither memorise results nor run out of data. Reward
    = the bet's profit as a fraction of the bankroll at decision time (0 for no bet), paid on the decision's own
    step (times ``reward_scale``: in units of the largest stake, the network's targets are of order one). The
    bankroll is carried through the episode and shown in the extras; ``info["expected_profit"]`` is the bet's
    exact expected profit under the planted truth, for scoring policies without the noise of drawn results.
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012

    def __init__(
        self,
        fair: np.ndarray,
        plant: PrematchPlant,
        *,
        stakes: tuple[float, ...] = (0.01, 0.025, 0.05),
        episode_matches: int = 200,
        reward_scale: float = 1.0,
        seed: int = 0,
    ) -> None:
        fair = np.asarray(fair, np.float64)
        if fair.ndim != 2 or fair.shape[1] != _SELECTIONS or not np.all(np.isfinite(fair)):
            raise ValueError("fair must be finite [n, 3] probabilities (home, draw, away)")
        self.fair = fair / fair.sum(1, keepdims=True)
        self.plant = plant
        self.stakes = stakes
        self.episode_matches = episode_matches
        self.reward_scale = reward_scale
        rng = np.random.default_rng(seed)
        n = len(fair)
        self.flagged = rng.random(n) < plant.flagged_share
        odds = 1.0 / (self.fair * (1.0 + plant.margin))
        odds[self.flagged, 1] = (1.0 + plant.draw_edge) / self.fair[self.flagged, 1]
        self.odds = odds
        self.values, self.masks = _prematch_values(self.fair, odds)
        self.observation_space = spaces.Box(low=-np.inf, high=np.inf, shape=(PREMATCH_OBS_DIM,), dtype=np.float32)
        self.action_space = spaces.Discrete(1 + _SELECTIONS * len(stakes))
        self._rng = rng
        self._rows = np.arange(0)
        self._i = 0
        self._wealth = 1.0
        self._history: list[float] = []

    def action_of(self, selection: int, stake_index: int) -> int:
        return 1 + selection * len(self.stakes) + stake_index

    def _obs(self) -> np.ndarray:
        r = self._rows[min(self._i, len(self._rows) - 1)]
        recent = self._history[-10:]
        extras = np.array(
            [self._wealth, max(0.0, 1.0 - self._wealth), np.mean(recent) if recent else 0.0, float(bool(recent)), 0.0],
            np.float32,
        )
        return np.concatenate([self.values[r], self.masks[r], extras]).astype(np.float32)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        rows = (options or {}).get("rows")
        if rows is None:
            rows = self._rng.integers(0, len(self.fair), self.episode_matches)
        self._rows = np.asarray(rows, np.int64)
        self._i = 0
        self._wealth = 1.0
        self._history = []
        return self._obs(), {"action_mask": np.ones(self.action_space.n, bool)}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        a = int(action)
        if not 0 <= a < self.action_space.n:
            raise ValueError(f"action {a} outside 0…{self.action_space.n - 1}")
        r = self._rows[self._i]
        result = int(self._rng.choice(_SELECTIONS, p=self.fair[r]))
        profit = expected = 0.0
        if a > 0:
            sel, size = divmod(a - 1, len(self.stakes))
            stake = self.stakes[size]
            won = sel == result
            profit = stake * (self.odds[r, sel] - 1.0) if won else -stake
            expected = stake * (self.fair[r, sel] * self.odds[r, sel] - 1.0)
            self._history.append(float(won))
        self._wealth *= 1.0 + profit
        self._i += 1
        done = self._i >= len(self._rows)
        info = {
            "action_mask": np.ones(self.action_space.n, bool),
            "profit": profit,
            "expected_profit": expected,  # exact under the planted truth: scores policies without result noise
            "flagged": bool(self.flagged[r]),
        }
        return self._obs(), float(profit * self.reward_scale), done, False, info

    def oracle_action(self, row: int) -> int:
        """The known best decision: back the mispriced draw at the largest stake, else abstain."""
        return self.action_of(1, len(self.stakes) - 1) if self.flagged[row] else 0


def _prematch_values(fair: np.ndarray, odds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pre-match feature vectors (the one builder) for synthetic prices: form and totals absent (masked)."""
    rows = [feature_vector(f, o, None, None, None) for f, o in zip(fair, odds, strict=True)]
    return np.stack([v for v, _ in rows]), np.stack([m for _, m in rows]).astype(np.float32)
