"""Today's picks: every model's fair odds for the upcoming fixtures in the store, against the best price on offer.

The forecasts come from exactly the walk-forward code the backtest uses (:func:`~betfolio.backtest.forecast.
forecast_all`): the store's finished matches up to ``as_of`` are the history, each upcoming fixture is one more
decision at ``as_of`` with the latest non-closing prices stamped at or before it. So a pick shown here is the
pick the backtest would have made in the same position — nothing is fitted differently for live use.

Nothing is priced at a guess: a fixture with a team that has no result in the store gets no forecast (counted
by reason), and a market with a side nobody quotes or an impossible price (≤ 1.0, not finite) is skipped with
its reason.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine

from betfolio.backtest.data import BacktestData, load_from_engine
from betfolio.backtest.forecast import FitSchedule, forecast_all
from betfolio.backtest.strategy import Prediction
from betfolio.canonical.enums import Market, MatchStatus, Selection
from betfolio.engine.asof import DEFAULT_AS_OF
from betfolio.engine.quotes import MARKET_SELECTIONS, MarketKey, MarketQuotes, MatchRecord
from betfolio.markets.kelly import kelly_line, kelly_mutually_exclusive
from betfolio.models.grid import outcome_distribution
from betfolio.store.queries import match_by_id, odds_as_of

DEFAULT_MODELS = ("market_anchored", "dixon_coles")
UNKNOWN_TEAM = "unknown team (no result in the store)"
#: Decimal odds above this are not a real price for these markets (a typo or a placeholder).
MAX_PLAUSIBLE_ODDS = 1000.0


@dataclass(frozen=True)
class PickRow:
    """One side of one market of one fixture as one model sees it."""

    match_id: int
    league: str
    kickoff: datetime
    home: str
    away: str
    model: str
    market: str
    selection: str
    line: float | None
    probability: float  # expected win share (a half-win counts ½)
    fair_odds: float
    best_odds: float
    bookmaker: str
    edge: float  # expected profit per unit stake at the best price
    stake: float  # suggested fractional-Kelly stake, 0 without an edge

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["kickoff"] = self.kickoff.isoformat()
        return d


@dataclass
class PredictReport:
    as_of: datetime
    fixtures: int
    forecast: dict[str, int] = field(default_factory=dict)  # model → fixtures forecast
    rows: list[PickRow] = field(default_factory=list)
    skipped_fixtures: Counter[str] = field(default_factory=Counter)  # "model: reason" → fixtures
    skipped_markets: Counter[str] = field(default_factory=Counter)  # reason → markets

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "fixtures": self.fixtures,
            "forecast": self.forecast,
            "skipped_fixtures": dict(self.skipped_fixtures.most_common()),
            "skipped_markets": dict(self.skipped_markets.most_common()),
            "rows": [r.as_dict() for r in self.rows],
        }


def upcoming_quotes(engine: Engine, match_id: int, as_of: datetime) -> tuple[dict[MarketKey, MarketQuotes], list[str]]:
    """Latest non-closing, pre-match quotes stamped at or before ``as_of`` as market tables, and skip reasons.

    A quote with an impossible price removes its whole market (reported), never just that cell.
    """
    with engine.connect() as conn:
        rows = odds_as_of(conn, match_id, as_of)
    books: dict[MarketKey, dict[str, dict[str, float]]] = {}
    bad: set[MarketKey] = set()
    for q in rows:
        if q.market not in MARKET_SELECTIONS:
            continue
        line = q.line
        if q.market == Market.ASIAN_HANDICAP.value and line is not None and q.selection == Selection.AWAY.value:
            line = -line + 0.0  # both sides of a handicap share the home side's line
        if q.market != Market.MATCH_ODDS.value and line is None:
            continue
        key: MarketKey = (q.market, line)
        if q.odds is None or not math.isfinite(q.odds) or q.odds <= 1.0 or q.odds > MAX_PLAUSIBLE_ODDS:
            bad.add(key)
            continue
        books.setdefault(key, {}).setdefault(q.bookmaker, {})[q.selection] = float(q.odds)
    reasons = [f"{_market_name(k)}: impossible price" for k in sorted(bad, key=str)]
    tables: dict[MarketKey, MarketQuotes] = {}
    for key, by_book in books.items():
        if key in bad:
            continue
        selections = MARKET_SELECTIONS[key[0]]
        names = tuple(sorted(by_book))
        odds = np.array([[by_book[b].get(s, np.nan) for s in selections] for b in names])
        tables[key] = MarketQuotes(key[0], key[1], names, odds)
    return tables, reasons


def _market_name(key: MarketKey) -> str:
    return key[0] if key[1] is None else f"{key[0]} {key[1]:+g}"


def predict_upcoming(
    engine: Engine,
    *,
    leagues: Sequence[str] | None = None,
    as_of: datetime | None = None,
    models: Sequence[str] = DEFAULT_MODELS,
    bankroll: float = 1000.0,
    kelly: float = 0.25,
    max_stake_fraction: float = 0.05,
    history_days: int = 1100,
    match_ids: Sequence[int] | None = None,
    workers: int = 1,
) -> PredictReport:
    """Forecast the store's scheduled fixtures after ``as_of`` (default now) with ``models`` and price their markets."""
    from betfolio.backtest.engine import default_model_factories

    factories = default_model_factories()
    unknown = [m for m in models if m not in factories]
    if unknown:
        raise ValueError(f"unknown model(s) {unknown}; available: {sorted(factories)}")
    now = (as_of or datetime.now(UTC)).astimezone(UTC)
    data = load_from_engine(engine, leagues)
    start = now - timedelta(days=history_days)
    history = [m for m in data.matches if m.has_result and start <= m.kickoff and m.result_at <= now]
    # Named matches are priced whatever their status now (a played one as of a time before its kick-off); the
    # listing of upcoming fixtures takes the scheduled ones.
    upcoming = [
        m
        for m in data.matches
        if m.kickoff > now
        and (m.status == MatchStatus.SCHEDULED if match_ids is None else m.match_id in match_ids)
    ]
    report = PredictReport(as_of=now, fixtures=len(upcoming))
    known_teams = {t for m in history for t in (m.home, m.away)}
    targets: list[MatchRecord] = []
    market_reasons: dict[int, list[str]] = {}
    for m in upcoming:
        if m.home not in known_teams or m.away not in known_teams:
            for name in models:
                report.skipped_fixtures[f"{name}: {UNKNOWN_TEAM}"] += 1
            continue
        tables, reasons = upcoming_quotes(engine, m.match_id, now)
        m.prematch, m.closing = tables, {}
        m.decision_at = now
        market_reasons[m.match_id] = reasons
        targets.append(m)
    if targets:
        window = BacktestData(matches=sorted(history + targets, key=lambda m: (m.kickoff, m.match_id)))
        fc = forecast_all(window, {n: factories[n] for n in models}, FitSchedule(), workers=workers)
        for name in models:
            report.forecast[name] = sum(1 for m in targets if m.match_id in fc.predictions[name])
            for m in targets:
                if m.match_id not in fc.predictions[name]:
                    reason = fc.skipped[name].get(m.match_id, "no forecast")
                    report.skipped_fixtures[f"{name}: {reason}"] += 1
        for m in targets:
            for reason in market_reasons[m.match_id]:
                report.skipped_markets[reason] += 1
            for key, table in sorted(m.prematch.items(), key=lambda kv: str(kv[0])):
                missing = _missing_side(table)
                if missing is not None:
                    report.skipped_markets[f"{_market_name(key)}: missing side ({missing})"] += 1
                    continue
                for name in models:
                    pred = fc.predictions[name].get(m.match_id)
                    if pred is not None:
                        report.rows.extend(_price(m, name, pred, table, bankroll, kelly, max_stake_fraction))
    return report


