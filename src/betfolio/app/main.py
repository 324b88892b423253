"""Start the application: resolve the database, open (and migrate) it off the GUI thread, show the window."""

from __future__ import annotations

import logging
import sys
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QApplication, QMessageBox, QSplashScreen

log = logging.getLogger(__name__)

PAGE_NAMES = {
    "portfolio": "Portfolio",
    "matches": "Matches",
    "live": "Live",
    "backtest": "Train & backtest",
    "train": "Train & backtest",
    "providers": "Providers & settings",
    "settings": "Providers & settings",
}


class Launcher(QObject):
    """Opens a database on a worker thread while a splash screen (and the event loop) stay responsive.

    Used at start-up and by File → Open database: the new database gets a new window, and the old window closes
    only once the new one is up; a database that cannot be opened is reported and changes nothing.
    """

    #: An open attempt ended (opened or failed).
    settled = Signal()

    def __init__(self, page: str | None = None, settings_dir: Any = None) -> None:
        super().__init__()
        from betfolio.app.task_runner import TaskRunner

        self.page = page
        self.settings_dir = settings_dir
        self.window: Any = None
        self.splash: QSplashScreen | None = None
        self.runner = TaskRunner(self)
        self.runner.succeeded.connect(self._opened)
        self.runner.failed.connect(self._failed)
        self._url: str | None = None

    def open(self, url: str | None) -> None:
        from betfolio.app.about import application_icon
        from betfolio.app.context import open_engine

        if self.runner.running:
            return
        self._url = url
        if self.window is None:
            self.splash = QSplashScreen(application_icon().pixmap(256, 256))
            self.splash.show()
            self.splash.showMessage(
                f"opening {url or 'the default database'}…", Qt.AlignmentFlag.AlignBottom, Qt.GlobalColor.white
            )
        else:
            self.window.statusBar().showMessage(f"opening {url}…")
        self.runner.start(lambda _control: open_engine(url))

    @Slot(object)
    def _opened(self, engine: Any) -> None:
        from betfolio.app.context import AppContext
        from betfolio.app.main_window import MainWindow

        old = self.window
        self.window = MainWindow(AppContext(engine, self.settings_dir))
        self.window.open_requested.connect(self.open)
        if self.page is not None and old is None:
            self.window.show_page(PAGE_NAMES[self.page.lower()])
        self.window.show()
        if self.splash is not None:
            self.splash.finish(self.window)
            self.splash = None
        if old is not None:
            old.close()
            old.context.engine.dispose()
        self.settled.emit()

    @Slot(str)
    def _failed(self, message: str) -> None:
        text = f"cannot open the database {self._url or '(default)'}: {message}"
        log.error(text)
        if self.splash is not None:
            self.splash.close()
            self.splash = None
        QMessageBox.critical(self.window, "Betfolio", text)
        self.settled.emit()


def run(db: str | None = None, page: str | None = None) -> int:
    from betfolio.app.about import application_icon
    from betfolio.app.settings import AppSettings, SettingsError

    if page is not None and page.lower() not in PAGE_NAMES:
        raise ValueError(f"unknown page {page!r}; choose one of {', '.join(sorted(PAGE_NAMES))}")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Betfolio")
    app.setOrganizationName("Betfolio")
    app.setWindowIcon(application_icon())
    url = db
    if url is None:
        try:
            url = AppSettings.load().database_url
        except SettingsError as exc:
            log.warning("ignoring settings: %s", exc)
    launcher = Launcher(page)
    # A local event loop while the database opens and migrates: the splash paints, nothing blocks.
    waiting = QEventLoop()
    launcher.settled.connect(waiting.quit)
    launcher.open(url)
    waiting.exec()
    launcher.runner.wait()  # the opening thread ends right after its result; never drop a running QThread
    if launcher.window is None:
        return 1  # nothing to show: a bad URL or an unreachable server (already reported)
    return int(app.exec())
