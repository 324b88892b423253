from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from typer.testing import CliRunner

from betfolio.app.main_window import MainWindow
from betfolio.cli import app

runner = CliRunner()


def test_app_help_lists_its_options() -> None:
    result = runner.invoke(app, ["app", "--help"])
    assert result.exit_code == 0
    assert "--db" in result.output and "--page" in result.output


def test_unknown_page_is_refused(qtbot) -> None:
    result = runner.invoke(app, ["app", "--page", "casino"])
    assert result.exit_code == 2
    assert "unknown page 'casino'" in result.output


def _visible_window() -> MainWindow:
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())


@pytest.fixture
def event_loop_inspector(monkeypatch: pytest.MonkeyPatch) -> Callable[[Callable[[MainWindow], None]], None]:
    """Replace the blocking ``app.exec()`` by a look at the shown window.

    Running and quitting the real application loop inside pytest-qt's QApplication leaves Qt's quit flag set,
    which stalls every later test's timers; the command's wiring is what these tests check.
    """

    def install(look: Callable[[MainWindow], None]) -> None:
        def fake_exec(_self: object = None) -> int:
            window = _visible_window()
            look(window)
            window.close()
            return 0

        monkeypatch.setattr(QApplication, "exec", fake_exec)

    return install


def test_app_opens_the_chosen_database_and_page(qtbot, sample_db: Path, event_loop_inspector) -> None:
    seen: dict[str, str] = {}

    def look(window: MainWindow) -> None:
        seen["title"] = window.windowTitle()
        seen["page"] = window.stack.currentWidget().title

    event_loop_inspector(look)
    result = runner.invoke(app, ["app", "--db", str(sample_db), "--page", "matches"])
    assert result.exit_code == 0, result.output
    assert str(sample_db) in seen["title"] and seen["page"] == "Matches"


def test_an_unreachable_database_is_a_clear_error(qtbot, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _parent, _title, text: shown.append(text))
    result = runner.invoke(app, ["app", "--db", "postgresql://nobody@127.0.0.1:1/none"])
    assert result.exit_code == 1
    assert shown and shown[0].startswith("cannot open the database postgresql://nobody@127.0.0.1:1/none")


def test_saved_database_is_used_without_db(qtbot, sample_db: Path, event_loop_inspector) -> None:
    from betfolio.app.settings import AppSettings

    AppSettings(database_url=f"sqlite:///{sample_db}").save()
    seen: list[str] = []
    event_loop_inspector(lambda window: seen.append(window.context.database))
    result = runner.invoke(app, ["app"])
    assert result.exit_code == 0, result.output
    assert seen == [f"sqlite:///{sample_db}"]
