"""The paper-trading ledger: a ``runs`` row of ``kind='paper'`` and its ``bet_ledger`` rows, written exactly once.

A bet's id is derived from what identifies the decision — (paper run, match, decision minute, selection) — so
a trader that crashes after committing a bet but before acknowledging the stream entry recomputes the same id
on restart and the insert is a no-op. Derived ids live in the top quarter of the signed 64-bit range
(``2**62`` and up), far above any sequence-generated id, so they can never collide with rows other writers add.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from betfolio.store.bulk import insert_ignore
from betfolio.store.tables import bet_ledger, runs

RUN_KIND = "paper"
_ID_BASE = 1 << 62


def paper_bet_id(run_key: str, match_id: int, minute: int, selection: str) -> int:
    """The bet id of a decision (stable across restarts and processes)."""
    digest = hashlib.blake2b(f"{run_key}|{match_id}|{minute}|{selection}".encode(), digest_size=8).digest()
    return _ID_BASE | (int.from_bytes(digest, "big") & (_ID_BASE - 1))


def ensure_paper_run(engine: Engine, run_key: str, config: dict[str, Any]) -> int:
    """The paper run named ``run_key`` (created on first start, resumed afterwards); returns its ``run_id``."""
    with engine.begin() as conn:
        found = conn.execute(
            select(runs.c.run_id).where(runs.c.kind == RUN_KIND, runs.c.name == run_key).order_by(runs.c.run_id)
        ).first()
        if found is not None:
            conn.execute(update(runs).where(runs.c.run_id == found[0]).values(status="running", finished_at=None))
            return int(found[0])
        return int(
            conn.execute(
                insert(runs)
                .values(
                    kind=RUN_KIND, name=run_key, status="running", config=config, metrics={},
                    started_at=datetime.now(UTC),
                )
                .returning(runs.c.run_id)
            ).scalar_one()
        )  # fmt: skip


def load_bets(engine: Engine, run_id: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(bet_ledger).where(bet_ledger.c.run_id == run_id).order_by(bet_ledger.c.placed_at))
        return [dict(r) for r in rows.mappings()]


def write(conn: Connection, bets: Sequence[dict[str, Any]], settlements: Sequence[dict[str, Any]]) -> int:
    """New bets (ignored when their id exists) and settlements of open bets; returns the bets actually added."""
    added = insert_ignore(conn, bet_ledger, list(bets)) if bets else 0
    for s in settlements:
        conn.execute(
            update(bet_ledger)
            .where(bet_ledger.c.bet_id == s["bet_id"], bet_ledger.c.status == "open")
            .values(status=s["status"], payout=s["payout"], settled_at=s["settled_at"], detail=s["detail"])
        )
    return added


def finish_run(engine: Engine, run_id: int, metrics: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(runs).where(runs.c.run_id == run_id).values(
                status="finished", metrics=metrics, finished_at=datetime.now(UTC)
            )
        )  # fmt: skip
