"""Persist a backtest through the engine's one ledger writer: a ``runs`` row and every bet, in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from betfolio.backtest.engine import BacktestResult
from betfolio.engine.ledger import record_run as record_engine_run


def record_run(
    engine: Engine,
    result: BacktestResult,
    summary: dict[str, Any],
    *,
    name: str,
    config: dict[str, Any],
    report_path: str | None = None,
    started_at: datetime | None = None,
) -> int:
    """Store the run (``kind='backtest'``) and its bets; returns the new ``run_id``."""
    metrics = {
        "strategies": {
            k: {m: v for m, v in s.items() if not isinstance(v, dict)} for k, s in summary["strategies"].items()
        },
        "models": summary["models"]["on_identical_matches"],
        "gaps": summary["models"]["gaps"],
    }
    return record_engine_run(
        engine,
        (b for run in result.strategies.values() for b in run.bets),
        kind="backtest",
        name=name,
        config=config,
        metrics=metrics,
        report_path=report_path,
        started_at=started_at,
    )
