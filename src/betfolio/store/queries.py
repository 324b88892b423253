"""Read side of the store: the questions backtests, agents and the app ask.

Every odds read is "as of" a moment: a decision at time t may only see quotes stamped at or before t. Quotes
flagged implausible at ingest (:mod:`betfolio.markets.plausibility`) stay out of every read meant for a decision
unless the caller asks for them (``include_flagged``): :func:`plausible` is the one filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, func, or_, select, text, true
from sqlalchemy.orm import aliased

from betfolio.canonical import Coverage
from betfolio.store.tables import bet_ledger, coverage, leagues, live_states, provider_status, runs, teams
from betfolio.store.tables import daily_betting_lines as dbl
from betfolio.store.tables import matches_master as mm


@dataclass(frozen=True, slots=True)
class QuoteRow:
    bookmaker: str
    market: str
    selection: str
    line: float | None
    odds: float
    quoted_at: datetime
    is_closing: bool
    provider: str


def _quote(row: Any) -> QuoteRow:
    return QuoteRow(
        bookmaker=row.bookmaker,
        market=row.market,
        selection=row.selection,
        line=row.line,
        odds=row.odds,
        quoted_at=row.quoted_at,
        is_closing=row.is_closing,
        provider=row.provider,
    )


def plausible(include_flagged: bool = False) -> Any:
    """The condition keeping flagged (implausible) quotes out of a query: ``true`` when they are asked for."""
    return true() if include_flagged else dbl.c.flag.is_(None)


def odds_as_of(
    conn: Connection,
    match_id: int,
    as_of: datetime,
    *,
    market: str | None = None,
    bookmakers: Sequence[str] | None = None,
    include_closing: bool = False,
    include_flagged: bool = False,
) -> list[QuoteRow]:
    """Latest quote per (bookmaker, market, selection, line) stamped at or before ``as_of``.

    Closing quotes are excluded unless asked for: they exist for evaluation (CLV), and a decision that reads
    them has looked at the future of the market even when the timestamp allows it.
    """
    conditions = [dbl.c.match_id == match_id, dbl.c.quoted_at <= as_of, plausible(include_flagged)]
    if market is not None:
        conditions.append(dbl.c.market == market)
    if bookmakers:
        conditions.append(dbl.c.bookmaker.in_(list(bookmakers)))
    if not include_closing:
        conditions.append(dbl.c.is_closing.is_(False))
    ranked = (
        select(
            dbl,
            func.row_number()
            .over(
                partition_by=(dbl.c.provider, dbl.c.bookmaker, dbl.c.market, dbl.c.selection, dbl.c.line),
                order_by=(dbl.c.quoted_at.desc(), dbl.c.is_closing.desc(), dbl.c.ingested_at.desc()),
            )
            .label("rank"),
        )
        .where(and_(*conditions))
        .subquery()
    )
    stmt = (
        select(ranked)
        .where(ranked.c.rank == 1)
        .order_by(ranked.c.market, ranked.c.bookmaker, ranked.c.line, ranked.c.selection)
    )
    return [_quote(r) for r in conn.execute(stmt)]


def line_movement(
    conn: Connection,
    match_id: int,
    *,
    market: str | None = None,
    selection: str | None = None,
    bookmakers: Sequence[str] | None = None,
) -> list[QuoteRow]:
    """Every stored price for a match in time order (opening → closing), for charts and CLV."""
    stmt = select(dbl).where(dbl.c.match_id == match_id)
    if market is not None:
        stmt = stmt.where(dbl.c.market == market)
    if selection is not None:
        stmt = stmt.where(dbl.c.selection == selection)
    if bookmakers:
        stmt = stmt.where(dbl.c.bookmaker.in_(list(bookmakers)))
    stmt = stmt.order_by(dbl.c.bookmaker, dbl.c.market, dbl.c.line, dbl.c.selection, dbl.c.quoted_at, dbl.c.is_closing)
    return [_quote(r) for r in conn.execute(stmt)]


def matches_query(
    *,
    leagues: Sequence[str] | None = None,
    seasons: Sequence[str] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    statuses: Sequence[str] | None = None,
) -> Select[Any]:
    """Matches with team names, filtered, in kick-off order (a Select so callers can page or count it)."""
    home, away = aliased(teams, name="home"), aliased(teams, name="away")
    stmt = (
        select(mm, home.c.name.label("home_team"), away.c.name.label("away_team"))
        .join(home, home.c.team_id == mm.c.home_team_id)
        .join(away, away.c.team_id == mm.c.away_team_id)
    )
    if leagues:
        stmt = stmt.where(mm.c.league.in_(list(leagues)))
    if seasons:
        stmt = stmt.where(mm.c.season.in_(list(seasons)))
    if date_from is not None:
        stmt = stmt.where(mm.c.match_date >= date_from)
    if date_to is not None:
        stmt = stmt.where(mm.c.match_date <= date_to)
    if statuses:
        stmt = stmt.where(mm.c.status.in_(list(statuses)))
    return stmt.order_by(mm.c.kickoff_utc, mm.c.match_id)


def matches(conn: Connection, **filters: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(matches_query(**filters)).mappings()]


def find_match(conn: Connection, league: str, season: str, home_team: str, away_team: str) -> dict[str, Any] | None:
    """A match by team display names (as stored in ``teams``), mostly for tests and the CLI."""
    for row in matches(conn, leagues=[league], seasons=[season]):
        if row["home_team"] == home_team and row["away_team"] == away_team:
            return row
    return None


# --- reads of the desktop app's matches table and match detail ---------------------------------------------


@dataclass(frozen=True)
class MatchFilterChoices:
    """Distinct values a matches filter can take (for filter boxes)."""

    leagues: list[str]
    seasons: list[str]
    statuses: list[str]


def match_filter_choices(conn: Connection) -> MatchFilterChoices:
    def values(column: Any) -> list[str]:
        return [r[0] for r in conn.execute(select(column).distinct().order_by(column))]

    return MatchFilterChoices(values(mm.c.league), values(mm.c.season), values(mm.c.status))


def searched_matches_query(text: str = "", **filters: Any) -> Select[Any]:
    """``matches_query`` narrowed to matches where either team's name contains ``text`` (case-insensitive)."""
    stmt = matches_query(**filters)
    needle = text.strip().lower()
    if needle:
        matching = select(teams.c.team_id).where(func.lower(teams.c.name).like(f"%{needle}%"))
        stmt = stmt.where(or_(mm.c.home_team_id.in_(matching), mm.c.away_team_id.in_(matching)))
    return stmt


