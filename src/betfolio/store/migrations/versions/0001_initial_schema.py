"""Initial schema: the three main tables and their support tables.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import betfolio.store.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coverage",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("league", sa.String(length=16), nullable=False),
        sa.Column("season", sa.String(length=8), nullable=False),
        sa.Column(
            "flags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "statistics",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", betfolio.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider", "league", "season", name=op.f("pk_coverage")),
    )
    op.create_table(
        "identity_map",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("canonical_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("provider", "entity", "external_id", name=op.f("pk_identity_map")),
    )
    with op.batch_alter_table("identity_map", schema=None) as batch_op:
        batch_op.create_index("ix_identity_map_canonical", ["entity", "canonical_id"], unique=False)

    op.create_table(
        "ingest_runs",
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("parser_version", sa.String(length=16), nullable=False),
        sa.Column("league", sa.String(length=16), nullable=True),
        sa.Column("season", sa.String(length=8), nullable=True),
        sa.Column("started_at", betfolio.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", betfolio.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("matches", sa.Integer(), nullable=False),
        sa.Column("matches_added", sa.Integer(), nullable=False),
        sa.Column("quotes", sa.Integer(), nullable=False),
        sa.Column("quotes_added", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column(
            "rejects",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_ingest_runs")),
    )
    with op.batch_alter_table("ingest_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ingest_runs_sha256"), ["sha256"], unique=False)

    op.create_table(
        "leagues",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("country", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_leagues")),
    )
    op.create_table(
        "players",
        sa.Column(
            "player_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("nationality", sa.String(length=64), nullable=True),
        sa.Column("position", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("player_id", name=op.f("pk_players")),
    )
    op.create_table(
        "raw_payloads",
        sa.Column(
            "payload_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("endpoint", sa.String(length=128), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("encoding", sa.String(length=16), nullable=False),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("fetched_at", betfolio.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("payload_id", name=op.f("pk_raw_payloads")),
        sa.UniqueConstraint("sha256", name=op.f("uq_raw_payloads_sha256")),
    )
    op.create_table(
        "teams",
        sa.Column(
            "team_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("name_key", sa.String(length=128), nullable=False),
        sa.Column("country", sa.String(length=64), nullable=True),
        sa.Column("created_at", betfolio.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name_key", name=op.f("uq_teams_name_key")),
    )
    op.create_table(
        "matches_master",
        sa.Column(
            "match_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("league", sa.String(length=16), nullable=False),
        sa.Column("season", sa.String(length=8), nullable=False),
        sa.Column("match_date", sa.Date(), nullable=False),
        sa.Column("kickoff_utc", betfolio.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kickoff_time_known", sa.Boolean(), nullable=False),
        sa.Column("home_team_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("away_team_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("home_goals", sa.Integer(), nullable=True),
        sa.Column("away_goals", sa.Integer(), nullable=True),
        sa.Column("ht_home_goals", sa.Integer(), nullable=True),
        sa.Column("ht_away_goals", sa.Integer(), nullable=True),
        sa.Column("et_home_goals", sa.Integer(), nullable=True),
        sa.Column("et_away_goals", sa.Integer(), nullable=True),
        sa.Column("pen_home_goals", sa.Integer(), nullable=True),
        sa.Column("pen_away_goals", sa.Integer(), nullable=True),
        sa.Column(
            "statistics",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "lineups",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("referee", sa.String(length=128), nullable=True),
        sa.Column("venue", sa.String(length=128), nullable=True),
        sa.Column("source_provider", sa.String(length=32), nullable=False),
        sa.Column("updated_at", betfolio.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["away_team_id"], ["teams.team_id"], name=op.f("fk_matches_master_away_team_id_teams")),
        sa.ForeignKeyConstraint(["home_team_id"], ["teams.team_id"], name=op.f("fk_matches_master_home_team_id_teams")),
        sa.ForeignKeyConstraint(["league"], ["leagues.code"], name=op.f("fk_matches_master_league_leagues")),
        sa.PrimaryKeyConstraint("match_id", name=op.f("pk_matches_master")),
        sa.UniqueConstraint(
            "league", "season", "home_team_id", "away_team_id", "match_date", name="uq_matches_natural"
        ),
    )
    with op.batch_alter_table("matches_master", schema=None) as batch_op:
        batch_op.create_index("ix_matches_kickoff", ["kickoff_utc"], unique=False)
        batch_op.create_index("ix_matches_league_season_date", ["league", "season", "match_date"], unique=False)

    op.create_table(
        "players_db",
        sa.Column("player_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("season", sa.String(length=8), nullable=False),
        sa.Column("team_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("league", sa.String(length=16), nullable=True),
        sa.Column(
            "performance",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "injuries",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", betfolio.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["player_id"], ["players.player_id"], name=op.f("fk_players_db_player_id_players")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.team_id"], name=op.f("fk_players_db_team_id_teams")),
        sa.PrimaryKeyConstraint("player_id", "season", name=op.f("pk_players_db")),
    )
    op.create_table(
        "team_aliases",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("alias_key", sa.String(length=128), nullable=False),
        sa.Column("alias", sa.String(length=128), nullable=False),
        sa.Column("team_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.team_id"], name=op.f("fk_team_aliases_team_id_teams")),
        sa.PrimaryKeyConstraint("provider", "alias_key", name=op.f("pk_team_aliases")),
    )
    with op.batch_alter_table("team_aliases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_aliases_team_id"), ["team_id"], unique=False)

    op.create_table(
        "daily_betting_lines",
        sa.Column("match_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("bookmaker", sa.String(length=32), nullable=False),
        sa.Column("market", sa.String(length=24), nullable=False),
        sa.Column("selection", sa.String(length=16), nullable=False),
        sa.Column("line", sa.Float(), nullable=True),
        sa.Column("odds", sa.Float(), nullable=False),
        sa.Column("quoted_at", betfolio.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ingested_at", betfolio.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("is_closing", sa.Boolean(), nullable=False),
        sa.Column("in_play", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["matches_master.match_id"],
            name=op.f("fk_daily_betting_lines_match_id_matches_master"),
        ),
    )
    with op.batch_alter_table("daily_betting_lines", schema=None) as batch_op:
        batch_op.create_index("ix_dbl_match_time", ["match_id", "quoted_at"], unique=False)
    # NULL lines must collide for idempotent inserts, hence COALESCE (-1000 is never a real line).
    op.create_index(
        "uq_daily_betting_lines_natural",
        "daily_betting_lines",
        [
            "match_id",
            "provider",
            "bookmaker",
            "market",
            "selection",
            sa.text("coalesce(line, -1000.0)"),
            "is_closing",
            "quoted_at",
        ],
        unique=True,
    )
    _timescale_hypertable()


def _timescale_hypertable() -> None:
    """Turn the odds series into a hypertable when TimescaleDB is installable; never require it."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    available = bind.execute(sa.text("select 1 from pg_available_extensions where name = 'timescaledb'")).scalar()
    if not available:
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    op.execute(
        "SELECT create_hypertable('daily_betting_lines', 'quoted_at', if_not_exists => TRUE, migrate_data => TRUE)"
    )


def downgrade() -> None:
    op.drop_index("uq_daily_betting_lines_natural", table_name="daily_betting_lines")
    with op.batch_alter_table("daily_betting_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_dbl_match_time")

    op.drop_table("daily_betting_lines")
    with op.batch_alter_table("team_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_aliases_team_id"))

    op.drop_table("team_aliases")
    op.drop_table("players_db")
    with op.batch_alter_table("matches_master", schema=None) as batch_op:
        batch_op.drop_index("ix_matches_league_season_date")
        batch_op.drop_index("ix_matches_kickoff")

    op.drop_table("matches_master")
    op.drop_table("teams")
    op.drop_table("raw_payloads")
    op.drop_table("players")
    op.drop_table("leagues")
    op.drop_table("ingest_runs")
    with op.batch_alter_table("identity_map", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_map_canonical")

    op.drop_table("identity_map")
    op.drop_table("coverage")
