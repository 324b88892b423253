"""Every page against the real bundled sample, driven the way a user drives it."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QDate, Qt
from sqlalchemy import Engine, func, insert, select

from betfolio.app.context import AppContext
from betfolio.app.main_window import MainWindow
from betfolio.app.matches_model import COLUMNS
from betfolio.app.pages.backtest import RESULT_HEADERS, BacktestPage
from betfolio.app.pages.live import LivePage
from betfolio.app.pages.matches import MatchesPage
from betfolio.app.pages.providers import ProvidersPage
from betfolio.store.queries import find_match
from betfolio.store.tables import bet_ledger, ingest_runs, live_states, matches_master, provider_status, runs


@pytest.fixture
def no_os_keyring() -> Iterator[None]:
    """API keys go to the 0600 file in these tests, never to a developer's real keyring."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def _cells(model) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(model.data(model.index(r, c))) for r in range(model.rowCount()) for c in range(model.columnCount())]


def test_every_page_renders_the_sample(
    qtbot, sample_engine: Engine, tmp_path: Path, no_os_keyring: None, settle
) -> None:
    window = MainWindow(AppContext(sample_engine, tmp_path))
    qtbot.addWidget(window)
    window.show()
    settle(window)
    assert list(window.pages) == ["Portfolio", "Matches", "Live", "Train & backtest", "Providers & settings"]
    for title, page in window.pages.items():
        window.show_page(title)
        assert window.stack.currentWidget() is page
        assert not page.showing_empty_state(), title
    matches = window.pages["Matches"]
    assert isinstance(matches, MatchesPage)
    assert matches.count_label.text().startswith("3,198 matches")
    portfolio = window.pages["Portfolio"]
    assert portfolio.inner.currentWidget() is portfolio.no_bets  # the ledger is empty until something bets
    live = window.pages["Live"]
    assert not live.nothing.isHidden() and live.replay_button.isEnabled()
    backtest = window.pages["Train & backtest"]
    assert backtest.strategy_list.count() >= 4 and backtest.run_button.isEnabled()
    providers = window.pages["Providers & settings"]
    assert "football-data" in _cells(providers.providers_model)
    assert {"E0", "D1", "SP1"} <= set(_cells(providers.coverage_model))
    assert "3,198 matches" in window.statusBar().currentMessage()


def test_filter_the_matches_table_and_open_a_match(qtbot, sample_engine: Engine, tmp_path: Path, settle) -> None:
    page = MatchesPage(AppContext(sample_engine, tmp_path))
    qtbot.addWidget(page)
    page.refresh()
    settle(page)
    page.league_box.setCurrentText("E0")
    page.season_box.setCurrentText("2022-23")
    settle(page)
    assert page.model.total_count() == 380
    qtbot.keyClicks(page.search, "arsenal")
    qtbot.waitUntil(lambda: page.model.current_filter.text == "arsenal", timeout=30_000)  # debounced
    settle(page)
    assert page.count_label.text().startswith("38 matches")
    home = COLUMNS.index("Home")
    row = next(r for r in range(page.model.rowCount()) if page.model.index(r, home).data() == "Crystal Palace")
    page.select_row(row)
    settle(page)
    detail = page.detail
    assert "Crystal Palace 0 – 2 Arsenal (HT 0–1)" in detail.header.text()
    assert detail.chart.series_count >= 6  # every bookmaker's 1X2 home price, opening → closing
    assert detail.fair_table.rowCount() >= 12  # opening and closing per bookmaker
    stats = {
        detail.stats_table.item(r, 0).text(): detail.stats_table.item(r, 3).text()
        for r in range(detail.stats_table.rowCount())
    }
    assert stats["shots"] == "present" and stats["xg"] == "masked (not covered)"
    totals = next(i for i in range(detail.market_box.count()) if detail.market_box.itemText(i) == "Total goals 2.5")
    detail.market_box.setCurrentIndex(totals)
    assert [detail.selection_box.itemText(i) for i in range(detail.selection_box.count())] == ["over", "under"]
    assert detail.chart.series_count >= 2
    page.use_dates.setChecked(True)
    page.date_from.setDate(QDate(2022, 8, 1))
    page.date_to.setDate(QDate(2022, 8, 31))
    settle(page)
    assert 0 < page.model.total_count() < 38


