"""What every training seed computes identically: built once per multi-seed run and read by each seed.

The seeds of ``betfolio train --agent hrl --seeds N`` differ only where randomness enters; much of a seed's work does
not depend on it: the training and evaluation matches, the walk-forward backtest data and the baselines' books
(their bets and equity — the baselines are deterministic and each trades its own bankroll, so their books are the
same whatever trades beside them, the goal model refitted every ``refit_every_days`` included). On the full preset
that is about a fifth of a seed's CPU time. A multi-seed run builds them once (:func:`prepare_seed_inputs`), writes
them to a file in the run root, and each seed reads the file (:func:`load_seed_inputs`); what a seed reports from
them — every row's bootstrap interval — is still drawn with that seed's seed.

The file is an optimisation, never a source of truth: a seed that cannot read it (another machine of a Ray
cluster, a file written for other leagues or seasons) builds its own inputs, which are the same.
"""

from __future__ import annotations

import logging
import os
import pickle
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from betfolio.backtest.data import BacktestData
    from betfolio.backtest.engine import BacktestConfig, StrategyRun
    from betfolio.jobs.training import HRLSettings
    from betfolio.sim.episodes import MatchSet

log = logging.getLogger(__name__)

#: The shared inputs' file in a multi-seed run's root (removed when the run ends).
SEED_INPUTS_FILE = "seed-inputs.pkl"


@dataclass
class SeedInputs:
    """The seed-independent inputs of one HRL run (see the module docstring)."""

    scope: dict[str, Any]  # what they were built for (:func:`inputs_scope`): a seed checks it before using them
    train_seasons: list[str]
    eval_seasons: list[str]
    train_ms: MatchSet  # every training match (the workers' fit and validation split comes from it)
    eval_ms: MatchSet  # the unseen matches, for the live replays
    data: BacktestData  # the walk-forward backtest's matches (training seasons as model history, then evaluation)
    config: BacktestConfig
    #: The baselines' books (bets, equity) over the whole walk-forward, by strategy name.
    baselines: dict[str, StrategyRun] = field(default_factory=dict)


def inputs_scope(settings: HRLSettings) -> dict[str, Any]:
    """The settings the shared inputs depend on (leagues, seasons, the goal model's refit interval) — nothing
    seed- or budget-dependent, so every seed of a run shares one scope."""
    return {
        "leagues": list(settings.leagues) if settings.leagues else None,
        "train_seasons": list(settings.train_seasons) if settings.train_seasons else None,
        "eval_seasons": list(settings.eval_seasons) if settings.eval_seasons else None,
        "refit_every_days": settings.refit_every_days,
    }


def prepare_seed_inputs(engine: Engine, settings: HRLSettings, progress: Any = None) -> SeedInputs:
    """Load the matches and walk the baselines forward over the training and evaluation seasons.

    ``progress(done, total)`` follows the baselines' walk-forward. ValueError on seasons that cannot be split
    (:func:`betfolio.jobs.training.split_seasons`)."""
    from betfolio.agents.evaluation import SeasonWindow
    from betfolio.agents.training import load_training_matches
    from betfolio.backtest.engine import BacktestConfig
    from betfolio.backtest.strategies import FavouriteFlat, MarketConsensus, ModelValue, NoBet
    from betfolio.jobs.backtest import load_data, run_backtest
    from betfolio.jobs.training import split_seasons

    train_seasons, eval_seasons = split_seasons(engine, settings)
    leagues = list(settings.leagues) if settings.leagues else None
    train_ms = load_training_matches(engine, leagues, train_seasons)
    eval_ms = load_training_matches(engine, leagues, eval_seasons)
    data, _ = load_data(engine, leagues, [*train_seasons, *eval_seasons])
    window = frozenset(eval_seasons)
    baselines = [
        SeasonWindow(s, window) for s in (NoBet(), FavouriteFlat(), ModelValue(kelly=0.1), MarketConsensus(alpha=0.02))
    ]
    config = BacktestConfig(refit_every=timedelta(days=settings.refit_every_days))
    result = run_backtest(data, baselines, config, progress=progress, summarise=False).result
    return SeedInputs(
        scope=inputs_scope(settings),
        train_seasons=train_seasons,
        eval_seasons=eval_seasons,
        train_ms=train_ms,
        eval_ms=eval_ms,
        data=data,
        config=config,
        baselines={b.name: result.strategies[b.name] for b in baselines},
    )


def save_seed_inputs(inputs: SeedInputs, path: Path) -> Path:
    """Write ``inputs`` to ``path`` (whole or not at all: written beside it, then renamed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    with partial.open("wb") as fh:
        pickle.dump(inputs, fh, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)
    return path


def load_seed_inputs(path: str | Path | None, settings: HRLSettings) -> SeedInputs | None:
    """The inputs in ``path`` if they were built for ``settings``' scope; None when there is no such file here or
    it is for another scope (the seed then builds its own). The file is one this run wrote in its own root."""
    if not path:
        return None
    path = Path(path)
    if not path.is_file():
        log.info("no shared seed inputs at %s: this seed builds its own", path)
        return None
    with path.open("rb") as fh:
        inputs = pickle.load(fh)  # written by this run (save_seed_inputs) in its own root
    if not isinstance(inputs, SeedInputs) or inputs.scope != inputs_scope(settings):
        log.warning("the seed inputs at %s were built for another run: this seed builds its own", path)
        return None
    return inputs
