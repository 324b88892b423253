"""Reads about providers: their recorded health, what they cover, what was archived and ingested."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from betfolio.store.tables import coverage, ingest_runs, provider_status, raw_payloads


def provider_status_rows(conn: Connection) -> dict[str, dict[str, Any]]:
    """Provider → its ``provider_status`` row (circuit state, quotas, last success and failure)."""
    return {r["provider"]: dict(r) for r in conn.execute(select(provider_status)).mappings()}


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


def coverage_rows(conn: Connection) -> list[dict[str, Any]]:
    """Every coverage row, by provider, league and season."""
    stmt = select(coverage).order_by(coverage.c.provider, coverage.c.league, coverage.c.season)
    return [dict(r) for r in conn.execute(stmt).mappings()]
