"""The walk-forward engine: step through time, refit on the past, decide on as-of prices, settle, repeat.

Time advances in **decision rounds** (all matches whose pre-match prices were captured at the same moment).
At each round, in this order:

1. every bet on a match whose result became known by now is settled (``kick-off + RESULT_DELAY``);
2. each league's models are refitted if ``refit_every`` has passed — on results known by now only, and the
   same model object is refitted so it can warm-start from its previous parameters;
3. each strategy gets a :class:`~betfolio.backtest.strategy.DecisionContext` holding only what was known at the
   round's time, and its orders go through price validation and the bankroll's risk chain.

Nothing in a round can read a result, a closing price or a model fitted on a later match: the leakage test
(``tests/backtest/test_leakage.py``) rewrites every result after a date and checks that no earlier decision
changes.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

import numpy as np

from betfolio.backtest.data import MATCH_ODDS_KEY, BacktestData, MatchRecord
from betfolio.backtest.forecast import FitSchedule, ModelFactory, forecast_all
from betfolio.backtest.strategy import (
    BetOrder,
    DecisionContext,
    MatchView,
    PastResult,
    Strategy,
    models_needed,
)
from betfolio.canonical import is_aggregate_bookmaker
from betfolio.markets.clv import clv as clv_of
from betfolio.markets.settlement import OUTCOME_CODES, outcome_codes, settle_fractions_with_status
from betfolio.risk import Bankroll, RiskLimits, StakeOrder

_OUTCOME_NAMES = {code: outcome.value for outcome, code in OUTCOME_CODES.items()}
#: Closing books used for CLV and the closing-market benchmark, most efficient first.
CLOSING_REFERENCE = ("pinnacle", "market_avg")


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
class BetRecord:
    strategy: str
    match_id: int
    league: str
    season: str
    market: str
    selection: str
    line: float | None
    odds: float
    stake: float
    requested_stake: float
    bookmaker: str
    placed_at: datetime
    kickoff: datetime
    note: str = ""
    model_probability: float | None = None
    status: str = "open"
    payout: float | None = None
    settled_at: datetime | None = None
    closing_odds: float | None = None  # margin-free closing odds of the selection
    clv: float | None = None
    cut_by: str | None = None
    bank_id: int = 0

    @property
    def profit(self) -> float:
        return (self.payout or 0.0) - self.stake


@dataclass
class StrategyRun:
    name: str
    bankroll: Bankroll
    bets: list[BetRecord] = field(default_factory=list)
    equity: list[tuple[datetime, float]] = field(default_factory=list)
    skips: Counter[str] = field(default_factory=Counter)
    rejections: Counter[str] = field(default_factory=Counter)
    open: list[BetRecord] = field(default_factory=list)
    unsettled: int = 0
    halted_at: datetime | None = None


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
        runs = {s.name: StrategyRun(s.name, Bankroll(cfg.initial_bankroll, cfg.limits)) for s in self.strategies}
        forecasts: dict[str, ForecastSet] = defaultdict(ForecastSet)
        matches = self.data.matches
        outcomes = {m.match_id: m.outcome for m in matches if m.outcome is not None}
        by_id = {m.match_id: m for m in matches}

        decidable = [m for m in matches if m.decision_at is not None]
        for m in matches:
            if m.decision_at is None:
                for run in runs.values():
                    run.skips["no pre-match odds"] += 1
        decidable.sort(key=lambda m: (m.decision_at, m.kickoff, m.match_id))
        known = sorted((m for m in matches if m.has_result), key=lambda m: (m.result_at, m.match_id))
        known_ptr = 0
        history: list[MatchRecord] = []
        rounds = [(t, list(ms)) for t, ms in groupby(decidable, key=lambda m: m.decision_at)]

        schedule = FitSchedule(cfg.refit_every, cfg.train_window, cfg.min_training_matches)
        tf = time.perf_counter()
        fc = forecast_all(self.data, {n: self.factories[n] for n in self.model_names}, schedule, workers=self.workers)
        forecast_seconds = time.perf_counter() - tf
        t_trade = time.perf_counter()
        for name in self.model_names:
            for mid, pred in fc.predictions[name].items():
                if mid in outcomes:
                    forecasts[name].add(mid, pred.match_odds)

        for round_no, (as_of, round_matches) in enumerate(rounds):
            assert as_of is not None
            # 1. settle every bet whose result is known by now.
            for run in runs.values():
                self._settle_due(run, by_id, as_of)
                run.equity.append((as_of, run.bankroll.equity))
                if run.bankroll.halted and run.halted_at is None:
                    run.halted_at = as_of
            while known_ptr < len(known) and known[known_ptr].result_at <= as_of:
                history.append(known[known_ptr])
                known_ptr += 1

            # 2. the forecasts of models fitted on results known by now (see forecast.py).
            ids = [m.match_id for m in round_matches]
            predictions = {
                n: {i: fc.predictions[n][i] for i in ids if i in fc.predictions[n]} for n in self.model_names
            }
            skipped = {n: {i: fc.skipped[n][i] for i in ids if i in fc.skipped[n]} for n in self.model_names}

            # Market benchmarks on the same matches (evaluation only; closing prices never reach a strategy).
            for m in round_matches:
                if m.outcome is None:
                    continue
                opening = _fair_1x2(m.prematch.get(MATCH_ODDS_KEY), ("market_avg",), average=True)
                if opening is not None:
                    forecasts["opening market"].add(m.match_id, opening)
                closing = _fair_1x2(m.closing.get(MATCH_ODDS_KEY), ("pinnacle",), average=False)
                if closing is not None:
                    forecasts["pinnacle closing"].add(m.match_id, closing)

            # 3. decide.
            views = [MatchView(m.match_id, m.league, m.season, m.kickoff, m.home, m.away) for m in round_matches]
            odds = {m.match_id: m.prematch for m in round_matches}
            hist_snapshot = len(history)

            def past(n: int = hist_snapshot) -> list[PastResult]:
                return [
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
                    for h in history[:n]
                ]

            for strategy in self.strategies:
                run = runs[strategy.name]
                bank = run.bankroll
                day_of = {m.match_id: m.kickoff.date() for m in round_matches}
                ctx = DecisionContext(
                    as_of=as_of,
                    matches=views,
                    odds=odds,
                    predictions=predictions,
                    skipped=skipped,
                    history=past,
                    equity=bank.equity,
                    cash=bank.cash,
                    initial_bankroll=cfg.initial_bankroll,
                    max_stake=lambda mid, bank=bank, day_of=day_of: bank.max_stake(mid, day_of.get(mid)),
                    skip=lambda mid, why, run=run: run.skips.update([why]),
                )
                for order in strategy.decide(ctx):
                    self._place(run, order, by_id, as_of)
            if progress is not None:
                progress(round_no + 1, len(rounds))

        # Whatever is still open at the end: settle what has a result, report the rest.
        end = max((m.result_at for m in matches), default=datetime.max)
        for run in runs.values():
            self._settle_due(run, by_id, end, final=True)
            run.equity.append((end, run.bankroll.equity))
        return BacktestResult(
            config=cfg,
            data=self.data,
            strategies=runs,
            forecasts=dict(forecasts),
            outcomes=outcomes,
            model_forecasts={n: {i: p.match_odds for i, p in fc.predictions[n].items()} for n in self.model_names},
            rounds=len(rounds),
            refits=fc.refits,
            fit_failures=fc.fit_failures,
            timings={
                "total_s": time.perf_counter() - t0,
                "forecast_s": forecast_seconds,
                "model_fit_s": fc.fit_seconds,
                "trading_s": time.perf_counter() - t_trade,
            },
        )

    # ------------------------------------------------------------------------------------------------------
    def _place(self, run: StrategyRun, order: BetOrder, by_id: dict[int, MatchRecord], as_of: datetime) -> None:
        m = by_id.get(order.match_id)
        reason = _order_problem(order, m, as_of)
        if reason is not None:
            run.rejections[reason] += 1
            return
        assert m is not None
        decision = run.bankroll.place(
            StakeOrder(m.match_id, m.kickoff.date(), order.stake, order.odds, f"{order.market}:{order.selection}")
        )
        if not decision.accepted:
            run.rejections[decision.reason.label] += 1
            return
        record = BetRecord(
            strategy=run.name,
            match_id=m.match_id,
            league=m.league,
            season=m.season,
            market=order.market,
            selection=order.selection,
            line=order.line,
            odds=order.odds,
            stake=decision.stake,
            requested_stake=order.stake,
            bookmaker=order.bookmaker,
            placed_at=as_of,
            kickoff=m.kickoff,
            note=order.note,
            model_probability=order.model_probability,
            cut_by=decision.reason.label if decision.clipped else None,
            bank_id=decision.bet_id or 0,
        )
        run.bets.append(record)
        run.open.append(record)

    def _settle_due(self, run: StrategyRun, by_id: dict[int, MatchRecord], now: datetime, final: bool = False) -> None:
        due = [b for b in run.open if by_id[b.match_id].result_at <= now]
        if not due:
            return
        settleable, unsettleable, waiting = [], [], []
        for b in due:
            m = by_id[b.match_id]
            if m.has_result or _is_void(m):
                settleable.append(b)
            elif final or m.status == "finished":
                unsettleable.append(b)
            else:
                waiting.append(b)  # result time passed but the data has no final status yet
        done = {id(b) for b in settleable} | {id(b) for b in unsettleable}
        run.open = [b for b in run.open if id(b) not in done]
        if settleable:
            ms = [by_id[b.match_id] for b in settleable]
            win, refund = settle_fractions_with_status(
                [b.market for b in settleable],
                [b.selection for b in settleable],
                [np.nan if b.line is None else b.line for b in settleable],
                [np.nan if m.home_goals is None else m.home_goals for m in ms],
                [np.nan if m.away_goals is None else m.away_goals for m in ms],
                [m.status for m in ms],
            )
            codes = outcome_codes(win, refund, np.array([_is_void(m) for m in ms]))
            odds = np.array([b.odds for b in settleable])
            stake = np.array([b.stake for b in settleable])
            payout = stake * (win * odds + refund)
            run.bankroll.settle_many((b.bank_id, float(pay)) for b, pay in zip(settleable, payout, strict=True))
            for b, m, pay, code in zip(settleable, ms, payout, codes, strict=True):
                b.payout = float(pay)
                b.status = _OUTCOME_NAMES[int(code)]
                b.settled_at = m.result_at
                b.closing_odds, b.clv = _closing_value(b, m)
        # No result to settle on (the data ends, or a finished match lacks its score): the stake comes back and
        # the bet is reported as not evaluable — never priced at a guessed result.
        run.bankroll.settle_many((b.bank_id, b.stake) for b in unsettleable)
        for b in unsettleable:
            b.payout = b.stake
            b.status = "unsettled"
            b.settled_at = now
            run.unsettled += 1


def _by_league(matches: list[MatchRecord]) -> dict[str, list[MatchRecord]]:
    out: dict[str, list[MatchRecord]] = defaultdict(list)
    for m in matches:
        out[m.league].append(m)
    return out


def _is_void(m: MatchRecord) -> bool:
    return m.status in ("postponed", "cancelled", "abandoned")


def _order_problem(order: BetOrder, m: MatchRecord | None, as_of: datetime) -> str | None:
    """Why an order cannot be accepted as a real bet (None if it can): the price must be on offer now."""
    if m is None:
        return "unknown match"
    if m.decision_at != as_of:
        return "match not open for decisions in this round"
    if not (math.isfinite(order.odds) and order.odds > 1.0):
        return "invalid_odds"
    key_line = order.line
    if order.market == "asian_handicap" and order.line is not None and order.selection == "away":
        key_line = -order.line + 0.0
    table = m.prematch.get((order.market, key_line))
    if table is None or order.selection not in table.selections:
        return "price not on offer"
    offered = table.price(order.bookmaker)
    col = table.selections.index(order.selection)
    if offered is None:
        if order.bookmaker not in table.bookmakers:
            return "price not on offer"
        offered = table.odds[table.bookmakers.index(order.bookmaker)]
    if not np.isfinite(offered[col]) or order.odds > offered[col] + 1e-9:
        return "price not on offer"
    if is_aggregate_bookmaker(order.bookmaker):
        return "aggregate price (no bookmaker offers it)"
    return None


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


def _closing_value(b: BetRecord, m: MatchRecord) -> tuple[float | None, float | None]:
    key_line = b.line
    if b.market == "asian_handicap" and b.line is not None and b.selection == "away":
        key_line = -b.line + 0.0
    table = m.closing.get((b.market, key_line))
    if table is None:
        return None, None
    col = table.selections.index(b.selection)
    for book in CLOSING_REFERENCE:
        row = table.price(book)
        if row is not None:
            value = float(clv_of([b.odds], row[None, :], [col])[0])
            if math.isfinite(value):
                fair_odds = b.odds / (1.0 + value)
                return fair_odds, value
    return None, None
