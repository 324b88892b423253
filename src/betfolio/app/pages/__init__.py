"""The application's pages; each one reloads itself when the context says the data changed."""

from __future__ import annotations

from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from betfolio.app.context import AppContext
from betfolio.app.widgets import EmptyDatabasePanel


class Page(QWidget):
    """A page that shows an ingest panel while the database has no matches, and its content otherwise."""

    title = "page"
    empty_message = "This page needs matches in the database."

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
        """Show the ingest panel or reload the content."""
        if self.context.is_empty():
            self.stack.setCurrentWidget(self.empty_panel)
            return
        self.stack.setCurrentWidget(self.content)
        self.reload()

    def reload(self) -> None:  # pragma: no cover - every page overrides
        raise NotImplementedError
