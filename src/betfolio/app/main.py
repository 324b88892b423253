"""Start the application: resolve the database, open the window, run the event loop."""

from __future__ import annotations

import sys

PAGE_NAMES = {
    "portfolio": "Portfolio",
    "matches": "Matches",
    "live": "Live",
    "backtest": "Train & backtest",
    "train": "Train & backtest",
    "providers": "Providers & settings",
    "settings": "Providers & settings",
}


def run(db: str | None = None, page: str | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QMessageBox

    from betfolio.app.context import AppContext
    from betfolio.app.main_window import MainWindow
    from betfolio.app.settings import AppSettings, SettingsError

    if page is not None and page.lower() not in PAGE_NAMES:
        print(f"unknown page {page!r}; choose one of {', '.join(sorted(PAGE_NAMES))}", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Betfolio")
    url = db
    if url is None:
        try:
            url = AppSettings.load().database_url
        except SettingsError as exc:
            print(f"ignoring settings: {exc}", file=sys.stderr)
    try:
        context = AppContext.open(url)
    except Exception as exc:  # a bad URL or an unreachable server: say so and stop
        message = f"cannot open the database {url or '(default)'}: {type(exc).__name__}: {exc}"
        print(message, file=sys.stderr)
        QMessageBox.critical(None, "Betfolio", message)
        return 1
    window = MainWindow(context)
    if page is not None:
        window.show_page(PAGE_NAMES[page.lower()])
    window.show()
    return int(app.exec())
