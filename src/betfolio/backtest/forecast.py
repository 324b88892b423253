"""Walk-forward model forecasts, league by league.

Which model fits exist at which moment depends only on the calendar (decision rounds and known results), never
on what a strategy did, so every forecast can be produced before the trading loop runs — and the leagues,
which share nothing, can be fitted in parallel processes. Each league walks its own decision rounds in time
order; at a round it adds the results known by then (``kick-off + RESULT_DELAY ≤ round time``), refits its
models when ``refit_every`` has passed (the same model object each time, so the fit warm-starts from last
week's strengths) and predicts the round's matches in one vectorised call.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

import numpy as np

from betfolio.backtest.data import BacktestData
from betfolio.backtest.strategy import Prediction
from betfolio.engine.events import RESULT_DELAY

ModelFactory = Callable[[], Any]


@dataclass(frozen=True, slots=True)
class _Fixture:
    """The part of a match the models need: no odds (they never see prices), the score only once known."""

    match_id: int
    home: str
    away: str
    kickoff: datetime
    decision_at: datetime | None
    home_goals: int | None
    away_goals: int | None
    has_result: bool

    @property
    def result_at(self) -> datetime:
        return self.kickoff + RESULT_DELAY


@dataclass
class Forecasts:
    predictions: dict[str, dict[int, Prediction]] = field(default_factory=dict)
    skipped: dict[str, dict[int, str]] = field(default_factory=dict)
    refits: int = 0
    fit_failures: Counter[str] = field(default_factory=Counter)
    fit_seconds: float = 0.0

    def merge(self, other: Forecasts) -> None:
        for name, preds in other.predictions.items():
            self.predictions.setdefault(name, {}).update(preds)
        for name, why in other.skipped.items():
            self.skipped.setdefault(name, {}).update(why)
        self.refits += other.refits
        self.fit_failures.update(other.fit_failures)
        self.fit_seconds += other.fit_seconds


@dataclass(frozen=True)
class FitSchedule:
    refit_every: timedelta = timedelta(days=7)
    train_window: timedelta = timedelta(days=730)
    min_training_matches: int = 150


def forecast_league(
    league: str,
    fixtures: Sequence[_Fixture],
    factories: dict[str, ModelFactory],
    schedule: FitSchedule,
) -> Forecasts:
    out = Forecasts(predictions={n: {} for n in factories}, skipped={n: {} for n in factories})
    models = {n: f() for n, f in factories.items()}
    fitted = dict.fromkeys(factories, False)
    decidable = sorted((f for f in fixtures if f.decision_at is not None), key=lambda f: (f.decision_at, f.match_id))
    known = sorted((f for f in fixtures if f.has_result), key=lambda f: (f.result_at, f.match_id))
    ptr = 0
    training: list[_Fixture] = []
    last_fit: datetime | None = None
    for as_of, group in groupby(decidable, key=lambda f: f.decision_at):
        assert as_of is not None
        round_fixtures = list(group)
        while ptr < len(known) and known[ptr].result_at <= as_of:
            training.append(known[ptr])
            ptr += 1
        if last_fit is None or as_of - last_fit >= schedule.refit_every - timedelta(hours=12):
            last_fit = as_of
            started = time.perf_counter()
            window = [f for f in training if f.kickoff >= as_of - schedule.train_window]
            if len(window) >= schedule.min_training_matches:
                home = np.array([f.home for f in window])
                away = np.array([f.away for f in window])
                hg = np.array([f.home_goals for f in window], dtype=float)
                ag = np.array([f.away_goals for f in window], dtype=float)
                dates = np.array([_naive(f.kickoff) for f in window], dtype="datetime64[s]")
                for name, model in models.items():
                    try:
                        model.fit(home, away, hg, ag, dates, as_of=np.datetime64(_naive(as_of), "s"))
                    except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
                        out.fit_failures[f"{name} {league} {as_of:%Y-%m-%d}: {exc}"] += 1
                        continue
                    fitted[name] = True
                    out.refits += 1
            out.fit_seconds += time.perf_counter() - started
        for name, model in models.items():
            done, failed = _predict(model, fitted[name], round_fixtures)
            out.predictions[name].update(done)
            out.skipped[name].update(failed)
    return out


def _naive(t: datetime) -> datetime:
    """UTC wall time without tzinfo (the models compare naive datetime64 values)."""
    offset = t.utcoffset()
    return (t - offset).replace(tzinfo=None) if offset is not None else t


def _predict(model: Any, fitted: bool, fixtures: list[_Fixture]) -> tuple[dict[int, Prediction], dict[int, str]]:
    """Grids for one round in one vectorised call; a team the fit never saw is skipped with a reason."""
    if not fitted:
        return {}, {f.match_id: "model not fitted yet (too few past results)" for f in fixtures}
    from betfolio.models.grid import ScorelineGrid

    known = set(model.teams)
    failed: dict[int, str] = {}
    ok: list[_Fixture] = []
    for f in fixtures:
        missing = [t for t in (f.home, f.away) if t not in known]
        if missing:
            failed[f.match_id] = "unknown team (no results in the fit window)"
        else:
            ok.append(f)
    done: dict[int, Prediction] = {}
    if not ok:
        return done, failed
    try:
        grids = list(model.predict_grids([f.home for f in ok], [f.away for f in ok]))
    except ValueError:
        # One fixture the model cannot price (e.g. two promoted sides that have only played each other: their
        # strength relative to the league is not identified) must not cost the others their forecast.
        grids = []
        for f in ok:
            try:
                grids.append(model.predict_grids([f.home], [f.away])[0])
            except ValueError as exc:
                failed[f.match_id] = f"model cannot price it: {_first_clause(str(exc))}"
                grids.append(None)
    for f, g in zip(ok, grids, strict=True):
        if g is not None:
            grid = ScorelineGrid(g)
            done[f.match_id] = Prediction(match_odds=np.asarray(grid.match_odds()), grid=grid)
    return done, failed


def _first_clause(message: str) -> str:
    """Skip reasons are counted by text, so drop the team names: "X and Y were never linked…" → "never linked…"."""
    for marker in (" were never linked", " is not in the fitted model"):
        if marker in message:
            return message[message.index(marker) + 1 :].split(":")[0]
    return message


def _run_league(args: tuple[str, list[_Fixture], dict[str, ModelFactory], FitSchedule]) -> Forecasts:
    return forecast_league(*args)


def forecast_all(
    data: BacktestData,
    factories: dict[str, ModelFactory],
    schedule: FitSchedule,
    *,
    workers: int = 1,
) -> Forecasts:
    """Forecasts for every league of ``data``; ``workers`` > 1 fits leagues in parallel processes.

    A factory with a ``forecast(data, goal_predictions)`` method (the market-anchored model) is not a goal model:
    it runs after the goal models, over all leagues at once, on the predictions of the goal model it names.
    """
    readers = {n: f for n, f in factories.items() if hasattr(f, "forecast")}
    factories = {n: f for n, f in factories.items() if n not in readers}
    for spec in readers.values():
        factories.setdefault(spec.goal_model, spec.goal_factory)
    merged = _forecast_goal_models(data, factories, schedule, workers)
    for name, spec in readers.items():
        started = time.perf_counter()
        result = spec.forecast(data, merged.predictions.get(spec.goal_model, {}))
        merged.predictions[name] = result.predictions
        merged.skipped[name] = result.skipped
        merged.refits += result.refits
        merged.fit_seconds += time.perf_counter() - started
    return merged


def _forecast_goal_models(
    data: BacktestData, factories: dict[str, ModelFactory], schedule: FitSchedule, workers: int
) -> Forecasts:
    by_league: dict[str, list[_Fixture]] = {}
    for m in data.matches:
        by_league.setdefault(m.league, []).append(
            _Fixture(m.match_id, m.home, m.away, m.kickoff, m.decision_at, m.home_goals, m.away_goals, m.has_result)
        )
    for m in data.history:  # earlier seasons: results to fit on (each once known), no decision of their own
        if m.league in by_league:
            by_league[m.league].append(
                _Fixture(m.match_id, m.home, m.away, m.kickoff, None, m.home_goals, m.away_goals, m.has_result)
            )
    jobs = [(league, fx, factories, schedule) for league, fx in sorted(by_league.items())]
    merged = Forecasts(predictions={n: {} for n in factories}, skipped={n: {} for n in factories})
    if not factories:
        return merged
    if workers > 1 and len(jobs) > 1:
        # Largest leagues first so the pool is not left waiting on one long job at the end.
        jobs.sort(key=lambda j: -len(j[1]))
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
            for result in pool.map(_run_league, jobs):
                merged.merge(result)
    else:
        for job in jobs:
            merged.merge(_run_league(job))
    return merged
