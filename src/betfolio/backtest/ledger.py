"""Persist a backtest: one ``runs`` row and every bet in ``bet_ledger``, in a single transaction.

Either the whole run is stored or nothing is — a crash half-way never leaves a run with half its bets.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert

from betfolio.backtest.engine import BacktestResult
from betfolio.backtest.report import json_ready
from betfolio.store.tables import bet_ledger, runs


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
    """Store the run and its bets; returns the new ``run_id``."""
    now = datetime.now(UTC)
    metrics = {
        "strategies": {
            k: {m: v for m, v in s.items() if not isinstance(v, dict)} for k, s in summary["strategies"].items()
        },
        "models": summary["models"]["on_identical_matches"],
        "gaps": summary["models"]["gaps"],
    }
    with engine.begin() as conn:
        run_id = conn.execute(
            insert(runs)
            .values(
                kind="backtest",
                name=name,
                status="finished",
                config=json_ready(config),
                metrics=json_ready(metrics),
                report_path=report_path,
                started_at=started_at or now,
                finished_at=now,
            )
            .returning(runs.c.run_id)
        ).scalar_one()
        rows = [
            {
                "run_id": run_id,
                "agent": b.strategy[:64],
                "match_id": b.match_id,
                "market": b.market,
                "selection": b.selection,
                "line": b.line,
                "odds": b.odds,
                "stake": b.stake,
                "bookmaker": b.bookmaker or None,
                "placed_at": b.placed_at,
                "in_play": False,
                "status": b.status,
                "payout": b.payout,
                "settled_at": b.settled_at,
                "closing_odds": b.closing_odds,
                "clv": b.clv,
                "detail": json_ready(
                    {
                        "note": b.note,
                        "requested_stake": b.requested_stake,
                        "model_probability": b.model_probability,
                        "cut_by": b.cut_by,
                    }
                ),
            }
            for run in result.strategies.values()
            for b in run.bets
        ]
        if rows:
            conn.execute(insert(bet_ledger), rows)
    return int(run_id)
