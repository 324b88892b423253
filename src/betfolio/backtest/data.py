"""What a backtest knows about each match, loaded once from the store into compact per-match records.

For every match the loader fixes a **decision time**: the moment of the latest pre-match (non-closing,
non-in-play) quote stamped at least ``min_lead`` before kick-off. The decision odds are then, per bookmaker,
market, selection and line, the latest non-closing quote stamped at or before that moment — the same as-of
rule as :func:`betfolio.store.queries.odds_as_of`, computed in bulk instead of one query per match. Closing
quotes are kept apart and are only ever read by evaluation (CLV, the closing-market benchmark).

Problems in the data are not guessed around: each becomes a :class:`DataIssue` with what and where, and the
affected match or quote is left out (or kept but marked unevaluable), so the report can say what it could not
evaluate.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, select

from betfolio.canonical.enums import Market, MatchStatus, Selection
from betfolio.engine.asof import DEFAULT_AS_OF, AsOfRule
from betfolio.engine.quotes import MARKET_SELECTIONS, MATCH_ODDS_KEY, MarketKey, MatchRecord, price_tables
from betfolio.store.ingest_guard import no_ingest_running
from betfolio.store.queries import matches_query, quotes_query

_SEASON = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, slots=True)
class DataIssue:
    kind: str  # duplicate_match | invalid_odds | missing_result | no_closing_odds | no_prematch_odds | …
    detail: str
    match_id: int | None = None
    league: str | None = None
    season: str | None = None

    def __str__(self) -> str:
        where = " ".join(
            p for p in (self.league, self.season, f"match {self.match_id}" if self.match_id else None) if p
        )
        return f"{self.kind}: {where}: {self.detail}" if where else f"{self.kind}: {self.detail}"


@dataclass
class BacktestData:
    matches: list[MatchRecord]  # kick-off order
    issues: list[DataIssue] = field(default_factory=list)
    leagues: list[str] = field(default_factory=list)
    seasons: list[str] = field(default_factory=list)
    flagged_quotes: dict[str, int] = field(default_factory=dict)  # quotes kept out as implausible, by reason
    #: Earlier results of the same leagues (no odds): training data for the goal models, never bet on.
    history: list[MatchRecord] = field(default_factory=list)

    def issue_counts(self) -> dict[str, int]:
        return dict(Counter(i.kind for i in self.issues))


def parse_seasons(spec: str) -> list[str]:
    """``2019-20:2022-23`` → every season in between; ``2019-20,2021-22`` → those; a single season → itself."""
    spec = spec.strip()
    if ":" in spec:
        first, last = (s.strip() for s in spec.split(":", 1))
        a, b = _season_start(first), _season_start(last)
        if b < a:
            raise ValueError(f"season range {spec!r} runs backwards")
        return [f"{y}-{(y + 1) % 100:02d}" for y in range(a, b + 1)]
    seasons = [s.strip() for s in spec.split(",") if s.strip()]
    for s in seasons:
        _season_start(s)
    if not seasons:
        raise ValueError("no season given")
    return seasons


def _season_start(season: str) -> int:
    m = _SEASON.match(season)
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise ValueError(f"not a season: {season!r} (expected e.g. 2019-20)")
    return int(m.group(1))


def load_from_engine(
    engine: Engine,
    leagues: Sequence[str] | None = None,
    seasons: Sequence[str] | None = None,
    *,
    min_lead: timedelta = DEFAULT_AS_OF.min_lead,
    markets: Iterable[str] = tuple(MARKET_SELECTIONS),
    history: bool = True,
    include_flagged: bool = False,
) -> BacktestData:
    """Matches and their quotes for the leagues/seasons from the store, ready for the walk-forward engine.

    With ``history`` (and named seasons) the earlier results of the same leagues in the store come along as
    :attr:`BacktestData.history`, so forecasts do not wait weeks into the first season for enough results.
    Quotes flagged implausible at ingest are left out (each counted as a ``flagged_odds`` issue with its reason)
    unless ``include_flagged``.
    """
    issues: list[DataIssue] = []
    with engine.connect() as conn:
        rows = conn.execute(matches_query(leagues=leagues, seasons=seasons)).mappings().all()
        records = _dedupe([_record(r) for r in rows], issues)
        by_id = {m.match_id: m for m in records}
        stmt = quotes_query(
            leagues=list(leagues) if leagues else None,
            seasons=list(seasons) if seasons else None,
            markets=list(markets),
            in_play=False,
            with_flag=True,
        )
        quotes: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        bad_odds: Counter[tuple[int, str]] = Counter()
        flagged: Counter[tuple[int, str, str]] = Counter()
        for (
            match_id,
            _league,
            _season,
            bookmaker,
            market,
            selection,
            line,
            odds,
            quoted_at,
            closing,
            _,
            flag,
        ) in conn.execute(stmt):
            if match_id not in by_id:
                continue
            if flag is not None and not include_flagged:
                flagged[(match_id, bookmaker, flag)] += 1
                continue
            if odds is None or not np.isfinite(odds) or odds <= 1.0:
                bad_odds[(match_id, bookmaker)] += 1
                continue
            quotes[match_id].append((match_id, bookmaker, market, selection, line, odds, quoted_at, closing))
    for (match_id, bookmaker), n in sorted(bad_odds.items()):
        m = by_id[match_id]
        issues.append(
            DataIssue(
                "invalid_odds", f"{n} quote(s) of {bookmaker} with odds ≤ 1.0 ignored", match_id, m.league, m.season
            )
        )
    for (match_id, bookmaker, reason), n in sorted(flagged.items()):
        m = by_id[match_id]
        issues.append(
            DataIssue(
                "flagged_odds",
                f"{n} quote(s) of {bookmaker} flagged implausible ({reason}) kept out of decisions",
                match_id,
                m.league,
                m.season,
            )
        )
    for m in records:
        _attach_quotes(m, quotes.get(m.match_id, []), min_lead)
    issues.extend(_coverage_issues(records))
    by_reason: Counter[str] = Counter()
    for (_, _, reason), n in flagged.items():
        by_reason[reason] += n
    leagues_found = sorted({m.league for m in records})
    past: list[MatchRecord] = []
    if history and seasons and records:
        past = load_history(engine, leagues_found, max(m.kickoff for m in records), seasons)
    return BacktestData(
        matches=records,
        issues=issues,
        leagues=leagues_found,
        seasons=sorted({m.season for m in records}),
        flagged_quotes=dict(sorted(by_reason.items())),
        history=past,
    )


def ingest_directory(
    data_dir: Path | Sequence[Path],
    leagues: Sequence[str],
    seasons: Sequence[str],
    *,
    engine: Engine | None = None,
    history: bool = True,
) -> tuple[Engine, list[DataIssue]]:
    """Ingest ``<folder>/<season>/<league>.csv[.gz]`` of every folder into ``engine`` (a temporary SQLite by default).

    Every folder counts: a requested league season is missing only if no folder has it. With ``history`` the
    earlier seasons found in any folder are ingested too, so the goal models start each requested season with
    its predecessors' results. The files go through the one ingest path (the football-data provider's parser,
    identity resolution, the store's writers), the same as ``betfolio ingest football-data``.
    """
    from betfolio.ingest.football_data import ingest_files, league_files
    from betfolio.store.engine import make_engine
    from betfolio.store.migrate import upgrade

    folders = [Path(data_dir)] if isinstance(data_dir, str | Path) else [Path(d) for d in data_dir]
    found = league_files(folders, leagues)
    issues: list[DataIssue] = []
    for season in seasons:
        for league in leagues:
            if (league, season) not in found:
                where = ", ".join(str(f / season) for f in folders)
                issues.append(DataIssue("missing_file", f"no {league}.csv in {where}", None, league, season))
    last = max(_season_start(s) for s in seasons)
    wanted = set(seasons)
    files = [
        path
        for (_, season), paths in sorted(found.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        if season in wanted or (history and _SEASON.match(season) and _season_start(season) < last)
        for path in paths
    ]
    if engine is None:
        tmp = Path(tempfile.mkdtemp(prefix="betfolio-backtest-"))
        engine = make_engine(f"sqlite:///{tmp / 'backtest.sqlite'}")
    upgrade(engine)
    summary = ingest_files(engine, files)
    issues.extend(DataIssue("ingest_error", e) for e in summary.errors)
    issues.extend(DataIssue("ingest_reject", str(r)) for r in summary.rejects)
    return engine, issues


def load_from_directory(
    data_dir: Path | Sequence[Path],
    leagues: Sequence[str],
    seasons: Sequence[str],
    *,
    engine: Engine | None = None,
    min_lead: timedelta = DEFAULT_AS_OF.min_lead,
    history: bool = True,
    include_flagged: bool = False,
) -> tuple[BacktestData, Engine]:
    """:func:`ingest_directory` (one folder or several), then :func:`load_from_engine`; ingest problems join
    the data issues."""
    engine, issues = ingest_directory(data_dir, leagues, seasons, engine=engine, history=history)
    with no_ingest_running(engine):  # another ingest into the same database may still be half-way
        data = load_from_engine(
            engine, leagues, seasons, min_lead=min_lead, history=history, include_flagged=include_flagged
        )
    data.issues[:0] = issues
    return data, engine


def load_history(engine: Engine, leagues: Sequence[str], before: datetime, exclude: Sequence[str]) -> list[MatchRecord]:
    """Results of these leagues that kicked off before ``before`` in other seasons than ``exclude``.

    Only teams and scores: the walk-forward fits its goal models on them (each result only once it is known),
    it never bets on them.
    """
    skip = set(exclude)
    with engine.connect() as conn:
        rows = conn.execute(matches_query(leagues=leagues, date_to=before.date())).mappings().all()
    return _dedupe([_record(r) for r in rows if r["season"] not in skip and r["kickoff_utc"] < before], [])


def check_scope(engine: Engine, data: BacktestData, leagues: Sequence[str], seasons: Sequence[str]) -> None:
    """Scope changes are never silent: a league code nobody knows is an error (ValueError); every requested
    league season without a single match becomes a ``no_data`` issue, so the report says what it did not cover."""
    from betfolio.store.tables import leagues as league_table
    from betfolio.store.writer import league_catalogue

    with engine.connect() as conn:
        stored = set(conn.execute(select(league_table.c.code)).scalars())
    unknown = [code for code in leagues if code not in stored and code not in league_catalogue()]
    if unknown:
        raise ValueError(
            f"unknown league(s) {', '.join(unknown)}: use catalogue codes such as E0, D1, SP1, I1, F1 "
            "or a league already ingested"
        )
    covered = {(m.league, m.season) for m in data.matches}
    for league in leagues:
        for season in seasons:
            if (league, season) not in covered:
                data.issues.append(DataIssue("no_data", "no match in the store", None, league, season))


def _record(row: Any) -> MatchRecord:
    return MatchRecord(
        match_id=int(row["match_id"]),
        league=row["league"],
        season=row["season"],
        match_date=row["match_date"],
        kickoff=row["kickoff_utc"],
        home=row["home_team"],
        away=row["away_team"],
        status=row["status"],
        home_goals=row["home_goals"],
        away_goals=row["away_goals"],
        statistics=row["statistics"] or {},
    )


def _dedupe(records: list[MatchRecord], issues: list[DataIssue]) -> list[MatchRecord]:
    """A fixture (league, season, home, away) listed twice keeps the played listing; the other is reported.

    The store's natural key includes the date, so a re-scheduled fixture can appear twice; betting on both
    would double-count one real match.
    """
    groups: dict[tuple[str, str, str, str], list[MatchRecord]] = defaultdict(list)
    for m in records:
        groups[(m.league, m.season, m.home, m.away)].append(m)
    dropped: set[int] = set()
    for group in groups.values():
        if len(group) < 2:
            continue
        keep = max(group, key=lambda m: (m.has_result, m.kickoff))
        for m in group:
            if m is not keep:
                dropped.add(m.match_id)
                issues.append(
                    DataIssue(
                        "duplicate_match",
                        f"{m.home} v {m.away} listed on {m.match_date} and {keep.match_date}; "
                        f"kept match {keep.match_id}",
                        m.match_id,
                        m.league,
                        m.season,
                    )
                )
    return [m for m in records if m.match_id not in dropped]


def _attach_quotes(m: MatchRecord, quotes: list[tuple[Any, ...]], min_lead: timedelta) -> None:
    rule = AsOfRule(min_lead)
    m.decision_at = rule.decision_time(m.kickoff, (q[6] for q in quotes if not q[7]))
    pre: dict[tuple[MarketKey, str, str], tuple[datetime, float]] = {}
    close: dict[tuple[MarketKey, str, str], tuple[datetime, float]] = {}
    for _, bookmaker, market, selection, line, odds, quoted_at, is_closing in quotes:
        key_line = line
        if market == Market.ASIAN_HANDICAP.value and line is not None and selection == Selection.AWAY.value:
            key_line = -line + 0.0
        if market != Market.MATCH_ODDS.value and key_line is None:
            continue
        key = ((market, key_line), bookmaker, selection)
        if is_closing:
            book = close
        elif rule.usable(quoted_at, m.decision_at):
            book = pre
        else:
            continue
        held = book.get(key)
        if held is None or quoted_at >= held[0]:
            book[key] = (quoted_at, odds)
    m.prematch = price_tables(pre)
    m.closing = price_tables(close)


def _coverage_issues(records: list[MatchRecord]) -> list[DataIssue]:
    """Per league-season: matches without decision odds, without closing odds, finished without a score."""
    issues: list[DataIssue] = []
    by_ls: dict[tuple[str, str], list[MatchRecord]] = defaultdict(list)
    for m in records:
        by_ls[(m.league, m.season)].append(m)
    for (league, season), ms in sorted(by_ls.items()):
        no_close = sum(1 for m in ms if MATCH_ODDS_KEY not in m.closing)
        if no_close == len(ms):
            issues.append(
                DataIssue(
                    "no_closing_odds",
                    f"no closing 1X2 prices in this season ({len(ms)} matches): CLV and the closing-market "
                    "benchmark cannot be evaluated here",
                    None,
                    league,
                    season,
                )
            )
        elif no_close:
            issues.append(
                DataIssue(
                    "no_closing_odds", f"{no_close} of {len(ms)} matches lack closing 1X2 prices", None, league, season
                )
            )
        no_pre = sum(1 for m in ms if m.decision_at is None)
        if no_pre:
            issues.append(
                DataIssue(
                    "no_prematch_odds", f"{no_pre} of {len(ms)} matches have no pre-match prices", None, league, season
                )
            )
        missing = [m for m in ms if m.status == MatchStatus.FINISHED and m.home_goals is None]
        unplayed = [m for m in ms if m.status not in (MatchStatus.FINISHED, MatchStatus.AWARDED)]
        for m in missing:
            issues.append(DataIssue("missing_result", "finished but no score", m.match_id, league, season))
        if unplayed:
            issues.append(
                DataIssue(
                    "missing_result",
                    f"{len(unplayed)} match(es) without a result (status not finished)",
                    None,
                    league,
                    season,
                )
            )
    return issues
