"""The one ledger writer: a ``runs`` row and every bet of it in ``bet_ledger``, in a single transaction.

The backtest, the agents' evaluation and paper trading all record through :func:`record_run`, so their rows read
the same: ``placed_at`` is the decision time, ``settled_at`` the end of the bet's own match, the stake is what the
risk chain let through, and the detail says what was asked for and what cut it. Either the whole run is stored
or nothing is — a crash half-way never leaves a run with half its bets.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert

from betfolio.engine.bets import BetRecord
from betfolio.store.tables import bet_ledger, runs

#: Extra detail stored with a bet (e.g. the worker's role in an HRL evaluation).
DetailFn = Callable[[BetRecord], Mapping[str, Any]]


def json_ready(value: Any) -> Any:
    """JSON has no NaN/inf: write them as null (missing stays missing, never zero); tuples become lists, numpy
    scalars Python numbers and paths strings, so every job's result and every `--json` is valid JSON."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if callable(getattr(value, "item", None)) and getattr(value, "ndim", 0) == 0:  # numpy/torch scalars, not arrays
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def ledger_row(bet: BetRecord, detail: DetailFn | None = None) -> dict[str, Any]:
    """The ``bet_ledger`` row of one bet (without ``run_id``)."""
    extra = dict(detail(bet)) if detail is not None else {}
    return {
        "agent": bet.strategy[:64],
        "match_id": bet.match_id,
        "market": bet.market,
        "selection": bet.selection,
        "line": bet.line,
        "odds": bet.odds,
        "stake": bet.stake,
        "bookmaker": bet.bookmaker or None,
        "placed_at": bet.placed_at,
        "in_play": bet.in_play,
        "status": bet.status,
        "payout": bet.payout,
        "settled_at": bet.settled_at,
        "closing_odds": bet.closing_odds,
        "clv": None if bet.clv is None or not math.isfinite(bet.clv) else bet.clv,
        "detail": json_ready(
            {
                "note": bet.note,
                "requested_stake": bet.requested_stake,
                "model_probability": bet.model_probability,
                "cut_by": bet.cut_by,
                **extra,
            }
        ),
    }


def record_run(
    engine: Engine,
    bets: Iterable[BetRecord],
    *,
    kind: str,
    name: str,
    config: Mapping[str, Any],
    metrics: Mapping[str, Any],
    report_path: str | None = None,
    started_at: datetime | None = None,
    detail: DetailFn | None = None,
) -> int:
    """Store the run and its bets; returns the new ``run_id``."""
    now = datetime.now(UTC)
    rows = [ledger_row(b, detail) for b in bets]
    with engine.begin() as conn:
        run_id = conn.execute(
            insert(runs)
            .values(
                kind=kind,
                name=name,
                status="finished",
                config=json_ready(dict(config)),
                metrics=json_ready(dict(metrics)),
                report_path=report_path,
                started_at=started_at or now,
                finished_at=now,
            )
            .returning(runs.c.run_id)
        ).scalar_one()
        if rows:
            conn.execute(insert(bet_ledger), [{"run_id": run_id, **r} for r in rows])
    return int(run_id)
