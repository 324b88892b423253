"""Portfolio page: equity and drawdown, allocation per agent, open and settled bets, ROI and CLV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QAbstractItemModel, Qt, Slot
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
from sqlalchemy import Connection, Engine

from betfolio.app.context import AppContext
from betfolio.app.pages import Page
from betfolio.app.portfolio_data import (
    Portfolio,
    RunInfo,
    list_runs,
    load_portfolio,
    run_agents,
    separate_bankrolls,
)
from betfolio.app.widgets import PALETTE, MetricCard, RecordsModel, legend_below, records_view, section_title
from betfolio.store.queries import matches_by_ids

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
        self.allocation_legend = legend_below(self.allocation_plot.getPlotItem(), columns=4)
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
        charts.setObjectName("portfolio-charts")
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
        split.setObjectName("portfolio-charts-bets")
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
    def load_request(self) -> tuple[set[int], int | None, str | None]:
        return {r.run_id for r in self.runs}, self.run_box.currentData(), self.agent_box.currentData()

    def load(self, engine: Engine, request: tuple[set[int], int | None, str | None]) -> PortfolioView:
        known, current, agent = request
        with engine.connect() as conn:
            runs = list_runs(conn)
        fresh = [r.run_id for r in runs if r.run_id not in known and r.bets]
        if known and fresh:
            current = max(fresh)  # a run just recorded (e.g. from the backtest page) is what the user wants
        # Default to the latest run that has bets: one bankroll is meaningful, a sum of runs is not.
        if current is None or all(r.run_id != current for r in runs):
            current = next((r.run_id for r in runs if r.bets), None)
        run = next((r for r in runs if r.run_id == current), None)
        return _portfolio_view(engine, runs, run, agent)

    def show_data(self, view: PortfolioView) -> None:
        self.runs = view.runs
        self.run_box.blockSignals(True)
        self.run_box.clear()
        self.run_box.addItem("every run (all bets)", None)
        for run in self.runs:
            self.run_box.addItem(run.label, run.run_id)
        index = self.run_box.findData(view.run.run_id) if view.run is not None else 0
        self.run_box.setCurrentIndex(max(index, 0))
        self.run_box.blockSignals(False)
        self._show_view(view)

    @Slot()
    def _fill_agents(self) -> None:
        """Another run chosen: read its agents and bets in the background."""
        self._request_view(self.selected_run, self.agent_box.currentData())

    @Slot()
    def _show_run(self) -> None:
        """Another agent chosen: read its bets in the background."""
        self._request_view(self.selected_run, self.agent_box.currentData(), keep_agent=True)

    def _request_view(self, run: RunInfo | None, agent: str | None, keep_agent: bool = False) -> None:
        engine, runs = self.context.engine, self.runs
        self.context.reads.submit(
            f"{self.title}/view",
            lambda: _portfolio_view(engine, runs, run, agent, keep_agent=keep_agent),
            self._on_view,
        )

    def _on_view(self, view: PortfolioView) -> None:
        self._show_view(view)
        self.loaded.emit()

    @property
    def selected_run(self) -> RunInfo | None:
        run_id = self.run_box.currentData()
        return next((r for r in self.runs if r.run_id == run_id), None)

    def export_model(self) -> QAbstractItemModel | None:
        if self.inner.currentWidget() is not self.dashboard:
            return None
        return self.open_model if self.tabs.currentIndex() == 0 else self.settled_model

    def _show_view(self, view: PortfolioView) -> None:
        """A backtest's strategies each had their own bankroll: one at a time (the first that bet)."""
        self.agent_box.blockSignals(True)
        self.agent_box.clear()
        if view.run is None:
            self.agent_box.addItem("all agents", None)
        else:
            if not separate_bankrolls(view.run):
                self.agent_box.addItem("all agents (shared bankroll)", None)
            for agent, n in view.agents:
                self.agent_box.addItem(f"{agent} ({n} bets)", agent)
            self.agent_box.setCurrentIndex(max(self.agent_box.findData(view.agent), 0))
        self.agent_box.blockSignals(False)
        self.portfolio = view.portfolio
        if not view.portfolio.bets:
            self.inner.setCurrentWidget(self.no_bets)
            return
        s = view.summary
        names = view.names
        self.inner.setCurrentWidget(self.dashboard)
        p = view.portfolio
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
        self.allocation_legend.clear()
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
            base = np.zeros(times.size)
            for i, (agent, share) in enumerate(shares.items()):
                top = base + share
                colour = PALETTE[i % len(PALETTE)]
                lower = pg.PlotDataItem(times, base, pen=pg.mkPen(colour, width=0.5))
                upper = self.allocation_plot.plot(times, top, pen=pg.mkPen(colour, width=1))
                self.allocation_legend.addItem(pg.PlotDataItem(pen=pg.mkPen(colour, width=8)), agent)
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
    return {
        match_id: f"{m['home_team']} – {m['away_team']} ({m['match_date']:%Y-%m-%d})"
        for match_id, m in matches_by_ids(conn, list(match_ids)).items()
    }


@dataclass
class PortfolioView:
    """What the page shows for one run and agent choice, read and computed on a pool thread."""

    runs: list[RunInfo]
    run: RunInfo | None
    agents: list[tuple[str, int]]
    agent: str | None
    portfolio: Portfolio
    summary: dict[str, Any]
    names: dict[int, str]


def _portfolio_view(
    engine: Engine, runs: list[RunInfo], run: RunInfo | None, agent: str | None, *, keep_agent: bool = False
) -> PortfolioView:
    """Agents of ``run``, the bets of the chosen agent and the summary (bootstrap intervals: CPU work too)."""
    with engine.connect() as conn:
        agents = run_agents(conn, run) if run is not None else []
        names_available = [a for a, _ in agents]
        if run is None:
            agent = None
        elif not keep_agent and agent not in names_available:
            agent = None if not separate_bankrolls(run) else (names_available[0] if names_available else None)
        elif agent is not None and agent not in names_available:
            agent = None
        portfolio = load_portfolio(conn, run, agent)
        names = _match_names(conn, {b["match_id"] for b in portfolio.bets})
    summary = portfolio.summary() if portfolio.bets else {}
    return PortfolioView(runs, run, agents, agent, portfolio, summary, names)