def matches_page(
    conn: Connection, *, after: tuple[datetime, int] | None = None, limit: int = 250, text: str = "", **filters: Any
) -> list[dict[str, Any]]:
    """The next ``limit`` matches after the (kick-off, match_id) cursor ``after``, in kick-off order.

    Keyset pagination: the kick-off index answers "the next N after this row" at any depth, where OFFSET would
    rescan every earlier row.
    """
    stmt = searched_matches_query(text, **filters)
    if after is not None:
        kickoff, match_id = after
        stmt = stmt.where(or_(mm.c.kickoff_utc > kickoff, and_(mm.c.kickoff_utc == kickoff, mm.c.match_id > match_id)))
    return [dict(r) for r in conn.execute(stmt.limit(limit)).mappings()]


def count_matches(conn: Connection, *, text: str = "", **filters: Any) -> int:
    stmt = select(func.count()).select_from(searched_matches_query(text, **filters).order_by(None).subquery())
    return int(conn.execute(stmt).scalar_one())


def match_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(mm)).scalar_one())


def match_by_id(conn: Connection, match_id: int) -> dict[str, Any] | None:
    row = conn.execute(matches_query().where(mm.c.match_id == match_id)).mappings().first()
    return dict(row) if row else None


def matches_by_ids(conn: Connection, match_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Matches (with team names) by id, read in chunks that stay under SQLite's bound-parameter limit."""
    ids = sorted(set(match_ids))
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 900):
        stmt = matches_query().where(mm.c.match_id.in_(ids[start : start + 900]))
        out.update({r["match_id"]: dict(r) for r in conn.execute(stmt).mappings()})
    return out


