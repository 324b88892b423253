"""Runs, bet ledger, live state series and provider status.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import betfolio.store.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_status",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("circuit_state", sa.String(length=16), nullable=False),
        sa.Column("last_success_at", betfolio.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", betfolio.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("quota_remaining_day", sa.Integer(), nullable=True),
        sa.Column("quota_remaining_minute", sa.Integer(), nullable=True),
        sa.Column("updated_at", betfolio.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider", name=op.f("pk_provider_status")),
    )
    op.create_table(
        "runs",
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("config", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False),
        sa.Column(
            "metrics", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False
        ),
        sa.Column("report_path", sa.Text(), nullable=True),
        sa.Column("started_at", betfolio.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", betfolio.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_runs")),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index("ix_runs_kind_started", ["kind", "started_at"], unique=False)

    op.create_table(
        "bet_ledger",
        sa.Column("bet_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("match_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("market", sa.String(length=24), nullable=False),
        sa.Column("selection", sa.String(length=16), nullable=False),
        sa.Column("line", sa.Float(), nullable=True),
        sa.Column("odds", sa.Float(), nullable=False),
        sa.Column("stake", sa.Float(), nullable=False),
        sa.Column("bookmaker", sa.String(length=32), nullable=True),
        sa.Column("placed_at", betfolio.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("in_play", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payout", sa.Float(), nullable=True),
        sa.Column("settled_at", betfolio.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closing_odds", sa.Float(), nullable=True),
        sa.Column("clv", sa.Float(), nullable=True),
        sa.Column("detail", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False),
        sa.ForeignKeyConstraint(
            ["match_id"], ["matches_master.match_id"], name=op.f("fk_bet_ledger_match_id_matches_master")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.run_id"], name=op.f("fk_bet_ledger_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("bet_id", name=op.f("pk_bet_ledger")),
    )
    with op.batch_alter_table("bet_ledger", schema=None) as batch_op:
        batch_op.create_index("ix_bet_ledger_match", ["match_id"], unique=False)
        batch_op.create_index("ix_bet_ledger_run_placed", ["run_id", "placed_at"], unique=False)

    op.create_table(
        "live_states",
        sa.Column("match_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("observed_at", betfolio.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("home_goals", sa.Integer(), nullable=False),
        sa.Column("away_goals", sa.Integer(), nullable=False),
        sa.Column(
            "statistics", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False
        ),
        sa.Column("data_staleness", sa.Float(), nullable=False),
        sa.Column("ingested_at", betfolio.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["match_id"], ["matches_master.match_id"], name=op.f("fk_live_states_match_id_matches_master")
        ),
        sa.PrimaryKeyConstraint("match_id", "provider", "observed_at", name=op.f("pk_live_states")),
    )


def downgrade() -> None:
    op.drop_table("live_states")
    with op.batch_alter_table("bet_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_bet_ledger_run_placed")
        batch_op.drop_index("ix_bet_ledger_match")

    op.drop_table("bet_ledger")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_kind_started")

    op.drop_table("runs")
    op.drop_table("provider_status")
