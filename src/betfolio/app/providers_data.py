"""What the Providers page shows: each provider's health and what it covers, per league."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from betfolio.app.settings import KEYED_PROVIDERS
from betfolio.store.provider_queries import coverage_counts, last_ingests, payload_counts
from betfolio.store.queries import coverage_rows, league_names, provider_statuses


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    provider: str
    circuit_state: str | None
    quota_day: int | None
    quota_minute: int | None
    last_success: datetime | None
    last_failure: datetime | None
    last_error: str | None
    leagues: int
    seasons: int
    payloads: int
    last_ingest: datetime | None
    needs_key: bool


def provider_overview(conn: Connection) -> list[ProviderInfo]:
    """Every provider the store knows of (status rows, coverage, archived payloads) plus the keyed ones."""
    status = {row["provider"]: row for row in provider_statuses(conn)}
    cov = coverage_counts(conn)
    payloads = payload_counts(conn)
    ingests = last_ingests(conn)
    names = sorted(set(status) | set(cov) | set(payloads) | set(ingests) | set(KEYED_PROVIDERS))
    out = []
    for name in names:
        s: dict[str, Any] = status.get(name, {})
        leagues_n, seasons_n = cov.get(name, (0, 0))
        out.append(
            ProviderInfo(
                name,
                s.get("circuit_state"),
                s.get("quota_remaining_day"),
                s.get("quota_remaining_minute"),
                s.get("last_success_at") or ingests.get(name),
                s.get("last_failure_at"),
                s.get("last_error"),
                int(leagues_n),
                int(seasons_n),
                int(payloads.get(name, 0)),
                ingests.get(name),
                name in KEYED_PROVIDERS,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class LeagueCoverage:
    provider: str
    league: str
    league_name: str
    seasons: list[str]
    flags_on: list[str]
    flags_off: list[str]
    statistics: list[str]


def coverage_by_league(conn: Connection) -> list[LeagueCoverage]:
    """Coverage rows folded per (provider, league): seasons listed, flags on in *every* season vs not."""
    names = league_names(conn)
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in coverage_rows(conn):
        grouped.setdefault((row["provider"], row["league"]), []).append(row)
    out = []
    for (provider, league), rows in grouped.items():
        flags = sorted({f for r in rows for f in (r["flags"] or {})})
        on = [f for f in flags if all((r["flags"] or {}).get(f) for r in rows)]
        partial = [f for f in flags if f not in on and any((r["flags"] or {}).get(f) for r in rows)]
        off = [f for f in flags if f not in on and f not in partial]
        stats = sorted({s for r in rows for s in (r["statistics"] or ())})
        out.append(
            LeagueCoverage(
                provider,
                league,
                names.get(league, league),
                [r["season"] for r in rows],
                on + [f"{f} (some seasons)" for f in partial],
                off,
                stats,
            )
        )
    return out