def _missing_side(table: MarketQuotes) -> str | None:
    best, _ = table.best()
    for sel, price in zip(table.selections, best, strict=True):
        if not np.isfinite(price):
            return sel
    return None


def _price(
    m: MatchRecord,
    model: str,
    pred: Prediction,
    table: MarketQuotes,
    bankroll: float,
    kelly: float,
    cap: float,
) -> list[PickRow]:
    """Every side of one market: fair odds, best real price, edge, suggested stake (fractional Kelly, capped)."""
    best, where = table.best()
    selections = table.selections
    if table.market == Market.MATCH_ODDS.value:
        win = np.asarray(pred.match_odds, dtype=float)
        refund = np.zeros(3)
        stakes = kelly_mutually_exclusive(win, best, fraction=kelly)
    else:
        q = np.stack(
            [
                outcome_distribution(pred.grid.probabilities, table.market, sel, table.selection_line(sel))[0]
                for sel in selections
            ]
        )
        win = q[:, 0] + 0.5 * q[:, 1]
        refund = q[:, 2] + 0.5 * (q[:, 1] + q[:, 3])
        stakes = kelly * np.atleast_1d(kelly_line(q, best))
    rows = []
    for j, sel in enumerate(selections):
        edge = float(win[j] * best[j] + refund[j] - 1.0)
        fair = float("inf") if win[j] <= 0 else float((1.0 - refund[j]) / win[j])
        stake = min(float(stakes[j]), cap) * bankroll if edge > 0 else 0.0
        rows.append(
            PickRow(
                m.match_id,
                m.league,
                m.kickoff,
                m.home,
                m.away,
                model,
                table.market,
                sel,
                table.selection_line(sel),
                float(win[j]),
                fair,
                float(best[j]),
                where[j] or "",
                edge,
                round(stake, 2),
            )
        )
    return rows


def match_picks(engine: Engine, match_id: int, **kwargs: Any) -> PredictReport:
    """The same table for one match (the app's Matches page shows it for the selected fixture).

    Only the match's league is read. Without ``as_of``, a match still to come is priced now; one already played
    (or under way) is priced as of its decision time — the as-of rule's lead before kick-off — on the results and
    quotes known then, which is what the model would have picked (never its result or closing prices).
    """
    with engine.connect() as conn:
        match = match_by_id(conn, match_id)
    if match is None:
        raise ValueError(f"match {match_id} is not in the store")
    kickoff: datetime = match["kickoff_utc"]  # aware UTC: the column's type sees to it
    if kwargs.get("as_of") is None and kickoff <= datetime.now(UTC) + DEFAULT_AS_OF.min_lead:
        kwargs["as_of"] = kickoff - DEFAULT_AS_OF.min_lead
    kwargs.setdefault("leagues", [match["league"]])
    return predict_upcoming(engine, match_ids=[match_id], **kwargs)
