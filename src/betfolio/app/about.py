"""The application's identity: its icon and the About dialog (version and data credits)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout, QWidget

import betfolio


@cache
def application_icon() -> QIcon:
    """Betfolio's icon, drawn for the project (SVG, with PNG renditions for platforms without the SVG plugin)."""
    folder = resources.files("betfolio.app") / "resources"
    icon = QIcon()
    for name in ("betfolio.svg", "betfolio-256.png", "betfolio-64.png"):
        with resources.as_file(folder / name) as path:
            icon.addFile(str(path))
    return icon


def data_credits() -> str:
    """The package's data credits (``betfolio/data/CREDITS.md``), as Markdown."""
    return (resources.files("betfolio") / "data" / "CREDITS.md").read_text(encoding="utf-8")


class AboutDialog(QDialog):
    def __init__(self, database: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Betfolio")
        self.setWindowIcon(application_icon())
        self.resize(640, 520)
        heading = QLabel(
            f"<h2>Betfolio {betfolio.__version__}</h2>"
            "A football betting portfolio run like a small quant fund: provider-agnostic data, honest "
            f"backtests, hierarchical RL agents.<br>Database: <code>{database}</code>"
        )
        heading.setWordWrap(True)
        self.credits = QTextBrowser()
        self.credits.setOpenExternalLinks(True)
        self.credits.setMarkdown(data_credits())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.credits, 1)
        layout.addWidget(buttons)