def test_empty_database_offers_the_bundled_sample(qtbot, empty_engine: Engine, tmp_path: Path, settle) -> None:
    context = AppContext(empty_engine, tmp_path)
    page = MatchesPage(context)
    qtbot.addWidget(page)
    page.refresh()
    settle(page)
    assert page.showing_empty_state()
    panel = page.empty_panel
    first_file: list[str] = []
    panel.runner.progress.connect(lambda _v, m: first_file.append(m) if m.startswith("ingested") else None)
    qtbot.mouseClick(panel.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(first_file), timeout=60_000)
    with qtbot.waitSignal(panel.runner.cancelled, timeout=60_000):
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.runner.running)
    settle(page)
    # Cancelled between files: whatever is stored is whole files, and the page now shows them.
    with empty_engine.connect() as conn:
        files = conn.execute(select(func.count(), func.sum(ingest_runs.c.matches)).select_from(ingest_runs)).one()
        stored = conn.execute(select(func.count()).select_from(matches_master)).scalar_one()
    assert 1 <= files[0] < 9 and stored == files[1]
    assert not page.showing_empty_state()
    assert page.model.total_count() == stored
    assert "cancelled" in panel.status.text()


def test_backtest_runs_records_and_lights_up_the_portfolio(
    qtbot, writable_engine: Engine, tmp_path: Path, settle
) -> None:
    window = MainWindow(AppContext(writable_engine, tmp_path))
    qtbot.addWidget(window)
    settle(window)
    page = window.pages["Train & backtest"]
    assert isinstance(page, BacktestPage)
    for widget, value in ((page.league_list, "E0"), (page.season_list, "2022-23")):
        next(
            widget.item(i) for i in range(widget.count()) if widget.item(i).data(Qt.ItemDataRole.UserRole) == value
        ).setSelected(True)
    request = page.request()
    assert request.leagues == ("E0",) and request.seasons == ("2022-23",)
    assert set(request.strategies) == {"no_bet", "favourite", "consensus"}
    with qtbot.waitSignal(page.runner.succeeded, timeout=120_000):
        qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
        assert not page.run_button.isEnabled() and page.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not page.runner.running)
    settle(window)
    outcome = page.outcome
    assert outcome is not None and outcome.run_id is not None
    assert outcome.report_path is not None and outcome.report_path.exists()
    assert page.results.rowCount() == 3 and page.report_button.isEnabled()
    favourite = next(s for s in outcome.summaries if s.name == "favourite")
    assert favourite.metrics["bets"] == 380  # one favourite per match of the season
    row = next(r for r in range(page.results.rowCount()) if page.results.rows[r][0] == "favourite")
    assert len(page.results.rows[row]) == len(RESULT_HEADERS)
    shown = dict(zip(RESULT_HEADERS, page.results.rows[row], strict=True))
    assert shown["ROI"] == f"{favourite.metrics['roi']:+.2%}" and shown["bets"] == 380
    # The run is in the ledger, and the Portfolio page shows it (one strategy = one bankroll).
    portfolio = window.pages["Portfolio"]
    assert portfolio.selected_run is not None and portfolio.selected_run.run_id == outcome.run_id
    assert portfolio.inner.currentWidget() is portfolio.dashboard
    portfolio.agent_box.setCurrentIndex(portfolio.agent_box.findData("favourite"))
    settle(window)
    assert portfolio.settled_model.rowCount() == 380
    assert portfolio.cards["roi"].value.text() == f"{favourite.metrics['roi']:+.2%}"
    assert portfolio.cards["equity"].value.text() == f"{favourite.metrics['final_equity']:,.2f}"


def test_cancel_a_backtest(qtbot, writable_engine: Engine, tmp_path: Path, settle) -> None:
    page = BacktestPage(AppContext(writable_engine, tmp_path))
    qtbot.addWidget(page)
    page.refresh()
    settle(page)
    rounds: list[str] = []
    page.runner.progress.connect(lambda _v, m: rounds.append(m) if m.startswith("decision round") else None)
    page.start()  # every league and season: hundreds of decision rounds
    qtbot.waitUntil(lambda: bool(rounds), timeout=120_000)
    with qtbot.waitSignal(page.runner.cancelled, timeout=60_000):
        qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.runner.running)
    assert page.status.text() == "cancelled: nothing was recorded"
    assert page.run_button.isEnabled()
    with writable_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(runs)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(bet_ledger)).scalar_one() == 0


