"""Small widgets several pages share: the empty-database panel, metric cards, read-only tables, legends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from betfolio.app.context import AppContext, ingest_bundled_sample
from betfolio.app.task_runner import TaskRunner

#: A qualitative palette that stays readable on white (Tableau 10).
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")


class OptionalDateEdit(QDateEdit):
    """A date field that shows "—" while disabled, instead of a date that means nothing (Qt shows 2000-01-01).

    The date chosen (or set) last is kept and comes back when the field is enabled again; :meth:`kept_date` gives
    it whether or not the field shows it, so settings remember the user's dates across a disabled spell.
    """

    #: QDateEdit's own earliest date: shown as the special value text "—", never a date anyone picks.
    BLANK = QDate(1752, 9, 14)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")
        self.setMinimumDate(self.BLANK)
        self.setSpecialValueText("—")
        self._kept = QDate.currentDate()
        self._show_kept()

    def kept_date(self) -> QDate:
        return self.date() if self.isEnabled() and self.date() != self.BLANK else self._kept

    def setDate(self, date: QDate) -> None:
        """Set the date; while disabled it is kept (and shown once the field is enabled)."""
        self._kept = date
        if self.isEnabled():
            super().setDate(date)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.EnabledChange:
            if not self.isEnabled() and self.date() != self.BLANK:
                self._kept = self.date()
            self._show_kept()
        super().changeEvent(event)

    def _show_kept(self) -> None:
        self.blockSignals(True)
        super().setDate(self._kept if self.isEnabled() else self.BLANK)
        self.blockSignals(False)


def legend_below(plot_item: pg.PlotItem, columns: int = 4) -> pg.LegendItem:
    """A legend in its own row under the plot's bottom axis, so it can never cover the data.

    pyqtgraph's ``addLegend`` floats the legend inside the view box, over the curves; the plot item's grid
    layout has room for a row below the axis (rows 0–3 are title, top axis, view box, bottom axis). Items are
    added with ``legend.addItem(curve, name)``; clear it with ``legend.clear()`` when the plot is cleared.
    """
    legend = pg.LegendItem(colCount=columns)
    plot_item.layout.addItem(legend, 4, 1)
    return legend


class EmptyDatabasePanel(QWidget):
    """Shown instead of a page while the database holds no matches; one click ingests the bundled sample."""

    ingested = Signal(dict)

    def __init__(self, context: AppContext, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.runner = TaskRunner(self)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        title = QLabel("<h2>No matches in the database yet</h2>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message = QLabel(
            f"{what}<br><br>Database: <code>{context.database}</code><br>"
            "Load the bundled real sample (Premier League, Bundesliga, La Liga 2020-21 to 2022-23 from "
            "football-data.co.uk, about 3,200 matches and 256k odds quotes), or run "
            "<code>betfolio ingest football-data PATH</code>."
        )
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.button = QPushButton("Ingest the bundled sample")
        self.button.clicked.connect(self.start_ingest)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.runner.cancel)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel("")
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status.setWordWrap(True)
        for widget in (title, self.message):
            layout.addWidget(widget)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.button)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addStretch(2)
        self.runner.progress.connect(self._on_progress)
        self.runner.succeeded.connect(self._on_done)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)
        self.runner.finished.connect(self._on_finished)

    @Slot()
    def start_ingest(self) -> None:
        if self.runner.running:
            return
        self.button.setEnabled(False)
        self.cancel_button.setVisible(True)
        self.progress.setVisible(True)
        self.progress.setRange(0, 100)
        self.status.setText("ingesting…")
        engine = self.context.engine
        self.runner.start(lambda control: ingest_bundled_sample(engine, control))

    @Slot(float, str)
    def _on_progress(self, value: float, message: str) -> None:
        if value < 0:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 100)
            self.progress.setValue(round(value * 100))
        self.status.setText(message)

    @Slot()
    def _on_finished(self) -> None:
        self.button.setEnabled(True)
        self.cancel_button.setVisible(False)
        self.progress.setVisible(False)

    @Slot()
    def _on_cancelled(self) -> None:
        # Each file is stored in one transaction, so a cancelled ingest leaves whole files: show them.
        self.status.setText("ingest cancelled; the files already ingested are kept (run it again to finish)")
        self.context.data_changed.emit()

    @Slot(object)
    def _on_done(self, summary: object) -> None:
        info = summary if isinstance(summary, dict) else {}
        errors = info.get("errors") or []
        self.status.setText(
            f"ingested {info.get('matches', 0)} matches and {info.get('quotes', 0):,} quotes"
            + (f"; {len(errors)} errors: {errors[0]}" if errors else "")
        )
        self.ingested.emit(info)
        self.context.data_changed.emit()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.status.setText(f"ingest failed: {message}")


class MetricCard(QFrame):
    """A figure with its label, e.g. "ROI  +2.3 % (95 % CI −1.1 … +5.6)"."""

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        self.caption = QLabel(label)
        self.caption.setStyleSheet("color: palette(mid); font-size: 11px;")
        self.value = QLabel("—")
        self.value.setStyleSheet("font-size: 18px; font-weight: 600;")
        self.detail = QLabel("")
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setStyleSheet("font-size: 11px;")
        for widget in (self.caption, self.value, self.detail):
            layout.addWidget(widget)

    def set(self, value: str, detail: str = "") -> None:
        self.value.setText(value)
        self.detail.setText(detail)


def read_only_table(headers: Sequence[str], parent: QWidget | None = None) -> QTableWidget:
    """A small read-only table for summaries (tens of rows; the big matches table uses a lazy model)."""
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.setAlternatingRowColors(True)
    return table


def fill_table(table: QTableWidget, rows: Sequence[Sequence[object]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem("—" if value is None else str(value))
            if isinstance(value, int | float):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()


def section_title(text: str) -> QLabel:
    label = QLabel(f"<b>{text}</b>")
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


class RecordsModel(QAbstractTableModel):
    """A read-only list of rows for Qt views: thousands of ledger rows without one QTableWidgetItem each."""

    def __init__(self, headers: Sequence[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.headers = list(headers)
        self.rows: list[Sequence[object]] = []
        self.colours: list[QColor | None] = []

    def set_rows(self, rows: Sequence[Sequence[object]], colours: Sequence[QColor | None] | None = None) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.colours = list(colours) if colours is not None else [None] * len(self.rows)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return "—" if value is None else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int | float):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole:
            return self.colours[index.row()]
        return None


def records_view(model: RecordsModel, parent: QWidget | None = None) -> QTableView:
    view = QTableView(parent)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(22)
    view.horizontalHeader().setStretchLastSection(True)
    return view
