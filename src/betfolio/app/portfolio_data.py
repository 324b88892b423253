"""What the Portfolio page shows, computed from ``runs`` and ``bet_ledger`` (no Qt here).

Equity moves only when a bet settles (cash accounting: an open bet is exposure, not a loss), so the curve is
the running sum of settled profit from the run's starting bankroll. Allocation per agent is what the ledger
shows was actually staked — the manager's decisions as executed, after the risk checks cut or refused orders.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection

from betfolio.store.ledger_queries import RunInfo, ledger_bets, list_runs, run_agent_counts

__all__ = ["Portfolio", "RunInfo", "list_runs", "load_portfolio", "run_agents", "separate_bankrolls"]


@dataclass
class Portfolio:
    """Settled/open bets of one run (or of every run) and the curves derived from them."""

    initial_bankroll: float | None
    bets: list[dict[str, Any]]
    times: np.ndarray = field(default_factory=lambda: np.zeros(0))  # epoch seconds of each settlement
    equity: np.ndarray = field(default_factory=lambda: np.zeros(0))
    drawdown: np.ndarray = field(default_factory=lambda: np.zeros(0))  # fraction below the running peak

    @property
    def settled(self) -> list[dict[str, Any]]:
        return [b for b in self.bets if b["status"] != "open" and b["payout"] is not None]

    @property
    def open(self) -> list[dict[str, Any]]:
        return [b for b in self.bets if b["status"] == "open"]

    def summary(self) -> dict[str, Any]:
        """The backtest's own metrics (``backtest.metrics.betting_metrics``) over the settled bets, plus exposure.

        Without a recorded starting bankroll only bankroll-free figures are meaningful (ROI and its interval,
        CLV, hit rate); drawdown is then the P&L drop in currency units and equity figures are left out.
        """
        from betfolio.backtest.metrics import betting_metrics

        settled = self.settled
        initial = self.initial_bankroll
        metrics = betting_metrics(
            [b["stake"] for b in settled],
            [b["payout"] for b in settled],
            [b["odds"] for b in settled],
            [np.nan if b["clv"] is None else b["clv"] for b in settled],
            self.equity if initial is not None else [],
            initial if initial is not None else 1.0,
            # Weekly resampling inside the Sharpe ratio needs the settlement times.
            times=[datetime.fromtimestamp(t, UTC) for t in self.times] if initial is not None else None,
        ).as_dict()
        if initial is None:
            for key in ("max_drawdown", "sharpe", "log_growth", "final_equity"):
                metrics[key] = None
            metrics["max_drawdown_amount"] = float(-self.drawdown.min()) if self.drawdown.size else None
        open_bets = self.open
        metrics.update(
            {
                "settled": len(settled),
                "open": len(open_bets),
                "open_stake": float(sum(b["stake"] for b in open_bets)),
                "all_bets": len(self.bets),
            }
        )
        return metrics

    def allocation(self, period_days: int = 7) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """Stake per agent in each period (by placement time): (period starts, agent → share, total stake)."""
        if not self.bets:
            return np.zeros(0), {}, np.zeros(0)
        start = min(b["placed_at"] for b in self.bets)
        width = timedelta(days=period_days)
        stakes: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for b in self.bets:
            stakes[int((b["placed_at"] - start) / width)][b["agent"]] += b["stake"]
        periods = sorted(stakes)
        agents = sorted({a for p in stakes.values() for a in p})
        totals = np.array([sum(stakes[p].values()) for p in periods])
        shares = {a: np.array([stakes[p].get(a, 0.0) for p in periods]) / np.maximum(totals, 1e-12) for a in agents}
        times = np.array([(start + p * width).timestamp() for p in periods])
        return times, shares, totals


def separate_bankrolls(run: RunInfo) -> bool:
    """A backtest gives every strategy its own bankroll; agents of a training or live run share one."""
    return run.kind == "backtest"


def run_agents(conn: Connection, run: RunInfo) -> list[tuple[str, int]]:
    """Agents (strategies) that bet in a run, with their bet counts."""
    return run_agent_counts(conn, run.run_id)


def load_portfolio(conn: Connection, run: RunInfo | None, agent: str | None = None) -> Portfolio:
    """Bets of one run (optionally one agent of it), or of every run when ``run`` is None."""
    bets = ledger_bets(conn, run.run_id if run is not None else None, agent)
    # One bankroll only when the bets really shared it: a single agent, or a run whose agents share one.
    shared = run is not None and (agent is not None or not separate_bankrolls(run))
    initial = run.initial_bankroll if shared and run is not None else None
    portfolio = Portfolio(initial, bets)
    settled = sorted(portfolio.settled, key=lambda b: (b["settled_at"] or b["placed_at"], b["bet_id"]))
    if settled:
        pnl = np.array([b["payout"] - b["stake"] for b in settled])
        base = initial if initial is not None else 0.0
        equity = base + np.cumsum(pnl)
        portfolio.times = np.array([(b["settled_at"] or b["placed_at"]).timestamp() for b in settled])
        portfolio.equity = equity
        if initial is not None and initial > 0:
            peak = np.maximum.accumulate(np.concatenate([[initial], equity]))[1:]
            portfolio.drawdown = equity / peak - 1.0
        else:
            # Without a starting bankroll only an absolute drawdown exists; kept in currency units.
            peak = np.maximum.accumulate(np.concatenate([[0.0], equity]))[1:]
            portfolio.drawdown = equity - peak
    return portfolio
