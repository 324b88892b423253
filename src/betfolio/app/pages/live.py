"""Live page: live or replayed matches with minute, score, momentum, the live agent's decisions and staleness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QDate, QItemSelection, Qt, QTimer, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from betfolio.app.context import AppContext
from betfolio.app.live_data import (
    MOMENTUM_WINDOW,
    STALE_AFTER_SECONDS,
    LiveSummary,
    live_overview,
    momentum,
    paper_status,
    stream_states,
)
from betfolio.app.pages import Page
from betfolio.app.replay import (
    REPLAY_PROVIDER,
    ReplayMatch,
    build_replay,
    live_agent_checkpoints,
    replay_available,
)
from betfolio.app.task_runner import TaskRunner
from betfolio.app.widgets import PALETTE, RecordsModel, records_view, section_title
from betfolio.store.ledger_queries import in_play_bets
from betfolio.store.live_queries import live_timeline
from betfolio.store.queries import last_match_date, match_filter_choices

STALE = QColor("#ffcdd2")
OPEN_CIRCUIT = QColor("#ffe0b2")
HEADERS = ("match", "league", "minute", "score", "status", "staleness", "provider", "circuit", "states")
DECISION_HEADERS = ("placed (UTC)", "agent", "minute", "selection", "odds", "stake", "status", "payout", "why")
REFRESH_MS = 5_000
#: Replay speed: milliseconds of wall-clock per match minute.
SPEEDS = {"1 min / 0.1 s": 100, "1 min / 0.5 s": 500, "1 min / 2 s": 2000, "instant (full time)": 0}


class LivePage(Page):
    title = "Live"
    empty_message = "The live monitor follows live and replayed matches minute by minute."

    def __init__(self, context: AppContext) -> None:
        super().__init__(context)
        self.summaries: list[LiveSummary] = []
        self.current: LiveSummary | None = None
        self.replay: list[ReplayMatch] | None = None
        self.replay_minute = 0
        self.runner = TaskRunner(self)
        self.replay_day = QDateEdit()
        self.replay_day.setCalendarPopup(True)
        self.replay_day.setDisplayFormat("yyyy-MM-dd")
        self.replay_league = QComboBox()
        self.replay_faults = QCheckBox("feed faults (latency, outages, coverage loss)")
        self.replay_faults.setChecked(True)
        self.replay_speed = QComboBox()
        self.replay_speed.addItems(list(SPEEDS))
        self.replay_agent = QComboBox()
        self.replay_agent.setToolTip("a trained live agent (betfolio train) trades the replay")
        self.replay_button = QPushButton("Replay matchday")
        self.stop_button = QPushButton("Back to live data")
        self.stop_button.setEnabled(False)
        self.replay_status = QLabel("")
        self._day_chosen = False  # once the user picks a day, data reloads no longer move it
        self.replay_day.userDateChanged.connect(lambda _d: setattr(self, "_day_chosen", True))
        self.replay_timer = QTimer(self)
        self.replay_timer.timeout.connect(self._advance_replay)
        self.model = RecordsModel(HEADERS)
        self.view = records_view(self.model)
        self.decisions = RecordsModel(DECISION_HEADERS)
        self.decisions_view = records_view(self.decisions)
        self.header = QLabel("")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        #: Where the list comes from (store, live stream) and the paper-trading ledger as it stands.
        self.feed_label = QLabel("")
        self.feed_label.setWordWrap(True)
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
            "with a provider key (Providers &amp; settings), or replay a matchday from the store above: the "
            "simulator rebuilds each match minute by minute, consistent with its stored result and statistics."
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
        left_layout.addWidget(self.feed_label)
        split.addWidget(left)
        split.addWidget(detail)
        split.setSizes([560, 760])
        self.split = split
        controls = QHBoxLayout()
        controls.addWidget(QLabel("replay"))
        controls.addWidget(self.replay_day)
        controls.addWidget(self.replay_league)
        controls.addWidget(self.replay_speed)
        controls.addWidget(self.replay_faults)
        controls.addWidget(self.replay_agent)
        controls.addWidget(self.replay_button)
        controls.addWidget(self.stop_button)
        controls.addWidget(self.replay_status, 1)
        layout = QVBoxLayout(self.content)
        layout.addLayout(controls)
        layout.addWidget(self.nothing)
        layout.addWidget(split, 1)
        self.view.selectionModel().selectionChanged.connect(self._on_selection)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self._tick)
        self.replay_button.clicked.connect(self.start_replay)
        self.stop_button.clicked.connect(self.stop_replay)
        self.runner.progress.connect(lambda _v, m: self.replay_status.setText(m))
        self.runner.succeeded.connect(self._on_replay_ready)
        self.runner.failed.connect(lambda m: self.replay_status.setText(f"replay failed: {m}"))
        self.runner.finished.connect(lambda: self.replay_button.setEnabled(replay_available()))
        self.split.setObjectName("live-matches-detail")

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.timer.start()

    def hideEvent(self, event: object) -> None:
        super().hideEvent(event)  # type: ignore[arg-type]
        self.timer.stop()

    @Slot()
    def _tick(self) -> None:
        """The 5 s poll re-reads live states only (in the background); the replay controls keep their choices."""
        if not self.showing_empty_state() and self.replay is None:
            engine = self.context.engine
            self.context.reads.submit(f"{self.title}/poll", lambda: _overview(engine), self._on_polled)

    def _on_polled(self, overview: LiveOverview) -> None:
        if self.replay is None:
            self.feed_label.setText(overview.note)
            self._show_summaries(overview.summaries)

    # --- loading ---------------------------------------------------------------------------------------
    def load(self, engine: Engine, request: object) -> LiveLoad:
        with engine.connect() as conn:
            last = last_match_date(conn)
            leagues = match_filter_choices(conn).leagues
        # The simulator's first import and the checkpoint scan are slow too: done here, off the GUI thread.
        return LiveLoad(last, leagues, _overview(engine), replay_available(), live_agent_checkpoints())

    def show_data(self, data: LiveLoad) -> None:
        if not self.runner.running and self.replay is None:
            self._fill_replay_choices(data)
        summaries = data.overview.summaries
        self.feed_label.setText(data.overview.note)
        self._show_summaries(self._replay_summaries() if self.replay is not None else summaries)

    def reload(self) -> None:
        """Show the replay at its current minute, or re-read live data (in the background)."""
        if self.replay is not None:
            self._show_summaries(self._replay_summaries())
        else:
            self.refresh()

    def export_model(self) -> RecordsModel:
        return self.model

    # --- replay ----------------------------------------------------------------------------------------
    def _fill_replay_choices(self, data: LiveLoad) -> None:
        last, leagues = data.last_day, data.leagues
        if last is not None and self.replay is None and not self._day_chosen:
            self.replay_day.setDate(QDate(last.year, last.month, last.day))
        current = self.replay_league.currentText()
        self.replay_league.clear()
        self.replay_league.addItems(["all leagues", *leagues])
        if current in leagues:
            self.replay_league.setCurrentText(current)
        chosen = self.replay_agent.currentData()
        self.replay_agent.clear()
        self.replay_agent.addItem("no agent", None)
        for path in data.checkpoints:
            self.replay_agent.addItem(f"agent {path.parent.name}/{path.stem}", str(path))
        index = self.replay_agent.findData(chosen) if chosen is not None else 0
        self.replay_agent.setCurrentIndex(max(index, 0))
        available = data.replay_available
        self.replay_button.setEnabled(available and not self.runner.running)
        if not available:
            self.replay_status.setText("replays need the simulator (betfolio.sim)")

    @Slot()
    def start_replay(self) -> None:
        if self.runner.running:
            return
        d = self.replay_day.date()
        day = date(d.year(), d.month(), d.day())
        league = self.replay_league.currentText()
        leagues = () if league in ("", "all leagues") else (league,)
        faults = self.replay_faults.isChecked()
        agent = self.replay_agent.currentData()
        checkpoint = Path(agent) if agent else None
        engine = self.context.engine
        self.replay_button.setEnabled(False)
        self.runner.start(
            lambda control: build_replay(
                engine, day, leagues=leagues, faults=faults, agent_checkpoint=checkpoint, control=control
            )
        )

    @Slot(object)
    def _on_replay_ready(self, replay: object) -> None:
        assert isinstance(replay, list)
        self.replay = replay
        self.current = None
        self.stop_button.setEnabled(True)
        interval = SPEEDS[self.replay_speed.currentText()]
        self.replay_minute = 0 if interval else max(r.last_minute for r in replay)
        self.replay_status.setText(f"replaying {len(replay)} matches")
        self.reload()
        if interval:
            self.replay_timer.start(interval)

    @Slot()
    def _advance_replay(self) -> None:
        if self.replay is None:
            self.replay_timer.stop()
            return
        self.replay_minute += 1
        if self.replay_minute >= max(r.last_minute for r in self.replay):
            self.replay_timer.stop()
        self._show_summaries(self._replay_summaries())

    @Slot()
    def stop_replay(self) -> None:
        self.replay_timer.stop()
        self.replay = None
        self.current = None
        self.stop_button.setEnabled(False)
        self.replay_status.setText("")
        self.reload()

    def _replay_summaries(self) -> list[LiveSummary]:
        out = []
        for r in self.replay or []:
            state = r.states[min(self.replay_minute, r.last_minute)]
            t = state["minute"]
            out.append(
                LiveSummary(
                    r.match_id,
                    REPLAY_PROVIDER,
                    r.league,
                    r.home_team,
                    r.away_team,
                    t,
                    state["home_goals"],
                    state["away_goals"],
                    state["status"],
                    state["observed_at"],
                    state["data_staleness"],
                    t + 1,
                    "open (outage)" if r.outage[t] else "closed",
                )
            )
        return out

    def _replay_states(self, match_id: int) -> list[dict]:
        r = next((r for r in self.replay or [] if r.match_id == match_id), None)
        return [] if r is None else r.states[: min(self.replay_minute, r.last_minute) + 1]

    def _show_summaries(self, summaries: list[LiveSummary]) -> None:
        self.summaries = summaries
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
                    s.provider if s.source == "store" else f"{s.provider} (stream)",
                    s.circuit_state or "unknown",
                    s.states,
                )
            )
            circuit_open = (s.circuit_state or "").startswith("open")
            colours.append(STALE if s.stale else OPEN_CIRCUIT if circuit_open else None)
        keep = self.current
        self.model.set_rows(rows, colours)
        self.view.resizeColumnsToContents()
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
        self.current = None  # redraw even when the selected match is unchanged
        self.view.selectRow(index)
        if self.current is None:
            self.show_summary(self.summaries[index])

    @Slot(QItemSelection, QItemSelection)
    def _on_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if indexes and indexes[0].row() < len(self.summaries):
            summary = self.summaries[indexes[0].row()]
            if self.current is None or (summary.match_id, summary.provider) != (
                self.current.match_id,
                self.current.provider,
            ):
                self.show_summary(summary)

    def show_summary(self, s: LiveSummary) -> None:
        """A replayed match is drawn from memory; a live one's timeline and bets are read in the background."""
        self.current = s
        if self.replay is not None:
            self._show_match(s, self._replay_states(s.match_id), [])
            return
        engine = self.context.engine

        def read() -> tuple[list[dict], list[dict]]:
            with engine.connect() as conn:
                return live_timeline(conn, s.match_id, s.provider), in_play_bets(conn, s.match_id)

        self.context.reads.submit(f"{self.title}/match", read, lambda result: self._show_match(s, *result))

    def _show_match(self, s: LiveSummary, states: list[dict], bets: list[dict]) -> None:
        if self.current is None or (self.current.match_id, self.current.provider) != (s.match_id, s.provider):
            return  # another match was selected meanwhile
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
        replayed = self._replay_match(s.match_id) if self.replay is not None else None
        self._draw(states, replayed)
        if replayed is not None:
            self._show_replay_decisions(replayed, s.minute)
            return
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

    def _replay_match(self, match_id: int) -> ReplayMatch | None:
        return next((r for r in self.replay or [] if r.match_id == match_id), None)

    def _show_replay_decisions(self, r: ReplayMatch, minute: int) -> None:
        """The agent's bets so far; a bet is settled (won/lost) only once the replay reaches full time."""
        finished = minute >= r.last_minute
        rows = []
        for d in r.decisions:
            if d.minute > minute:
                continue
            status = ("won" if d.payout > 0 else "lost") if finished else "open"
            rows.append(
                (
                    f"{r.kickoff + timedelta(minutes=d.minute):%Y-%m-%d %H:%M}",
                    r.agent,
                    d.minute,
                    d.selection.replace("_2_5", " 2.5"),
                    round(d.odds, 2),
                    f"{d.stake:.1%} of match budget",
                    status,
                    round(d.payout, 4) if finished else None,
                    "replay (simulated book)",
                )
            )
        self.decisions.set_rows(rows)

    def _draw(self, states: list[dict], replayed: ReplayMatch | None = None) -> None:
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
        if replayed is not None and replayed.decisions:
            last = states[-1]["minute"]
            bet_minutes = [d.minute for d in replayed.decisions if d.minute <= last]
            if bet_minutes:
                self.momentum_plot.addItem(
                    pg.ScatterPlotItem(
                        bet_minutes,
                        [0.0] * len(bet_minutes),
                        symbol="t1",
                        size=11,
                        brush=pg.mkBrush("#6a1b9a"),
                        pen=pg.mkPen("#6a1b9a"),
                    )
                )
        minutes = np.array([st["minute"] for st in states], dtype=float)
        staleness = np.array([st["data_staleness"] for st in states], dtype=float)
        self.staleness_plot.plot(
            minutes, staleness, pen=pg.mkPen(PALETTE[3], width=2), fillLevel=0, brush=pg.mkBrush(118, 183, 178, 60)
        )
        self.staleness_plot.addLine(y=STALE_AFTER_SECONDS, pen=pg.mkPen("#b00020", style=Qt.PenStyle.DashLine))


@dataclass(frozen=True, slots=True)
class LiveLoad:
    last_day: date | None
    leagues: list[str]
    overview: LiveOverview
    replay_available: bool
    checkpoints: list[Path]


@dataclass
class LiveOverview:
    summaries: list[LiveSummary]
    note: str  # where the states come from, and the paper-trading ledger


def _overview(engine: Engine) -> LiveOverview:
    """Stored states, overlaid by the live stream when Redis is configured; the latest paper run. Runs off the
    GUI thread (background reads)."""
    from betfolio.config import load_settings

    notes, stream = [], []
    redis_url = load_settings().redis_url
    if redis_url:
        try:
            stream = stream_states(redis_url)
            notes.append(f"Following the live stream ({len(stream)} fixtures on it).")
        except Exception as exc:  # Redis away: the stored states still show, and the note says so
            notes.append(f"Live stream unreachable ({type(exc).__name__}): showing stored states.")
    with engine.connect() as conn:
        summaries = live_overview(conn, datetime.now(UTC), stream)
        paper = paper_status(conn)
    notes.append(paper.line() if paper is not None else "No paper-trading run yet (betfolio paper).")
    return LiveOverview(summaries, " ".join(notes))
