"""Momentum aggregates over live states (1, 5 and 15 minutes) and 30-day retention where TimescaleDB exists.

MISSION.md §3: with TimescaleDB, ``live_states`` becomes a hypertable, ``live_momentum_1m/5m/15m`` are
continuous aggregates refreshed by a policy, and raw live states older than 30 days are dropped by a retention
policy (the aggregates keep the history). On plain PostgreSQL the same three views are ordinary materialised
views (refreshed by :func:`betfolio.store.queries.refresh_momentum`); on SQLite they are plain views. The
columns are the same everywhere, so readers never branch on the backend.

Per bucket: the last match minute and score seen, how many states arrived, and each side's *pressure* — the
weighted sum of its cumulative attacking statistics (shots on target, xG, shots, corners, dangerous attacks,
the weights of the app's momentum chart). Momentum is the change in pressure between consecutive buckets
(home minus away), computed by the reader with a window function.

Revision ID: 0003_live_momentum
Revises: 0002
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0003_live_momentum"
down_revision = "0002"
branch_labels = None
depends_on = None

BUCKETS = {"1m": "1 minute", "5m": "5 minutes", "15m": "15 minutes"}
WEIGHTS = {"shots_on_target": 1.0, "xg": 2.0, "shots": 0.4, "corners": 0.3, "dangerous_attacks": 0.05}


def _pressure_pg(side: str) -> str:
    terms = [
        f"{w} * COALESCE(CASE WHEN jsonb_typeof(statistics->'{side}'->'{k}') = 'number' "
        f"THEN (statistics->'{side}'->>'{k}')::double precision END, 0)"
        for k, w in WEIGHTS.items()
    ]
    return " + ".join(terms)


def _pressure_sqlite(side: str) -> str:
    terms = [
        f"{w} * COALESCE(CASE WHEN json_type(statistics, '$.{side}.{k}') IN ('integer', 'real') "
        f"THEN json_extract(statistics, '$.{side}.{k}') END, 0)"
        for k, w in WEIGHTS.items()
    ]
    return " + ".join(terms)


def _has_timescale(conn) -> bool:  # type: ignore[no-untyped-def]
    return conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")).first() is not None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        for name, seconds in {"1m": 60, "5m": 300, "15m": 900}.items():
            op.execute(
                f"""CREATE VIEW live_momentum_{name} AS
                SELECT match_id, provider,
                       datetime((CAST(strftime('%s', observed_at) AS INTEGER) / {seconds}) * {seconds},
                                'unixepoch') AS bucket,
                       COUNT(*) AS states, MAX(minute) AS minute,
                       MAX(home_goals) AS home_goals, MAX(away_goals) AS away_goals,
                       MAX({_pressure_sqlite("home")}) AS home_pressure,
                       MAX({_pressure_sqlite("away")}) AS away_pressure
                FROM live_states GROUP BY match_id, provider, bucket"""
            )
        return
    timescale = _has_timescale(conn)
    if timescale:
        with op.get_context().autocommit_block():  # continuous aggregates cannot be created in a transaction
            op.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
            op.execute(
                "SELECT create_hypertable('live_states', 'observed_at', migrate_data => true, if_not_exists => true)"
            )
            for name, interval in BUCKETS.items():
                op.execute(
                    f"""CREATE MATERIALIZED VIEW live_momentum_{name} WITH (timescaledb.continuous) AS
                    SELECT match_id, provider, time_bucket(INTERVAL '{interval}', observed_at) AS bucket,
                           count(*) AS states, max(minute) AS minute,
                           max(home_goals) AS home_goals, max(away_goals) AS away_goals,
                           max({_pressure_pg("home")}) AS home_pressure,
                           max({_pressure_pg("away")}) AS away_pressure
                    FROM live_states GROUP BY match_id, provider, bucket WITH NO DATA"""
                )
                op.execute(
                    f"SELECT add_continuous_aggregate_policy('live_momentum_{name}', "
                    f"start_offset => INTERVAL '30 days', end_offset => INTERVAL '{interval}', "
                    f"schedule_interval => INTERVAL '{interval}')"
                )
            op.execute("SELECT add_retention_policy('live_states', INTERVAL '30 days', if_not_exists => true)")
        return
    for name, interval in BUCKETS.items():
        op.execute(
            f"""CREATE MATERIALIZED VIEW live_momentum_{name} AS
            SELECT match_id, provider,
                   date_bin(INTERVAL '{interval}', observed_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
                   count(*) AS states, max(minute) AS minute,
                   max(home_goals) AS home_goals, max(away_goals) AS away_goals,
                   max({_pressure_pg("home")}) AS home_pressure,
                   max({_pressure_pg("away")}) AS away_pressure
            FROM live_states GROUP BY match_id, provider, bucket WITH NO DATA"""
        )
        # A unique index lets REFRESH ... CONCURRENTLY run while readers read.
        op.execute(f"CREATE UNIQUE INDEX uq_live_momentum_{name} ON live_momentum_{name} (match_id, provider, bucket)")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        for name in BUCKETS:
            op.execute(f"DROP VIEW IF EXISTS live_momentum_{name}")
        return
    with op.get_context().autocommit_block():
        for name in BUCKETS:
            op.execute(f"DROP MATERIALIZED VIEW IF EXISTS live_momentum_{name}")