def last_match_date(conn: Connection, league: str | None = None, season: str | None = None) -> date | None:
    """The latest match day stored (optionally of one league, one season)."""
    stmt = select(func.max(mm.c.match_date))
    if league is not None:
        stmt = stmt.where(mm.c.league == league)
    if season is not None:
        stmt = stmt.where(mm.c.season == season)
    return conn.execute(stmt).scalar_one_or_none()


def league_seasons(conn: Connection, league: str) -> list[str]:
    """Seasons stored for one league, oldest first."""
    stmt = select(mm.c.season).distinct().where(mm.c.league == league).order_by(mm.c.season)
    return [r[0] for r in conn.execute(stmt)]


def league_names(conn: Connection) -> dict[str, str]:
    """League code → display name."""
    return dict(conn.execute(select(leagues.c.code, leagues.c.name)).all())  # type: ignore[arg-type]


# -- live reads: the adapter service, the paper trader and the app's Live page -------------------------------------


def fixtures(conn: Connection, *, limit: int = 100, offset: int = 0, **filters: Any) -> list[dict[str, Any]]:
    """One page of :func:`matches_query` (same filters), for callers that serve it over HTTP."""
    stmt = matches_query(**filters).limit(limit).offset(offset)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def latest_live_states(
    conn: Connection, *, provider: str | None = None, match_ids: Sequence[int] | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """The most recent stored state of each (match, provider), newest first."""
    conditions = []
    if provider is not None:
        conditions.append(live_states.c.provider == provider)
    if match_ids:
        conditions.append(live_states.c.match_id.in_(list(match_ids)))
    ranked = (
        select(
            live_states,
            func.row_number()
            .over(
                partition_by=(live_states.c.match_id, live_states.c.provider),
                order_by=live_states.c.observed_at.desc(),
            )
            .label("rank"),
        )
        .where(*conditions)
        .subquery()
    )
    stmt = (
        select(*(c for c in ranked.c if c.name != "rank"))
        .where(ranked.c.rank == 1)
        .order_by(ranked.c.observed_at.desc(), ranked.c.match_id)
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def coverage_rows(conn: Connection, *, league: str | None = None) -> list[dict[str, Any]]:
    """Coverage per (provider, league, season): the flags and in-match statistics each provider delivers."""
    stmt = select(coverage).order_by(coverage.c.league, coverage.c.provider, coverage.c.season)
    if league is not None:
        stmt = stmt.where(coverage.c.league == league)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def provider_statuses(conn: Connection) -> list[dict[str, Any]]:
    """Circuit state, quota and last success/failure of every provider connection."""
    return [dict(r) for r in conn.execute(select(provider_status).order_by(provider_status.c.provider)).mappings()]


def match_results(conn: Connection, match_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Status and full-time score of the given matches (for settling bets once results are ingested)."""
    if not match_ids:
        return {}
    stmt = select(mm.c.match_id, mm.c.status, mm.c.home_goals, mm.c.away_goals).where(
        mm.c.match_id.in_(list(match_ids))
    )
    return {r["match_id"]: dict(r) for r in conn.execute(stmt).mappings()}


def paper_runs(conn: Connection) -> list[dict[str, Any]]:
    """Paper-trading runs, newest first."""
    stmt = select(runs).where(runs.c.kind == "paper").order_by(runs.c.started_at.desc(), runs.c.run_id.desc())
    return [dict(r) for r in conn.execute(stmt).mappings()]


def run_bets(conn: Connection, run_id: int, *, since: datetime | None = None) -> list[dict[str, Any]]:
    """Every bet of a run in placement order (``since``: only bets placed or settled after that moment)."""
    stmt = select(bet_ledger).where(bet_ledger.c.run_id == run_id)
    if since is not None:
        stmt = stmt.where((bet_ledger.c.placed_at > since) | (bet_ledger.c.settled_at > since))
    return [dict(r) for r in conn.execute(stmt.order_by(bet_ledger.c.placed_at, bet_ledger.c.bet_id)).mappings()]


#: Bucket sizes of the live momentum views (migration 0003_live_momentum).
MOMENTUM_BUCKETS = ("1m", "5m", "15m")


def _momentum_view(bucket: str) -> str:
    if bucket not in MOMENTUM_BUCKETS:
        raise ValueError(f"unknown momentum bucket {bucket!r}; choose one of {', '.join(MOMENTUM_BUCKETS)}")
    return f"live_momentum_{bucket}"


def refresh_momentum(conn: Connection) -> None:
    """Bring the momentum views up to date on plain PostgreSQL (TimescaleDB refreshes them by policy; SQLite's
    views are computed when read)."""
    from betfolio.store.live_retention import has_timescale

    if conn.dialect.name == "postgresql" and not has_timescale(conn):
        for bucket in MOMENTUM_BUCKETS:
            conn.execute(text(f"REFRESH MATERIALIZED VIEW {_momentum_view(bucket)}"))


def momentum_series(conn: Connection, match_id: int, bucket: str = "5m") -> list[dict[str, Any]]:
    """Per bucket of a match: minute, score, pressures and momentum (home pressure gained minus away's since the
    previous bucket; the first bucket counts from zero)."""
    rows = conn.execute(
        text(
            f"SELECT provider, bucket, states, minute, home_goals, away_goals, home_pressure, away_pressure "
            f"FROM {_momentum_view(bucket)} WHERE match_id = :match_id ORDER BY provider, bucket"
        ),
        {"match_id": match_id},
    ).mappings()
    out: list[dict[str, Any]] = []
    previous: dict[str, tuple[float, float]] = {}
    for row in rows:
        item = dict(row)
        if isinstance(item["bucket"], str):  # SQLite returns text
            item["bucket"] = datetime.fromisoformat(item["bucket"]).replace(tzinfo=UTC)
        home, away = float(item["home_pressure"] or 0.0), float(item["away_pressure"] or 0.0)
        before = previous.get(item["provider"], (0.0, 0.0))
        item["momentum"] = (home - before[0]) - (away - before[1])
        previous[item["provider"]] = (home, away)
        out.append(item)
    return out


@dataclass(frozen=True, slots=True)
class MatchPeople:
    """Who could play in a match: lineups and injury reports, each ``None`` when no stored provider covers it.

    ``None`` (not covered, show it masked) is kept apart from an empty list (covered: nobody injured).
    """

    lineups: Any | None
    injuries: list[dict[str, Any]] | None


def match_people(conn: Connection, match_id: int) -> MatchPeople:
    """Lineups of ``match_id`` and the injury reports for it: a report counts when it names this fixture (by any
    provider's id for it) or, without a fixture, is dated on the match day for a player of either team."""
    from betfolio.store.tables import identity_map, players, players_db

    match = conn.execute(
        select(mm.c.lineups, mm.c.league, mm.c.season, mm.c.match_date, mm.c.home_team_id, mm.c.away_team_id).where(
            mm.c.match_id == match_id
        )
    ).first()
    if match is None:
        raise LookupError(f"no match {match_id} in the store")
    fixture_ids = {
        (provider, ext)
        for provider, ext in conn.execute(
            select(identity_map.c.provider, identity_map.c.external_id).where(
                identity_map.c.entity == "fixture", identity_map.c.canonical_id == str(match_id)
            )
        )
    }
    team_names: dict[int, str] = {
        tid: name
        for tid, name in conn.execute(
            select(teams.c.team_id, teams.c.name).where(teams.c.team_id.in_([match.home_team_id, match.away_team_id]))
        )
    }
    rows = conn.execute(
        select(players.c.name, players_db.c.team_id, players_db.c.injuries)
        .join(players, players.c.player_id == players_db.c.player_id)
        .where(players_db.c.season == match.season, players_db.c.team_id.in_(list(team_names)))
    ).all()
    day = match.match_date.isoformat()
    declared = [
        bool((flags or {}).get("injuries"))
        for (flags,) in conn.execute(
            select(coverage.c.flags).where(coverage.c.league == match.league, coverage.c.season == match.season)
        )
    ]
    injuries: list[dict[str, Any]] = []
    covered = any(declared)
    for name, team_id, reports in rows:
        for report in reports or []:
            covered = True
            for_fixture = (report.get("provider"), report.get("fixture")) in fixture_ids
            if for_fixture or (report.get("fixture") is None and report.get("date") == day):
                injuries.append({"player": name, "team": team_names[team_id], **report})
    return MatchPeople(lineups=match.lineups or None, injuries=injuries if covered else None)


#: Columns of :func:`quotes_for_matches` rows, in order.
QUOTE_COLUMNS: tuple[str, ...] = (
    "match_id", "bookmaker", "market", "selection", "line", "odds", "quoted_at", "is_closing", "in_play"
)  # fmt: skip


def quotes_query(
    *,
    leagues: Sequence[str] | None = None,
    seasons: Sequence[str] | None = None,
    markets: Sequence[str] | None = None,
    closing: bool | None = None,
    in_play: bool | None = None,
    with_flag: bool = False,
) -> Select[Any]:
    """Every stored quote of the leagues/seasons with its match's league and season, in match and time order
    (``closing=False`` keeps only prices a decision could have used; ``in_play=False`` only pre-match prices).
    ``with_flag`` adds the plausibility ``flag`` column, for a reader that reports what it leaves out."""
    columns = [
        dbl.c.match_id,
        mm.c.league,
        mm.c.season,
        dbl.c.bookmaker,
        dbl.c.market,
        dbl.c.selection,
        dbl.c.line,
        dbl.c.odds,
        dbl.c.quoted_at,
        dbl.c.is_closing,
        dbl.c.in_play,
    ]
    stmt = select(*columns, *([dbl.c.flag] if with_flag else [])).join(mm, mm.c.match_id == dbl.c.match_id)
    if leagues is not None:
        stmt = stmt.where(mm.c.league.in_(list(leagues)))
    if seasons is not None:
        stmt = stmt.where(mm.c.season.in_(list(seasons)))
    if markets:
        stmt = stmt.where(dbl.c.market.in_(list(markets)))
    if closing is not None:
        stmt = stmt.where(dbl.c.is_closing.is_(closing))
    if in_play is not None:
        stmt = stmt.where(dbl.c.in_play.is_(in_play))
    return stmt.order_by(dbl.c.match_id, dbl.c.quoted_at)


def quotes_for_matches(
    conn: Connection, match_ids: Sequence[int], markets: Sequence[str], *, include_flagged: bool = False
) -> list[tuple[Any, ...]]:
    """Every stored plausible quote (pre-match, closing and in-play) of these matches in ``markets``, as plain
    tuples in :data:`QUOTE_COLUMNS` order: a replay decides itself which of them a moment may see."""
    cols = [dbl.c[name] for name in QUOTE_COLUMNS]
    rows: list[tuple[Any, ...]] = []
    ids = list(match_ids)
    for start in range(0, len(ids), 900):  # bound the IN list (SQLite's variable limit)
        stmt = select(*cols).where(
            dbl.c.match_id.in_(ids[start : start + 900]), dbl.c.market.in_(list(markets)), plausible(include_flagged)
        )
        rows.extend(tuple(row) for row in conn.execute(stmt))
    return rows


def coverage_statistics(conn: Connection) -> dict[tuple[str, str], set[str]]:
    """The statistics any provider declared per (league, season)."""
    out: dict[tuple[str, str], set[str]] = {}
    for row in conn.execute(select(coverage.c.league, coverage.c.season, coverage.c.statistics)):
        out.setdefault((row.league, row.season), set()).update(row.statistics or [])
    return out


def live_state_rows(conn: Connection, match_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Every stored in-play state of these matches (all providers), unordered."""
    rows: list[dict[str, Any]] = []
    ids = list(match_ids)
    for start in range(0, len(ids), 900):
        stmt = select(live_states).where(live_states.c.match_id.in_(ids[start : start + 900]))
        rows.extend(dict(r) for r in conn.execute(stmt).mappings())
    return rows


def stored_coverage(conn: Connection, provider: str, league: str, season: str) -> Coverage | None:
    """The coverage ``provider`` declared for a league season, as stored (``None`` if never stored)."""
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
