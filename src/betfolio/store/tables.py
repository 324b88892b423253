"""The schema: three main tables and the support tables around them.

SQLAlchemy Core (not the ORM): the hot paths are bulk upserts and as-of queries, where Core is both faster and
clearer. The Alembic migrations in ``migrations/versions`` create exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)

from betfolio.store.types import JsonColumn, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Surrogate ids are BIGINT on PostgreSQL and INTEGER (the rowid alias) on SQLite.
IdType = BigInteger().with_variant(Integer(), "sqlite")

leagues = Table(
    "leagues",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("country", String(64)),
)

teams = Table(
    "teams",
    metadata,
    Column("team_id", IdType, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False),
    Column("name_key", String(128), nullable=False, unique=True),
    Column("country", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
)

#: Every spelling a provider has used for a team. ``alias_key`` is the normalised spelling.
team_aliases = Table(
    "team_aliases",
    metadata,
    Column("provider", String(32), primary_key=True),
    Column("alias_key", String(128), primary_key=True),
    Column("alias", String(128), nullable=False),
    Column("team_id", IdType, ForeignKey("teams.team_id"), nullable=False, index=True),
    Column("method", String(16), nullable=False),  # exact | alias_file | fuzzy | manual | created
    Column("confidence", Float, nullable=False),
)

#: Provider ids of fixtures, players, leagues… mapped to canonical ids.
identity_map = Table(
    "identity_map",
    metadata,
    Column("provider", String(32), primary_key=True),
    Column("entity", String(16), primary_key=True),
    Column("external_id", String(128), primary_key=True),
    Column("canonical_id", String(64), nullable=False),
    Index("ix_identity_map_canonical", "entity", "canonical_id"),
)

matches_master = Table(
    "matches_master",
    metadata,
    Column("match_id", IdType, primary_key=True, autoincrement=True),
    Column("league", String(16), ForeignKey("leagues.code"), nullable=False),
    Column("season", String(8), nullable=False),
    Column("match_date", Date, nullable=False),
    Column("kickoff_utc", UTCDateTime, nullable=False),
    Column("kickoff_time_known", Boolean, nullable=False),
    Column("home_team_id", IdType, ForeignKey("teams.team_id"), nullable=False),
    Column("away_team_id", IdType, ForeignKey("teams.team_id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("home_goals", Integer),
    Column("away_goals", Integer),
    Column("ht_home_goals", Integer),
    Column("ht_away_goals", Integer),
    Column("et_home_goals", Integer),
    Column("et_away_goals", Integer),
    Column("pen_home_goals", Integer),
    Column("pen_away_goals", Integer),
    Column("statistics", JsonColumn, nullable=False),
    Column("lineups", JsonColumn),
    Column("detail", JsonColumn, nullable=False),
    Column("referee", String(128)),
    Column("venue", String(128)),
    Column("source_provider", String(32), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("league", "season", "home_team_id", "away_team_id", "match_date", name="uq_matches_natural"),
    Index("ix_matches_league_season_date", "league", "season", "match_date"),
    Index("ix_matches_kickoff", "kickoff_utc"),
)

#: The odds time series. One row per (match, provider, bookmaker, market, selection, line, closing, time).
#: Idempotency comes from a unique index; ``line`` is NULL for markets without a line, so the index uses
#: COALESCE to make NULL lines compare equal (a NULL never collides in a plain unique index).
daily_betting_lines = Table(
    "daily_betting_lines",
    metadata,
    Column("match_id", IdType, ForeignKey("matches_master.match_id"), nullable=False),
    Column("provider", String(32), nullable=False),
    Column("bookmaker", String(32), nullable=False),
    Column("market", String(24), nullable=False),
    Column("selection", String(16), nullable=False),
    Column("line", Float),
    Column("odds", Float, nullable=False),
    Column("quoted_at", UTCDateTime, nullable=False),
    Column("ingested_at", UTCDateTime, nullable=False),
    Column("is_closing", Boolean, nullable=False),
    Column("in_play", Boolean, nullable=False),
    # Why the price is implausible (odds_range | overround | consensus), NULL when it is not: flagged quotes are
    # kept (the provider did publish them) but stay out of decisions unless asked for.
    Column("flag", String(32)),
)
LINE_KEY_NULL = -1000.0  # never a real handicap or total; only used inside the uniqueness index
Index(
    "uq_daily_betting_lines_natural",
    daily_betting_lines.c.match_id,
    daily_betting_lines.c.provider,
    daily_betting_lines.c.bookmaker,
    daily_betting_lines.c.market,
    daily_betting_lines.c.selection,
    func.coalesce(daily_betting_lines.c.line, LINE_KEY_NULL),
    daily_betting_lines.c.is_closing,
    daily_betting_lines.c.quoted_at,
    unique=True,
)
Index("ix_dbl_match_time", daily_betting_lines.c.match_id, daily_betting_lines.c.quoted_at)

players = Table(
    "players",
    metadata,
    Column("player_id", IdType, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False),
    Column("birth_date", Date),
    Column("nationality", String(64)),
    Column("position", String(32)),
)

players_db = Table(
    "players_db",
    metadata,
    Column("player_id", IdType, ForeignKey("players.player_id"), primary_key=True),
    Column("season", String(8), primary_key=True),
    Column("team_id", IdType, ForeignKey("teams.team_id")),
    Column("league", String(16)),
    Column("performance", JsonColumn, nullable=False),
    Column("injuries", JsonColumn, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

coverage = Table(
    "coverage",
    metadata,
    Column("provider", String(32), primary_key=True),
    Column("league", String(16), primary_key=True),
    Column("season", String(8), primary_key=True),
    Column("flags", JsonColumn, nullable=False),
    Column("statistics", JsonColumn, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

#: Every stored value a later capture changed (a corrected price, score or status), with its old and new
#: value and where the new one came from; ``applied`` is false for a change refused by a rule (a finished
#: match never goes back to scheduled), kept so the conflict stays visible.
corrections = Table(
    "corrections",
    metadata,
    Column("correction_id", IdType, primary_key=True, autoincrement=True),
    Column("entity", String(16), nullable=False),  # match | quote
    Column("match_id", IdType, ForeignKey("matches_master.match_id"), nullable=False),
    Column("key", JsonColumn, nullable=False),  # which quote (bookmaker, market, selection, line, …) or {}
    Column("field", String(32), nullable=False),
    Column("old_value", JsonColumn),
    Column("new_value", JsonColumn),
    Column("source", Text, nullable=False),
    Column("rule", String(32), nullable=False),  # newer_capture | final_kept
    Column("applied", Boolean, nullable=False),
    Column("corrected_at", UTCDateTime, nullable=False),
    Index("ix_corrections_match", "match_id"),
)

#: Raw provider payloads, compressed, so every transform can be replayed from the original bytes.
raw_payloads = Table(
    "raw_payloads",
    metadata,
    Column("payload_id", IdType, primary_key=True, autoincrement=True),
    Column("provider", String(32), nullable=False),
    Column("endpoint", String(128), nullable=False),
    Column("source", Text, nullable=False),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("content", LargeBinary, nullable=False),
    Column("encoding", String(16), nullable=False),
    Column("params", JsonColumn, nullable=False),
    Column("fetched_at", UTCDateTime, nullable=False),
)

ingest_runs = Table(
    "ingest_runs",
    metadata,
    Column("run_id", IdType, primary_key=True, autoincrement=True),
    Column("provider", String(32), nullable=False),
    Column("source", Text, nullable=False),
    Column("sha256", String(64), nullable=False, index=True),
    Column("parser_version", String(16), nullable=False),
    Column("league", String(16)),
    Column("season", String(8)),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=False),
    Column("matches", Integer, nullable=False),
    Column("matches_added", Integer, nullable=False),
    Column("quotes", Integer, nullable=False),
    Column("quotes_added", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("rejects", JsonColumn, nullable=False),
)

#: A backtest, a training run, an evaluation: what was run, with which settings, and what came out.
runs = Table(
    "runs",
    metadata,
    Column("run_id", IdType, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # backtest | train | evaluate | live
    Column("name", String(128), nullable=False),
    Column("status", String(16), nullable=False),  # running | finished | failed | cancelled
    Column("config", JsonColumn, nullable=False),
    Column("metrics", JsonColumn, nullable=False),
    Column("report_path", Text),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Index("ix_runs_kind_started", "kind", "started_at"),
)

#: Every bet any strategy or agent placed (simulated or real), settled in place.
bet_ledger = Table(
    "bet_ledger",
    metadata,
    Column("bet_id", IdType, primary_key=True, autoincrement=True),
    Column("run_id", IdType, ForeignKey("runs.run_id", ondelete="CASCADE")),
    Column("agent", String(64), nullable=False),
    Column("match_id", IdType, ForeignKey("matches_master.match_id"), nullable=False),
    Column("market", String(24), nullable=False),
    Column("selection", String(16), nullable=False),
    Column("line", Float),
    Column("odds", Float, nullable=False),
    Column("stake", Float, nullable=False),
    Column("bookmaker", String(32)),
    Column("placed_at", UTCDateTime, nullable=False),
    Column("in_play", Boolean, nullable=False),
    Column("status", String(16), nullable=False),  # open | won | half_won | push | half_lost | lost | void
    Column("payout", Float),
    Column("settled_at", UTCDateTime),
    Column("closing_odds", Float),
    Column("clv", Float),
    Column("detail", JsonColumn, nullable=False),
    Index("ix_bet_ledger_run_placed", "run_id", "placed_at"),
    Index("ix_bet_ledger_match", "match_id"),
)

#: Minute-by-minute live (or replayed) match states, as the live feed delivered them.
live_states = Table(
    "live_states",
    metadata,
    Column("match_id", IdType, ForeignKey("matches_master.match_id"), primary_key=True),
    Column("provider", String(32), primary_key=True),
    Column("observed_at", UTCDateTime, primary_key=True),
    Column("minute", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("home_goals", Integer, nullable=False),
    Column("away_goals", Integer, nullable=False),
    Column("statistics", JsonColumn, nullable=False),
    Column("data_staleness", Float, nullable=False),
    Column("ingested_at", UTCDateTime, nullable=False),
)

#: Health of each provider connection: circuit breaker state, quota, last success — for the app and metrics.
provider_status = Table(
    "provider_status",
    metadata,
    Column("provider", String(32), primary_key=True),
    Column("circuit_state", String(16), nullable=False),  # closed | open | half_open
    Column("last_success_at", UTCDateTime),
    Column("last_failure_at", UTCDateTime),
    Column("last_error", Text),
    Column("quota_remaining_day", Integer),
    Column("quota_remaining_minute", Integer),
    Column("updated_at", UTCDateTime, nullable=False),
)
