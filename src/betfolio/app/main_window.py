"""The main window: navigation on the left, one page at a time on the right."""

from __future__ import annotations

from PySide6.QtCore import QSize, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QMainWindow, QStackedWidget, QWidget

from betfolio.app.context import AppContext
from betfolio.app.pages import Page
from betfolio.app.pages.backtest import BacktestPage
from betfolio.app.pages.live import LivePage
from betfolio.app.pages.matches import MatchesPage
from betfolio.app.pages.portfolio import PortfolioPage
from betfolio.app.pages.providers import ProvidersPage


class MainWindow(QMainWindow):
    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.setWindowTitle(f"Betfolio — {context.database}")
        self.resize(1440, 900)
        self.pages: dict[str, Page] = {}
        self.nav = QListWidget()
        self.nav.setFixedWidth(190)
        self.nav.setIconSize(QSize(16, 16))
        self.stack = QStackedWidget()
        for page_cls in (PortfolioPage, MatchesPage, LivePage, BacktestPage, ProvidersPage):
            page = page_cls(context)
            self.pages[page.title] = page
            self.nav.addItem(page.title)
            self.stack.addWidget(page)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.statusBar().showMessage(f"database: {context.database}")
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        context.navigate.connect(self.show_page)
        context.data_changed.connect(self._update_status)
        refresh = QAction("Reload", self)
        refresh.setShortcut(QKeySequence.StandardKey.Refresh)
        refresh.triggered.connect(context.data_changed.emit)
        self.addAction(refresh)
        for page in self.pages.values():
            page.refresh()
        self.nav.setCurrentRow(0)
        self._update_status()

    @Slot(str)
    def show_page(self, title: str) -> None:
        names = list(self.pages)
        if title in names:
            self.nav.setCurrentRow(names.index(title))

    @Slot()
    def _update_status(self) -> None:
        self.statusBar().showMessage(f"database: {self.context.database} · {self.context.match_count():,} matches")

    def closeEvent(self, event: object) -> None:
        """Let a running backtest stop cleanly instead of killing its thread mid-write."""
        for page in self.pages.values():
            shutdown = getattr(page, "shutdown", None)
            if shutdown is not None:
                shutdown()
        super().closeEvent(event)  # type: ignore[arg-type]
