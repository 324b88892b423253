"""football-data.co.uk CSV → canonical matches, odds quotes and a coverage record.

A file is parsed completely before anything is stored, so a storage step can write it as one transaction.
A malformed row is rejected with its file, line and reason; the other rows still parse.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import PurePath

from pydantic import ValidationError

from betfolio.canonical import Coverage, Match, MatchStatus, OddsQuote
from betfolio.canonical import statistics as st
from betfolio.canonical.competition import normalise_season
from betfolio.providers.football_data import PROVIDER
from betfolio.providers.football_data.columns import OddsColumn, classify
from betfolio.providers.football_data.timing import assumed_kickoff, kickoff_from_local, prematch_quote_time

#: Column pairs (home, away) → canonical statistic.
STAT_COLUMNS: dict[str, tuple[str, str]] = {
    st.SHOTS: ("HS", "AS"),
    st.SHOTS_ON_TARGET: ("HST", "AST"),
    st.HIT_WOODWORK: ("HHW", "AHW"),
    st.CORNERS: ("HC", "AC"),
    st.FOULS: ("HF", "AF"),
    st.FREE_KICKS_CONCEDED: ("HFKC", "AFKC"),
    st.OFFSIDES: ("HO", "AO"),
    st.YELLOW_CARDS: ("HY", "AY"),
    st.RED_CARDS: ("HR", "AR"),
    st.BOOKING_POINTS: ("HBP", "ABP"),
}

#: Old files used HT/AT for team names.
_TEAM_COLUMNS = (("HomeTeam", "AwayTeam"), ("HT", "AT"), ("Home", "Away"))
_COUNT_COLUMNS = {"Bb1X2": "bookmakers_1x2", "BbOU": "bookmakers_totals", "BbAH": "bookmakers_asian_handicap"}
_DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d")
_SEASON_DIR = re.compile(r"^(\d{4})-(\d{2})$")


class FormatError(ValueError):
    """The file is not a football-data.co.uk results/odds CSV."""


@dataclass(frozen=True, slots=True)
class RowReject:
    """A refused row — or a refused single quote, whose reason then starts with "quote refused"."""

    source: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


@dataclass
class ParsedFile:
    source: str
    league: str
    season: str
    matches: list[Match] = field(default_factory=list)
    quotes: list[OddsQuote] = field(default_factory=list)
    rejects: list[RowReject] = field(default_factory=list)
    blank_rows: int = 0
    coverage: Coverage | None = None
    unreadable_columns: list[str] = field(default_factory=list)


class RowError(ValueError):
    pass


def decode(content: bytes) -> str:
    """UTF-8 (with or without BOM) as the site now publishes; Latin-1 for the oldest files."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("latin-1")


def parse_date(raw: str) -> date:
    text = raw.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise RowError(f"bad date {raw!r} (expected dd/mm/yy or dd/mm/yyyy)")


def parse_time(raw: str) -> time | None:
    text = raw.strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, "%H:%M").time()
    except ValueError as exc:
        raise RowError(f"bad kick-off time {raw!r} (expected HH:MM)") from exc


def _number(raw: str, column: str) -> float | None:
    text = raw.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError as exc:
        raise RowError(f"non-numeric value {raw!r} in column {column}") from exc
    if not math.isfinite(value):
        raise RowError(f"non-finite value {raw!r} in column {column}")
    return value


def _count(raw: str, column: str) -> int | None:
    value = _number(raw, column)
    if value is None:
        return None
    if value < 0 or value != int(value):
        raise RowError(f"{column} must be a non-negative whole number, got {raw!r}")
    return int(value)


def season_from_path(source: str) -> str | None:
    for part in reversed(PurePath(source).parts[:-1]):
        if _SEASON_DIR.match(part):
            try:
                return normalise_season(part)
            except ValueError:
                return None
    return None


def season_from_dates(first_day: date) -> str:
    """European seasons start in July/August; a file whose first match is before July belongs to last year's."""
    start = first_day.year if first_day.month >= 7 else first_day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _header_columns(header: list[str]) -> tuple[str, str]:
    missing = [c for c in ("Div", "Date") if c not in header]
    teams = next(((h, a) for h, a in _TEAM_COLUMNS if h in header and a in header), None)
    if missing or teams is None:
        need = ", ".join(missing + ([] if teams else ["HomeTeam/AwayTeam"]))
        raise FormatError(f"not a football-data.co.uk file: missing column(s) {need}")
    if not ({"FTHG", "FTAG"} <= set(header) or {"HG", "AG"} <= set(header)):
        raise FormatError("not a football-data.co.uk file: no full-time goals columns (FTHG/FTAG)")
    return teams


