"""Plausibility flag on odds quotes, and the corrections log.

Revision ID: 0003_quote_flags_corrections
Revises: 0003_live_momentum
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import betfolio.store.types

revision = "0003_quote_flags_corrections"
down_revision = "0003_live_momentum"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("daily_betting_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flag", sa.String(length=32), nullable=True))
    op.create_table(
        "corrections",
        sa.Column("correction_id", _ID, autoincrement=True, nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("match_id", _ID, nullable=False),
        sa.Column("key", _JSON, nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value", _JSON, nullable=True),
        sa.Column("new_value", _JSON, nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("corrected_at", betfolio.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["match_id"], ["matches_master.match_id"], name=op.f("fk_corrections_match_id_matches_master")
        ),
        sa.PrimaryKeyConstraint("correction_id", name=op.f("pk_corrections")),
    )
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.create_index("ix_corrections_match", ["match_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.drop_index("ix_corrections_match")
    op.drop_table("corrections")
    with op.batch_alter_table("daily_betting_lines", schema=None) as batch_op:
        batch_op.drop_column("flag")
