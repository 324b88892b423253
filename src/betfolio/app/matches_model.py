"""The matches table: a lazy Qt model over ``matches_master``, loaded off the GUI thread.

Rows arrive a page at a time through ``canFetchMore``/``fetchMore`` as the view scrolls, so 40k matches cost
one page of SQL at start-up, not 40k row objects. Pages come from ``store.queries.matches_page`` (keyset
pagination on (kick-off, match_id)) and are read on the background reader: ``fetchMore`` only asks, and the
rows are inserted when they arrive. The page after the last one inserted is read ahead, so scrolling usually
finds it ready. The row count behind "N matches" is read the same way and announced by ``count_changed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from sqlalchemy import Engine

from betfolio.app.background_reads import BackgroundReads
from betfolio.app.coverage_badges import Badge, badge_summary, match_badges
from betfolio.store.coverage_queries import (
    SeasonCoverage,
    load_live_presence,
    load_odds_presence,
    load_season_coverage,
)
from betfolio.store.queries import count_matches, matches_page

BADGES_ROLE = int(Qt.ItemDataRole.UserRole) + 1
MATCH_ROLE = int(Qt.ItemDataRole.UserRole) + 2
# Plain ints: data() runs for every role of every visible cell on each repaint, and int comparisons are the
# cheapest way to answer "not this role" (the scroll benchmark measures it).
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_CENTER = int(Qt.AlignmentFlag.AlignCenter)

COLUMNS: tuple[str, ...] = ("Kick-off (UTC)", "League", "Season", "Home", "Score", "Away", "Status", "Coverage")
COVERAGE_COLUMN = COLUMNS.index("Coverage")
_SCORE_COLUMN = COLUMNS.index("Score")
_STATUS_COLUMN = COLUMNS.index("Status")

_STATUS_COLOURS = {
    "in_play": QColor("#1e7d32"),
    "postponed": QColor("#b26a00"),
    "cancelled": QColor("#b00020"),
    "abandoned": QColor("#b00020"),
    "suspended": QColor("#b26a00"),
}

Index = QModelIndex | QPersistentModelIndex
Cursor = tuple[datetime, int] | None


@dataclass(frozen=True)
class MatchFilter:
    """Filters of the matches page; empty tuples mean "all"."""

    leagues: tuple[str, ...] = ()
    seasons: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    text: str = ""

    def as_query(self) -> dict[str, Any]:
        """Keyword arguments of ``store.queries.matches_page`` / ``count_matches``."""
        return {
            "leagues": self.leagues or None,
            "seasons": self.seasons or None,
            "statuses": self.statuses or None,
            "date_from": self.date_from,
            "date_to": self.date_to,
            "text": self.text,
        }


#: Columns a loaded row keeps. The JSON columns (statistics, detail, lineups) are read for the badges and then
#: dropped: 40k rows of nested dicts would make every garbage collection walk millions of objects (a visible
#: stall while scrolling); the detail panel re-reads the one match it shows.
KEPT_COLUMNS = (
    "match_id", "league", "season", "match_date", "kickoff_utc", "kickoff_time_known", "home_team", "away_team",
    "home_goals", "away_goals", "status",
)  # fmt: skip


@dataclass(slots=True)
class MatchRow:
    match_id: int
    values: dict[str, Any]
    badges: tuple[Badge, ...] = ()
    summary: str = ""
    display: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Page:
    key: tuple[MatchFilter, Cursor]
    rows: list[MatchRow]
    cursor: Cursor
    coverage: dict[tuple[str, str], SeasonCoverage]


class MatchesModel(QAbstractTableModel):
    """Read-only, lazily paged matches with coverage badges."""

    #: The number of matches passing the current filter, once counted.
    count_changed = Signal(int)
    #: A read failed (the message says what and why).
    load_failed = Signal(str)

    def __init__(
        self, engine: Engine, page_size: int = 250, parent: Any = None, reads: BackgroundReads | None = None
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.page_size = page_size
        self.reads = reads if reads is not None else BackgroundReads(self, max_threads=2)
        self._filter = MatchFilter()
        self._rows: list[MatchRow] = []
        self._cursor: Cursor = None
        self._exhausted = False
        self._total: int | None = None
        self._coverage: dict[tuple[str, str], SeasonCoverage] | None = None
        self._ahead: _Page | None = None  # the next page, read before the view asked for it
        self._wanted = False  # the view asked for the next page and it has not arrived yet
        self._reading: tuple[MatchFilter, Cursor] | None = None
        self._badge_pool: dict[tuple[Badge, ...], tuple[Badge, ...]] = {}
        self._summary_pool: dict[tuple[Badge, ...], str] = {}
        self._key = f"matches-page/{id(self)}"
        self._count_key = f"matches-count/{id(self)}"

    # --- filtering -------------------------------------------------------------------------------------
    @property
    def current_filter(self) -> MatchFilter:
        return self._filter

    @property
    def exhausted(self) -> bool:
        return self._exhausted

    @property
    def loading(self) -> bool:
        return self._wanted

    def set_filter(self, new_filter: MatchFilter) -> None:
        """Show the matches passing ``new_filter``: the table empties now, the first page follows."""
        self.beginResetModel()
        self._filter = new_filter
        self._rows = []
        self._cursor = None
        self._exhausted = False
        self._total = None
        self._ahead = None
        self._reading = None
        self._wanted = False
        self.endResetModel()
        self._request_count()
        self.fetchMore()

    def reload(self) -> None:
        """Re-read everything (after an ingest), coverage included."""
        self._coverage = None
        self.set_filter(self._filter)

    def total_count(self) -> int | None:
        """Matches passing the filter, or None while they are being counted."""
        return self._total

    def wait(self, timeout_s: float = 60.0) -> bool:
        """Let pending reads arrive (tests, benchmarks, exports); the event loop keeps running meanwhile."""
        return self.reads.wait(timeout_s)

    def _request_count(self) -> None:
        engine, query = self.engine, self._filter.as_query()
        wanted = self._filter

        def count() -> tuple[MatchFilter, int]:
            with engine.connect() as conn:
                return wanted, count_matches(conn, **query)

        self.reads.submit(self._count_key, count, self._on_count, self.load_failed.emit)

    def _on_count(self, result: tuple[MatchFilter, int]) -> None:
        counted, total = result
        if counted == self._filter:
            self._total = total
            self.count_changed.emit(total)

    # --- lazy loading ----------------------------------------------------------------------------------
    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:
        return not parent.isValid() and not self._exhausted and not self._wanted

    def fetchMore(self, parent: Index = QModelIndex()) -> None:
        """Insert the next page if it was read ahead; otherwise ask for it (it is inserted when it arrives)."""
        if parent.isValid() or self._exhausted or self._wanted:
            return
        key = (self._filter, self._cursor)
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead.key == key:
            self._insert(ahead)
            return
        self._wanted = True
        self._read(key)

    def fetch_all(self) -> None:
        """Load every remaining page (benchmarks); the view never needs this."""
        while not self._exhausted:
            self.fetchMore()
            if not self.wait() or (self._wanted and self.reads.pending == 0):
                break

    def _read(self, key: tuple[MatchFilter, Cursor]) -> None:
        if self._reading == key:
            return
        self._reading = key
        match_filter, cursor = key
        coverage = self._coverage
        self.reads.submit(
            self._key,
            lambda: self._load_page(match_filter, cursor, coverage),
            self._on_page,
            self._on_failed,
        )

    def _on_failed(self, message: str) -> None:
        self._wanted = False
        self._reading = None
        self.load_failed.emit(message)

    def _on_page(self, page: _Page) -> None:
        if self._reading == page.key:
            self._reading = None
        if page.key != (self._filter, self._cursor):
            return  # read for a filter or position the table no longer shows
        self._coverage = page.coverage
        if self._wanted:
            self._wanted = False
            self._insert(page)
        else:
            self._ahead = page

    def _insert(self, page: _Page) -> None:
        self._cursor = page.cursor
        if len(page.rows) < self.page_size:
            self._exhausted = True
        if page.rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page.rows) - 1)
            self._rows.extend(page.rows)
            self.endInsertRows()
        if not self._exhausted:
            self._read((self._filter, self._cursor))  # read ahead while the user looks at this page

    def read_page(self, match_filter: MatchFilter, cursor: Cursor) -> _Page:
        """A page read directly (blocking: for pool threads such as the CSV export), with the cached coverage."""
        return self._load_page(match_filter, cursor, self._coverage)

    def _load_page(
        self, match_filter: MatchFilter, cursor: Cursor, coverage: dict[tuple[str, str], SeasonCoverage] | None
    ) -> _Page:
        """The page after ``cursor`` (runs on a pool thread; touches no model state but the shared pools)."""
        with self.engine.connect() as conn:
            if coverage is None:
                coverage = load_season_coverage(conn)
            records = matches_page(conn, after=cursor, limit=self.page_size, **match_filter.as_query())
            ids = [r["match_id"] for r in records]
            odds = load_odds_presence(conn, ids)
            live = load_live_presence(conn, ids)
        rows = []
        for record in records:
            badges = match_badges(
                record,
                coverage.get((record["league"], record["season"])),
                odds.get(record["match_id"]),
                record["match_id"] in live,
            )
            # Rows share identical badge tuples (a season has a handful of distinct ones). setdefault is atomic
            # under the GIL, so two page reads in flight share the pools safely.
            shared = self._badge_pool.setdefault(tuple(badges), tuple(badges))
            summary = self._summary_pool.setdefault(shared, badge_summary(shared))
            row = MatchRow(record["match_id"], {k: record[k] for k in KEPT_COLUMNS}, shared, summary)
            row.display = tuple(self._display(row, c) for c in range(len(COLUMNS)))
            rows.append(row)
        after = (records[-1]["kickoff_utc"], records[-1]["match_id"]) if records else cursor
        return _Page((match_filter, cursor), rows, after, coverage)

    # --- Qt model --------------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def row(self, index: int) -> MatchRow:
        return self._rows[index]

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        r = index.row()
        if r < 0 or r >= len(self._rows):
            return None
        row = self._rows[r]
        if role == _DISPLAY:
            return row.display[index.column()]
        if role == BADGES_ROLE:
            return row.badges
        if role == MATCH_ROLE:
            return row.match_id
        column = index.column()
        if role == _TOOLTIP and column == COVERAGE_COLUMN:
            return "\n".join(f"{b.label}: {b.state.value} — {b.detail}" for b in row.badges)
        if role == _ALIGN and column == _SCORE_COLUMN:
            return _CENTER
        if role == _FOREGROUND and column == _STATUS_COLUMN:
            return _STATUS_COLOURS.get(row.values["status"])
        return None

    @staticmethod
    def _display(row: MatchRow, column: int) -> str:
        v = row.values
        if column == 0:
            kickoff: datetime = v["kickoff_utc"]
            return (
                kickoff.strftime("%Y-%m-%d %H:%M") if v["kickoff_time_known"] else kickoff.strftime("%Y-%m-%d ~%H:%M")
            )
        if column == 1:
            return v["league"]
        if column == 2:
            return v["season"]
        if column == 3:
            return v["home_team"]
        if column == 4:
            if v["home_goals"] is None or v["away_goals"] is None:
                return "–"
            return f"{v['home_goals']}–{v['away_goals']}"
        if column == 5:
            return v["away_team"]
        if column == 6:
            return str(v["status"]).replace("_", " ")
        return row.summary
