"""Run a walk-forward backtest from the app, on a worker thread, with progress and cancel.

The app adds nothing to the engine's numbers. It runs the same backtest job as ``betfolio backtest``
(:mod:`betfolio.jobs.backtest`: load, walk forward, summarise with bootstrap CIs, CLV, drawdown and Sharpe,
write the HTML report, record the run and its bets) — so the Portfolio page shows the same bets the report
lists. Cancel is honoured between decision rounds (the engine
reports progress once per round; a pending cancel turns that report into ``Cancelled``), and a cancelled run
records nothing.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
    score_models: bool = False
    report_dir: Path | None = None
    record: bool = True


@dataclass
class StrategySummary:
    name: str
    metrics: dict[str, Any]
    equity_times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    equity: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass
class BacktestOutcome:
    request: BacktestRequest
    matches: int
    rounds: int
    seconds: float
    summaries: list[StrategySummary]
    issues: dict[str, int]
    summary: dict[str, Any]
    run_id: int | None = None
    report_path: Path | None = None


def default_report_dir() -> Path:
    from betfolio.store.engine import data_dir

    return data_dir() / "reports" / f"backtest-{datetime.now(UTC):%Y%m%d-%H%M%S}"


def run_backtest(engine: Engine, request: BacktestRequest, control: TaskControl) -> BacktestOutcome:
    from betfolio.backtest.engine import BacktestConfig
    from betfolio.jobs.backtest import load_data, make_strategies, run_backtest

    started = time.perf_counter()
    strategies = make_strategies(request.strategies)
    control.progress(None, "loading matches and odds…")
    data, _ = load_data(engine, request.leagues or None, request.seasons or None)
    if not data.matches:
        raise ValueError("no matches for the chosen leagues and seasons")
    control.progress(0.0, f"{len(data.matches):,} matches loaded; walking forward…")
    config = BacktestConfig(initial_bankroll=request.initial_bankroll)
    if not request.score_models:
        # Scoring models is optional; strategies that need a model still get it fitted.
        config = BacktestConfig(initial_bankroll=request.initial_bankroll, evaluate_models=())

    def on_round(done: int, total: int) -> None:
        control.progress(done / max(total, 1), f"decision round {done:,} of {total:,}")
        if done == total:
            control.progress(None, "summarising (bootstrap intervals) and writing the report…")

    outcome = run_backtest(
        data,
        strategies,
        config,
        engine=engine,
        progress=on_round,
        report_dir=request.report_dir or default_report_dir(),
        record=request.record,
        run_config={
            "leagues": list(request.leagues) or data.leagues,
            "seasons": list(request.seasons) or data.seasons,
            "strategies": list(request.strategies),
            "started_from": "app",
        },
        before_record=control.check,  # last chance to cancel: after this the run is recorded
    )
    result, summary = outcome.result, outcome.summary
    assert summary is not None
    summaries = [
        StrategySummary(
            name,
            summary["strategies"][name],
            np.array([t.timestamp() for t, _ in run.equity], dtype=float),
            np.array([e for _, e in run.equity], dtype=float),
        )
        for name, run in result.strategies.items()
    ]
    return BacktestOutcome(
        request=request,
        matches=len(data.matches),
        rounds=result.rounds,
        seconds=time.perf_counter() - started,
        summaries=summaries,
        issues=data.issue_counts(),
        summary=summary,
        run_id=outcome.run_id,
        report_path=outcome.report_path,
    )
