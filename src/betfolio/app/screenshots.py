"""Screenshots of every page: ``python -m betfolio.app.screenshots OUTDIR [--db URL]``.

Without ``--db`` the bundled real sample is ingested into a temporary SQLite database first, so the pictures
always show real data, and a real backtest (Premier League 2022-23, three baseline strategies) and a small
HRL training and evaluation are run and recorded there so the Portfolio, Live and Train & backtest pages have
something to show. A database given with
``--db`` is only read: the backtest is run but not recorded. Runs offscreen unless a display is set (under
Xvfb it renders through the real X11 platform plugin).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PAGES = {
    "Portfolio": "portfolio.png",
    "Matches": "matches.png",
    "Live": "live.png",
    "Train & backtest": "backtest.png",
    "Providers & settings": "providers.png",
}
PICKS_SCREENSHOT = "matches-picks.png"


def _stage(window: Any, record: bool) -> None:
    """Put real content on every page: a backtest, an opened match, a replayed matchday at minute 67."""
    from PySide6.QtCore import QDate, Qt

    from betfolio.app.backtest_runner import BacktestRequest, backtest_available, run_backtest
    from betfolio.app.matches_model import COLUMNS
    from betfolio.app.replay import build_replay, live_agent_checkpoints, replay_available
    from betfolio.app.task_runner import TaskControl
    from betfolio.store.queries import last_match_date, league_seasons, match_filter_choices

    context = window.context
    control = TaskControl(lambda _value, _message: None)
    # Chosen before the providers' drill, which adds a later season's fixtures without results or prices.
    with context.engine.connect() as conn:
        leagues = match_filter_choices(conn).leagues
        league = "E0" if "E0" in leagues else leagues[0]
        season = league_seasons(conn, league)[-1]
        # The replayed matchday: the last one of that league season (it has results and pre-match prices).
        last_day = last_match_date(conn, league, season)
    if record:
        # The HRL run first: it picks its seasons from the store, and the providers' drill adds fixtures of a
        # later season that have no results yet (nothing to evaluate on).
        _hrl_evaluation(context.engine)
        _provider_drill(context.engine)
        context.data_changed.emit()
        context.reads.wait()
    backtest = window.pages["Train & backtest"]
    if backtest_available():
        with tempfile.TemporaryDirectory() as reports:  # the report itself is not part of the screenshots
            request = BacktestRequest(
                (league,), (season,), ("no_bet", "favourite", "consensus"), record=record, report_dir=Path(reports)
            )
            outcome = run_backtest(context.engine, request, control)
        backtest._on_result(outcome)
        backtest.progress.setValue(1000)
        for widget, value in ((backtest.league_list, league), (backtest.season_list, season)):
            for i in range(widget.count()):
                widget.item(i).setSelected(widget.item(i).data(Qt.ItemDataRole.UserRole) == value)
        if record:
            context.data_changed.emit()
    context.reads.wait()
    matches = window.pages["Matches"]
    matches.league_box.setCurrentText(league)
    matches.season_box.setCurrentText(season)
    context.reads.wait()
    home = COLUMNS.index("Home")
    rows = range(matches.model.rowCount())
    row = next((r for r in rows if matches.model.index(r, home).data() == "Crystal Palace"), 0)
    matches.select_row(row)
    context.reads.wait()
    live = window.pages["Live"]
    if replay_available() and last_day is not None:
        live.replay_day.setDate(QDate(last_day.year, last_day.month, last_day.day))
        agents = live_agent_checkpoints()  # the newest trained live agent, if any, trades the replay
        if agents:
            live.replay_agent.setCurrentIndex(max(live.replay_agent.findData(str(agents[0])), 0))
        replay = build_replay(context.engine, last_day, agent_checkpoint=agents[0] if agents else None, control=control)
        live._on_replay_ready(replay)
        live.replay_timer.stop()
        live.replay_minute = 67
        live.reload()
    portfolio = window.pages["Portfolio"]
    # The HRL evaluation when one is recorded: it shows the manager's allocation between the workers.
    hrl = next((i for i in range(portfolio.run_box.count()) if " evaluate " in portfolio.run_box.itemText(i)), -1)
    if hrl >= 0:
        portfolio.run_box.setCurrentIndex(hrl)
    context.reads.wait()


def _hrl_evaluation(engine: Any) -> None:
    """A small HRL training and evaluation (tiny budgets, about 15 s), recorded in the scratch database so the
    Portfolio page shows the manager's capital allocation and the Live page has a trained agent to trade."""
    import io

    from rich.console import Console

    try:
        from betfolio.agents.training import RunDir
        from betfolio.jobs.training import HRLSettings, available_seasons, run_hrl
    except ImportError:
        return
    if len(available_seasons(engine, None)) < 2:
        return
    settings = HRLSettings(
        live_steps=8_192, q_episodes=3, dqn_steps=2_000, seed=1, ablation=False, hrl_prematch="prematch-dqn"
    )
    run_hrl(engine, settings, RunDir.named("screenshots"), Console(file=io.StringIO(), width=160))