def test_live_page_follows_live_states(qtbot, writable_engine: Engine, tmp_path: Path, settle) -> None:
    with writable_engine.begin() as conn:
        match = find_match(conn, "E0", "2022-23", "Crystal Palace", "Arsenal")
        assert match is not None
        kickoff = match["kickoff_utc"]
        now = datetime.now(UTC)
        for minute, (hg, ag), shots, staleness in (
            (10, (0, 0), (1, 2), 5.0),
            (20, (0, 1), (2, 4), 12.0),
            (30, (0, 1), (3, 5), 45.0),
        ):
            conn.execute(
                insert(live_states).values(
                    match_id=match["match_id"],
                    provider="api-football",
                    observed_at=kickoff + timedelta(minutes=minute),
                    minute=minute,
                    status="in_play",
                    home_goals=hg,
                    away_goals=ag,
                    statistics={"home": {"shots": shots[0]}, "away": {"shots": shots[1]}},
                    data_staleness=staleness,
                    ingested_at=now,
                )
            )
        conn.execute(insert(provider_status).values(provider="api-football", circuit_state="open", updated_at=now))
        conn.execute(
            insert(bet_ledger).values(
                agent="live",
                match_id=match["match_id"],
                market="1x2",
                selection="away",
                odds=2.4,
                stake=10.0,
                placed_at=kickoff + timedelta(minutes=21),
                in_play=True,
                status="won",
                payout=24.0,
                detail={"minute": 21, "reason": "pressure after the opener"},
            )
        )
    page = LivePage(AppContext(writable_engine, tmp_path))
    qtbot.addWidget(page)
    page.refresh()
    settle(page)
    assert page.summaries and page.current is not None
    s = page.current
    assert (s.minute, s.home_goals, s.away_goals, s.circuit_state) == (30, 0, 1, "open")
    assert s.stale  # 45 s of reported staleness: past the 30 s alert
    assert page.model.data(page.model.index(0, 5)) == "45 s"
    assert page.model.data(page.model.index(0, 0), Qt.ItemDataRole.BackgroundRole) is not None
    assert "stale 45 s" in page.header.text()
    assert page.decisions.rowCount() == 1
    assert "pressure after the opener" in _cells(page.decisions)


def test_live_replay_reaches_the_stored_results(qtbot, sample_engine: Engine, tmp_path: Path, settle) -> None:
    page = LivePage(AppContext(sample_engine, tmp_path))
    qtbot.addWidget(page)
    page.refresh()
    settle(page)
    page.replay_day.setDate(QDate(2022, 8, 6))
    page._tick()
    page.refresh()  # neither the 5 s poll nor a data reload moves the day the user chose
    settle(page)
    assert page.replay_day.date() == QDate(2022, 8, 6)
    page.replay_speed.setCurrentText("instant (full time)")
    with qtbot.waitSignal(page.runner.succeeded, timeout=60_000):
        page.start_replay()
    assert page.replay is not None and len(page.summaries) == len(page.replay) > 0
    with sample_engine.connect() as conn:
        results = {
            r.match_id: (r.home_goals, r.away_goals)
            for r in conn.execute(select(matches_master).where(matches_master.c.match_date == date(2022, 8, 6)))
        }
    for summary in page.summaries:
        assert summary.status == "finished" and summary.minute == 90
        assert (summary.home_goals, summary.away_goals) == results[summary.match_id]
    assert page.momentum_plot.plotItem.listDataItems()  # the selected match has its momentum line
    page.stop_replay()
    settle(page)
    assert page.replay is None and not page.nothing.isHidden()


def test_provider_keys_are_stored_privately_and_never_shown(
    qtbot, sample_engine: Engine, tmp_path: Path, no_os_keyring: None, monkeypatch: pytest.MonkeyPatch, settle
) -> None:
    monkeypatch.setenv("ODDS_API_KEY", "odds-env-key-0123456789")
    page = ProvidersPage(AppContext(sample_engine, tmp_path))
    qtbot.addWidget(page)
    page.refresh()
    settle(page)
    secret = "af-0123456789abcdefXYZW"
    page.key_provider.setCurrentIndex(page.key_provider.findData("api-football"))
    qtbot.keyClicks(page.key_edit, secret)
    qtbot.mouseClick(page.key_save, Qt.MouseButton.LeftButton)
    assert page.key_edit.text() == ""
    assert page.key_status.text() == "••••••••XYZW"
    settle(page)
    cells = _cells(page.providers_model)
    assert "••••••••XYZW" in cells and not any(secret in c for c in cells)
    assert "••••••••6789 (from $ODDS_API_KEY, used first)" in cells  # the providers' own lookup order
    assert not any("odds-env-key" in c for c in cells)
    secrets_file = tmp_path / "secrets.json"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    qtbot.mouseClick(page.key_remove, Qt.MouseButton.LeftButton)
    assert page.key_status.text() == "not set"

    page.db_edit.setText("postgresql://nobody@127.0.0.1:1/none")
    with qtbot.waitSignal(page.tested, timeout=30_000) as tested:
        page.test_database()
    assert tested.args == [False]
    assert page.db_status.text().startswith("cannot connect")
    other = tmp_path / "other.sqlite"
    page.db_edit.setText(str(other))
    with qtbot.waitSignal(page.tested, timeout=30_000) as tested:
        page.save_database()
    assert tested.args == [True]
    assert "saved to" in page.db_status.text()
    from betfolio.app.settings import AppSettings

    assert AppSettings.load(tmp_path).database_url == f"sqlite:///{other}"


def _select(widget, values: set[str]) -> None:  # type: ignore[no-untyped-def]
    for i in range(widget.count()):
        widget.item(i).setSelected(widget.item(i).data(Qt.ItemDataRole.UserRole) in values)


