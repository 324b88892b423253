"""Keeping the live state series in shape where TimescaleDB does not: momentum refresh and 30-day retention.

With TimescaleDB (migration ``0003_live_momentum``) a refresh policy keeps the momentum continuous aggregates
current and a retention policy drops raw live states older than 30 days; the database does both on its own.
Elsewhere the poller does the same work itself through :func:`maintain`: on plain PostgreSQL it refreshes the
three materialised views and on every backend it deletes raw states
older than the retention window. The momentum views aggregate from the raw states, so on plain PostgreSQL the
buckets of pruned states disappear at the next refresh — the same window as the raw series.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, text

from betfolio.store.tables import live_states

#: Raw live statistics are kept this long (MISSION.md §3).
RETENTION = timedelta(days=30)
#: Least time between two momentum refreshes / two prunes when :func:`maintain` is called on every poll.
REFRESH_EVERY = timedelta(minutes=1)
PRUNE_EVERY = timedelta(hours=1)


#: Key of :func:`has_timescale`'s answer in a database connection's ``info``.
_TIMESCALE_KEY = "betfolio.timescale"


def has_timescale(conn: Connection) -> bool:
    """Whether the TimescaleDB extension is installed in this database (its policies then do the work).

    Asked once per database connection and kept in its ``info`` (which lives as long as the pooled connection):
    the extension comes with a migration, not between two polls, and a momentum refresh on every poll would
    otherwise query the catalogue each time."""
    if conn.dialect.name != "postgresql":
        return False
    known = conn.info.get(_TIMESCALE_KEY)
    if known is None:
        query = text("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")
        known = conn.info[_TIMESCALE_KEY] = conn.execute(query).first() is not None
    return bool(known)


def prune_live_states(conn: Connection, now: datetime, keep: timedelta = RETENTION) -> int:
    """Delete raw live states observed before ``now - keep``; returns how many went."""
    result = conn.execute(delete(live_states).where(live_states.c.observed_at < now - keep))
    return int(result.rowcount or 0)


@dataclass
class LiveMaintenance:
    """Calls :func:`maintain` work at most every :data:`REFRESH_EVERY` / :data:`PRUNE_EVERY` (the poller calls
    it after each poll)."""

    keep: timedelta = RETENTION
    refreshed_at: datetime | None = None
    pruned_at: datetime | None = None
    timescale: bool | None = None

    def maintain(self, conn: Connection, now: datetime | None = None) -> dict[str, int | bool]:
        """Prune and refresh when due; returns what was done (``pruned`` rows, ``refreshed``)."""
        from betfolio.store.queries import refresh_momentum

        now = now or datetime.now(UTC)
        if self.timescale is None:
            self.timescale = has_timescale(conn)
        done: dict[str, int | bool] = {"pruned": 0, "refreshed": False, "timescale": self.timescale}
        if self.timescale:
            return done  # the extension's retention and refresh policies do it
        if self.pruned_at is None or now - self.pruned_at >= PRUNE_EVERY:
            done["pruned"] = prune_live_states(conn, now, self.keep)
            self.pruned_at = now
        due = self.refreshed_at is None or now - self.refreshed_at >= REFRESH_EVERY
        if conn.dialect.name == "postgresql" and due:
            refresh_momentum(conn)
            self.refreshed_at = now
            done["refreshed"] = True
        return done