def _provider_drill(engine: Any) -> None:
    """The providers' own demo stage (recorded payloads over real HTTP, retries, an outage that opens the
    circuit), so the Providers page shows real circuit states and quotas. Only on the scratch database."""
    import io

    from rich.console import Console

    try:
        from betfolio.jobs.demo.providers_stage import run_demo_providers
    except ImportError:
        return
    with tempfile.TemporaryDirectory() as reports:
        run_demo_providers(engine, Console(file=io.StringIO(), width=160), Path(reports))


def capture(out_dir: Path, db_url: str, size: tuple[int, int] = (1440, 900), *, record: bool = False) -> list[Path]:
    from PySide6.QtWidgets import QApplication

    from betfolio.app.context import AppContext
    from betfolio.app.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    settings = tempfile.TemporaryDirectory()  # a user's saved layout neither shapes nor records these pictures
    context = AppContext.open(db_url, Path(settings.name))
    window = MainWindow(context)
    window.resize(*size)
    window.show()
    context.reads.wait()
    _stage(window, record)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for title, name in PAGES.items():
        window.show_page(title)
        context.reads.wait()
        for _ in range(5):
            app.processEvents()
        path = out_dir / name
        if not window.grab().save(str(path)):
            raise OSError(f"could not write {path}")
        written.append(path)
    # The selected match's Model pick tab: each forecast model's price and the bet it would make.
    window.show_page("Matches")
    detail = window.pages["Matches"].detail
    detail.tabs.setCurrentWidget(detail.picks_tab)
    context.reads.wait(300)
    for _ in range(5):
        app.processEvents()
    path = out_dir / PICKS_SCREENSHOT
    if not window.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    written.append(path)
    window.close()
    context.engine.dispose()
    settings.cleanup()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--db", help="database URL or SQLite path (default: a temporary copy of the bundled sample)")
    args = parser.parse_args(argv)
    from betfolio.logs import configure_logging

    configure_logging(logging.WARNING)
    log.setLevel(logging.INFO)  # this script's progress and the files it wrote; other modules stay quiet
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    if args.db:
        paths = capture(args.out_dir, args.db)
    else:
        from betfolio.data import bundled_sample
        from betfolio.ingest.football_data import ingest_paths
        from betfolio.store.engine import make_engine
        from betfolio.store.migrate import upgrade

        with tempfile.TemporaryDirectory() as tmp:
            # The staged HRL run writes its checkpoints under the data dir: keep them with the scratch database.
            os.environ["BETFOLIO_DATA_DIR"] = str(Path(tmp) / "data")
            url = f"sqlite:///{Path(tmp) / 'screenshots.sqlite'}"
            engine = make_engine(url)
            upgrade(engine)
            log.info("ingesting the bundled sample…")
            with bundled_sample() as sample:
                summary = ingest_paths(engine, [sample])
            engine.dispose()
            if summary.errors:
                for error in summary.errors:
                    log.error("%s", error)
                return 1
            paths = capture(args.out_dir, url, record=True)
    for path in paths:
        log.info("wrote %s", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