def parse_csv(content: bytes | str, source: str, *, ingested_at: datetime | None = None) -> ParsedFile:
    """Parse one football-data CSV. Raises FormatError if the file is not one."""
    text = decode(content) if isinstance(content, bytes) else content
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration as exc:
        raise FormatError(f"{source}: empty file") from exc
    try:
        home_col, away_col = _header_columns(header)
    except FormatError as exc:
        raise FormatError(f"{source}: {exc}") from exc
    index = {name: i for i, name in enumerate(header) if name}
    odds_columns, unreadable = classify(header)
    now = ingested_at or datetime.now(UTC)
    goals = ("FTHG", "FTAG") if "FTHG" in index else ("HG", "AG")

    rows: list[tuple[int, dict[str, str]]] = []
    blank = 0
    for line_no, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            blank += 1
            continue
        rows.append((line_no, {name: (values[i] if i < len(values) else "") for name, i in index.items()}))

    season = season_from_path(source)
    if season is None:
        dates = []
        for _, row in rows:
            try:
                dates.append(parse_date(row["Date"]))
            except RowError:
                continue
        if not dates:
            raise FormatError(f"{source}: no readable match date to infer the season from")
        season = season_from_dates(min(dates))
    leagues = {row["Div"].strip() for _, row in rows if row["Div"].strip()}
    league = sorted(leagues)[0] if len(leagues) == 1 else PurePath(source).name.split(".")[0]

    parsed = ParsedFile(source=source, league=league, season=season, blank_rows=blank, unreadable_columns=unreadable)
    seen_stats: set[str] = set()
    closing_seen = False
    for line_no, row in rows:
        try:
            match, quotes, bad_quotes = _parse_row(row, league, season, home_col, away_col, goals, odds_columns, now)
        except (RowError, ValidationError) as exc:
            parsed.rejects.append(RowReject(source, line_no, _reason(exc)))
            continue
        parsed.rejects.extend(RowReject(source, line_no, f"quote refused, {why}") for why in bad_quotes)
        parsed.matches.append(match)
        parsed.quotes.extend(quotes)
        seen_stats.update(match.statistics["home"])
        closing_seen = closing_seen or any(q.is_closing for q in quotes)
    parsed.coverage = Coverage(
        provider=PROVIDER,
        league=league,
        season=season,
        flags={
            "fixtures": True,
            "results": True,
            "half_time": "HTHG" in index,
            "statistics": bool(seen_stats),
            "xg": False,
            "events": False,
            "lineups": False,
            "odds_prematch": any(not c.is_closing for c in odds_columns),
            "odds_closing": closing_seen,
            "odds_live": False,
            "live_state": False,
        },
        statistics=tuple(sorted(seen_stats)),
    )
    return parsed


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"invalid {where}: {first['msg']}" if where else first["msg"]
    return str(exc)


def _parse_row(
    row: dict[str, str],
    league: str,
    season: str,
    home_col: str,
    away_col: str,
    goals: tuple[str, str],
    odds_columns: Iterable[OddsColumn],
    now: datetime,
) -> tuple[Match, list[OddsQuote], list[str]]:
    """One row → its match, its valid quotes, and the reasons for quotes that were refused.

    A garbled row (bad date, missing team, non-numeric cell, impossible score) is refused whole. A single price
    that is present but impossible (odds ≤ 1.0 — the files use "0" as a placeholder — or a handicap line that
    is not a quarter goal) refuses only that quote: the match result and the other bookmakers' prices are
    sound, and dropping them would lose real data.
    """
    home, away = row[home_col].strip(), row[away_col].strip()
    if not home or not away:
        raise RowError("missing team name")
    if not row["Date"].strip():
        raise RowError("missing date")
    day = parse_date(row["Date"])
    local_time = parse_time(row.get("Time", ""))
    kickoff = kickoff_from_local(day, local_time) if local_time else assumed_kickoff(day)

    fthg, ftag = _count(row[goals[0]], goals[0]), _count(row[goals[1]], goals[1])
    hthg, htag = _count(row.get("HTHG", ""), "HTHG"), _count(row.get("HTAG", ""), "HTAG")
    result = (row.get("FTR") or row.get("Res") or "").strip()
    if fthg is not None and ftag is not None and result:
        expected = "H" if fthg > ftag else ("D" if fthg == ftag else "A")
        if result != expected:
            raise RowError(f"result column says {result!r} but the score is {fthg}-{ftag}")
    status = MatchStatus.FINISHED if fthg is not None else MatchStatus.SCHEDULED

    statistics: dict[str, dict[str, float]] = {"home": {}, "away": {}}
    for stat, (hcol, acol) in STAT_COLUMNS.items():
        hv, av = _number(row.get(hcol, ""), hcol), _number(row.get(acol, ""), acol)
        if hv is not None:
            statistics["home"][stat] = hv
        if av is not None:
            statistics["away"][stat] = av
    detail: dict[str, object] = {}
    for column, key in _COUNT_COLUMNS.items():
        if (count := _count(row.get(column, ""), column)) is not None:
            detail[key] = count
    if attendance := row.get("Attendance", "").strip():
        detail["attendance"] = _count(attendance.replace(",", ""), "Attendance")

    provider_match_id = f"{league}:{season}:{day.isoformat()}:{home}:{away}"
    match = Match(
        provider=PROVIDER,
        provider_match_id=provider_match_id,
        league=league,
        season=season,
        kickoff=kickoff,
        kickoff_time_known=local_time is not None,
        home_team=home,
        away_team=away,
        status=status,
        home_goals=fthg,
        away_goals=ftag,
        ht_home_goals=hthg,
        ht_away_goals=htag,
        statistics=statistics,
        referee=row.get("Referee", "").strip() or None,
        detail=detail,
    )

    prematch_at = prematch_quote_time(day, kickoff)
    quotes: list[OddsQuote] = []
    bad_quotes: list[str] = []
    for spec in odds_columns:
        price = _number(row[spec.column], spec.column)
        if price is None:
            continue
        line = spec.line
        if spec.line_column is not None:
            home_line = _number(row[spec.line_column], spec.line_column)
            if home_line is None:
                continue  # a handicap price without its line cannot be settled: not a quote
            line = home_line if spec.selection.value == "home" else -home_line
            line = line + 0.0  # normalise -0.0
        try:
            quotes.append(
                OddsQuote(
                    provider=PROVIDER,
                    provider_match_id=provider_match_id,
                    bookmaker=spec.bookmaker,
                    market=spec.market,
                    selection=spec.selection,
                    line=line,
                    odds=price,
                    quoted_at=kickoff if spec.is_closing else prematch_at,
                    ingested_at=now,
                    is_closing=spec.is_closing,
                )
            )
        except ValidationError as exc:
            bad_quotes.append(f"column {spec.column}: {_reason(exc)}")
    return match, quotes, bad_quotes
