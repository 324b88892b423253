"""Train & backtest page: choose leagues, seasons and strategies, run on a worker thread, compare results."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from betfolio.app.backtest_runner import (
    BacktestOutcome,
    BacktestRequest,
    available_strategies,
    backtest_available,
    run_backtest,
)
from betfolio.app.context import AppContext
from betfolio.app.pages import Page
from betfolio.app.task_runner import TaskRunner
from betfolio.app.training_runner import TrainOutcome, TrainRequest, run_training, training_agents
from betfolio.app.widgets import PALETTE, RecordsModel, legend_below, records_view, section_title
from betfolio.store.queries import league_names, match_filter_choices

RESULT_HEADERS = (
    "strategy",
    "bets",
    "turnover",
    "profit",
    "ROI",
    "ROI 95 % CI",
    "CLV mean",
    "beat close",
    "max DD",
    "Sharpe",
    "final bankroll",
    "refused",
)
DEFAULT_STRATEGIES = ("no_bet", "favourite", "consensus")


def _pct(value: float | None) -> str | None:
    return None if value is None else f"{value:+.2%}"


class BacktestPage(Page):
    title = "Train & backtest"
    empty_message = "Backtests and training run on the matches and odds in the database."

    def __init__(self, context: AppContext) -> None:
        super().__init__(context)
        self.runner = TaskRunner(self)
        self.outcome: BacktestOutcome | None = None
        self.backtest_ready = False
        self.agents: list[str] = []
        self._started = 0.0
        self.league_list, self.season_list, self.strategy_list = QListWidget(), QListWidget(), QListWidget()
        for widget in (self.league_list, self.season_list):
            widget.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
            widget.setMaximumHeight(130)
        self.strategy_list.setMaximumHeight(130)
        self.bankroll = QDoubleSpinBox()
        self.bankroll.setRange(10, 10_000_000)
        self.bankroll.setValue(1000)
        self.bankroll.setDecimals(0)
        self.score_models = QCheckBox("also score goal models vs the market (fits Dixon-Coles: slower)")
        self.run_button = QPushButton("Run backtest")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.report_button = QPushButton("Open HTML report")
        self.report_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.unavailable = QLabel("")
        self.unavailable.setWordWrap(True)
        self.results = RecordsModel(RESULT_HEADERS)
        self.results_view = records_view(self.results)
        self.equity_plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(utcOffset=0)})
        self.equity_plot.setBackground("w")
        self.equity_plot.showGrid(x=True, y=True, alpha=0.25)
        self.equity_plot.setLabel("left", "bankroll")
        self.equity_legend = legend_below(self.equity_plot.getPlotItem(), columns=4)

        self.train_runner = TaskRunner(self)
        self.train_outcome: TrainOutcome | None = None
        self._train_started = 0.0
        self.agent_box = QComboBox()
        self.steps = QSpinBox()
        self.steps.setRange(1_000, 5_000_000)
        self.steps.setSingleStep(10_000)
        self.steps.setValue(20_000)
        self.episodes = QSpinBox()
        self.episodes.setRange(1, 10_000)
        self.episodes.setValue(60)
        self.seed = QSpinBox()
        self.seed.setRange(0, 1_000_000)
        self.seed.setValue(1)
        self.train_button = QPushButton("Train")
        self.train_cancel = QPushButton("Cancel training")
        self.train_cancel.setEnabled(False)
        self.train_progress = QProgressBar()
        self.train_progress.setRange(0, 100)
        self.train_status = QLabel("")
        self.train_status.setWordWrap(True)
        self.train_status.setTextFormat(Qt.TextFormat.RichText)
        train_box = QGroupBox("Train agents (betfolio train, in a child process)")
        train_form = QFormLayout(train_box)
        train_form.addRow("agent", self.agent_box)
        train_form.addRow("live PPO steps", self.steps)
        train_form.addRow("pre-match Q episodes", self.episodes)
        train_form.addRow("seed", self.seed)
        train_buttons = QHBoxLayout()
        train_buttons.addWidget(self.train_button)
        train_buttons.addWidget(self.train_cancel)
        train_form.addRow(train_buttons)
        train_form.addRow(self.train_progress)
        train_form.addRow(self.train_status)
        self.train_box = train_box

        choose = QGroupBox("Backtest")
        form = QFormLayout(choose)
        form.addRow("leagues (none = all)", self.league_list)
        form.addRow("seasons (none = all)", self.season_list)
        form.addRow("strategies", self.strategy_list)
        form.addRow("starting bankroll", self.bankroll)
        form.addRow(self.score_models)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.report_button)
        form.addRow(buttons)
        form.addRow(self.progress)
        form.addRow(self.status)
        form.addRow(self.unavailable)

        results = QWidget()
        results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.addWidget(section_title("Results (settled bets; drawdown from the running peak)"))
        results_layout.addWidget(self.results_view, 1)
        results_layout.addWidget(section_title("Equity curves"))
        results_layout.addWidget(self.equity_plot, 2)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(choose, 3)
        left_layout.addWidget(train_box, 2)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setObjectName("backtest-choices-results")
        split.addWidget(left)
        split.addWidget(results)
        split.setSizes([480, 900])
        layout = QVBoxLayout(self.content)
        layout.addWidget(split)

        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.report_button.clicked.connect(self.open_report)
        self.runner.progress.connect(self._on_progress)
        self.runner.succeeded.connect(self._on_result)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)
        self.runner.finished.connect(self._on_finished)
        self.train_button.clicked.connect(self.start_training)
        self.train_cancel.clicked.connect(self.cancel_training)
        self.train_runner.progress.connect(self._on_train_progress)
        self.train_runner.succeeded.connect(self._on_trained)
        self.train_runner.failed.connect(lambda m: self.train_status.setText(f"training failed: {m}"))
        self.train_runner.cancelled.connect(
            lambda: self.train_status.setText("training cancelled (checkpoints so far are kept; resumable)")
        )
        self.train_runner.finished.connect(self._on_train_finished)

    # ---------------------------------------------------------------------------------------------------
    def load(self, engine: Engine, request: object) -> BacktestChoices:
        """Leagues, seasons, strategies and agents (importing the engine and the agents is slow: done here)."""
        with engine.connect() as conn:
            choices = match_filter_choices(conn)
            names = league_names(conn)
        available = backtest_available()
        return BacktestChoices(
            [(f"{c} — {names.get(c, c)}", c) for c in choices.leagues],
            choices.seasons,
            available,
            available_strategies() if available else {},
            training_agents(),
        )

    def show_data(self, data: BacktestChoices) -> None:
        if self.runner.running:
            return
        _fill(self.league_list, data.leagues)
        _fill(self.season_list, [(s, s) for s in data.seasons])
        strategies = data.strategies
        ticked = {
            self.strategy_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.strategy_list.count())
            if self.strategy_list.item(i).checkState() == Qt.CheckState.Checked
        }
        first_fill = self.strategy_list.count() == 0
        self.strategy_list.clear()
        for name, description in strategies.items():
            item = QListWidgetItem(f"{name} — {description}" if description else name)
            item.setToolTip(description)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = name in DEFAULT_STRATEGIES if first_fill else name in ticked
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.strategy_list.addItem(item)
        self.backtest_ready = data.available
        self.run_button.setEnabled(data.available and bool(strategies))
        agents = data.agents
        self.agents = agents
        if not self.train_runner.running:
            current = self.agent_box.currentText()
            self.agent_box.clear()
            self.agent_box.addItems(agents)
            if current in agents:
                self.agent_box.setCurrentText(current)
            self.train_button.setEnabled(bool(agents))
        self.train_box.setVisible(bool(agents))
        self.unavailable.setText(
            "" if data.available else "The walk-forward engine (betfolio.backtest) is not installed."
        )

    def export_model(self) -> RecordsModel:
        return self.results

    def request(self) -> BacktestRequest:
        def selected(widget: QListWidget) -> tuple[str, ...]:
            return tuple(str(i.data(Qt.ItemDataRole.UserRole)) for i in widget.selectedItems())

        strategies = tuple(
            str(self.strategy_list.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.strategy_list.count())
            if self.strategy_list.item(i).checkState() == Qt.CheckState.Checked
        )
        return BacktestRequest(
            selected(self.league_list), selected(self.season_list), strategies, float(self.bankroll.value())
        )

    @Slot()
    def start(self) -> None:
        if self.runner.running:
            return
        request = self.request()
        if not request.strategies:
            self.status.setText("tick at least one strategy")
            return
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.report_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.status.setText("starting…")
        self._started = time.perf_counter()
        engine = self.context.engine
        self.runner.start(lambda control: run_backtest(engine, request, control))

    @Slot()
    def cancel(self) -> None:
        self.runner.cancel()
        self.cancel_button.setEnabled(False)
        self.status.setText("cancelling after the current decision round…")

    def shutdown(self) -> None:
        for runner in (self.runner, self.train_runner):
            if runner.running:
                runner.cancel()
                runner.wait()

    # --- training ------------------------------------------------------------------------------------
    def train_request(self) -> TrainRequest:
        """Leagues as chosen; with two or more seasons chosen, the latest is held out for evaluation."""
        leagues = tuple(str(i.data(Qt.ItemDataRole.UserRole)) for i in self.league_list.selectedItems())
        seasons = sorted(str(i.data(Qt.ItemDataRole.UserRole)) for i in self.season_list.selectedItems())
        agent = self.agent_box.currentText()
        train, evaluate = tuple(seasons), ()
        if len(seasons) >= 2:
            train, evaluate = tuple(seasons[:-1]), (seasons[-1],)
        elif len(seasons) == 1 and agent == "hrl":
            raise ValueError("hrl trains on earlier seasons and evaluates on a later one: choose two or more, or none")
        return TrainRequest(
            agent,
            leagues,
            train,
            evaluate if agent == "hrl" else (),
            steps=self.steps.value(),
            episodes=self.episodes.value(),
            seed=self.seed.value(),
        )

    @Slot()
    def start_training(self) -> None:
        if self.train_runner.running:
            return
        try:
            request = self.train_request()
        except ValueError as exc:
            self.train_status.setText(str(exc))
            return
        url = self.context.engine.url.render_as_string(hide_password=False)
        self.train_button.setEnabled(False)
        self.train_cancel.setEnabled(True)
        self.train_progress.setRange(0, 0)
        self._train_started = time.perf_counter()
        self.train_runner.start(lambda control: run_training(url, request, control))

    @Slot()
    def cancel_training(self) -> None:
        self.train_runner.cancel()
        self.train_cancel.setEnabled(False)
        self.train_status.setText("stopping the training process…")

    @Slot(float, str)
    def _on_train_progress(self, value: float, message: str) -> None:
        if value < 0:
            self.train_progress.setRange(0, 0)
        else:
            self.train_progress.setRange(0, 100)
            self.train_progress.setValue(round(value * 100))
        self.train_status.setText(f"{message} · {time.perf_counter() - self._train_started:.0f} s")

    @Slot(object)
    def _on_trained(self, outcome: object) -> None:
        assert isinstance(outcome, TrainOutcome)
        self.train_outcome = outcome
        result = outcome.result
        self.train_progress.setRange(0, 100)
        self.train_progress.setValue(100)
        lines = [f"trained {outcome.request.agent} → {result.get('run_dir', '?')}"]
        lines += [str(v) for v in result.get("verdict", [])]
        if "last" in result:
            lines.append(f"last log row: {result['last']}")
        self.train_status.setText("<br>• ".join(lines))
        if outcome.strategies:
            self.results.set_rows([_metrics_row(name, m) for name, m in outcome.strategies.items()])
            self.results_view.resizeColumnsToContents()
            self.equity_plot.clear()
            self.equity_legend.clear()

    @Slot()
    def _on_train_finished(self) -> None:
        self.train_button.setEnabled(bool(self.agents))
        self.train_cancel.setEnabled(False)

    @Slot(float, str)
    def _on_progress(self, value: float, message: str) -> None:
        if value < 0:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(round(value * 1000))
        self.status.setText(f"{message} · {time.perf_counter() - self._started:.0f} s")

    @Slot(object)
    def _on_result(self, outcome: object) -> None:
        assert isinstance(outcome, BacktestOutcome)
        self.outcome = outcome
        self.progress.setRange(0, 1000)
        self.progress.setValue(1000)
        issues = ", ".join(f"{k} {v}" for k, v in outcome.issues.items())
        notes = outcome.summary.get("not_evaluated") or []
        self.status.setText(
            f"done: {outcome.matches:,} matches, {outcome.rounds:,} decision rounds in {outcome.seconds:.1f} s"
            + (f"; recorded as run #{outcome.run_id} (see Portfolio)" if outcome.run_id is not None else "")
            + (f" · data issues: {issues}" if issues else "")
            + "".join(f"<br>• {n}" for n in notes[:5])
        )
        self.show_outcome(outcome)
        self.report_button.setEnabled(outcome.report_path is not None)
        if outcome.run_id is not None:
            self.context.data_changed.emit()

    def show_outcome(self, outcome: BacktestOutcome) -> None:
        self.results.set_rows([_metrics_row(s.name, s.metrics) for s in outcome.summaries])
        self.results_view.resizeColumnsToContents()
        self.equity_plot.clear()
        self.equity_legend.clear()
        for i, s in enumerate(outcome.summaries):
            if s.equity.size:
                curve = self.equity_plot.plot(
                    s.equity_times, s.equity, pen=pg.mkPen(PALETTE[i % len(PALETTE)], width=2)
                )
                self.equity_legend.addItem(curve, s.name)
        self.equity_plot.addLine(y=outcome.request.initial_bankroll, pen=pg.mkPen("#999", style=Qt.PenStyle.DashLine))

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.status.setText(f"backtest failed: {message}")

    @Slot()
    def _on_cancelled(self) -> None:
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.status.setText("cancelled: nothing was recorded")

    @Slot()
    def _on_finished(self) -> None:
        self.run_button.setEnabled(self.backtest_ready)
        self.cancel_button.setEnabled(False)

    @Slot()
    def open_report(self) -> None:
        if self.outcome is not None and self.outcome.report_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.outcome.report_path)))


def _metrics_row(name: str, m: dict) -> tuple:
    """One results row from a ``backtest.metrics.betting_metrics`` dict (backtests and agent evaluations)."""
    ci = (
        f"{m['roi_ci_low']:+.1%} … {m['roi_ci_high']:+.1%}"
        if m.get("roi_ci_low") is not None and m.get("roi_ci_high") is not None
        else None
    )
    return (
        name,
        m.get("bets"),
        f"{m.get('turnover') or 0:,.0f}",
        f"{m.get('profit') or 0:+,.2f}",
        _pct(m.get("roi")),
        ci,
        _pct(m.get("clv_mean")),
        None if m.get("clv_share_positive") is None else f"{m['clv_share_positive']:.0%}",
        None if m.get("max_drawdown") is None else f"{m['max_drawdown']:.1%}",
        None if m.get("sharpe") is None else f"{m['sharpe']:.2f}",
        None if m.get("final_equity") is None else f"{m['final_equity']:,.2f}",
        sum((m.get("rejections") or {}).values()),
    )


def _fill(widget: QListWidget, items: list[tuple[str, str]]) -> None:
    chosen = {i.data(Qt.ItemDataRole.UserRole) for i in widget.selectedItems()}
    widget.clear()
    for label, value in items:
        item = QListWidgetItem(label)
        item.setData(Qt.ItemDataRole.UserRole, value)
        widget.addItem(item)
        item.setSelected(value in chosen)


@dataclass(frozen=True, slots=True)
class BacktestChoices:
    leagues: list[tuple[str, str]]
    seasons: list[str]
    available: bool
    strategies: dict[str, str]
    agents: list[str]
