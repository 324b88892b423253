"""Run a walk-forward backtest from the app, on a worker thread, with progress and cancel.

The app adds nothing to the engine's numbers: it loads data with ``backtest.data.load_from_engine``, builds
strategies with ``backtest.strategies.make_strategy``, runs ``backtest.engine.WalkForward`` and reports the
engine's own bets and equity. Cancel is honoured between decision rounds (the engine reports progress once per
round, and a pending cancel turns that report into ``Cancelled``), so a cancelled run leaves nothing behind.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine

from betfolio.app.worker import TaskControl


def _module(name: str) -> Any | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def backtest_available() -> bool:
    engine = _module("betfolio.backtest.engine")
    return engine is not None and hasattr(engine, "WalkForward") and _module("betfolio.backtest.strategies") is not None


def available_strategies() -> dict[str, str]:
    """Strategy name → one-line description, from the backtest package's registry."""
    module = _module("betfolio.backtest.strategies")
    registry = getattr(module, "STRATEGIES", None) or {}
    out = {}
    for name, cls in registry.items():
        doc = (cls.__doc__ or "").strip().splitlines()
        # dataclasses without a docstring get their signature as __doc__: not a description.
        out[name] = doc[0] if doc and not doc[0].startswith(f"{cls.__name__}(") else ""
    return out


@dataclass(frozen=True)
class BacktestRequest:
    leagues: tuple[str, ...]
    seasons: tuple[str, ...]
    strategies: tuple[str, ...]
    initial_bankroll: float = 1000.0
    report_dir: Path | None = None


@dataclass
class StrategySummary:
    name: str
    bets: int
    settled: int
    staked: float
    profit: float
    roi: float | None
    clv_mean: float | None
    clv_positive: float | None
    max_drawdown: float | None
    final_equity: float
    rejections: int
    equity_times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    equity: np.ndarray = field(default_factory=lambda: np.zeros(0))
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class BacktestOutcome:
    request: BacktestRequest
    matches: int
    rounds: int
    seconds: float
    summaries: list[StrategySummary]
    issues: dict[str, int]
    run_ids: list[int] = field(default_factory=list)
    report_path: Path | None = None
    notes: list[str] = field(default_factory=list)


def _summary(run: Any, initial: float) -> StrategySummary:
    bets = list(run.bets)
    settled = [b for b in bets if b.payout is not None and b.status not in ("open", "unsettled")]
    staked = float(sum(b.stake for b in settled))
    profit = float(sum(b.payout - b.stake for b in settled))
    clvs = np.array([b.clv for b in settled if b.clv is not None], dtype=float)
    times = np.array([t.timestamp() for t, _ in run.equity], dtype=float)
    equity = np.array([e for _, e in run.equity], dtype=float)
    drawdown = None
    if equity.size:
        peak = np.maximum.accumulate(np.concatenate([[initial], equity]))[1:]
        drawdown = float(np.max(1.0 - equity / peak))
    return StrategySummary(
        name=run.name,
        bets=len(bets),
        settled=len(settled),
        staked=staked,
        profit=profit,
        roi=profit / staked if staked > 0 else None,
        clv_mean=float(clvs.mean()) if clvs.size else None,
        clv_positive=float((clvs > 0).mean()) if clvs.size else None,
        max_drawdown=drawdown,
        final_equity=float(run.bankroll.equity),
        rejections=int(sum(run.rejections.values())),
        equity_times=times,
        equity=equity,
    )


def run_backtest(engine: Engine, request: BacktestRequest, control: TaskControl) -> BacktestOutcome:
    from betfolio.backtest.data import load_from_engine
    from betfolio.backtest.engine import BacktestConfig, WalkForward
    from betfolio.backtest.strategies import make_strategy

    started = time.perf_counter()
    if not request.strategies:
        raise ValueError("choose at least one strategy")
    strategies = [make_strategy(spec) for spec in request.strategies]
    control.progress(None, "loading matches and odds…")
    data = load_from_engine(engine, request.leagues or None, request.seasons or None)
    if not data.matches:
        raise ValueError("no matches for the chosen leagues and seasons")
    control.progress(0.0, f"{len(data.matches)} matches loaded; walking forward…")
    config = BacktestConfig(initial_bankroll=request.initial_bankroll)
    walk = WalkForward(data, strategies, config)

    def on_round(done: int, total: int) -> None:
        control.progress(done / max(total, 1), f"decision round {done:,} of {total:,}")

    result = walk.run(progress=on_round)
    control.check()
    outcome = BacktestOutcome(
        request=request,
        matches=len(data.matches),
        rounds=result.rounds,
        seconds=0.0,
        summaries=[_summary(run, request.initial_bankroll) for run in result.strategies.values()],
        issues=dict(data.issue_counts()) if hasattr(data, "issue_counts") else {},
    )
    outcome.seconds = time.perf_counter() - started
    return outcome
