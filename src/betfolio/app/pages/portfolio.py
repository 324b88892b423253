"""Portfolio page: equity and drawdown, allocation per agent, open and settled bets, ROI and CLV."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Connection

from betfolio.app.context import AppContext
from betfolio.app.match_detail import PALETTE
from betfolio.app.pages import Page
from betfolio.app.portfolio_data import (
    Portfolio,
    RunInfo,
    list_runs,
    load_portfolio,
    run_agents,
    separate_bankrolls,
)
from betfolio.app.widgets import MetricCard, RecordsModel, records_view, section_title
from betfolio.store.queries import matches_query
from betfolio.store.tables import matches_master as mm

BET_HEADERS = (
    "placed (UTC)",
    "agent",
    "match",
    "market",
    "selection",
    "line",
    "odds",
    "stake",
    "book",
    "status",
    "payout",
    "closing",
    "CLV",
)
WON, LOST = QColor("#e8f5e9"), QColor("#ffebee")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.2%}"


class PortfolioPage(Page):
    title = "Portfolio"
    empty_message = "The portfolio shows the bankroll, drawdown and bets of backtests and agents."

    def __init__(self, context: AppContext) -> None:
        super().__init__(context)
        self.runs: list[RunInfo] = []
        self.portfolio: Portfolio | None = None
        self.run_box = QComboBox()
        self.run_box.setMinimumWidth(420)
        self.agent_box = QComboBox()
        self.agent_box.setMinimumWidth(220)
        self.cards = {
            key: MetricCard(label)
            for key, label in (
                ("equity", "Equity"),
                ("roi", "ROI (settled)"),
                ("clv", "CLV vs closing"),
                ("drawdown", "Max drawdown (per settled bet)"),
                ("bets", "Bets"),
            )
        }
        self.equity_plot = self._plot("equity")
        self.drawdown_plot = self._plot("drawdown")
        self.drawdown_plot.setXLink(self.equity_plot)
        self.allocation_plot = self._plot("share of stake")
        self.allocation_plot.setYRange(0, 1)
        self.open_model, self.settled_model = RecordsModel(BET_HEADERS), RecordsModel(BET_HEADERS)

        self.no_bets = QWidget()
        no_bets_layout = QVBoxLayout(self.no_bets)
        self.no_bets_label = QLabel(
            "<h3>No bets in the ledger yet</h3>Backtests and agent evaluations record every bet they place in "
            "the ledger; run one on the <b>Train &amp; backtest</b> page and its bankroll appears here."
        )
        self.no_bets_label.setWordWrap(True)
        self.no_bets_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        go = QPushButton("Go to Train & backtest")
        go.clicked.connect(lambda: context.navigate.emit("Train & backtest"))
        no_bets_layout.addStretch(1)
        no_bets_layout.addWidget(self.no_bets_label)
        no_bets_layout.addWidget(go, alignment=Qt.AlignmentFlag.AlignCenter)
        no_bets_layout.addStretch(2)

        dashboard = QWidget()
        cards = QHBoxLayout()
        for card in self.cards.values():
            cards.addWidget(card)
        charts = QSplitter(Qt.Orientation.Vertical)
        self.allocation_title = section_title("Capital allocation per agent (weekly share of stake)")
        for title, plot in (
            (section_title("Bankroll equity (settled bets)"), self.equity_plot),
            (section_title("Drawdown from peak"), self.drawdown_plot),
            (self.allocation_title, self.allocation_plot),
        ):
            box = QWidget()
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(0, 0, 0, 0)
            box_layout.addWidget(title)
            box_layout.addWidget(plot)
            charts.addWidget(box)
        tabs = QTabWidget()
        self.open_view, self.settled_view = records_view(self.open_model), records_view(self.settled_model)
        tabs.addTab(self.open_view, "Open bets")
        tabs.addTab(self.settled_view, "Settled bets")
        self.tabs = tabs
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(charts)
        split.addWidget(tabs)
        split.setSizes([650, 650])
        dash_layout = QVBoxLayout(dashboard)
        dash_layout.setContentsMargins(0, 0, 0, 0)
        dash_layout.addLayout(cards)
        dash_layout.addWidget(split, 1)

        self.inner = QStackedWidget()
        self.inner.addWidget(self.no_bets)
        self.inner.addWidget(dashboard)
        self.dashboard = dashboard
        top = QHBoxLayout()
        top.addWidget(QLabel("run"))
        top.addWidget(self.run_box)
        top.addWidget(QLabel("agent / strategy"))
        top.addWidget(self.agent_box)
        top.addStretch(1)
        layout = QVBoxLayout(self.content)
        layout.addLayout(top)
        layout.addWidget(self.inner, 1)
        self.run_box.currentIndexChanged.connect(self._fill_agents)
        self.agent_box.currentIndexChanged.connect(self._show_run)

    @staticmethod
    def _plot(y_label: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(utcOffset=0)})
        plot.setBackground("w")
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.setLabel("left", y_label)
        plot.setMinimumHeight(120)
        return plot

    # ---------------------------------------------------------------------------------------------------
    def reload(self) -> None:
        known = {r.run_id for r in self.runs}
        with self.context.engine.connect() as conn:
            self.runs = list_runs(conn)
        current = self.run_box.currentData()
        fresh = [r.run_id for r in self.runs if r.run_id not in known and r.bets]
        if known and fresh:
            current = max(fresh)  # a run just recorded (e.g. from the backtest page) is what the user wants
        self.run_box.blockSignals(True)
        self.run_box.clear()
        self.run_box.addItem("every run (all bets)", None)
        for run in self.runs:
            self.run_box.addItem(run.label, run.run_id)
        # Default to the latest run that has bets: one bankroll is meaningful, a sum of runs is not.
        target = current if current is not None else next((r.run_id for r in self.runs if r.bets), None)
        index = self.run_box.findData(target) if target is not None else 0
        self.run_box.setCurrentIndex(max(index, 0))
        self.run_box.blockSignals(False)
        self._fill_agents()

    @Slot()
    def _fill_agents(self) -> None:
        """A backtest's strategies each had their own bankroll: show one at a time (the first that bet)."""
        run = self.selected_run
        previous = self.agent_box.currentData()
        self.agent_box.blockSignals(True)
        self.agent_box.clear()
        if run is None:
            self.agent_box.addItem("all agents", None)
        else:
            with self.context.engine.connect() as conn:
                agents = run_agents(conn, run)
            if not separate_bankrolls(run):
                self.agent_box.addItem("all agents (shared bankroll)", None)
            for agent, n in agents:
                self.agent_box.addItem(f"{agent} ({n} bets)", agent)
            index = self.agent_box.findData(previous) if previous is not None else -1
            self.agent_box.setCurrentIndex(index if index >= 0 else 0)
        self.agent_box.blockSignals(False)
        self._show_run()

    @property
    def selected_run(self) -> RunInfo | None:
        run_id = self.run_box.currentData()
        return next((r for r in self.runs if r.run_id == run_id), None)

    @Slot()
    def _show_run(self) -> None:
        run = self.selected_run
        with self.context.engine.connect() as conn:
            self.portfolio = load_portfolio(conn, run, self.agent_box.currentData())
            names = _match_names(conn, {b["match_id"] for b in self.portfolio.bets})
        if not self.portfolio.bets:
            self.inner.setCurrentWidget(self.no_bets)
            return
        self.inner.setCurrentWidget(self.dashboard)
        p = self.portfolio
        s = p.summary()
        if s["final_equity"] is not None and p.initial_bankroll is not None:
            self.cards["equity"].set(
                f"{s['final_equity']:,.2f}",
                f"from {p.initial_bankroll:,.2f} · log-growth {s['log_growth']:+.3f}"
                if s["log_growth"] is not None and np.isfinite(s["log_growth"])
                else f"from {p.initial_bankroll:,.2f}",
            )
        else:
            self.cards["equity"].set(f"{s['profit']:+,.2f}", "P&L (no starting bankroll recorded)")
        ci = (
            f"95 % CI {s['roi_ci_low']:+.1%} … {s['roi_ci_high']:+.1%}"
            if s["roi_ci_low"] is not None and s["roi_ci_high"] is not None
            else "too few bets for an interval"
        )
        self.cards["roi"].set(_pct(s["roi"]), f"{ci}<br>profit {s['profit']:+,.2f} on {s['turnover']:,.2f}")
        self.cards["clv"].set(
            _pct(s["clv_mean"]),
            f"{s['clv_share_positive']:.0%} of {s['clv_bets']} bets beat the close"
            if s["clv_share_positive"] is not None
            else "no closing prices",
        )
        if s["max_drawdown"] is not None:
            sharpe = f" · Sharpe {s['sharpe']:.2f}" if s["sharpe"] is not None else ""
            self.cards["drawdown"].set(f"{s['max_drawdown']:.1%}", f"of peak equity{sharpe}")
        else:
            amount = s.get("max_drawdown_amount")
            self.cards["drawdown"].set("—" if amount is None else f"{amount:,.2f}", "currency units")
        hit = f" · hit rate {s['hit_rate']:.0%}" if s["hit_rate"] is not None else ""
        self.cards["bets"].set(f"{s['settled']:,} settled", f"{s['open']} open, {s['open_stake']:,.2f} at risk{hit}")
        self._draw(p)
        self._fill_bets(p, names)

    def _draw(self, p: Portfolio) -> None:
        self.equity_plot.clear()
        self.drawdown_plot.clear()
        self.allocation_plot.clear()
        if p.times.size:
            self.equity_plot.plot(p.times, p.equity, pen=pg.mkPen(PALETTE[0], width=2))
            if p.initial_bankroll is not None:
                self.equity_plot.addLine(y=p.initial_bankroll, pen=pg.mkPen("#999", style=Qt.PenStyle.DashLine))
            in_pct = p.initial_bankroll is not None
            self.drawdown_plot.setLabel("left", "drawdown (%)" if in_pct else "drawdown (currency)")
            self.drawdown_plot.plot(
                p.times,
                p.drawdown * 100 if in_pct else p.drawdown,
                pen=pg.mkPen(PALETTE[2], width=1.5),
                fillLevel=0,
                brush=pg.mkBrush(225, 87, 89, 80),
            )
        times, shares, totals = p.allocation()
        self.allocation_title.setText(
            "<b>Capital allocation per agent (weekly share of stake)</b>"
            if len(shares) > 1
            else "<b>Weekly stake</b> (one agent: its allocation is the whole stake)"
        )
        if times.size and len(shares) == 1:
            self.allocation_plot.setLabel("left", "stake")
            self.allocation_plot.setYRange(0, float(totals.max()) * 1.05 if totals.size else 1.0)
            width = 7 * 86400 * 0.8
            self.allocation_plot.addItem(
                pg.BarGraphItem(x=times + 7 * 86400 / 2, height=totals, width=width, brush=PALETTE[0], pen=PALETTE[0])
            )
        elif times.size:
            self.allocation_plot.setLabel("left", "share of stake")
            self.allocation_plot.setYRange(0, 1)
            self.allocation_plot.addLegend(offset=(10, 10))
            base = np.zeros(times.size)
            for i, (agent, share) in enumerate(shares.items()):
                top = base + share
                colour = PALETTE[i % len(PALETTE)]
                lower = pg.PlotDataItem(times, base, pen=pg.mkPen(colour, width=0.5))
                upper = self.allocation_plot.plot(times, top, pen=pg.mkPen(colour, width=1), name=agent)
                self.allocation_plot.addItem(lower)
                self.allocation_plot.addItem(pg.FillBetweenItem(lower, upper, brush=pg.mkBrush(colour)))
                base = top

    def _fill_bets(self, p: Portfolio, names: dict[int, str]) -> None:
        def row(b: dict) -> tuple:
            return (
                _ts(b["placed_at"]),
                b["agent"],
                names.get(b["match_id"], str(b["match_id"])),
                b["market"],
                b["selection"],
                b["line"],
                round(b["odds"], 2),
                round(b["stake"], 2),
                b["bookmaker"],
                b["status"],
                None if b["payout"] is None else round(b["payout"], 2),
                None if b["closing_odds"] is None else round(b["closing_odds"], 2),
                None if b["clv"] is None else f"{b['clv']:+.1%}",
            )

        self.open_model.set_rows([row(b) for b in p.open])
        settled = sorted(p.settled, key=lambda b: b["settled_at"] or b["placed_at"], reverse=True)
        colours = [WON if b["payout"] > b["stake"] else LOST if b["payout"] < b["stake"] else None for b in settled]
        self.settled_model.set_rows([row(b) for b in settled], colours)
        for view in (self.open_view, self.settled_view):
            view.setColumnWidth(0, 115)
            view.setColumnWidth(2, 260)
        if not p.open:
            self.tabs.setCurrentIndex(1)


def _ts(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M")


def _match_names(conn: Connection, match_ids: set[int]) -> dict[int, str]:
    if not match_ids:
        return {}
    names: dict[int, str] = {}
    ids = sorted(match_ids)
    for start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        stmt = matches_query().where(mm.c.match_id.in_(ids[start : start + 900]))
        for r in conn.execute(stmt).mappings():
            names[r["match_id"]] = f"{r['home_team']} – {r['away_team']} ({r['match_date']:%Y-%m-%d})"
    return names
