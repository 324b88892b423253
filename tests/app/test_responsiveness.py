"""The window never blocks: an event-loop watchdog runs while every page refreshes on a 40k-match database and
while "Test connection" waits for an unreachable host.

The watchdog ticks every 10 ms on the GUI thread. Its CPU figure (what the GUI thread itself spent between two
ticks) must stay under 100 ms: that is the application's own stall, whatever else the machine runs. Its
wall-clock figure catches waits that burn no CPU — a query or a connection attempt on the GUI thread lasts
seconds here (the unreachable host is given 5 s) — so it must stay well below them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from betfolio.app.context import AppContext
from betfolio.app.event_loop_watchdog import EventLoopWatchdog
from betfolio.app.main_window import MainWindow
from betfolio.app.pages.providers import CONNECT_TIMEOUT_S, ProvidersPage
from betfolio.bench.app import top_up
from betfolio.store.engine import make_engine
from betfolio.store.queries import match_count

GUI_CPU_STALL_MS = 100.0
#: Far below any blocking wait this test would provoke (a 40k-row query, a 5 s connection timeout).
WALL_STALL_MS = 2_000.0
UNREACHABLE = "postgresql://nobody@10.255.255.1:5432/none"


@pytest.fixture(scope="module")
def big_db(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample topped up to 40,000 matches with copies of its real matches, odds and coverage."""
    path = tmp_path_factory.mktemp("app-40k") / "big.sqlite"
    shutil.copyfile(sample_db, path)
    top_up(f"sqlite:///{path}", 40_000)
    return path


@pytest.fixture
def big_engine(big_db: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{big_db}")
    yield engine
    engine.dispose()


@pytest.mark.slow
def test_pages_refresh_on_40k_matches_without_stalling_the_window(
    qtbot, big_engine: Engine, tmp_path: Path, settle
) -> None:
    with big_engine.connect() as conn:
        assert match_count(conn) == 40_000
    context = AppContext(big_engine, tmp_path)
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.resize(1440, 900)
    window.show()
    settle(window)
    matches = window.pages["Matches"]
    for title in window.pages:  # the first paint of every page is construction, not a refresh
        window.show_page(title)
        qtbot.wait(50)
    matches.select_row(0)  # so is the first drawing of the odds chart
    settle(window)
    dog = EventLoopWatchdog()
    dog.start()
    for _ in range(2):
        context.data_changed.emit()  # every page and the status bar re-read the database
        settle(window)
    for title in window.pages:
        window.show_page(title)
        qtbot.wait(100)
    window.show_page("Matches")
    for row in range(10, 50, 10):
        matches.select_row(row)  # each selection reads the match's odds history
        settle(window)
    matches.view.verticalScrollBar().setValue(matches.view.verticalScrollBar().maximum())  # next page, lazily
    settle(window)
    figures = dog.stop()
    assert matches.model.total_count() == 40_000 and matches.model.rowCount() > 250
    assert matches.detail.match is not None and matches.detail.quotes
    assert figures["ticks"] > 50
    # The worst GUI-thread slice is the Matches page shown and painted with its odds chart: 30–38 ms of GUI CPU in
    # 13 runs on a 2-core machine at load average 9–13 (it was 41–54 ms, and 112 ms once, before the chart stopped
    # rebuilding every curve on each range change); `betfolio bench app`, opening more matches at load 14, measured
    # 60 ms (79 ms before). CPU time inflates on a saturated machine, hence the margin.
    assert figures["max_gui_cpu_gap_ms"] < GUI_CPU_STALL_MS, figures
    assert figures["max_gap_ms"] < WALL_STALL_MS, figures


@pytest.mark.slow
def test_test_connection_to_an_unreachable_host_keeps_the_window_live(
    qtbot, sample_engine: Engine, tmp_path: Path, settle
) -> None:
    page = ProvidersPage(AppContext(sample_engine, tmp_path))
    qtbot.addWidget(page)
    page.refresh()
    settle(page)
    page.db_edit.setText(UNREACHABLE)
    dog = EventLoopWatchdog()
    dog.start()
    with qtbot.waitSignal(page.tested, timeout=(CONNECT_TIMEOUT_S + 25) * 1000) as tested:
        page.test_database()
        assert page.db_status.text().startswith("connecting to")  # said at once, answered later
        assert not page.db_test.isEnabled()
    figures = dog.stop()
    assert tested.args == [False]
    assert page.db_status.text().startswith("cannot connect")
    assert page.db_test.isEnabled()
    assert figures["max_gui_cpu_gap_ms"] < GUI_CPU_STALL_MS, figures
    assert figures["max_gap_ms"] < WALL_STALL_MS, figures
