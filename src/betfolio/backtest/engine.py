"""The walk-forward backtest: the decision engine (:mod:`betfolio.engine`) run on a replayed pre-match history.

The source (:class:`~betfolio.engine.sources.prematch.PreMatchReplay`) yields **decision rounds** (all matches
whose pre-match prices were captured at the same moment, under the one as-of rule) and match results at each
match's end (``kick-off + RESULT_DELAY``). The engine, event by event:

1. settles the bets on a match when its result arrives — on that match's own result, through
   :mod:`betfolio.markets.settlement`;
2. at a round, gives each strategy a :class:`~betfolio.engine.strategy.DecisionContext` holding only what was
   known then — prices, and the forecasts of models refitted every ``refit_every`` on results known by then
   (the same model object is refitted so it can warm-start) — and passes its orders through the price check and
   the bankroll's risk chain, keeping the reason of every cut or refusal.

Each strategy trades its own portfolio (bankroll) here; the agents' evaluation shares one between its workers.

Nothing in a round can read a result, a closing price or a model fitted on a later match: the leakage test
(``tests/backtest/test_leakage.py``) rewrites every result after a date and checks that no earlier decision
changes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from betfolio.backtest.data import BacktestData
from betfolio.backtest.forecast import FitSchedule, ModelFactory, forecast_all
from betfolio.engine.bets import BetRecord
from betfolio.engine.events import DecisionRound
from betfolio.engine.loop import Engine, Knowledge
from betfolio.engine.portfolio import Portfolio
from betfolio.engine.quotes import MATCH_ODDS_KEY, MatchRecord
from betfolio.engine.settlement import CLOSING_REFERENCE
from betfolio.engine.sources.prematch import PreMatchReplay
from betfolio.engine.strategy import PastResult, Strategy, models_needed
from betfolio.risk import Bankroll, RiskLimits

#: A strategy's books in a backtest are an engine portfolio (its own bankroll).
StrategyRun = Portfolio
__all__ = ["CLOSING_REFERENCE", "BacktestConfig", "BacktestResult", "BetRecord", "StrategyRun", "WalkForward"]


def default_model_factories() -> dict[str, ModelFactory]:
    """The goal models a backtest can fit, by name (imported lazily: fitting needs scipy)."""
    from betfolio.backtest.anchored import MarketAnchored
    from betfolio.models import DixonColes, PoissonModel

    return {"dixon_coles": DixonColes, "poisson": PoissonModel, "market_anchored": MarketAnchored()}


@dataclass
class BacktestConfig:
    initial_bankroll: float = 1000.0
    limits: RiskLimits = field(default_factory=RiskLimits)
    refit_every: timedelta = timedelta(days=7)
    #: Only results this recent are fitted (the time decay makes older ones nearly weightless anyway).
    train_window: timedelta = timedelta(days=730)
    #: A league's model is not used until it has been fitted on at least this many results.
    min_training_matches: int = 150
    #: Models to evaluate even if no strategy bets on them.
    evaluate_models: tuple[str, ...] = ("dixon_coles",)

    def as_dict(self) -> dict[str, Any]:
        return {
            "initial_bankroll": self.initial_bankroll,
            "limits": self.limits.as_dict(),
            "refit_every_days": self.refit_every.total_seconds() / 86400,
            "train_window_days": self.train_window.total_seconds() / 86400,
            "min_training_matches": self.min_training_matches,
            "evaluate_models": list(self.evaluate_models),
        }


@dataclass
class ForecastSet:
    """1X2 forecasts of one source (a model or a market) for the matches it covered, with their outcomes."""

    match_ids: list[int] = field(default_factory=list)
    probs: list[np.ndarray] = field(default_factory=list)

    def add(self, match_id: int, p: np.ndarray) -> None:
        self.match_ids.append(match_id)
        self.probs.append(p)

    def as_dict(self) -> dict[int, np.ndarray]:
        return dict(zip(self.match_ids, self.probs, strict=True))


@dataclass
class BacktestResult:
    config: BacktestConfig
    data: BacktestData
    strategies: dict[str, StrategyRun]
    forecasts: dict[str, ForecastSet]  # model name / "opening market" / "pinnacle closing" → forecasts
    outcomes: dict[int, int]
    #: Every model forecast made (match id → (p_home, p_draw, p_away)), with or without a result to score it.
    model_forecasts: dict[str, dict[int, np.ndarray]] = field(default_factory=dict)
    rounds: int = 0
    refits: int = 0
    fit_failures: Counter[str] = field(default_factory=Counter)
    timings: dict[str, float] = field(default_factory=dict)


class WalkForward:
    def __init__(
        self,
        data: BacktestData,
        strategies: Sequence[Strategy],
        config: BacktestConfig | None = None,
        model_factories: dict[str, ModelFactory] | None = None,
        workers: int = 1,
    ) -> None:
        names = [s.name for s in strategies]
        if len(set(names)) != len(names):
            raise ValueError(f"strategy names must be unique, got {names}")
        self.data = data
        self.strategies = list(strategies)
        self.config = config or BacktestConfig()
        wanted = {m for s in self.strategies for m in models_needed(s)} | set(self.config.evaluate_models)
        self.model_names = tuple(sorted(wanted))
        factories = (
            model_factories if model_factories is not None else (default_model_factories() if self.model_names else {})
        )
        unknown = [m for m in self.model_names if m not in factories]
        if unknown:
            raise ValueError(f"unknown model(s) {unknown}; available: {sorted(factories)}")
        self.factories = factories
        self.workers = workers

    # ------------------------------------------------------------------------------------------------------
    def run(self, progress: Callable[[int, int], None] | None = None) -> BacktestResult:
        import time

        cfg = self.config
        t0 = time.perf_counter()
        runs = {s.name: Portfolio(s.name, Bankroll(cfg.initial_bankroll, cfg.limits)) for s in self.strategies}
        forecasts: dict[str, ForecastSet] = defaultdict(ForecastSet)
        matches = self.data.matches
        outcomes = {m.match_id: m.outcome for m in matches if m.outcome is not None}
        source = PreMatchReplay(matches)
        for _ in source.undecidable:
            for run in runs.values():
                run.skips["no pre-match odds"] += 1

        schedule = FitSchedule(cfg.refit_every, cfg.train_window, cfg.min_training_matches)
        tf = time.perf_counter()
        fc = forecast_all(self.data, {n: self.factories[n] for n in self.model_names}, schedule, workers=self.workers)
        forecast_seconds = time.perf_counter() - tf
        t_trade = time.perf_counter()
        for name in self.model_names:
            for mid, pred in fc.predictions[name].items():
                if mid in outcomes:
                    forecasts[name].add(mid, pred.match_odds)
        # Market benchmarks on the decided matches (evaluation only; closing prices never reach a strategy).
        for m in source.decidable:
            if m.outcome is None:
                continue
            opening = _fair_1x2(m.prematch.get(MATCH_ODDS_KEY), ("market_avg",), average=True)
            if opening is not None:
                forecasts["opening market"].add(m.match_id, opening)
            closing = _fair_1x2(m.closing.get(MATCH_ODDS_KEY), ("pinnacle",), average=False)
            if closing is not None:
                forecasts["pinnacle closing"].add(m.match_id, closing)

        past = ResultHistory(matches)
        model_names = self.model_names
        latest: list[tuple[DecisionRound, Knowledge]] = []

        def knowledge(event: DecisionRound) -> Knowledge:
            """Forecasts of models fitted on results known by the round's time (forecast.py), and past results.

            Built once per round and shared by its strategies (the engine asks once per strategy), so the results
            known at the round are one object every strategy of the round reads."""
            if latest and latest[0][0] is event:
                return latest[0][1]
            ids = [m.match_id for m in event.matches]
            predictions = {n: {i: fc.predictions[n][i] for i in ids if i in fc.predictions[n]} for n in model_names}
            skipped = {n: {i: fc.skipped[n][i] for i in ids if i in fc.skipped[n]} for n in model_names}
            known = Knowledge(predictions, skipped, past.reader(event.at))
            latest[:] = [(event, known)]
            return known

        engine = Engine(self.strategies, runs, knowledge=knowledge, initial_bankroll=cfg.initial_bankroll)
        n_rounds = len(source.rounds())
        engine.run(source, None if progress is None else (lambda done: progress(done, n_rounds)))
        end = source.end or datetime.max
        engine.finish(end)
        return BacktestResult(
            config=cfg,
            data=self.data,
            strategies=runs,
            forecasts=dict(forecasts),
            outcomes=outcomes,
            model_forecasts={n: {i: p.match_odds for i, p in fc.predictions[n].items()} for n in self.model_names},
            rounds=n_rounds,
            refits=fc.refits,
            fit_failures=fc.fit_failures,
            timings={
                "total_s": time.perf_counter() - t0,
                "forecast_s": forecast_seconds,
                "model_fit_s": fc.fit_seconds,
                "trading_s": time.perf_counter() - t_trade,
            },
        )


class ResultHistory:
    """The matches' results in the order they became known, read as of a moment.

    Every decision round of a walk-forward asks for the results known by then; rebuilding that list from all the
    results at each round costs O(rounds × results). The results are built once here and each round reads a
    prefix (results known at ``as_of``: ``result_at <= as_of``, in (result time, match id) order)."""

    def __init__(self, matches: Sequence[MatchRecord]) -> None:
        known = sorted((m for m in matches if m.has_result), key=lambda m: (m.result_at, m.match_id))
        self.times = [m.result_at for m in known]
        self.results = tuple(
            PastResult(
                h.match_id,
                h.league,
                h.season,
                h.kickoff,
                h.home,
                h.away,
                int(h.home_goals or 0),
                int(h.away_goals or 0),
            )
            for h in known
        )

    def upto(self, as_of: datetime) -> tuple[PastResult, ...]:
        """Results known at ``as_of``."""
        return self.results[: bisect_right(self.times, as_of)]

    def reader(self, as_of: datetime) -> Callable[[], tuple[PastResult, ...]]:
        """``upto(as_of)`` on demand, computed at most once (every caller gets the same tuple)."""
        cell: list[tuple[PastResult, ...]] = []

        def read() -> tuple[PastResult, ...]:
            if not cell:
                cell.append(self.upto(as_of))
            return cell[0]

        return read


def _fair_1x2(table: Any, books: tuple[str, ...], *, average: bool) -> np.ndarray | None:
    """Margin-free 1X2 probabilities from the first complete book in ``books`` (or the market average)."""
    if table is None:
        return None
    from betfolio.markets.margin import remove_margin_multiplicative

    for b in books:
        row = table.price(b)
        if row is not None:
            return remove_margin_multiplicative(row)
    if average:
        avg = table.average()
        if avg is not None:
            return remove_margin_multiplicative(avg)
    return None
