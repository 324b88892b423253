"""Matches page: filter and search every stored match, see its coverage, open its detail."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QDate, QItemSelection, QSettings, Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
)

from betfolio.app.badge_delegate import BadgeDelegate
from betfolio.app.context import AppContext
from betfolio.app.match_detail import MatchDetail
from betfolio.app.matches_model import COVERAGE_COLUMN, MATCH_ROLE, MatchesModel, MatchFilter
from betfolio.app.pages import Page
from betfolio.app.widgets import OptionalDateEdit
from betfolio.store.queries import MatchFilterChoices, match_filter_choices

ALL = "all"


class MatchesPage(Page):
    title = "Matches"
    empty_message = "The matches table lists every fixture with its coverage badges and odds movement."

    def __init__(self, context: AppContext) -> None:
        super().__init__(context)
        self.model = MatchesModel(context.engine, reads=context.reads)
        self._restored: dict[QComboBox, str] = {}  # filter choices saved last time, applied once the boxes fill
        self.search = QLineEdit()
        self.search.setPlaceholderText("search team…")
        self.search.setClearButtonEnabled(True)
        self.league_box, self.season_box, self.status_box = QComboBox(), QComboBox(), QComboBox()
        self.use_dates = QCheckBox("dates")
        self.date_from, self.date_to = OptionalDateEdit(), OptionalDateEdit()
        for edit in (self.date_from, self.date_to):
            edit.setEnabled(False)  # "—" until the dates filter is switched on
        self.count_label = QLabel("")
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setItemDelegateForColumn(COVERAGE_COLUMN, BadgeDelegate(self.view))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        # Uniform row heights: the header never measures rows, so inserting a page stays O(page) at 40k rows.
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        # Fixed section sizes: ResizeToContents would make Qt measure every loaded row on each page.
        header = self.view.horizontalHeader()
        for column, width in enumerate((130, 55, 60, 170, 55, 170, 80)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(COVERAGE_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.detail = MatchDetail(context.engine, reads=context.reads)

        filters = QHBoxLayout()
        filters.addWidget(self.search, 2)
        for label, box in (("league", self.league_box), ("season", self.season_box), ("status", self.status_box)):
            filters.addWidget(QLabel(label))
            filters.addWidget(box)
        filters.addWidget(self.use_dates)
        filters.addWidget(self.date_from)
        filters.addWidget(QLabel("→"))
        filters.addWidget(self.date_to)
        filters.addWidget(self.count_label, 1)
        legend = QLabel(
            "Coverage: <span style='background:#2e7d32;color:white'>&nbsp;present&nbsp;</span> "
            "<span style='background:#f9a825'>&nbsp;missing (covered, absent)&nbsp;</span> "
            "<span style='background:#d0d0d0;color:#606060'>&nbsp;masked (not covered)&nbsp;</span> — "
            "FT result · HT half-time · ST statistics · xG · 1X2 / O/U / AH pre-match odds · CL closing odds · "
            "LIVE live data · LU lineups"
        )
        legend.setTextFormat(Qt.TextFormat.RichText)
        legend.setWordWrap(True)
        top = QSplitter(Qt.Orientation.Vertical)
        top.setObjectName("matches-table-detail")
        top.addWidget(self.view)
        top.addWidget(self.detail)
        top.setStretchFactor(0, 1)
        top.setStretchFactor(1, 1)
        top.setSizes([330, 570])
        layout = QVBoxLayout(self.content)
        layout.addLayout(filters)
        layout.addWidget(legend)
        layout.addWidget(top, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(self._debounce.start)
        for box in (self.league_box, self.season_box, self.status_box):
            box.currentIndexChanged.connect(self.apply_filter)
        self.use_dates.toggled.connect(self._toggle_dates)
        self.date_from.dateChanged.connect(self.apply_filter)
        self.date_to.dateChanged.connect(self.apply_filter)
        self.view.selectionModel().selectionChanged.connect(self._on_selection)
        self.model.modelReset.connect(self._update_count)
        self.model.rowsInserted.connect(self._update_count)
        self.model.count_changed.connect(self._update_count)
        self.model.load_failed.connect(lambda m: self.count_label.setText(f"cannot read matches: {m}"))

    # ---------------------------------------------------------------------------------------------------
    def load(self, engine: Any, request: Any) -> MatchFilterChoices:
        with engine.connect() as conn:
            return match_filter_choices(conn)

    def show_data(self, choices: MatchFilterChoices) -> None:
        for box, values in (
            (self.league_box, choices.leagues),
            (self.season_box, choices.seasons),
            (self.status_box, choices.statuses),
        ):
            current = self._restored.pop(box, None) or box.currentText()
            box.blockSignals(True)
            box.clear()
            box.addItems([ALL, *values])
            if current in values:
                box.setCurrentText(current)
            box.blockSignals(False)
        new_filter = self.current_filter()
        if new_filter != self.model.current_filter:
            self.model.set_filter(new_filter)
        else:
            self.model.reload()
        self._update_count()

    def export_model(self) -> QAbstractItemModel:
        return self.model

    def save_state(self, settings: QSettings) -> None:
        """The filters, so the next start shows the same matches."""
        settings.setValue("matches/league", self.league_box.currentText())
        settings.setValue("matches/season", self.season_box.currentText())
        settings.setValue("matches/status", self.status_box.currentText())
        settings.setValue("matches/search", self.search.text())
        settings.setValue("matches/use_dates", self.use_dates.isChecked())
        settings.setValue("matches/date_from", self.date_from.kept_date().toString(Qt.DateFormat.ISODate))
        settings.setValue("matches/date_to", self.date_to.kept_date().toString(Qt.DateFormat.ISODate))

    def restore_state(self, settings: QSettings) -> None:
        for key, box in (("league", self.league_box), ("season", self.season_box), ("status", self.status_box)):
            value = settings.value(f"matches/{key}", "", type=str)
            if value and value != ALL:
                self._restored[box] = str(value)
        for key, edit in (("date_from", self.date_from), ("date_to", self.date_to)):
            day = QDate.fromString(str(settings.value(f"matches/{key}", "", type=str)), Qt.DateFormat.ISODate)
            if day.isValid() and day != OptionalDateEdit.BLANK:
                edit.blockSignals(True)
                edit.setDate(day)
                edit.blockSignals(False)
        if settings.value("matches/use_dates", False, type=bool):
            self.use_dates.blockSignals(True)
            self.use_dates.setChecked(True)
            self.use_dates.blockSignals(False)
            self.date_from.setEnabled(True)
            self.date_to.setEnabled(True)
        self.search.blockSignals(True)
        self.search.setText(str(settings.value("matches/search", "", type=str)))
        self.search.blockSignals(False)

    def current_filter(self) -> MatchFilter:
        def chosen(box: QComboBox) -> tuple[str, ...]:
            text = box.currentText()
            return () if not text or text == ALL else (text,)

        date_from = date_to = None
        if self.use_dates.isChecked():
            date_from = _to_date(self.date_from.date())
            date_to = _to_date(self.date_to.date())
        return MatchFilter(
            leagues=chosen(self.league_box),
            seasons=chosen(self.season_box),
            statuses=chosen(self.status_box),
            date_from=date_from,
            date_to=date_to,
            text=self.search.text(),
        )

    @Slot()
    def apply_filter(self) -> None:
        self._debounce.stop()
        new_filter = self.current_filter()
        if new_filter != self.model.current_filter:
            self.model.set_filter(new_filter)

    @Slot(bool)
    def _toggle_dates(self, on: bool) -> None:
        self.date_from.setEnabled(on)
        self.date_to.setEnabled(on)
        if on and self.model.rowCount() > 0:
            first = self.model.row(0).values["match_date"]
            self.date_from.blockSignals(True)
            self.date_to.blockSignals(True)
            self.date_from.setDate(QDate(first.year, first.month, first.day))
            self.date_to.setDate(QDate(first.year, first.month, first.day).addMonths(1))
            self.date_from.blockSignals(False)
            self.date_to.blockSignals(False)
        self.apply_filter()

    @Slot()
    def _update_count(self) -> None:
        total = self.model.total_count()
        counted = "counting…" if total is None else f"{total:,} matches"
        self.count_label.setText(f"{counted} ({self.model.rowCount():,} loaded)")

    @Slot(QItemSelection, QItemSelection)
    def _on_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if indexes:
            self.open_match(int(indexes[0].data(MATCH_ROLE)))

    def open_match(self, match_id: int) -> None:
        self.detail.show_match(match_id)

    def select_row(self, row: int) -> None:
        self.view.selectRow(row)


def _to_date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())
