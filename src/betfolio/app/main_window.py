"""The main window: navigation on the left, one page at a time on the right, a menu, and remembered layout.

QSettings keeps what a user arranged between runs: window geometry, every splitter, the last page and the
matches filters. It is an INI file in the config dir beside ``config.toml`` (``context.settings_dir`` when the
context has one: tests, screenshots), so such runs never touch a user's layout.
"""

from __future__ import annotations

import gc
from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from betfolio.app.about import AboutDialog, application_icon
from betfolio.app.context import AppContext
from betfolio.app.matches_model import MatchesModel
from betfolio.app.pages import Page
from betfolio.app.pages.backtest import BacktestPage
from betfolio.app.pages.live import LivePage
from betfolio.app.pages.matches import MatchesPage
from betfolio.app.pages.portfolio import PortfolioPage
from betfolio.app.pages.providers import ProvidersPage
from betfolio.app.table_export import export_matches, model_snapshot, write_csv
from betfolio.config import config_dir

STATE_FILE = "app-state.ini"


def window_settings(context: AppContext) -> QSettings:
    folder = Path(context.settings_dir) if context.settings_dir is not None else config_dir()
    return QSettings(str(folder / STATE_FILE), QSettings.Format.IniFormat)


class MainWindow(QMainWindow):
    #: File → Open database chose a database (URL or SQLite path); ``main`` opens it in a new window.
    open_requested = Signal(str)

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.setWindowTitle(f"Betfolio — {context.database}")
        self.setWindowIcon(application_icon())
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
        self.statusBar().showMessage(f"database: {context.database} · reading…")
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        context.navigate.connect(self.show_page)
        context.data_changed.connect(self._update_status)
        self._build_menu()
        context.reads.idle.connect(self._freeze_startup_objects)
        self.settings = window_settings(context)
        self._restore_state()
        for page in self.pages.values():
            page.refresh()
        self._update_status()

    @Slot()
    def _freeze_startup_objects(self) -> None:
        """Once the first loads are in (modules imported, pages filled), exempt what exists from collection.

        A full garbage collection walks every live object while holding the interpreter lock — every thread
        stops, the GUI thread included. With the scientific stack loaded that is over a second here, and it ran
        whenever a background read happened to trigger it. Start-up objects live as long as the app, so
        ``gc.freeze`` moves them out of the collector's sight; later full collections stay short.
        """
        self.context.reads.idle.disconnect(self._freeze_startup_objects)
        gc.freeze()

    # --- menu ------------------------------------------------------------------------------------------
    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = QAction("&Open database file…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.choose_database_file)
        self.open_url_action = QAction("Open database &URL…", self)
        self.open_url_action.triggered.connect(self.choose_database_url)
        self.export_action = QAction("&Export table as CSV…", self)
        self.export_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_action.triggered.connect(self.choose_export_file)
        self.reload_action = QAction("&Reload", self)
        self.reload_action.setShortcut(QKeySequence.StandardKey.Refresh)
        self.reload_action.triggered.connect(self.context.data_changed.emit)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        for action in (self.open_action, self.open_url_action, self.export_action, self.reload_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu("&View")
        for i, title in enumerate(self.pages):
            action = QAction(title, self)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _checked=False, t=title: self.show_page(t))
            view_menu.addAction(action)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About Betfolio", self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)

    @Slot()
    def choose_database_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a Betfolio database", "", "SQLite databases (*.sqlite *.sqlite3 *.db);;All files (*)"
        )
        if path:
            self.open_requested.emit(path)

    @Slot()
    def choose_database_url(self) -> None:
        url, ok = QInputDialog.getText(
            self, "Open a database", "SQLAlchemy URL (e.g. postgresql://user@host/db):", QLineEdit.EchoMode.Normal
        )
        if ok and url.strip():
            self.open_requested.emit(url.strip())

    @Slot()
    def choose_export_file(self) -> None:
        page = self.current_page
        if page is None or page.export_model() is None:
            self.statusBar().showMessage("this page shows no table to export", 5000)
            return
        default = f"betfolio-{page.title.split()[0].lower()}.csv"
        path, _ = QFileDialog.getSaveFileName(self, "Export table as CSV", default, "CSV files (*.csv)")
        if path:
            self.export_table(Path(path))

    def export_table(self, path: Path) -> None:
        """Write the current page's table to ``path`` in the background; the status bar says when it is done."""
        page = self.current_page
        model = page.export_model() if page is not None else None
        if model is None:
            self.statusBar().showMessage("this page shows no table to export", 5000)
            return
        if isinstance(model, MatchesModel):
            engine = self.context.engine
            work = lambda: export_matches(engine, model, path)  # noqa: E731 - every filtered match, not just loaded
        else:
            headers, rows = model_snapshot(model)
            work = lambda: write_csv(path, headers, rows)  # noqa: E731
        self.statusBar().showMessage(f"exporting to {path}…")
        self.context.reads.submit(
            "export",
            work,
            lambda n: self._announce(f"exported {n:,} rows to {path}"),
            lambda message: self._announce(f"export failed: {message}"),
        )

    def _announce(self, message: str) -> None:
        self.statusBar().showMessage(message, 15_000)
        self.last_message = message

    @Slot()
    def show_about(self) -> None:
        AboutDialog(self.context.database, self).exec()

    # --- pages -----------------------------------------------------------------------------------------
    @property
    def current_page(self) -> Page | None:
        widget = self.stack.currentWidget()
        return widget if isinstance(widget, Page) else None

    @Slot(str)
    def show_page(self, title: str) -> None:
        names = list(self.pages)
        if title in names:
            self.nav.setCurrentRow(names.index(title))

    @Slot()
    def _update_status(self) -> None:
        self.context.reads.submit(
            "status/match-count",
            self.context.match_count,
            lambda n: self.statusBar().showMessage(f"database: {self.context.database} · {n:,} matches"),
        )

    # --- remembered layout -----------------------------------------------------------------------------
    def _splitters(self) -> list[QSplitter]:
        return [s for s in self.findChildren(QSplitter) if s.objectName()]

    def _restore_state(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = s.value("window/state")
        if state is not None:
            self.restoreState(state)
        for splitter in self._splitters():
            saved = s.value(f"splitters/{splitter.objectName()}")
            if saved is not None:
                splitter.restoreState(saved)
        last = str(s.value("window/page", "", type=str))
        self.nav.setCurrentRow(list(self.pages).index(last) if last in self.pages else 0)
        for page in self.pages.values():
            restore = getattr(page, "restore_state", None)
            if restore is not None:
                restore(s)

    def save_state(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        for splitter in self._splitters():
            s.setValue(f"splitters/{splitter.objectName()}", splitter.saveState())
        page = self.current_page
        if page is not None:
            s.setValue("window/page", page.title)
        for each in self.pages.values():
            save = getattr(each, "save_state", None)
            if save is not None:
                save(s)
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Remember the layout; let a running backtest stop cleanly instead of killing its thread mid-write."""
        self.save_state()
        for page in self.pages.values():
            shutdown = getattr(page, "shutdown", None)
            if shutdown is not None:
                shutdown()
        self.context.reads.shutdown()
        super().closeEvent(event)
