"""Reads of the live state series (``live_states``) and the providers' circuit states."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from betfolio.store.tables import live_states, provider_status


def latest_live_states(conn: Connection) -> list[dict[str, Any]]:
    """The newest state of every (match, provider) series, with the series length as ``n_states``."""
    series = (live_states.c.match_id, live_states.c.provider)
    ranked = select(
        live_states,
        func.row_number().over(partition_by=series, order_by=live_states.c.observed_at.desc()).label("rank"),
        func.count().over(partition_by=series).label("n_states"),
    ).subquery()
    return [dict(r) for r in conn.execute(select(ranked).where(ranked.c.rank == 1)).mappings()]


def live_timeline(conn: Connection, match_id: int, provider: str) -> list[dict[str, Any]]:
    """One provider's states of a match in observation order."""
    stmt = (
        select(live_states)
        .where(live_states.c.match_id == match_id, live_states.c.provider == provider)
        .order_by(live_states.c.observed_at)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def circuit_states(conn: Connection) -> dict[str, str | None]:
    """Provider → circuit-breaker state as last recorded."""
    return dict(conn.execute(select(provider_status.c.provider, provider_status.c.circuit_state)).all())  # type: ignore[arg-type]
