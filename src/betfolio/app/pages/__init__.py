"""The application's pages; each one reloads itself, off the GUI thread, when the context says the data changed."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, Signal
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget
from sqlalchemy import Engine

from betfolio.app.context import AppContext
from betfolio.app.widgets import EmptyDatabasePanel
from betfolio.store.queries import match_count


class Page(QWidget):
    """A page that shows an ingest panel while the database has no matches, and its content otherwise.

    ``refresh`` never touches the database on the GUI thread: ``load`` runs on the context's background reader
    (it gets the engine and a snapshot of the page's choices, never widgets) and ``show_data`` puts its result on
    screen when it arrives.
    """

    title = "page"
    empty_message = "This page needs matches in the database."
    #: False for pages that stay usable on an empty database (settings).
    needs_matches = True
    #: Emitted after a refresh's data is on screen.
    loaded = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.stack = QStackedWidget()
        self.empty_panel = EmptyDatabasePanel(context, self.empty_message)
        self.content = QWidget()
        self.stack.addWidget(self.empty_panel)
        self.stack.addWidget(self.content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        context.data_changed.connect(self.refresh)

    def showing_empty_state(self) -> bool:
        return self.stack.currentWidget() is self.empty_panel

    def refresh(self) -> None:
        """Reload in the background, then show the ingest panel or the content."""
        request = self.load_request()
        engine = self.context.engine
        needs_matches = self.needs_matches

        def work() -> tuple[int, Any]:
            with engine.connect() as conn:
                count = match_count(conn)
            return count, (self.load(engine, request) if count or not needs_matches else None)

        self.context.reads.submit(f"{self.title}/refresh", work, self._on_loaded)

    def _on_loaded(self, result: tuple[int, Any]) -> None:
        count, data = result
        if self.needs_matches and count == 0:
            self.stack.setCurrentWidget(self.empty_panel)
        else:
            self.stack.setCurrentWidget(self.content)
            self.show_data(data)
        self.loaded.emit()

    def load_request(self) -> Any:
        """What ``load`` needs to know of the page's current choices (read on the GUI thread)."""
        return None

    def load(self, engine: Engine, request: Any) -> Any:  # pragma: no cover - every page overrides
        """Runs on a pool thread: read the database and shape plain data; never touch a widget."""
        raise NotImplementedError

    def show_data(self, data: Any) -> None:  # pragma: no cover - every page overrides
        """Runs on the GUI thread with what ``load`` returned."""
        raise NotImplementedError

    def export_model(self) -> QAbstractItemModel | None:
        """The table the user is looking at, for File → Export (None when the page shows none)."""
        return None
