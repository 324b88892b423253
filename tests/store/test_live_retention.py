"""Live-series upkeep without TimescaleDB (pruning, momentum refresh) on the real servers, and the TimescaleDB
branch of the momentum migration checked as far as this machine allows (the extension is not installed here)."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

from sqlalchemy import Engine, func, insert, select, text

from betfolio.store import queries
from betfolio.store.live_retention import RETENTION, LiveMaintenance, has_timescale
from betfolio.store.tables import live_states
from tests.conftest import statements_mentioning
from tests.store.test_live_momentum import _match

MIGRATION = Path(__file__).resolve().parents[2] / "src/betfolio/store/migrations/versions/0003_live_momentum.py"
NOW = datetime(2026, 11, 28, 16, 0, tzinfo=UTC)


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("momentum_migration", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _states(match_id: int, start: datetime, minutes: int) -> list[dict]:
    return [
        {
            "match_id": match_id, "provider": "feed", "observed_at": start + timedelta(minutes=m), "minute": m,
            "status": "in_play", "home_goals": 0, "away_goals": 0, "data_staleness": 0.0, "ingested_at": start,
            "statistics": {"home": {"shots_on_target": m}, "away": {"shots_on_target": 0}},
        }
        for m in range(minutes)
    ]  # fmt: skip


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(live_states)).scalar_one())


def test_raw_states_older_than_the_window_are_pruned_and_momentum_refreshed(engine: Engine) -> None:
    match_id = _match(engine)
    old = NOW - RETENTION - timedelta(days=2)
    with engine.begin() as conn:
        conn.execute(insert(live_states), _states(match_id, old, 10) + _states(match_id, NOW - timedelta(hours=1), 20))
    upkeep = LiveMaintenance()
    with engine.begin() as conn:
        done = upkeep.maintain(conn, NOW)
    assert done["pruned"] == 10 and _count(engine) == 20
    assert done["refreshed"] == (engine.dialect.name == "postgresql") and done["timescale"] is False
    with engine.connect() as conn:
        buckets = queries.momentum_series(conn, match_id, "5m")
    assert sum(r["states"] for r in buckets) == 20  # the views show the kept states only (refreshed on PG)

    with engine.begin() as conn:  # called again on the next poll: nothing is due yet
        conn.execute(insert(live_states), _states(match_id, old - timedelta(days=1), 3))
        assert upkeep.maintain(conn, NOW + timedelta(seconds=10)) == {"pruned": 0, "refreshed": False,
                                                                     "timescale": False}  # fmt: skip
    with engine.begin() as conn:
        assert upkeep.maintain(conn, NOW + timedelta(hours=2))["pruned"] == 3


def test_timescale_is_asked_once_per_connection(pg_engine: Engine) -> None:
    """A refresh on every poll does not query the extension catalogue every time: the answer is kept per
    database connection."""
    with statements_mentioning(pg_engine, "pg_extension") as asked, pg_engine.begin() as conn:
        for _ in range(3):
            queries.refresh_momentum(conn)
        assert not has_timescale(conn)
    assert len(asked) == 1


def test_timescale_branch_statements(pg_engine: Engine) -> None:
    """The statements the migration runs under TimescaleDB: a hypertable on observed_at, a continuous aggregate
    per bucket with a refresh policy, and the 30-day retention policy. Not run against a real TimescaleDB here;
    each aggregate's query is run on the real server with ``time_bucket`` stood in by ``date_bin`` (the same
    buckets for these intervals) and must give exactly the plain materialised view's rows."""
    migration = _migration()
    statements = migration.timescale_statements()
    assert statements[0] == "CREATE EXTENSION IF NOT EXISTS timescaledb"
    assert "create_hypertable('live_states', 'observed_at'" in statements[1]
    for name, interval in migration.BUCKETS.items():
        (view,) = [s for s in statements if s.startswith(f"CREATE MATERIALIZED VIEW live_momentum_{name} ")]
        assert "WITH (timescaledb.continuous)" in view and f"time_bucket(INTERVAL '{interval}', observed_at)" in view
        assert any(f"add_continuous_aggregate_policy('live_momentum_{name}'" in s for s in statements)
    assert statements[-1] == "SELECT add_retention_policy('live_states', INTERVAL '30 days', if_not_exists => true)"
    assert timedelta(days=30) == RETENTION

    match_id = _match(pg_engine)
    with pg_engine.begin() as conn:
        assert not has_timescale(conn)
        conn.execute(insert(live_states), _states(match_id, NOW - timedelta(minutes=47), 47))
        queries.refresh_momentum(conn)
    with pg_engine.begin() as conn:
        conn.execute(text("CREATE SCHEMA tscheck"))
        conn.execute(text(
            "CREATE FUNCTION tscheck.time_bucket(width interval, ts timestamptz) RETURNS timestamptz "
            "LANGUAGE sql IMMUTABLE AS $$ SELECT date_bin(width, ts, TIMESTAMPTZ '2000-01-01 00:00:00+00') $$"
        ))  # fmt: skip
        conn.execute(text("SET LOCAL search_path = public, tscheck"))
        for name, interval in migration.BUCKETS.items():
            query = migration.aggregate_select(interval, migration.timescale_bucket(interval))
            order = " ORDER BY match_id, provider, bucket"
            aggregate = conn.execute(text(f"SELECT * FROM ({query}) q{order}")).all()
            plain = conn.execute(text(f"SELECT * FROM live_momentum_{name}{order}")).all()
            assert aggregate == plain and len(plain) > 0
        conn.execute(text("DROP SCHEMA tscheck CASCADE"))
