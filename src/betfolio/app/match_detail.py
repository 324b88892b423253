"""Match detail: result, statistics, lineups and injuries (each present, missing or masked), odds movement and
fair probabilities. Everything it shows is read in one background request per selected match."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget
from sqlalchemy import Engine

from betfolio.app.background_reads import BackgroundReads
from betfolio.app.coverage_badges import BadgeState, coverage_state
from betfolio.app.odds_view import (
    MarketKey,
    available_markets,
    fair_prices,
    margin_methods,
    movement_series,
)
from betfolio.app.widgets import PALETTE, fill_table, legend_below, read_only_table, section_title
from betfolio.canonical import is_aggregate_bookmaker
from betfolio.canonical.statistics import ALL_STATS, EXPECTED_GOALS
from betfolio.store.coverage_queries import SeasonCoverage, load_season_coverage
from betfolio.store.queries import QuoteRow, line_movement, match_by_id, match_people

if TYPE_CHECKING:
    from betfolio.backtest.predict import PredictReport

#: Tab title colours: present in the normal text colour, missing amber, masked grey (as the badges).
TAB_COLOURS = {
    BadgeState.PRESENT: QColor("#1b5e20"),
    BadgeState.MISSING: QColor("#b26a00"),
    BadgeState.MASKED: QColor("#808080"),
}
STATE_TEXT = {
    BadgeState.PRESENT: "present",
    BadgeState.MISSING: "missing (covered, not delivered)",
    BadgeState.MASKED: "masked (no provider covers it for this league season)",
}


@dataclass
class MatchDetailData:
    """Everything the detail panel shows for one match (read on a pool thread)."""

    match_id: int
    match: dict[str, Any] | None
    quotes: list[QuoteRow] = field(default_factory=list)
    coverage: SeasonCoverage | None = None
    #: Injury reports concerning the match; None when no stored provider covers injuries (masked).
    injuries: list[dict[str, Any]] | None = None


def load_match_detail(engine: Engine, match_id: int) -> MatchDetailData:
    with engine.connect() as conn:
        match = match_by_id(conn, match_id)
        if match is None:
            return MatchDetailData(match_id, None)
        coverage = load_season_coverage(conn, match["league"], match["season"]).get((match["league"], match["season"]))
        people = match_people(conn, match_id)
        injuries = None
        if people.injuries is not None:
            home = match["home_team"]
            injuries = [{**i, "side": "home" if i.get("team") == home else "away"} for i in people.injuries]
            injuries.sort(key=lambda i: (i["side"] != "home", i["player"]))
        return MatchDetailData(match_id, match, line_movement(conn, match_id), coverage, injuries)


class OddsChart(pg.PlotWidget):
    """Price per bookmaker over time; closing prices drawn as outlined diamonds.

    Selecting a match must not stall the window, and pyqtgraph does a lot of Python work per item and per
    option, so the chart does the least it can per match: curves are created once (creating and adding items to
    the scene costs ≈ 40 ms per series) and refilled with ``setData(x, y)``; a curve's style is set only when it
    changes (a curve keeps its palette colour, only the dash of aggregate books varies); curves left over from a
    larger match are emptied once, not on every redraw; the legend is rebuilt only when the bookmakers change;
    and the view range is computed here from the arrays instead of by pyqtgraph's auto-range, which asks every
    item for its bounds on each paint.
    """

    #: Margin around the data, as a fraction of its span on each axis.
    PADDING = 0.05

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent, axisItems={"bottom": pg.DateAxisItem(utcOffset=0)})
        self.setBackground("w")
        self.showGrid(x=True, y=True, alpha=0.25)
        self.setLabel("left", "decimal odds")
        self.setLabel("bottom", "quoted at (UTC)")
        self.legend = legend_below(self.getPlotItem(), columns=len(PALETTE))  # one row for a typical match
        self.getPlotItem().disableAutoRange()
        self.curves: list[pg.PlotDataItem] = []
        self._dashed: list[bool] = []
        self.closing = pg.ScatterPlotItem(symbol="d", size=12, pen=pg.mkPen("k"))
        self.addItem(self.closing)
        self._legend_names: list[str] = []
        self.series_count = 0
        for i in range(len(PALETTE)):  # a typical match has up to ~10 books: built here, not on the first click
            self._curve(i).setVisible(False)

    def _curve(self, i: int) -> pg.PlotDataItem:
        while len(self.curves) <= i:
            colour = PALETTE[len(self.curves) % len(PALETTE)]
            # dynamicRangeLimit=None: pyqtgraph would otherwise rebuild every curve and its symbols on each change
            # of the vertical range (a guard against values far outside the view; odds are bounded at ingest).
            curve = pg.PlotDataItem(
                pen=pg.mkPen(colour, width=2),
                symbol="o",
                symbolBrush=colour,
                symbolSize=7,
                symbolPen=colour,
                dynamicRangeLimit=None,
            )
            self.addItem(curve)
            self.curves.append(curve)
            self._dashed.append(False)
        return self.curves[i]

    def _style(self, i: int, dashed: bool) -> None:
        if self._dashed[i] != dashed:
            style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
            self.curves[i].setPen(pg.mkPen(PALETTE[i % len(PALETTE)], width=2, style=style))
            self._dashed[i] = dashed

    def plot_series(self, quotes: list[QuoteRow], key: MarketKey | None, selection: str) -> int:
        series = movement_series(quotes, key, selection) if key is not None and selection else []
        closing_x, closing_y, closing_brushes = [], [], []
        for i, s in enumerate(series):
            curve = self._curve(i)
            self._style(i, is_aggregate_bookmaker(s.bookmaker))
            curve.setData(s.times, s.odds)
            curve.setVisible(True)
            if s.closing.any():
                closing_x.extend(s.times[s.closing])
                closing_y.extend(s.odds[s.closing])
                closing_brushes.extend([pg.mkBrush(PALETTE[i % len(PALETTE)])] * int(s.closing.sum()))
        for curve in self.curves[len(series) : self.series_count]:  # shown for the previous match only
            curve.setData([], [])
            curve.setVisible(False)
        self.closing.setData(x=closing_x, y=closing_y, brush=closing_brushes or None)
        names = [s.bookmaker for s in series]
        if names != self._legend_names:
            self.legend.clear()
            for curve, name in zip(self.curves, names, strict=False):
                self.legend.addItem(curve, name)
            self._legend_names = names
        if key is None:
            self.setTitle("no odds stored for this match")
        else:
            self.setTitle(f"{key.label} — {selection}" if series else "no quotes for this selection")
        if series:
            self._fit([s.times for s in series], [s.odds for s in series])
        self.series_count = len(series)
        return len(series)

    def _fit(self, xs: list[np.ndarray], ys: list[np.ndarray]) -> None:
        """Show all the data with a small margin (what auto-range would do, without asking every item)."""
        x, y = np.concatenate(xs), np.concatenate(ys)
        (x0, x1), (y0, y1) = (float(x.min()), float(x.max())), (float(y.min()), float(y.max()))
        dx, dy = (x1 - x0) or 3600.0, (y1 - y0) or 0.1 * y1
        self.getPlotItem().getViewBox().setRange(
            xRange=(x0 - self.PADDING * dx, x1 + self.PADDING * dx),
            yRange=(y0 - self.PADDING * dy, y1 + self.PADDING * dy),
            padding=0,
        )


class MatchDetail(QWidget):
    #: Emitted once a selected match is on screen (with its id).
    shown = Signal(int)

    def __init__(self, engine: Engine, parent: QWidget | None = None, reads: BackgroundReads | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.reads = reads if reads is not None else BackgroundReads(self, max_threads=1)
        self.match: dict[str, Any] | None = None
        self.quotes: list[QuoteRow] = []
        self.injuries: list[dict[str, Any]] | None = None
        self.header = QLabel("Select a match to see its result, statistics and odds movement.")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        self.stats_table = read_only_table(["statistic", "home", "away", "data"])
        self.lineups_state = QLabel("")
        self.lineups_state.setWordWrap(True)
        self.lineups_table = read_only_table(["side", "role", "#", "player", "pos"])
        self.injuries_state = QLabel("")
        self.injuries_state.setWordWrap(True)
        self.injuries_table = read_only_table(["side", "player", "type", "reason", "provider"])
        self.fair_table = read_only_table(["bookmaker", "phase", "odds", "margin", "fair probabilities"])
        self.picks_state = QLabel(PICKS_HINT)
        self.picks_state.setWordWrap(True)
        self.picks_table = read_only_table(
            ["model", "market", "pick", "model prob.", "fair", "best", "book", "edge", "stake"]
        )
        self._picks_for: int | None = None  # the match whose picks are shown (or being computed)
        self.market_box = QComboBox()
        self.selection_box = QComboBox()
        self.method_box = QComboBox()
        self.method_box.addItems(margin_methods())
        self.chart = OddsChart()

        controls = QHBoxLayout()
        for label, box in (("market", self.market_box), ("selection", self.selection_box), ("margin", self.method_box)):
            controls.addWidget(QLabel(label))
            controls.addWidget(box)
        controls.addStretch(1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.stats_table, "Statistics")
        for state, table, title in (
            (self.lineups_state, self.lineups_table, "Lineups"),
            (self.injuries_state, self.injuries_table, "Injuries"),
            (self.picks_state, self.picks_table, "Model pick"),
        ):
            tab = QWidget()
            tab_layout = QVBoxLayout(tab)
            tab_layout.setContentsMargins(2, 2, 2, 2)
            tab_layout.addWidget(state)
            tab_layout.addWidget(table, 1)
            self.tabs.addTab(tab, title)
        self.picks_tab = self.tabs.widget(self.tabs.count() - 1)
        self.tabs.currentChanged.connect(self._on_tab)
        left_layout.addWidget(self.tabs)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(section_title("Odds line movement (opening → closing)"))
        right_layout.addLayout(controls)
        right_layout.addWidget(self.chart, 5)
        right_layout.addWidget(section_title("Margin-free probabilities"))
        right_layout.addWidget(self.fair_table, 2)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("match-detail-columns")
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([330, 900])
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(splitter, 1)
        self.market_box.currentIndexChanged.connect(self._on_market)
        self.selection_box.currentIndexChanged.connect(self._redraw)
        self.method_box.currentIndexChanged.connect(self._refresh_fair)

    # ---------------------------------------------------------------------------------------------------
    def show_match(self, match_id: int) -> None:
        """Read the match in the background; it replaces what is shown when it arrives."""
        engine = self.engine
        self.reads.submit(
            f"match-detail/{id(self)}",
            lambda: load_match_detail(engine, match_id),
            self._show_loaded,
            lambda message: self.header.setText(f"cannot read match {match_id}: {message}"),
        )

    def _show_loaded(self, data: MatchDetailData) -> None:
        self.match = data.match
        if self.match is None:
            self.header.setText(f"match {data.match_id} not found")
            return
        self.quotes = data.quotes
        self.injuries = data.injuries
        coverage = data.coverage
        self._show_header()
        self._show_statistics(coverage.statistics if coverage else set(), bool(coverage and coverage.has("xg")))
        self._show_people(coverage)
        markets = available_markets(self.quotes)
        self.market_box.blockSignals(True)
        self.market_box.clear()
        for key in markets:
            self.market_box.addItem(key.label, key)
        self.market_box.blockSignals(False)
        self._on_market()
        self._picks_for = None
        if self.tabs.currentWidget() is self.picks_tab:
            self.request_picks()
        else:
            self.picks_state.setText(PICKS_HINT)
            fill_table(self.picks_table, [])
        self.shown.emit(data.match_id)

    @property
    def current_key(self) -> MarketKey | None:
        return self.market_box.currentData()

    def _show_header(self) -> None:
        m = self.match or {}
        score = "vs" if m.get("home_goals") is None else f"{m['home_goals']} – {m['away_goals']}"
        ht = f" (HT {m['ht_home_goals']}–{m['ht_away_goals']})" if m.get("ht_home_goals") is not None else ""
        kickoff = m["kickoff_utc"].strftime("%a %Y-%m-%d %H:%M UTC")
        approx = "" if m.get("kickoff_time_known") else " (time approximate)"
        extras = " · ".join(x for x in (m.get("referee") and f"referee {m['referee']}", m.get("venue")) if x)
        self.header.setText(
            f"<h3>{m['home_team']} {score} {m['away_team']}{ht}</h3>"
            f"{m['league']} {m['season']} · {kickoff}{approx} · {str(m['status']).replace('_', ' ')}"
            + (f" · {extras}" if extras else "")
            + f" · {len(self.quotes)} odds quotes from {len({q.bookmaker for q in self.quotes})} books"
        )

    def _show_statistics(self, declared: set[str], xg_covered: bool) -> None:
        stats = (self.match or {}).get("statistics") or {}
        home, away = stats.get("home", {}) or {}, stats.get("away", {}) or {}
        names = [s for s in ALL_STATS if s in home or s in away or s in declared or s == EXPECTED_GOALS]
        names += sorted((set(home) | set(away)) - set(names))
        rows = []
        for name in names:
            present = name in home or name in away
            if present:
                state = "present"
            elif name in declared or (name == EXPECTED_GOALS and xg_covered):
                state = "missing"
            else:
                state = "masked (not covered)"
            rows.append((name.replace("_", " "), _fmt(home.get(name)), _fmt(away.get(name)), state))
        fill_table(self.stats_table, rows)

    def _show_people(self, coverage: SeasonCoverage | None) -> None:
        """Lineups and injuries, each present, missing (the league season is covered) or masked (it is not)."""
        m = self.match or {}
        finished = m.get("status") in ("finished", "awarded")
        lineups = m.get("lineups") or {}
        cov = coverage or SeasonCoverage()
        lineup_state = coverage_state(bool(lineups), cov.has("lineups") and finished)
        self.lineups_state.setText(f"Lineups: {STATE_TEXT[lineup_state]}")
        rows = []
        for side in ("home", "away"):
            block = lineups.get(side) or {}
            if block.get("formation") or block.get("coach"):
                rows.append((side, "formation / coach", None, block.get("coach"), block.get("formation")))
            for role, key in (("starting XI", "start_xi"), ("substitute", "substitutes")):
                for player in block.get(key) or []:
                    rows.append((side, role, player.get("number"), player.get("name"), player.get("pos")))
        fill_table(self.lineups_table, rows)
        injuries = self.injuries
        if injuries is None:
            injury_state = BadgeState.MASKED
            self.injuries_state.setText(f"Injuries: {STATE_TEXT[injury_state]}")
        elif not injuries:
            injury_state = BadgeState.MISSING
            self.injuries_state.setText("Injuries: none reported for this match (injuries are covered)")
        else:
            injury_state = BadgeState.PRESENT
            self.injuries_state.setText(f"Injuries: {len(injuries)} reported")
        fill_table(
            self.injuries_table,
            [(i["side"], i["player"], i.get("type"), i.get("reason"), i.get("provider")) for i in injuries or []],
        )
        # Short tab titles (the state is written inside the tab), coloured like the coverage badges.
        for index, state, tip in ((1, lineup_state, self.lineups_state), (2, injury_state, self.injuries_state)):
            self.tabs.tabBar().setTabTextColor(index, TAB_COLOURS[state])
            self.tabs.setTabToolTip(index, tip.text())
        self.tabs.setTabText(2, f"Injuries ({len(injuries)})" if injuries else "Injuries")

    @Slot()
    def _on_market(self) -> None:
        key = self.current_key
        self.selection_box.blockSignals(True)
        self.selection_box.clear()
        if key is not None:
            self.selection_box.addItems(list(key.selections))
        self.selection_box.blockSignals(False)
        self._redraw()
        self._refresh_fair()

    @Slot()
    def _redraw(self) -> None:
        self.chart.plot_series(self.quotes, self.current_key, self.selection_box.currentText())

    @Slot()
    def _refresh_fair(self) -> None:
        key = self.current_key
        if key is None:
            fill_table(self.fair_table, [])
            return
        rows = []
        for fair in fair_prices(self.quotes, key, self.method_box.currentText() or "multiplicative"):
            rows.append(
                (
                    fair.bookmaker,
                    fair.phase,
                    " / ".join(f"{o:.2f}" for o in fair.odds),
                    f"{fair.margin:.2%}",
                    "  ".join(f"{s} {p:.1%}" for s, p in zip(key.selections, fair.probabilities, strict=True)),
                )
            )
        fill_table(self.fair_table, rows)

    # --- the models' picks ----------------------------------------------------------------------------
    @Slot(int)
    def _on_tab(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.picks_tab and self.match is not None:
            self.request_picks()

    def request_picks(self) -> None:
        """Price the shown match with the forecast models, in the background (a few seconds: the models are fitted
        on the league's history). Computed when the tab is open, not on every click through the table."""
        if self.match is None or self._picks_for == self.match["match_id"]:
            return
        from betfolio.backtest.predict import match_picks  # the model stack loads on first use, not at start-up

        match_id = self._picks_for = int(self.match["match_id"])
        engine = self.engine
        self.picks_state.setText("fitting the models on the results known before kick-off…")
        fill_table(self.picks_table, [])
        self.reads.submit(
            f"match-picks/{id(self)}",
            lambda: match_picks(engine, match_id),
            self._show_picks,
            self._picks_failed,
        )

    def _picks_failed(self, message: str) -> None:
        self._picks_for = None
        self.picks_state.setText(f"cannot price this match: {message}")

    def _show_picks(self, report: PredictReport) -> None:
        if self.match is None or self._picks_for != self.match["match_id"]:
            return
        self.picks_state.setText(picks_summary(report))
        rows = sorted(report.rows, key=lambda r: (r.model, r.market, r.line or 0.0, -r.edge))
        fill_table(
            self.picks_table,
            [
                (
                    r.model,
                    r.market if r.line is None else f"{r.market} {r.line:+g}",
                    r.selection,
                    f"{r.probability:.1%}",
                    f"{r.fair_odds:.2f}",
                    f"{r.best_odds:.2f}",
                    r.bookmaker,
                    f"{r.edge:+.1%}",
                    f"{r.stake:.2f}" if r.stake > 0 else "—",
                )
                for r in rows
            ],
        )


#: What the Model pick tab says before it is computed for the shown match.
PICKS_HINT = "Each forecast model's price for this match and the bet it would make, computed when this tab is open."


def picks_summary(report: PredictReport) -> str:
    """One line per model: its best bet (highest edge with a stake) for the match, or why there is none."""
    if report.fixtures == 0:
        return "This match cannot be priced (it kicks off before the time it would be priced at)."
    lines = [f"Priced as of {report.as_of:%Y-%m-%d %H:%M} UTC, with only the results and quotes known then."]
    for model in sorted({r.model for r in report.rows} | set(report.forecast)):
        bets = [r for r in report.rows if r.model == model and r.stake > 0]
        if bets:
            best = max(bets, key=lambda r: r.edge)
            lines.append(
                f"{model}: {best.market} {best.selection} at {best.best_odds:.2f} ({best.bookmaker}), "
                f"edge {best.edge:+.1%}, stake {best.stake:.2f}"
            )
        elif report.forecast.get(model):
            lines.append(f"{model}: no bet (no positive edge at the best prices)")
    for reason, n in report.skipped_fixtures.most_common():
        lines.append(f"not priced — {reason}" + (f" ({n})" if n > 1 else ""))
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    number = float(value)
    return f"{number:.0f}" if number.is_integer() else f"{number:.2f}"
