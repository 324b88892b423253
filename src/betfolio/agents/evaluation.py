"""Walk-forward evaluation: train on past seasons, judge on later unseen seasons against the baselines.

What is compared, all on the evaluation seasons only and with the same starting bankroll:

* the baselines of the backtest (no bet, favourite flat stake, model value bets with fractional Kelly,
  market consensus) and the trained pre-match workers (tabular Q, DQN) — all run through the **walk-forward
  backtest engine** (:class:`betfolio.backtest.engine.WalkForward`) as strategies, so they see the same as-of
  prices, pass the same risk chain and are settled and scored (ROI with bootstrap CI, CLV against the closing
  line, drawdown, Sharpe) by the same code;
* the live worker, which bets in play and so cannot run in a pre-match engine: every unseen match is replayed
  once by the simulator (:func:`betfolio.agents.live.replay.replay_bank`), the live sleeve splitting its capital
  equally over the day's matches; in-play bets have no closing line, so their CLV is not defined;
* the **HRL portfolio**: each match day the UCB manager reads its state (budget, drawdown risk, return,
  per-worker last-10 win rate, in-play volatility, data staleness) and gives each worker a share of capital;
  a worker's bets scale with its share (all its stakes are fractions of the capital it manages). The manager
  only learns a day's results after the day, so it allocates on past performance only. Every bet of the
  portfolio goes through one shared engine portfolio (:class:`SharedBook`): the bankroll's risk chain may cut
  or refuse it (the reason is kept), and it settles at its own match's end.

The metrics come from :func:`betfolio.backtest.metrics.betting_metrics`, the table from
:func:`betfolio.backtest.table.strategy_table`. The verdict is computed, not written in advance: an agent
"beats" a baseline only if its ROI is higher *and* the difference is outside the noise of its bootstrap interval.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from betfolio.agents.live.replay import ReplayResult
from betfolio.agents.manager import ManagerConfig, ManagerState, UCBManager
from betfolio.backtest.metrics import betting_metrics, bootstrap_ratio_ci
from betfolio.engine import BetOrder, DecisionContext, Portfolio, Strategy
from betfolio.engine.events import RESULT_DELAY
from betfolio.features.live import LIVE_BETS, LIVE_SELECTIONS
from betfolio.risk import Bankroll, RiskLimits, StakeOrder

#: Names of the backtest baselines (as their strategies name themselves).
BASELINES = ("no_bet", "favourite", "model_value", "consensus")


@dataclass
class SeasonWindow:
    """Wraps a strategy so it only decides in the evaluation seasons (earlier seasons only feed models)."""

    inner: Strategy
    seasons: frozenset[str]

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(getattr(self.inner, "models", ()))

    def decide(self, context: DecisionContext) -> list[BetOrder]:
        matches = [m for m in context.matches if m.season in self.seasons]
        if not matches:
            return []
        return self.inner.decide(replace(context, matches=matches))


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """What ``bet_ledger`` needs to know of a bet besides its money (which depends on the manager's share)."""

    match_id: int
    market: str
    selection: str
    line: float | None
    bookmaker: str | None
    placed_at: datetime
    in_play: bool
    status: str
    closing_odds: float | None = None
    settled_at: datetime | None = None  # the end of the bet's own match


@dataclass(frozen=True, slots=True)
class DayBet:
    """One bet as fractions of the capital its worker managed at the start of ``day``."""

    day: date
    stake: float
    payout: float
    odds: float
    clv: float  # NaN when there is no closing line (in-play bets)
    entry: LedgerEntry | None = None


@dataclass
class Sleeve:
    """A worker's bets on the calendar, as fractions of its capital (so a manager can scale them)."""

    name: str
    bets: list[DayBet] = field(default_factory=list)
    day_volatility: dict[date, float] = field(default_factory=dict)
    day_staleness: dict[date, float] = field(default_factory=dict)

    def by_day(self) -> dict[date, list[DayBet]]:
        out: dict[date, list[DayBet]] = defaultdict(list)
        for b in self.bets:
            out[b.day].append(b)
        return out


def sleeve_from_backtest(name: str, bets: Sequence[Any], initial: float) -> Sleeve:
    """Backtest bet records → fractions of the strategy's equity before each day (profits of earlier days)."""
    settled = sorted((b for b in bets if b.payout is not None), key=lambda b: b.kickoff)
    sleeve = Sleeve(name)
    equity = initial
    for day, group in _group(settled, lambda b: b.kickoff.date()):
        for b in group:
            clv = math.nan if b.clv is None else b.clv
            entry = LedgerEntry(
                int(b.match_id),
                b.market,
                b.selection,
                b.line,
                b.bookmaker or None,
                b.placed_at,
                False,
                b.status,
                b.closing_odds,
                b.settled_at,
            )
            sleeve.bets.append(DayBet(day, b.stake / equity, b.payout / equity, b.odds, clv, entry))
        equity += sum(b.payout - b.stake for b in group)
    return sleeve


def sleeve_from_replay(
    name: str, replay: ReplayResult, kickoffs: np.ndarray, match_ids: np.ndarray | None = None
) -> Sleeve:
    """Live replay → fractions of the live capital, split equally over each day's matches.

    With ``match_ids`` (store ids of the replayed matches) each bet also carries its ledger entry.
    """
    days = [d.astype("datetime64[D]").item() for d in kickoffs]
    per_day: dict[date, int] = defaultdict(int)
    for d in days:
        per_day[d] += 1
    sleeve = Sleeve(name)
    for b in replay.bets:
        d = days[b.match_row]
        k = per_day[d]
        entry = None
        if match_ids is not None:
            market, selection, line = LIVE_BETS[LIVE_SELECTIONS.index(b.selection)]
            kickoff = kickoffs[b.match_row].astype("datetime64[s]").item().replace(tzinfo=UTC)
            entry = LedgerEntry(
                int(match_ids[b.match_row]),
                market,
                selection,
                line,
                "in-play model",
                kickoff + timedelta(minutes=b.minute),
                True,
                b.status,
                None,
                kickoff + RESULT_DELAY,
            )
        sleeve.bets.append(DayBet(d, b.stake / k, b.payout / k, b.odds, math.nan, entry))
    vol, stale = defaultdict(list), defaultdict(list)
    for row, d in enumerate(days):
        vol[d].append(replay.volatility[row])
        stale[d].append(replay.staleness[row])
    sleeve.day_volatility = {d: float(np.mean(v)) for d, v in vol.items()}
    sleeve.day_staleness = {d: float(np.mean(v)) for d, v in stale.items()}
    return sleeve


def _group(items: Sequence[Any], key: Callable[[Any], Any]) -> list[tuple[Any, list[Any]]]:
    out: dict[Any, list[Any]] = defaultdict(list)
    for item in items:
        out[key(item)].append(item)
    return sorted(out.items(), key=lambda kv: kv[0])


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def sleeve_metrics(
    sleeve: Sleeve, initial: float, days: Sequence[date], seed: int = 0, limits: RiskLimits | None = None
) -> dict[str, Any]:
    """The sleeve trading alone with ``initial`` capital over ``days`` (compounding day by day)."""
    shares = {sleeve.name: dict.fromkeys(days, 1.0)}
    return portfolio_metrics({sleeve.name: sleeve}, shares, initial, days, seed, limits)


class SharedBook:
    """The HRL portfolio's one shared bankroll, on the engine's :class:`~betfolio.engine.Portfolio`.

    Each day every worker's bets are sized on the equity at the start of the day (fraction × the worker's share),
    pass the bankroll's risk chain — which may cut or refuse them, with the reason kept in
    ``portfolio.refusals`` / ``portfolio.rejections`` — and settle together at the day's end, each returning its
    own settlement's multiple of the stake (the worker's bet was settled on its own match by the engine run or
    the replay that produced it).
    """

    def __init__(self, sleeves: dict[str, Sleeve], initial: float, limits: RiskLimits | None = None) -> None:
        self.sleeves = sleeves
        self.grouped = {name: s.by_day() for name, s in sleeves.items()}
        self.portfolio = Portfolio("hrl", Bankroll(initial, limits or RiskLimits()))

    @property
    def equity(self) -> float:
        return self.portfolio.bankroll.equity

    def trade_day(self, d: date, shares: dict[str, float]) -> list[tuple[str, DayBet, float, float]]:
        """Place, settle and return the day's bets: (worker, bet, money stake, money payout)."""
        bank = self.portfolio.bankroll
        start = bank.equity
        placed: list[tuple[str, DayBet, float, float, int]] = []
        for name in self.sleeves:
            share = shares.get(name, 0.0)
            for i, b in enumerate(self.grouped[name].get(d, ())):
                want = b.stake * share * start
                if want <= 0.0 or b.stake <= 0.0:
                    continue
                key = b.entry.match_id if b.entry is not None else f"{name}:{d}:{i}"
                order = BetOrder(b.entry.match_id if b.entry else -1, b.entry.market if b.entry else "1x2",
                                 b.entry.selection if b.entry else "home", None, b.odds, want, name)  # fmt: skip
                decision = bank.place(StakeOrder(key, d, want, b.odds, name))
                if not decision.accepted:
                    self.portfolio.refuse(name, order, _at(d), decision.reason.label)
                    continue
                if decision.clipped:
                    self.portfolio.rejections[f"cut: {decision.reason.label}"] += 1
                placed.append((name, b, decision.stake, decision.stake * (b.payout / b.stake), decision.bet_id or 0))
        bank.settle_many((bet_id, payout) for *_, payout, bet_id in placed)
        self.portfolio.mark(_at(d))
        return [(name, b, stake, payout) for name, b, stake, payout, _ in placed]


def money_bets(
    sleeves: dict[str, Sleeve],
    shares: dict[str, dict[date, float]],
    initial: float,
    days: Sequence[date],
    limits: RiskLimits | None = None,
) -> Iterator[tuple[date, list[tuple[str, DayBet, float, float]], float]]:
    """Walk the days on one shared bankroll (:class:`SharedBook`): per day, each bet with the money stake the
    risk chain let through and its payout, then the equity after the day."""
    book = SharedBook(sleeves, initial, limits)
    for d in days:
        placed = book.trade_day(d, {name: shares[name].get(d, 0.0) for name in sleeves})
        yield d, placed, book.equity


def portfolio_metrics(
    sleeves: dict[str, Sleeve],
    shares: dict[str, dict[date, float]],
    initial: float,
    days: Sequence[date],
    seed: int,
    limits: RiskLimits | None = None,
) -> dict[str, Any]:
    curve, times = [], []
    stakes, payouts, odds, clv = [], [], [], []
    for d, day_bets, equity in money_bets(sleeves, shares, initial, days, limits):
        for _name, b, stake, payout in day_bets:
            stakes.append(stake)
            payouts.append(payout)
            odds.append(b.odds)
            clv.append(b.clv)
        curve.append(equity)
        times.append(_at(d))
    keep = [i for i, s in enumerate(stakes) if s > 0]
    metrics = betting_metrics(
        [stakes[i] for i in keep],
        [payouts[i] for i in keep],
        [odds[i] for i in keep],
        [clv[i] for i in keep],
        curve,
        initial,
        times=times,
        seed=seed,
    )
    return metrics.as_dict()


@dataclass
class ManagerTrace:
    leads: dict[str, int]
    mean_shares: dict[str, float]
    final_indices: dict[str, float]
    days: list[dict[str, Any]] = field(default_factory=list)  # one row per day: state, indices, shares, equity


def run_manager(
    sleeves: dict[str, Sleeve],
    days: Sequence[date],
    initial: float,
    config: ManagerConfig,
    *,
    max_drawdown: float,
    limits: RiskLimits | None = None,
) -> tuple[dict[str, dict[date, float]], ManagerTrace]:
    """Walk the days on the shared book: allocate on the past, trade the day, then learn from its results."""
    manager = UCBManager(tuple(sleeves), config)
    book = SharedBook(sleeves, initial, limits)
    grouped = book.grouped
    live = sleeves.get(config.live_worker)
    shares: dict[str, dict[date, float]] = {name: {} for name in sleeves}
    leads: dict[str, int] = dict.fromkeys(sleeves, 0)
    days_log: list[dict[str, Any]] = []
    equity = peak = initial
    for d in days:
        drawdown = 1.0 - equity / peak if peak > 0 else 0.0
        state = ManagerState(
            budget_remaining=equity / initial,
            risk_score=min(drawdown / max_drawdown, 1.0) if max_drawdown > 0 else 0.0,
            portfolio_return=equity / initial - 1.0,
            worker_win_rates=tuple(manager.win_rate(w) for w in sleeves),
            market_volatility=live.day_volatility.get(d, 0.0) if live else 0.0,
            data_staleness=live.day_staleness.get(d, 0.0) if live else 0.0,
        )
        allocation = manager.allocate(state)
        leads[allocation.lead] += 1
        start = equity
        for name in sleeves:
            shares[name][d] = min(allocation.shares[name], 1.0)
        placed = book.trade_day(d, {name: shares[name][d] for name in sleeves})
        equity = book.equity
        for name in sleeves:
            if grouped[name].get(d):
                mine = [(stake, payout) for who, _b, stake, payout in placed if who == name]
                manager.record(
                    name,
                    profit=sum(p - s for s, p in mine),
                    allocated=shares[name][d] * start,
                    volatility=state.market_volatility if name == config.live_worker else 0.0,
                    bets_won=[p > s for s, p in mine],
                )
        peak = max(peak, equity)
        manager.end_round()
        days_log.append(
            {"day": d.isoformat(), "lead": allocation.lead, "equity": equity, "deployable": allocation.deployable}
            | {
                "budget_remaining": state.budget_remaining,
                "risk_score": state.risk_score,
                "portfolio_return": state.portfolio_return,
                "market_volatility": state.market_volatility,
                "data_staleness_s": state.data_staleness,
            }
            | {f"win_rate_{w}": r for w, r in zip(sleeves, state.worker_win_rates, strict=True)}
            | {f"index_{w}": allocation.indices[w] for w in sleeves}
            | {f"share_{w}": shares[w][d] for w in sleeves}
        )
    mean_shares = {n: float(np.mean(list(s.values()))) if s else 0.0 for n, s in shares.items()}
    return shares, ManagerTrace(leads, mean_shares, manager.indices(), days_log)


def verdict(rows: dict[str, dict[str, Any]], agents: Sequence[str]) -> list[str]:
    """Plain statements, computed from the numbers: does each agent beat each baseline beyond the noise?

    "Beats beyond noise" means the two bootstrap intervals do not overlap (agent's lower bound above the
    baseline's upper bound) — conservative on purpose: a season of bets is too few to claim more.
    """
    lines = []
    baselines = [b for b in BASELINES if b in rows and rows[b]["bets"]]
    demonstrated = []
    for agent in agents:
        r = rows.get(agent)
        if r is None:
            continue
        if not r["bets"]:
            lines.append(f"{agent}: placed no bets on the evaluation seasons — the same result as no-bet.")
            continue
        roi, lo, hi = r["roi"], r["roi_ci_low"], r["roi_ci_high"]
        beaten = [
            b
            for b in baselines
            if lo is not None and rows[b].get("roi_ci_high") is not None and lo > rows[b]["roi_ci_high"]
        ]
        better = [b for b in baselines if rows[b]["roi"] is not None and roi is not None and roi > rows[b]["roi"]]
        ci = "—" if lo is None else f"[{lo:+.1%}, {hi:+.1%}]"
        if beaten:
            demonstrated.append(agent)
            line = f"{agent}: ROI {roi:+.2%} (95% CI {ci}) beats {', '.join(beaten)} beyond bootstrap noise."
        elif better:
            line = (
                f"{agent}: ROI {roi:+.2%} (95% CI {ci}) is above {', '.join(better)} but within noise — "
                "not a demonstrated edge."
            )
        else:
            line = f"{agent}: ROI {roi:+.2%} (95% CI {ci}) does not beat any betting baseline."
        if hi is not None and hi < 0:
            line += " It loses money with 95% confidence (no-bet would have been better)."
        elif r["final_equity"] < rows.get("no_bet", {}).get("final_equity", math.inf):
            line += " It ends below the no-bet bankroll."
        lines.append(line)
    if demonstrated:
        lines.append(f"Overall: {', '.join(demonstrated)} showed an edge beyond noise on the unseen seasons.")
    else:
        lines.append("Overall: no agent demonstrated an edge over the baselines on the unseen seasons.")
    return lines


def eval_days(start: datetime, *sleeve_days: Sequence[date]) -> list[date]:
    days = sorted({d for ds in sleeve_days for d in ds if d >= start.date()})
    return days or [start.date()]


def window_runs(result: Any, names: Sequence[str], start: datetime, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Metrics of backtest strategies restricted to the evaluation window (their bankroll at its start)."""
    rows = {}
    for name in names:
        run = result.strategies[name]
        settled = [b for b in run.bets if b.payout is not None and b.kickoff >= start]
        equity = [(t, e) for t, e in run.equity if t >= start]
        before = [e for t, e in run.equity if t < start]
        initial = before[-1] if before else result.config.initial_bankroll
        clv = [math.nan if b.clv is None else b.clv for b in settled]
        rows[name] = betting_metrics(
            [b.stake for b in settled],
            [b.payout for b in settled],
            [b.odds for b in settled],
            clv,
            [e for _, e in equity],
            initial,
            times=[t for t, _ in equity],
            seed=seed,
        ).as_dict() | clv_interval(clv, [b.kickoff.date() for b in settled], seed)
    return rows


def clv_interval(clv: Sequence[float], days: Sequence[date], seed: int = 0) -> dict[str, float | None]:
    """Bootstrap 95 % interval of the mean CLV over the bets that have a closing line, resampling whole match
    days (bets of one day share the news that moved the line, so they are not independent draws)."""
    values = np.asarray(clv, dtype=np.float64)
    keep = np.isfinite(values)
    if keep.sum() < 2:
        return {"clv_ci_low": None, "clv_ci_high": None}
    groups = np.array([d.toordinal() for d in days])[keep]
    lo, hi = bootstrap_ratio_ci(values[keep], np.ones(int(keep.sum())), groups=groups, seed=seed)
    return {"clv_ci_low": lo, "clv_ci_high": hi}
