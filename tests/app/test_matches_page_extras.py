"""The Matches page's date fields, its Model pick tab, and the app package's output discipline."""

from __future__ import annotations

import ast
from pathlib import Path

from PySide6.QtCore import QDate, QSettings
from sqlalchemy import Engine

import betfolio.app
from betfolio.app.context import AppContext
from betfolio.app.match_detail import PICKS_HINT
from betfolio.app.matches_model import COLUMNS
from betfolio.app.pages.matches import MatchesPage


def _page(qtbot, engine: Engine, tmp_path: Path, settle) -> MatchesPage:  # type: ignore[no-untyped-def]
    page = MatchesPage(AppContext(engine, tmp_path))
    qtbot.addWidget(page)
    page.refresh()
    settle(page)
    return page


def test_disabled_date_fields_show_a_dash_and_keep_the_chosen_dates(
    qtbot, sample_engine: Engine, tmp_path: Path, settle
) -> None:
    page = _page(qtbot, sample_engine, tmp_path, settle)
    page.show()
    for edit in (page.date_from, page.date_to):
        assert not edit.isEnabled() and edit.text() == "—"  # not Qt's 2000-01-01
    page.use_dates.setChecked(True)
    settle(page)
    assert page.date_from.text() != "—" and page.date_from.date().year() > 2000
    page.date_from.setDate(QDate(2022, 8, 1))
    page.date_to.setDate(QDate(2022, 8, 31))
    page.use_dates.setChecked(False)
    settle(page)
    assert page.date_from.text() == page.date_to.text() == "—"
    assert page.model.current_filter.date_from is None  # disabled dates filter nothing
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    page.save_state(settings)
    assert settings.value("matches/date_from") == "2022-08-01"  # the user's dates, not the dash's placeholder
    restored = _page(qtbot, sample_engine, tmp_path, settle)
    restored.restore_state(settings)
    assert restored.date_from.text() == "—"
    restored.use_dates.setChecked(True)
    page.use_dates.setChecked(True)
    assert page.date_to.date() == QDate(2022, 8, 31) or page.date_to.text() != "—"


def test_model_pick_tab_prices_the_selected_match_off_the_gui_thread(
    qtbot, sample_engine: Engine, tmp_path: Path, settle
) -> None:
    page = _page(qtbot, sample_engine, tmp_path, settle)
    page.league_box.setCurrentText("E0")
    page.season_box.setCurrentText("2022-23")  # the sample's last season: two seasons of history before it
    settle(page)
    assert page.model.total_count() == 380
    home = COLUMNS.index("Home")
    row = next(r for r in range(page.model.rowCount()) if page.model.index(r, home).data() == "Arsenal")
    page.select_row(row)
    settle(page)
    detail = page.detail
    assert detail.picks_state.text() == PICKS_HINT and detail.picks_table.rowCount() == 0  # nothing computed yet
    detail.tabs.setCurrentWidget(detail.picks_tab)
    assert detail.picks_state.text().startswith("fitting the models")  # said at once, computed in the background
    settle(page)
    summary = detail.picks_state.text()
    assert summary.startswith("Priced as of") and "market_anchored" in summary and "dixon_coles" in summary
    picks = [[detail.picks_table.item(r, c).text() for c in range(9)] for r in range(detail.picks_table.rowCount())]
    assert {p[0] for p in picks} == {"market_anchored", "dixon_coles"}, summary
    assert {p[2] for p in picks if p[1] == "1x2"} == {"home", "draw", "away"}
    # Selecting another match while the tab is open prices that one.
    page.select_row(row + 1 if row + 1 < page.model.rowCount() else row - 1)
    settle(page)
    assert detail.picks_state.text().startswith("Priced as of") and detail._picks_for == detail.match["match_id"]


def test_the_app_package_never_prints() -> None:
    """Output goes through logging (or the CLI's presentation); a print from a window would reach nobody."""
    package = Path(betfolio.app.__file__).parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                offenders.append(f"{path.relative_to(package)}:{node.lineno}")
    assert offenders == []
