"""The main window's menu, export, About, remembered layout, and the match detail's lineups and injuries."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QSplitter
from sqlalchemy import Engine, insert, update

import betfolio
from betfolio.app.about import AboutDialog, application_icon
from betfolio.app.context import AppContext
from betfolio.app.main_window import MainWindow
from betfolio.app.match_detail import MatchDetail
from betfolio.app.matches_model import COLUMNS
from betfolio.app.pages.providers import PROVIDER_HEADERS
from betfolio.store.queries import find_match
from betfolio.store.tables import coverage, players, players_db
from betfolio.store.tables import matches_master as mm


def _menu_titles(window: MainWindow) -> dict[str, list[str]]:
    return {
        menu.text(): [a.text() for a in menu.menu().actions() if a.text()]
        for menu in window.menuBar().actions()
        if menu.menu() is not None
    }


def test_menu_and_about(qtbot, sample_engine: Engine, tmp_path: Path, settle) -> None:
    window = MainWindow(AppContext(sample_engine, tmp_path))
    qtbot.addWidget(window)
    settle(window)
    menus = _menu_titles(window)
    assert menus["&File"][:3] == ["&Open database file…", "Open database &URL…", "&Export table as CSV…"]
    assert menus["&Help"] == ["&About Betfolio"]
    assert not window.windowIcon().isNull()
    about = AboutDialog(window.context.database)
    qtbot.addWidget(about)
    credits = about.credits.toPlainText()
    assert "football-data.co.uk" in credits and "API-Football" in credits
    heading = about.layout().itemAt(0).widget().text()
    assert f"Betfolio {betfolio.__version__}" in heading
    icon = application_icon()
    assert not icon.isNull() and not icon.pixmap(64, 64).isNull()


def test_export_the_visible_table_as_csv(qtbot, sample_engine: Engine, tmp_path: Path, settle) -> None:
    window = MainWindow(AppContext(sample_engine, tmp_path))
    qtbot.addWidget(window)
    settle(window)
    window.show_page("Matches")
    matches = window.pages["Matches"]
    matches.league_box.setCurrentText("E0")
    matches.season_box.setCurrentText("2022-23")
    settle(window)
    assert matches.model.rowCount() == 250  # one page loaded…
    path = tmp_path / "out" / "matches.csv"
    window.export_table(path)
    settle(window)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(COLUMNS)
    assert len(rows) == 381  # …every match passing the filters is exported
    assert {r[1] for r in rows[1:]} == {"E0"} and {r[2] for r in rows[1:]} == {"2022-23"}
    assert "exported 380 rows" in window.last_message

    window.show_page("Providers & settings")
    settle(window)
    providers_csv = tmp_path / "providers.csv"
    window.export_table(providers_csv)
    settle(window)
    with providers_csv.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(PROVIDER_HEADERS) and any(r[0] == "football-data" for r in rows[1:])

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    window.export_table(blocker / "x.csv")  # its folder cannot be created: reported, nothing written
    settle(window)
    assert window.last_message.startswith("export failed")
    assert not list(tmp_path.glob("**/*.part"))


def test_window_remembers_layout_page_and_filters(qtbot, sample_engine: Engine, tmp_path: Path, settle) -> None:
    window = MainWindow(AppContext(sample_engine, tmp_path))
    qtbot.addWidget(window)
    window.show()
    settle(window)
    window.resize(1100, 720)
    window.show_page("Matches")
    matches = window.pages["Matches"]
    matches.league_box.setCurrentText("D1")
    matches.search.setText("bayern")
    matches.apply_filter()
    settle(window)
    splitter = window.findChild(QSplitter, "matches-table-detail")
    splitter.setSizes([150, 450])
    sizes = splitter.sizes()
    size = window.size()  # the layout's minimum width may widen the 1100 asked for
    assert size != QSize(1440, 900)  # not the default size, so the next window can only have it from QSettings
    window.close()
    assert (tmp_path / "app-state.ini").exists()

    again = MainWindow(AppContext(sample_engine, tmp_path))
    qtbot.addWidget(again)
    again.show()
    settle(again)
    assert again.current_page is not None and again.current_page.title == "Matches"
    restored = again.pages["Matches"]
    assert restored.league_box.currentText() == "D1" and restored.search.text() == "bayern"
    assert restored.model.current_filter.leagues == ("D1",) and restored.model.current_filter.text == "bayern"
    assert restored.model.total_count() == 102  # Bayern's three Bundesliga seasons
    assert again.size() == size
    assert again.findChild(QSplitter, "matches-table-detail").sizes() == sizes


def test_match_detail_shows_lineups_and_injuries_where_covered(qtbot, writable_engine: Engine) -> None:
    now = datetime.now(UTC)
    with writable_engine.begin() as conn:
        match = find_match(conn, "E0", "2022-23", "Crystal Palace", "Arsenal")
        later = find_match(conn, "E0", "2022-23", "Arsenal", "Crystal Palace")
        uncovered = find_match(conn, "D1", "2022-23", "Eintracht Frankfurt", "Bayern Munich")
        assert match is not None and later is not None and uncovered is not None
        lineups = {
            "home": {
                "formation": "4-3-3",
                "coach": "P. Vieira",
                "start_xi": [{"name": "V. Guaita", "number": 1, "pos": "G"}],
                "substitutes": [{"name": "J. Ayew", "number": 9, "pos": "F"}],
            },
            "away": {"formation": "4-3-3", "coach": "Arteta", "start_xi": [{"name": "A. Ramsdale", "number": 1}]},
        }
        conn.execute(update(mm).where(mm.c.match_id == match["match_id"]).values(lineups=lineups))
        conn.execute(
            insert(coverage).values(
                provider="api-football",
                league="E0",
                season="2022-23",
                flags={"lineups": True, "injuries": True},
                statistics=[],
                updated_at=now,
            )
        )
        player_id = conn.execute(insert(players).values(name="W. Zaha").returning(players.c.player_id)).scalar_one()
        report = {
            "type": "Missing Fixture",
            "reason": "Hamstring",
            "date": match["match_date"].isoformat(),
            "fixture": None,
            "provider": "api-football",
        }
        conn.execute(
            insert(players_db).values(
                player_id=player_id,
                season="2022-23",
                team_id=match["home_team_id"],
                league="E0",
                performance={},
                injuries=[report],
                updated_at=now,
            )
        )
    detail = MatchDetail(writable_engine)
    qtbot.addWidget(detail)

    def show(match_id: int) -> None:
        detail.show_match(match_id)
        assert detail.reads.wait(60)

    def cells(table) -> list[list[str]]:  # type: ignore[no-untyped-def]
        return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]

    show(match["match_id"])
    assert detail.lineups_state.text() == "Lineups: present"
    rows = cells(detail.lineups_table)
    assert ["home", "starting XI", "1", "V. Guaita", "G"] in rows
    assert ["home", "substitute", "9", "J. Ayew", "F"] in rows and [
        "away",
        "starting XI",
        "1",
        "A. Ramsdale",
        "—",
    ] in rows
    assert detail.injuries_state.text() == "Injuries: 1 reported"
    assert cells(detail.injuries_table) == [["home", "W. Zaha", "Missing Fixture", "Hamstring", "api-football"]]

    show(later["match_id"])  # covered league season, nothing delivered for this match: missing, not masked
    assert detail.lineups_state.text().startswith("Lineups: missing")
    assert detail.injuries_state.text() == "Injuries: none reported for this match (injuries are covered)"
    assert detail.injuries_table.rowCount() == 0

    show(uncovered["match_id"])  # no provider covers lineups or injuries for the Bundesliga here: masked
    assert detail.lineups_state.text().startswith("Lineups: masked")
    assert detail.injuries_state.text().startswith("Injuries: masked")