def test_train_an_agent_in_a_child_process(qtbot, writable_engine: Engine, tmp_path: Path, settle) -> None:
    page = BacktestPage(AppContext(writable_engine, tmp_path))
    qtbot.addWidget(page)
    page.refresh()
    settle(page)
    assert not page.train_box.isHidden()
    _select(page.league_list, {"E0"})
    _select(page.season_list, {"2020-21", "2021-22"})
    page.agent_box.setCurrentText("prematch-q")
    page.episodes.setValue(5)
    request = page.train_request()
    assert request.train_seasons == ("2020-21",) and request.eval_seasons == () and request.episodes == 5
    progress: list[float] = []
    page.train_runner.progress.connect(lambda v, _m: progress.append(v))
    with qtbot.waitSignal(page.train_runner.succeeded, timeout=240_000):
        qtbot.mouseClick(page.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.train_runner.running)
    result = page.train_outcome.result
    assert result["agent"] == "prematch-q" and result["train_seasons"] == ["2020-21"]
    run_dir = Path(result["run_dir"])
    assert run_dir.exists() and run_dir.is_relative_to(os.environ["BETFOLIO_DATA_DIR"])  # the test's data dir
    assert any(0.0 <= v <= 1.0 for v in progress)  # the child's progress bar reached the page
    assert "trained prematch-q" in page.train_status.text()


def test_cancel_training_stops_the_child(qtbot, writable_engine: Engine, tmp_path: Path, settle) -> None:
    page = BacktestPage(AppContext(writable_engine, tmp_path))
    qtbot.addWidget(page)
    page.refresh()
    settle(page)
    page.agent_box.setCurrentText("live")
    page.steps.setValue(5_000_000)
    started: list[str] = []
    page.train_runner.progress.connect(lambda _v, m: started.append(m) if m.startswith("training") else None)
    page.start_training()
    qtbot.waitUntil(lambda: bool(started), timeout=240_000)
    with qtbot.waitSignal(page.train_runner.cancelled, timeout=60_000):
        qtbot.mouseClick(page.train_cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.train_runner.running)
    assert page.train_status.text().startswith("training cancelled")
    assert page.train_button.isEnabled()


def test_a_trained_live_agent_trades_the_replay(
    qtbot, sample_db: Path, sample_engine: Engine, tmp_path: Path, settle
) -> None:
    from typer.testing import CliRunner

    from betfolio.cli import app as cli

    trained = CliRunner().invoke(
        cli,
        ["train", "--agent", "live", "--db", str(sample_db), "--leagues", "E0", "--train-seasons", "2021-22",
         "--steps", "2000", "--envs", "32", "--json"],
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    page = LivePage(AppContext(sample_engine, tmp_path))
    qtbot.addWidget(page)
    page.refresh()
    settle(page)
    agent = next(i for i in range(page.replay_agent.count()) if page.replay_agent.itemData(i))
    page.replay_agent.setCurrentIndex(agent)
    page.replay_day.setDate(QDate(2022, 8, 6))
    page.replay_speed.setCurrentText("instant (full time)")
    with qtbot.waitSignal(page.runner.succeeded, timeout=120_000):
        page.start_replay()
    assert page.replay is not None
    traded = [r for r in page.replay if r.decisions]
    assert traded, "a freshly trained PPO policy is stochastic and bets in some minutes"
    row = next(i for i, s in enumerate(page.summaries) if s.match_id == traded[0].match_id)
    page.view.selectRow(row)
    rows = page.decisions.rows
    assert len(rows) == len(traded[0].decisions)
    for shown, decision in zip(rows, traded[0].decisions, strict=True):
        assert shown[2] == decision.minute and shown[6] == ("won" if decision.payout > 0 else "lost")
    page.replay_minute = traded[0].decisions[0].minute  # before full time nothing is settled yet
    page.reload()
    assert page.current is not None and page.current.match_id == traded[0].match_id
    assert page.decisions.rows and all(r[6] == "open" and r[7] is None for r in page.decisions.rows)


def test_every_page_on_an_empty_database(
    qtbot, empty_engine: Engine, tmp_path: Path, no_os_keyring: None, settle
) -> None:
    window = MainWindow(AppContext(empty_engine, tmp_path))
    qtbot.addWidget(window)
    settle(window)
    for title in ("Portfolio", "Matches", "Live", "Train & backtest"):
        page = window.pages[title]
        assert page.showing_empty_state(), title
        assert page.empty_panel.button.text() == "Ingest the bundled sample"
    providers = window.pages["Providers & settings"]
    assert not providers.showing_empty_state()  # settings stay reachable: a key or a database URL may be needed
    assert not providers.empty_hint.isHidden()
    assert "0 matches" in window.statusBar().currentMessage()
