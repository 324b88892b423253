"""The matches table: a lazy Qt model over ``matches_master``.

Rows arrive a page at a time through ``canFetchMore``/``fetchMore`` as the view scrolls, so 40k matches cost
one page of SQL at start-up, not 40k row objects. Pages use keyset pagination on (kick-off, match_id) — the
kick-off index answers "the next N after this row" in constant time at any depth, where OFFSET would rescan.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from sqlalchemy import Connection, Engine, Select, and_, func, or_, select

from betfolio.app.coverage_badges import (
    Badge,
    SeasonCoverage,
    badge_summary,
    load_live_presence,
    load_odds_presence,
    load_season_coverage,
    match_badges,
)
from betfolio.store.queries import matches_query
from betfolio.store.tables import matches_master as mm
from betfolio.store.tables import teams

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


@dataclass(frozen=True)
class MatchFilter:
    """Filters of the matches page; empty tuples mean "all"."""

    leagues: tuple[str, ...] = ()
    seasons: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    text: str = ""

    def query(self) -> Select[Any]:
        stmt = matches_query(
            leagues=self.leagues or None,
            seasons=self.seasons or None,
            date_from=self.date_from,
            date_to=self.date_to,
            statuses=self.statuses or None,
        )
        needle = self.text.strip().lower()
        if needle:
            pattern = f"%{needle}%"
            matching = select(teams.c.team_id).where(func.lower(teams.c.name).like(pattern))
            stmt = stmt.where(or_(mm.c.home_team_id.in_(matching), mm.c.away_team_id.in_(matching)))
        return stmt


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


@dataclass(frozen=True)
class FilterChoices:
    leagues: list[str]
    seasons: list[str]
    statuses: list[str]


def filter_choices(conn: Connection) -> FilterChoices:
    def values(column: Any) -> list[str]:
        return [r[0] for r in conn.execute(select(column).distinct().order_by(column))]

    return FilterChoices(values(mm.c.league), values(mm.c.season), values(mm.c.status))


class MatchesModel(QAbstractTableModel):
    """Read-only, lazily paged matches with coverage badges."""

    def __init__(self, engine: Engine, page_size: int = 250, parent: Any = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.page_size = page_size
        self._filter = MatchFilter()
        self._rows: list[MatchRow] = []
        self._cursor: tuple[datetime, int] | None = None
        self._exhausted = False
        self._total: int | None = None
        self._coverage: dict[tuple[str, str], SeasonCoverage] = {}
        # One background thread loads the next page while the user reads the current one (the SQL runs without
        # the GIL; the GUI thread only ever inserts finished pages, so the model is touched from one thread).
        self._prefetch = ThreadPoolExecutor(max_workers=1, thread_name_prefix="matches-page")
        self._next: tuple[tuple[MatchFilter, tuple[datetime, int] | None], Future[Any]] | None = None
        self._badge_pool: dict[tuple[Badge, ...], tuple[Badge, ...]] = {}
        self._summary_pool: dict[tuple[Badge, ...], str] = {}
        self._load_coverage()

    # --- filtering -------------------------------------------------------------------------------------
    @property
    def current_filter(self) -> MatchFilter:
        return self._filter

    def set_filter(self, new_filter: MatchFilter) -> None:
        self.beginResetModel()
        self._filter = new_filter
        self._next = None  # a page prefetched for the old filter is dropped
        self._rows = []
        self._cursor = None
        self._exhausted = False
        self._total = None
        self.endResetModel()
        # The first page right away: the count, the selection and the view are consistent immediately.
        self.fetchMore()

    def reload(self) -> None:
        """Re-read everything (after an ingest)."""
        self._load_coverage()
        self.set_filter(self._filter)

    def total_count(self) -> int:
        """Matches passing the filter (one COUNT query, cached until the filter changes)."""
        if self._total is None:
            stmt = select(func.count()).select_from(self._filter.query().order_by(None).subquery())
            with self.engine.connect() as conn:
                self._total = int(conn.execute(stmt).scalar_one())
        return self._total

    def _load_coverage(self) -> None:
        with self.engine.connect() as conn:
            self._coverage = load_season_coverage(conn)

    # --- lazy loading ----------------------------------------------------------------------------------
    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: Index = QModelIndex()) -> None:
        """Insert the next page: usually already loaded in the background while the user read this one."""
        if parent.isValid() or self._exhausted:
            return
        ahead, self._next = self._next, None
        if ahead is not None and ahead[0] == (self._filter, self._cursor):
            page, cursor = ahead[1].result()
        else:
            page, cursor = self._load_page(self._filter, self._cursor)
        self._cursor = cursor
        if len(page) < self.page_size:
            self._exhausted = True
        else:
            key = (self._filter, cursor)
            self._next = (key, self._prefetch.submit(self._load_page, self._filter, cursor))
        if not page:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()

    def fetch_all(self) -> None:
        """Load every remaining page (exports, benchmarks); the view never needs this."""
        while self.canFetchMore():
            self.fetchMore()

    def _load_page(
        self, match_filter: MatchFilter, cursor: tuple[datetime, int] | None
    ) -> tuple[list[MatchRow], tuple[datetime, int] | None]:
        """The page after ``cursor`` and the cursor after it; touches no model state, so it can run off-thread."""
        stmt = match_filter.query()
        if cursor is not None:
            kickoff, match_id = cursor
            stmt = stmt.where(
                or_(mm.c.kickoff_utc > kickoff, and_(mm.c.kickoff_utc == kickoff, mm.c.match_id > match_id))
            )
        stmt = stmt.limit(self.page_size)
        with self.engine.connect() as conn:
            records = [dict(r) for r in conn.execute(stmt).mappings()]
            ids = [r["match_id"] for r in records]
            odds = load_odds_presence(conn, ids)
            live = load_live_presence(conn, ids)
        rows = []
        for record in records:
            badges = match_badges(
                record,
                self._coverage.get((record["league"], record["season"])),
                odds.get(record["match_id"]),
                record["match_id"] in live,
            )
            # Rows share identical badge tuples (a season has a handful of distinct ones).
            shared = self._badge_pool.setdefault(tuple(badges), tuple(badges))
            summary = self._summary_pool.setdefault(shared, badge_summary(shared))
            row = MatchRow(record["match_id"], {k: record[k] for k in KEPT_COLUMNS}, shared, summary)
            row.display = tuple(self._display(row, c) for c in range(len(COLUMNS)))
            rows.append(row)
        if records:
            last = records[-1]
            cursor = (last["kickoff_utc"], last["match_id"])
        return rows, cursor

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
