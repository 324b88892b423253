"""Reads about providers beyond ``queries.provider_statuses`` and ``queries.coverage_rows``: how much each covers,
what was archived and when it was last ingested."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select

from betfolio.store.tables import coverage, ingest_runs, raw_payloads


def coverage_counts(conn: Connection) -> dict[str, tuple[int, int]]:
    """Provider → (leagues covered, league seasons covered)."""
    stmt = select(coverage.c.provider, func.count(func.distinct(coverage.c.league)), func.count()).group_by(
        coverage.c.provider
    )
    return {r[0]: (int(r[1]), int(r[2])) for r in conn.execute(stmt)}


def payload_counts(conn: Connection) -> dict[str, int]:
    """Provider → raw payloads archived."""
    stmt = select(raw_payloads.c.provider, func.count()).group_by(raw_payloads.c.provider)
    return {r[0]: int(r[1]) for r in conn.execute(stmt)}


def last_ingests(conn: Connection) -> dict[str, datetime]:
    """Provider → when its latest ingest finished."""
    stmt = select(ingest_runs.c.provider, func.max(ingest_runs.c.finished_at)).group_by(ingest_runs.c.provider)
    return dict(conn.execute(stmt).all())  # type: ignore[arg-type]
