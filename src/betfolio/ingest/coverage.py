"""Coverage-aware features: the league-season coverage a provider declared, joined with what a payload held.

The mask of a live feature vector is decided in ``LiveMatchState.feature_vector``: a statistic is present
only if the payload carried it *and* the provider's coverage for that league season declares it. This module
supplies the declared half from the store (``coverage`` table, written from API-Football's ``/leagues`` and
football-data's files), so callers never have to know which provider covers what.
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, select

from betfolio.canonical import Coverage, FeatureVector, LiveMatchState
from betfolio.store.tables import coverage


def stored_coverage(conn: Connection, provider: str, league: str, season: str) -> Coverage | None:
    row = conn.execute(
        select(coverage.c.flags, coverage.c.statistics).where(
            and_(coverage.c.provider == provider, coverage.c.league == league, coverage.c.season == season)
        )
    ).first()
    if row is None:
        return None
    return Coverage(
        provider=provider, league=league, season=season, flags=row.flags, statistics=tuple(row.statistics or ())
    )


def declared_coverage(conn: Connection, provider: str, league: str, season: str) -> Coverage | None:
    """What the store recorded for this league season, else what the adapter declares without a request."""
    stored = stored_coverage(conn, provider, league, season)
    if stored is not None:
        return stored
    from betfolio.providers.registry import adapters

    adapter = adapters().get(provider)
    return adapter.coverage(league, season) if adapter is not None else None


class CoverageUnknown(LookupError):
    """No declared coverage for a league season: every statistic would be masked, so say so instead."""


def live_features(
    conn: Connection, state: LiveMatchState, *, league: str, season: str, require_coverage: bool = False
) -> FeatureVector:
    """The live state's features masked by the declared coverage of its provider for ``league``/``season``.

    Without a stored coverage record the payload alone decides (``require_coverage=True`` refuses instead).
    """
    declared = declared_coverage(conn, state.provider, league, season)
    if declared is None and require_coverage:
        raise CoverageUnknown(f"no {state.provider} coverage stored for {league} {season}")
    return state.feature_vector(coverage=declared)
