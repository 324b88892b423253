"""football-data.co.uk CSV → canonical matches, odds quotes and a coverage record.

A file is read in two passes: a cheap one over the ``Div`` and ``Date`` columns (league and season, which every
row needs), then the rows themselves, yielded in chunks (:meth:`CsvFile.chunks`), so a storage step can write
a file of any size as one transaction with memory that does not grow with the file. A malformed row — cut
short, a date outside football's calendar, an impossible count, a team name no database column can hold — is
rejected with its file, line and reason; the other rows still parse. A row listed twice is kept once (a
differing second copy is reported as a conflict with both values).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import PurePath

from pydantic import ValidationError

from betfolio.canonical import Coverage, Match, MatchStatus, OddsQuote
from betfolio.canonical import statistics as st
from betfolio.canonical.competition import normalise_season
from betfolio.listing import extend_capped
from betfolio.providers.base import describe_error
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

#: Football's calendar: the first recorded league match was in 1888; fixtures are published a season ahead.
FIRST_YEAR = 1888
FIXTURES_AHEAD = timedelta(days=550)
#: Longest team name the store holds (``teams.name``), and characters no name contains.
MAX_TEAM_NAME = 128
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Upper bounds of the counts a row may carry: a value beyond is a typo or garbage, never a real match.
MAX_GOALS = 40
STAT_MAX: dict[str, float] = {
    st.SHOTS: 80,
    st.SHOTS_ON_TARGET: 50,
    st.HIT_WOODWORK: 15,
    st.CORNERS: 40,
    st.FOULS: 80,
    st.FREE_KICKS_CONCEDED: 80,
    st.OFFSIDES: 30,
    st.YELLOW_CARDS: 15,
    st.RED_CARDS: 6,
    st.BOOKING_POINTS: 200,
}
_COUNT_MAX = {"Bb1X2": 200, "BbOU": 200, "BbAH": 200, "Attendance": 250_000}
#: Rows parsed per chunk by :meth:`CsvFile.chunks` (bounded memory per chunk: about 100 quotes a row).
CHUNK_ROWS = 500


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
    duplicates: int = 0  # rows listing a match the file already listed (the first listing kept)
    conflicts: list[str] = field(default_factory=list)  # duplicates whose values differ, with both values


class RowError(ValueError):
    pass


def decode(content: bytes) -> str:
    """UTF-8 (with or without BOM) as the site now publishes; Latin-1 for the oldest files; UTF-16 when a byte
    order mark says so (a spreadsheet's "Unicode text" export)."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FormatError(f"not a readable UTF-16 file ({exc.reason} at byte {exc.start})") from exc
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("latin-1")


def parse_date(raw: str) -> date:
    text = raw.strip()
    for fmt in _DATE_FORMATS:
        try:
            day = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if not FIRST_YEAR <= day.year <= date.today().year + 2:
            raise RowError(f"date {raw!r} is outside football's calendar ({FIRST_YEAR} to next season)")
        return day
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


def _count(raw: str, column: str, maximum: float = MAX_GOALS) -> int | None:
    value = _number(raw, column)
    if value is None:
        return None
    if value < 0 or value != int(value):
        raise RowError(f"{column} must be a non-negative whole number, got {raw!r}")
    if value > maximum:
        raise RowError(f"{column} = {raw.strip()[:20]} is implausible (at most {maximum:g})")
    return int(value)


def _statistic(raw: str, column: str, maximum: float) -> float | None:
    value = _number(raw, column)
    if value is not None and not 0 <= value <= maximum:
        raise RowError(f"{column} = {raw.strip()[:20]} is implausible (expected 0 to {maximum:g})")
    return value


def _text(raw: str, column: str) -> str:
    """A name (team, referee) that fits the store's columns and holds no control characters (NUL included)."""
    name = raw.strip()
    if len(name) > MAX_TEAM_NAME:
        raise RowError(f"{column} is {len(name)} characters long (at most {MAX_TEAM_NAME})")
    if _CONTROL.search(name):
        raise RowError(f"{column} {name[:40]!r} contains control characters")
    return name


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


@dataclass
class ParsedChunk:
    """Consecutive rows of a file, parsed: what a storage step writes in one go."""

    matches: list[Match] = field(default_factory=list)
    quotes: list[OddsQuote] = field(default_factory=list)
    rejects: list[RowReject] = field(default_factory=list)


_LINE_END = re.compile(r"\r\n|\r|\n")


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text``, each ending in ``\n`` whatever the file used (CR, CRLF, LF), produced lazily.

    Not ``io.StringIO(text, newline=None)``: its buffer holds four bytes per character, which made a 50 MB
    file cost 200 MB per pass."""
    start = 0
    for end in _LINE_END.finditer(text):
        yield text[start : end.start()] + "\n"
        start = end.end()
    if start < len(text):
        yield text[start:]


def _rows(text: str, source: str) -> Iterator[tuple[int, list[str]]]:
    """(line, fields) of every row; universal newlines, so CR-only and CRLF files read like LF ones."""
    reader = csv.reader(_lines(text))
    try:
        for values in reader:
            yield reader.line_num, values
    except csv.Error as exc:
        raise FormatError(f"{source}:{reader.line_num}: unreadable CSV ({exc})") from exc


class CsvFile:
    """One football-data file: header and league/season known up front, rows parsed chunk by chunk.

    After :meth:`chunks` has run, ``matches``, ``duplicates``, ``conflicts`` and :meth:`coverage` describe the
    whole file.
    """

    def __init__(self, content: bytes | str, source: str, *, ingested_at: datetime | None = None) -> None:
        self.source = source
        try:
            self.text = decode(content) if isinstance(content, bytes) else content
        except FormatError as exc:
            raise FormatError(f"{source}: {exc}") from exc
        rows = _rows(self.text, source)
        try:
            _, raw_header = next(rows)
        except StopIteration as exc:
            raise FormatError(f"{source}: empty file") from exc
        self.header = [h.strip() for h in raw_header]
        try:
            self.home_col, self.away_col = _header_columns(self.header)
        except FormatError as exc:
            raise FormatError(f"{source}: {exc}") from exc
        self.index = {name: i for i, name in enumerate(self.header) if name}
        self.odds_columns, self.unreadable_columns = classify(self.header)
        self.now = ingested_at or datetime.now(UTC)
        self.goals = ("FTHG", "FTAG") if "FTHG" in self.index else ("HG", "AG")
        # A file that does not end with a newline was cut: its last row may hold a truncated value ("5" of 5.25).
        self.cut_at_end = bool(self.text) and not self.text.endswith(("\n", "\r"))
        self.rows = self.blank_rows = 0
        self.last_line = 0
        leagues: set[str] = set()
        first_day: date | None = None
        div, when = self.index["Div"], self.index["Date"]
        for line_no, values in rows:  # the cheap first pass: two columns of every row
            if not any(v.strip() for v in values):
                self.blank_rows += 1
                continue
            self.rows += 1
            self.last_line = line_no
            if div < len(values) and values[div].strip():
                leagues.add(values[div].strip())
            if when < len(values):
                try:
                    day = parse_date(values[when])
                except RowError:
                    continue
                first_day = day if first_day is None or day < first_day else first_day
        season = season_from_path(source)
        if season is None:
            if first_day is None:
                raise FormatError(f"{source}: no readable match date to infer the season from")
            season = season_from_dates(first_day)
        self.season = season
        self.league = sorted(leagues)[0] if len(leagues) == 1 else PurePath(source).name.split(".")[0]
        self.matches = 0
        self.rejected_rows = 0
        self.duplicates = 0
        self.conflicts: list[str] = []
        self._seen: dict[str, tuple[int, int, str]] = {}
        self._seen_stats: set[str] = set()
        self._closing_seen = False

    def _row_values(self, values: list[str]) -> dict[str, str]:
        if len(values) < len(self.header) and any(self.header[len(values) :]):
            raise RowError(f"row has {len(values)} of the header's {len(self.header)} columns: it is cut short")
        return {name: (values[i] if i < len(values) else "") for name, i in self.index.items()}

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[ParsedChunk]:
        chunk = ParsedChunk()
        rows = _rows(self.text, self.source)
        next(rows)
        for line_no, values in rows:
            if not any(v.strip() for v in values):
                continue
            try:
                if self.cut_at_end and line_no == self.last_line:
                    raise RowError("the file ends mid-row (no final newline): the last row may be cut short")
                row = self._row_values(values)
                if self._duplicate(line_no, row):
                    continue
                match, quotes, bad_quotes = _parse_row(
                    row, self.league, self.season, self.home_col, self.away_col, self.goals, self.odds_columns, self.now
                )
            except (RowError, ValidationError) as exc:
                chunk.rejects.append(RowReject(self.source, line_no, describe_error(exc)))
                self.rejected_rows += 1
                continue
            chunk.rejects.extend(RowReject(self.source, line_no, f"quote refused, {why}") for why in bad_quotes)
            chunk.matches.append(match)
            chunk.quotes.extend(quotes)
            self.matches += 1
            self._seen_stats.update(match.statistics["home"])
            self._closing_seen = self._closing_seen or any(q.is_closing for q in quotes)
            if len(chunk.matches) >= size:
                yield chunk
                chunk = ParsedChunk()
        if chunk.matches or chunk.rejects:
            yield chunk

    def _duplicate(self, line_no: int, row: dict[str, str]) -> bool:
        """Whether this row's match was already listed in the file (the first listing is kept). Checked before
        the row is parsed, so a file that repeats itself costs a dictionary lookup per repeated row; only a hash
        of each first listing is kept (memory per match, not per column)."""
        home, away, day = row[self.home_col].strip(), row[self.away_col].strip(), row["Date"].strip()
        key = f"{day}|{home}|{away}"
        digest = hash(tuple(row.values()))
        score = f"{row[self.goals[0]].strip()}-{row[self.goals[1]].strip()}"
        first = self._seen.get(key)
        if first is None:
            self._seen[key] = (line_no, digest, score)
            return False
        self.duplicates += 1
        first_line, first_digest, first_score = first
        if first_digest != digest:
            what = f"score {first_score} vs {score}" if first_score != score else "the same score, other values differ"
            conflict = (
                f"{self.source}:{line_no}: {home} v {away} on {day} is also listed on line {first_line} with different "
                f"values ({what}): line {first_line} kept"
            )
            extend_capped(self.conflicts, [conflict])
        return True

    def check_usable(self) -> None:
        """A file whose every row was refused does not match its header (or is not data at all): refusing the
        file, rather than recording it as ingested with nothing in it."""
        if self.rows and not self.matches and self.rejected_rows:
            raise FormatError(
                f"{self.source}: all {self.rejected_rows} rows were rejected: the header does not match the data"
            )

    def coverage(self) -> Coverage:
        return Coverage(
            provider=PROVIDER,
            league=self.league,
            season=self.season,
            flags={
                "fixtures": True,
                "results": True,
                "half_time": "HTHG" in self.index,
                "statistics": bool(self._seen_stats),
                "xg": False,
                "events": False,
                "lineups": False,
                "odds_prematch": any(not c.is_closing for c in self.odds_columns),
                "odds_closing": self._closing_seen,
                "odds_live": False,
                "live_state": False,
            },
            statistics=tuple(sorted(self._seen_stats)),
        )


def parse_csv(content: bytes | str, source: str, *, ingested_at: datetime | None = None) -> ParsedFile:
    """Parse one whole football-data CSV into memory. Raises FormatError if the file is not one (or no row of
    it could be read). For large files, iterate :meth:`CsvFile.chunks` instead."""
    reader = CsvFile(content, source, ingested_at=ingested_at)
    parsed = ParsedFile(
        source=source,
        league=reader.league,
        season=reader.season,
        blank_rows=reader.blank_rows,
        unreadable_columns=reader.unreadable_columns,
    )
    for chunk in reader.chunks():
        parsed.matches.extend(chunk.matches)
        parsed.quotes.extend(chunk.quotes)
        parsed.rejects.extend(chunk.rejects)
    reader.check_usable()
    parsed.duplicates = reader.duplicates
    parsed.conflicts = reader.conflicts
    parsed.coverage = reader.coverage()
    return parsed


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
    home, away = _text(row[home_col], home_col), _text(row[away_col], away_col)
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
    if (fthg is None) != (ftag is None):
        raise RowError(f"only one of {goals[0]}/{goals[1]} is filled in: the row is incomplete")
    status = MatchStatus.FINISHED if fthg is not None else MatchStatus.SCHEDULED
    if status is MatchStatus.FINISHED and day > date.today() + timedelta(days=1):
        raise RowError(f"a finished match dated {day.isoformat()}, in the future")

    statistics: dict[str, dict[str, float]] = {"home": {}, "away": {}}
    for stat, (hcol, acol) in STAT_COLUMNS.items():
        limit = STAT_MAX[stat]
        hv, av = _statistic(row.get(hcol, ""), hcol, limit), _statistic(row.get(acol, ""), acol, limit)
        if hv is not None:
            statistics["home"][stat] = hv
        if av is not None:
            statistics["away"][stat] = av
    detail: dict[str, object] = {}
    for column, key in _COUNT_COLUMNS.items():
        if (count := _count(row.get(column, ""), column, _COUNT_MAX[column])) is not None:
            detail[key] = count
    if attendance := row.get("Attendance", "").strip():
        detail["attendance"] = _count(attendance.replace(",", ""), "Attendance", _COUNT_MAX["Attendance"])

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
        referee=_text(row.get("Referee", ""), "Referee") or None,
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
            bad_quotes.append(f"column {spec.column}: {describe_error(exc)}")
    return match, quotes, bad_quotes
