"""Live page: live or replayed matches with minute, score, momentum, the live agent's decisions and staleness."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QItemSelection, Qt, QTimer, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from betfolio.app.context import AppContext
from betfolio.app.live_data import (
    MOMENTUM_WINDOW,
    STALE_AFTER_SECONDS,
    LiveSummary,
    agent_decisions,
    live_overview,
    momentum,
    timeline,
)
from betfolio.app.match_detail import PALETTE
from betfolio.app.pages import Page
from betfolio.app.widgets import RecordsModel, records_view, section_title

STALE = QColor("#ffcdd2")
OPEN_CIRCUIT = QColor("#ffe0b2")
HEADERS = ("match", "league", "minute", "score", "status", "staleness", "provider", "circuit", "states")
DECISION_HEADERS = ("placed (UTC)", "agent", "minute", "selection", "odds", "stake", "status", "payout", "why")
REFRESH_MS = 5_000


class LivePage(Page):
    title = "Live"
    empty_message = "The live monitor follows live and replayed matches minute by minute."

    def __init__(self, context: AppContext) -> None:
        super().__init__(context)
        self.summaries: list[LiveSummary] = []
        self.current: LiveSummary | None = None
        self.model = RecordsModel(HEADERS)
        self.view = records_view(self.model)
        self.decisions = RecordsModel(DECISION_HEADERS)
        self.decisions_view = records_view(self.decisions)
        self.header = QLabel("")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.momentum_plot = pg.PlotWidget()
        self.momentum_plot.setBackground("w")
        self.momentum_plot.showGrid(x=True, y=True, alpha=0.25)
        self.momentum_plot.setLabel("bottom", "minute")
        self.momentum_plot.setLabel("left", "pressure (home + / away −)")
        self.staleness_plot = pg.PlotWidget()
        self.staleness_plot.setBackground("w")
        self.staleness_plot.showGrid(x=True, y=True, alpha=0.25)
        self.staleness_plot.setLabel("bottom", "minute")
        self.staleness_plot.setLabel("left", "staleness (s)")
        self.staleness_plot.setMaximumHeight(170)

        self.nothing = QLabel(
            "<h3>No live or replayed matches yet</h3>The monitor reads the live state series "
            "(<code>live_states</code>) written by the live service and by match replays. Start the live service "
            "with a provider key (Providers &amp; settings), or replay matches from the simulator."
        )
        self.nothing.setWordWrap(True)
        self.nothing.setAlignment(Qt.AlignmentFlag.AlignCenter)
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.header)
        detail_layout.addWidget(section_title(f"Momentum (bars: per update; line: last {MOMENTUM_WINDOW} minutes)"))
        detail_layout.addWidget(self.momentum_plot, 3)
        detail_layout.addWidget(section_title(f"Data staleness (alert above {STALE_AFTER_SECONDS:.0f} s)"))
        detail_layout.addWidget(self.staleness_plot, 1)
        detail_layout.addWidget(section_title("Live agent decisions"))
        detail_layout.addWidget(self.decisions_view, 2)
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(section_title("Matches"))
        left_layout.addWidget(self.view)
        split.addWidget(left)
        split.addWidget(detail)
        split.setSizes([560, 760])
        self.split = split
        layout = QVBoxLayout(self.content)
        layout.addWidget(self.nothing)
        layout.addWidget(split, 1)
        self.view.selectionModel().selectionChanged.connect(self._on_selection)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self._tick)

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.timer.start()

    def hideEvent(self, event: object) -> None:
        super().hideEvent(event)  # type: ignore[arg-type]
        self.timer.stop()

    @Slot()
    def _tick(self) -> None:
        if not self.showing_empty_state():
            self.reload()

    # ---------------------------------------------------------------------------------------------------
    def reload(self) -> None:
        with self.context.engine.connect() as conn:
            self.summaries = live_overview(conn, datetime.now(UTC))
        has_any = bool(self.summaries)
        self.nothing.setVisible(not has_any)
        self.split.setVisible(has_any)
        rows, colours = [], []
        for s in self.summaries:
            rows.append(
                (
                    f"{s.home_team} – {s.away_team}",
                    s.league,
                    f"{s.minute}'",
                    f"{s.home_goals}–{s.away_goals}",
                    s.status.replace("_", " "),
                    f"{s.staleness:.0f} s",
                    s.provider,
                    s.circuit_state or "unknown",
                    s.states,
                )
            )
            colours.append(STALE if s.stale else OPEN_CIRCUIT if s.circuit_state == "open" else None)
        keep = self.current
        self.model.set_rows(rows, colours)
        if not has_any:
            self.current = None
            return
        index = next(
            (
                i
                for i, s in enumerate(self.summaries)
                if keep and (s.match_id, s.provider) == (keep.match_id, keep.provider)
            ),
            0,
        )
        self.view.selectRow(index)
        self.show_summary(self.summaries[index])

    @Slot(QItemSelection, QItemSelection)
    def _on_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if indexes and indexes[0].row() < len(self.summaries):
            summary = self.summaries[indexes[0].row()]
            if summary != self.current:
                self.show_summary(summary)

    def show_summary(self, s: LiveSummary) -> None:
        self.current = s
        with self.context.engine.connect() as conn:
            states = timeline(conn, s.match_id, s.provider)
            bets = agent_decisions(conn, s.match_id)
        stale = (
            f"<span style='color:#b00020'><b>stale {s.staleness:.0f} s</b></span>"
            if s.stale
            else (f"fresh ({s.staleness:.0f} s)")
        )
        self.header.setText(
            f"<h3>{s.home_team} {s.home_goals}–{s.away_goals} {s.away_team} · {s.minute}'</h3>"
            f"{s.league} · {s.status.replace('_', ' ')} · {s.provider} · circuit {s.circuit_state or 'unknown'} · "
            f"{stale} · last update {s.observed_at:%Y-%m-%d %H:%M:%S} UTC"
        )
        self._draw(states)
        self.decisions.set_rows(
            [
                (
                    f"{b['placed_at']:%Y-%m-%d %H:%M}",
                    b["agent"],
                    (b["detail"] or {}).get("minute"),
                    b["selection"] + ("" if b["line"] is None else f" {b['line']:+g}"),
                    round(b["odds"], 2),
                    round(b["stake"], 2),
                    b["status"],
                    None if b["payout"] is None else round(b["payout"], 2),
                    (b["detail"] or {}).get("reason") or (b["detail"] or {}).get("note"),
                )
                for b in bets
            ]
        )

    def _draw(self, states: list[dict]) -> None:
        self.momentum_plot.clear()
        self.staleness_plot.clear()
        if not states:
            return
        m = momentum(states)
        if m is None:
            self.momentum_plot.setTitle("the feed carries no attacking statistics: momentum unavailable (masked)")
        else:
            self.momentum_plot.setTitle(f"from {', '.join(m.stats_used)}")
            colours = [PALETTE[0] if p >= 0 else PALETTE[1] for p in m.pressure]
            bars = pg.BarGraphItem(x=m.minutes, height=m.pressure, width=0.8, brushes=colours, pens=colours)
            self.momentum_plot.addItem(bars)
            self.momentum_plot.plot(m.minutes, m.rolling, pen=pg.mkPen("#333", width=2))
            self.momentum_plot.addLine(y=0, pen=pg.mkPen("#999"))
        goals = [
            (st["minute"], st["home_goals"] + st["away_goals"])
            for i, st in enumerate(states)
            if i > 0 and st["home_goals"] + st["away_goals"] > states[i - 1]["home_goals"] + states[i - 1]["away_goals"]
        ]
        for minute, _ in goals:
            self.momentum_plot.addLine(x=minute, pen=pg.mkPen("#2e7d32", style=Qt.PenStyle.DotLine))
        minutes = np.array([st["minute"] for st in states], dtype=float)
        staleness = np.array([st["data_staleness"] for st in states], dtype=float)
        self.staleness_plot.plot(
            minutes, staleness, pen=pg.mkPen(PALETTE[3], width=2), fillLevel=0, brush=pg.mkBrush(118, 183, 178, 60)
        )
        self.staleness_plot.addLine(y=STALE_AFTER_SECONDS, pen=pg.mkPen("#b00020", style=Qt.PenStyle.DashLine))
