"""Reads of the live state series (``live_states``) beyond the latest states (``queries.latest_live_states``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from betfolio.store.tables import live_states


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
