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


def aggregate_select(interval: str, bucket: str) -> str:
    """The momentum aggregate of one bucket size on PostgreSQL; ``bucket`` is the bucketing expression over
    ``observed_at`` (TimescaleDB's ``time_bucket`` or plain ``date_bin``)."""
    return f"""SELECT match_id, provider, {bucket} AS bucket,
                   count(*) AS states, max(minute) AS minute,
                   max(home_goals) AS home_goals, max(away_goals) AS away_goals,
                   max({_pressure_pg("home")}) AS home_pressure,
                   max({_pressure_pg("away")}) AS away_pressure
            FROM live_states GROUP BY match_id, provider, bucket"""


def timescale_bucket(interval: str) -> str:
    return f"time_bucket(INTERVAL '{interval}', observed_at)"


def plain_bucket(interval: str) -> str:
    return f"date_bin(INTERVAL '{interval}', observed_at, TIMESTAMPTZ '2000-01-01 00:00:00+00')"


def timescale_statements() -> list[str]:
    """What the migration runs where TimescaleDB exists: a hypertable, continuous aggregates with their refresh
    policies, and the 30-day retention policy on the raw states (run outside a transaction)."""
    out = [
        "CREATE EXTENSION IF NOT EXISTS timescaledb",
        "SELECT create_hypertable('live_states', 'observed_at', migrate_data => true, if_not_exists => true)",
    ]
    for name, interval in BUCKETS.items():
        out.append(
            f"CREATE MATERIALIZED VIEW live_momentum_{name} WITH (timescaledb.continuous) AS "
            f"{aggregate_select(interval, timescale_bucket(interval))} WITH NO DATA"
        )
        out.append(
            f"SELECT add_continuous_aggregate_policy('live_momentum_{name}', "
            f"start_offset => INTERVAL '30 days', end_offset => INTERVAL '{interval}', "
            f"schedule_interval => INTERVAL '{interval}')"
        )
    out.append("SELECT add_retention_policy('live_states', INTERVAL '30 days', if_not_exists => true)")
    return out


def plain_statements() -> list[str]:
    """What the migration runs on PostgreSQL without TimescaleDB: ordinary materialised views (refreshed, and
    the raw states pruned, by :mod:`betfolio.store.live_retention`)."""
    out = []
    for name, interval in BUCKETS.items():
        out.append(
            f"CREATE MATERIALIZED VIEW live_momentum_{name} AS "
            f"{aggregate_select(interval, plain_bucket(interval))} WITH NO DATA"
        )
        # A unique index lets REFRESH ... CONCURRENTLY run while readers read.
        out.append(f"CREATE UNIQUE INDEX uq_live_momentum_{name} ON live_momentum_{name} (match_id, provider, bucket)")
    return out


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
    if _has_timescale(conn):
        with op.get_context().autocommit_block():  # continuous aggregates cannot be created in a transaction
            for statement in timescale_statements():
                op.execute(statement)
        return
    for statement in plain_statements():
        op.execute(statement)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        for name in BUCKETS:
            op.execute(f"DROP VIEW IF EXISTS live_momentum_{name}")
        return
    with op.get_context().autocommit_block():
        for name in BUCKETS:
            op.execute(f"DROP MATERIALIZED VIEW IF EXISTS live_momentum_{name}")
