"""The one ledger writer: a ``runs`` row and every bet of it in ``bet_ledger``.

The backtest and the agents' evaluation store a finished run through :func:`record_run`, in a single transaction
(a crash half-way never leaves a run with half its bets). Paper trading records a running run as it goes
(:func:`open_run`, :func:`add_bets`, :func:`settle_bets`) under ids derived from each decision. Both build their
rows with :func:`ledger_row`, so they read the same: ``placed_at`` is the decision time, ``settled_at`` the end of
the bet's own match, the stake is what the risk chain let through, and the detail says what was asked for and
what cut it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from betfolio.engine.bets import BetRecord
from betfolio.store.bulk import insert_ignore
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


# --- a run recorded as it goes (paper trading) -----------------------------------------------------------------
# A long-running run cannot wait for its end to be written: its bets are added as they are placed and settled as
# their matches end, each under an id derived from the decision, so a writer that crashes after committing and
# restarts re-derives the same ids and adds nothing twice. Derived ids live in the top quarter of the signed
# 64-bit range (2**62 and up), far above any sequence-generated id, so they never collide with other rows.
_DERIVED_ID_BASE = 1 << 62


def decision_bet_id(run_key: str, match_id: int, minute: int, selection: str) -> int:
    """The bet id of a decision — (run, match, decision minute, selection) — the same in every process."""
    digest = hashlib.blake2b(f"{run_key}|{match_id}|{minute}|{selection}".encode(), digest_size=8).digest()
    return _DERIVED_ID_BASE | (int.from_bytes(digest, "big") & (_DERIVED_ID_BASE - 1))


def open_run(engine: Engine, *, kind: str, name: str, config: Mapping[str, Any]) -> int:
    """The running run ``name`` of ``kind`` (created on first start, resumed afterwards); returns its ``run_id``."""
    with engine.begin() as conn:
        found = conn.execute(
            select(runs.c.run_id).where(runs.c.kind == kind, runs.c.name == name).order_by(runs.c.run_id)
        ).first()
        if found is not None:
            conn.execute(update(runs).where(runs.c.run_id == found[0]).values(status="running", finished_at=None))
            return int(found[0])
        return int(
            conn.execute(
                insert(runs)
                .values(
                    kind=kind, name=name, status="running", config=json_ready(dict(config)), metrics={},
                    started_at=datetime.now(UTC),
                )
                .returning(runs.c.run_id)
            ).scalar_one()
        )  # fmt: skip


def add_bets(
    conn: Connection, run_id: int, bets: Iterable[tuple[int, BetRecord]], detail: DetailFn | None = None
) -> int:
    """Add ``(bet_id, bet)`` pairs to a running run (an id already stored is left alone); returns how many were new."""
    rows = [{"bet_id": bet_id, "run_id": run_id, **ledger_row(bet, detail)} for bet_id, bet in bets]
    return insert_ignore(conn, bet_ledger, rows) if rows else 0


def settle_bets(conn: Connection, bets: Iterable[tuple[int, BetRecord]], detail: DetailFn | None = None) -> None:
    """Store the settlement of ``(bet_id, bet)`` pairs (one statement for all); a row already settled is left
    alone."""
    fields = ("status", "payout", "settled_at", "closing_odds", "clv", "detail")
    rows = []
    for bet_id, bet in bets:
        row = ledger_row(bet, detail)
        rows.append({"b_bet_id": bet_id, **{f"b_{k}": row[k] for k in fields}})
    if rows:
        stmt = (
            update(bet_ledger)
            .where(bet_ledger.c.bet_id == bindparam("b_bet_id"), bet_ledger.c.status == "open")
            .values({k: bindparam(f"b_{k}") for k in fields})
        )
        conn.execute(stmt, rows)


def run_bets(engine: Engine, run_id: int) -> list[dict[str, Any]]:
    """Every stored row of a run, in placement order."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(bet_ledger)
            .where(bet_ledger.c.run_id == run_id)
            .order_by(bet_ledger.c.placed_at, bet_ledger.c.bet_id)
        )
        return [dict(r) for r in rows.mappings()]


def finish_run(engine: Engine, run_id: int, metrics: Mapping[str, Any]) -> None:
    """Mark a running run finished with its summary (it resumes as running when its writer starts again)."""
    with engine.begin() as conn:
        conn.execute(
            update(runs).where(runs.c.run_id == run_id).values(
                status="finished", metrics=json_ready(dict(metrics)), finished_at=datetime.now(UTC)
            )
        )  # fmt: skip
