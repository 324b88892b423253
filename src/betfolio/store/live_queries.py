"""Reads of the live state series (``live_states``) beyond the latest states (``queries.latest_live_states``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, case, func, select

from betfolio.store.tables import bet_ledger, live_states, runs


def live_timeline(conn: Connection, match_id: int, provider: str) -> list[dict[str, Any]]:
    """One provider's states of a match in observation order."""
    stmt = (
        select(live_states)
        .where(live_states.c.match_id == match_id, live_states.c.provider == provider)
        .order_by(live_states.c.observed_at)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def live_state_counts(conn: Connection, match_ids: Sequence[int]) -> dict[tuple[int, str], int]:
    """(match, provider) → number of states stored."""
    counts: dict[tuple[int, str], int] = {}
    ids = list(match_ids)
    for start in range(0, len(ids), 900):
        stmt = (
            select(live_states.c.match_id, live_states.c.provider, func.count())
            .where(live_states.c.match_id.in_(ids[start : start + 900]))
            .group_by(live_states.c.match_id, live_states.c.provider)
        )
        counts.update({(m, p): int(n) for m, p, n in conn.execute(stmt)})
    return counts


def latest_paper_run(conn: Connection) -> dict[str, Any] | None:
    """The most recently started paper-trading run with its ledger totals (bets, open, staked, settled P&L)."""
    run = conn.execute(
        select(runs.c.run_id, runs.c.name, runs.c.status)
        .where(runs.c.kind == "paper")
        .order_by(runs.c.started_at.desc(), runs.c.run_id.desc())
        .limit(1)
    ).first()
    if run is None:
        return None
    is_open = bet_ledger.c.status == "open"
    totals = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((is_open, 1), else_=0)), 0),
            func.coalesce(func.sum(bet_ledger.c.stake), 0.0),
            func.coalesce(func.sum(case((is_open, 0.0), else_=bet_ledger.c.payout - bet_ledger.c.stake)), 0.0),
        ).where(bet_ledger.c.run_id == run.run_id)
    ).one()
    return {
        "run_id": int(run.run_id), "name": run.name, "status": run.status, "bets": int(totals[0]),
        "open": int(totals[1]), "staked": float(totals[2]), "profit": float(totals[3]),
    }  # fmt: skip
