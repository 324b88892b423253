"""Match replay, in-play market, fault injection, Gymnasium environments, reward.

Entry points: :class:`BatchedLiveSim` (many matches per call, for training), :class:`LiveBettingEnv` and
:class:`PreMatchBettingEnv` (Gymnasium), :func:`observation_layout` / :data:`LIVE_FEATURES` (how to read an
observation), :func:`make_reward` (``"mission"``, ``"log_wealth"``, ``"diff_sharpe"``), and the data side:
:func:`load_matchset` (from the store) / :func:`load_sample_matchset` (bundled sample) → :func:`build_bank`.
Live odds in the simulator are modelled from pre-match prices, not historical (see :mod:`betfolio.models.inplay`).
"""

from betfolio.engine.book import BetReject, BookConfig
from betfolio.features.live import (
    LIVE_ACTIONS,
    LIVE_EXTRAS,
    LIVE_FEATURES,
    LIVE_SELECTIONS,
    N_LIVE_ACTIONS,
    OBS_DIM,
    observation_from_state,
    observation_layout,
)
from betfolio.features.prematch import PREMATCH_FEATURES
from betfolio.sim.batched import BatchedLiveSim, sample_bank
from betfolio.sim.envs import ENV_IDS, PREMATCH_ACTIONS, LiveBettingEnv, PreMatchBettingEnv, register_envs
from betfolio.sim.episodes import MatchSet, load_matchset, load_sample_matchset
from betfolio.sim.faults import FaultConfig
from betfolio.sim.reward import REWARD_NAMES, make_reward, mission_reward, mission_reward_exact
from betfolio.sim.timeline import TimelineBank, build_bank

register_envs()

__all__ = [
    "ENV_IDS",
    "LIVE_ACTIONS",
    "LIVE_EXTRAS",
    "LIVE_FEATURES",
    "LIVE_SELECTIONS",
    "N_LIVE_ACTIONS",
    "OBS_DIM",
    "PREMATCH_ACTIONS",
    "PREMATCH_FEATURES",
    "REWARD_NAMES",
    "BatchedLiveSim",
    "BetReject",
    "BookConfig",
    "FaultConfig",
    "LiveBettingEnv",
    "MatchSet",
    "PreMatchBettingEnv",
    "TimelineBank",
    "build_bank",
    "load_matchset",
    "load_sample_matchset",
    "make_reward",
    "mission_reward",
    "mission_reward_exact",
    "observation_from_state",
    "observation_layout",
    "register_envs",
    "sample_bank",
]
