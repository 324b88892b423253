"""The desktop app timing itself for `betfolio bench app`: the matches table, the odds chart and the event loop.

Lives in the app package because it drives Qt (only the app imports Qt); the benchmark command in
:mod:`betfolio.bench.app` prepares the database and prints what this returns.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

CHART_TARGET_MS = 100.0
FRAME_MS = 1000.0 / 60.0


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 2)


def _dist(samples: list[float], cpu: list[float] | None = None) -> dict[str, float]:
    """Wall-clock percentiles, and the same for process CPU time (the fairer figure on a shared machine)."""

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return _ms(ordered[min(len(ordered) - 1, int(q * len(ordered)))])

    out = {
        "n": len(samples),
        "p50_ms": _ms(statistics.median(samples)),
        "p95_ms": pct(samples, 0.95),
        "max_ms": _ms(max(samples)),
    }
    if cpu:
        out |= {"cpu_p50_ms": _ms(statistics.median(cpu)), "cpu_p95_ms": pct(cpu, 0.95), "cpu_max_ms": _ms(max(cpu))}
    return out


def _until(condition: Any, timeout_s: float = 120.0) -> None:
    """Run the event loop until ``condition()`` holds (results of background reads arrive through it)."""
    from PySide6.QtCore import QCoreApplication, QEventLoop

    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not answer in time")
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)


def measure(url: str, source: dict[str, Any], chart_samples: int) -> dict[str, Any]:
    from PySide6.QtWidgets import QApplication

    from betfolio.app.context import AppContext
    from betfolio.app.match_detail import MatchDetail
    from betfolio.app.matches_model import MatchesModel, MatchFilter
    from betfolio.app.pages.matches import MatchesPage
    from betfolio.store.engine import describe, make_engine
    from betfolio.store.queries import match_count, match_filter_choices

    app = QApplication.instance() or QApplication([])
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = match_count(conn)
        choices = match_filter_choices(conn)
    leagues, seasons = choices.leagues, choices.seasons
    if rows == 0:
        raise ValueError(f"{describe(engine)} holds no matches")

    # --- table: first page and count (both read in the background, in parallel), full lazy load -------------
    model = MatchesModel(engine)
    t0 = time.perf_counter()
    model.set_filter(MatchFilter())
    _until(lambda: model.rowCount() > 0)
    first_page = time.perf_counter() - t0
    _until(lambda: model.total_count() is not None)
    count = time.perf_counter() - t0
    total = model.total_count()
    page_times, page_cpu = [], []
    t_all = time.perf_counter()
    while not model.exhausted:
        t0, c0 = time.perf_counter(), time.process_time()
        before = model.rowCount()
        model.fetchMore()
        _until(lambda before=before: model.rowCount() > before or model.exhausted)
        page_times.append(time.perf_counter() - t0)
        page_cpu.append(time.process_time() - c0)
    full_load = time.perf_counter() - t_all

    # --- scrolling the Matches page's own view, fetching lazily as it goes ---------------------------------
    page = MatchesPage(AppContext(engine))
    page.resize(1400, 900)
    page.refresh()
    page.show()
    page.context.reads.wait()
    view, view_model = page.view, page.model
    bar = view.verticalScrollBar()
    steps: list[float] = []
    steps_cpu: list[float] = []
    t_scroll = time.perf_counter()
    while True:
        t0, c0 = time.perf_counter(), time.process_time()
        bar.setValue(bar.value() + bar.pageStep())
        app.processEvents()  # lets the view ask for the next page when it nears the end
        view.viewport().repaint()
        steps.append(time.perf_counter() - t0)
        steps_cpu.append(time.process_time() - c0)
        if bar.value() >= bar.maximum():
            if view_model.exhausted:
                break
            page.context.reads.wait()  # at the bottom before the next page arrived: it is on its way
    scroll_total = time.perf_counter() - t_scroll
    page.close()

    # --- filters, as the page applies them -----------------------------------------------------------
    mid_season = seasons[len(seasons) // 2]
    year = int(mid_season[:4])
    filters = {
        "league": MatchFilter(leagues=(leagues[0],)),
        "league_and_season": MatchFilter(leagues=(leagues[0],), seasons=(mid_season,)),
        "status_finished": MatchFilter(statuses=("finished",)),
        "date_range_one_month": MatchFilter(date_from=date(year, 10, 1), date_to=date(year, 10, 31)),
        "team_search": MatchFilter(text="united"),
        "search_no_match": MatchFilter(text="zzzz no such team"),
    }
    filter_times: dict[str, dict[str, float | int | None]] = {}
    for name, f in filters.items():
        t0 = time.perf_counter()
        model.set_filter(f)
        model.wait()
        filter_times[name] = {"ms": _ms(time.perf_counter() - t0), "matches": model.total_count()}

    # --- odds chart of one match ----------------------------------------------------------------------
    detail = MatchDetail(engine)
    detail.resize(1200, 600)
    detail.show()
    app.processEvents()
    model.set_filter(MatchFilter())
    model.fetch_all()
    step = max(1, model.rowCount() // chart_samples)
    ids = [model.row(i).match_id for i in range(0, model.rowCount(), step)][:chart_samples]
    detail.show_match(ids[0])  # warm-up: first paint builds fonts and caches
    detail.reads.wait()
    detail.repaint()
    chart_times, chart_cpu, series = [], [], []
    for match_id in ids:
        t0, c0 = time.perf_counter(), time.process_time()
        detail.show_match(match_id)
        detail.reads.wait()
        detail.repaint()
        chart_times.append(time.perf_counter() - t0)
        chart_cpu.append(time.process_time() - c0)
        series.append(detail.chart.series_count)
    detail.close()
    watchdog = _watchdog(engine)
    engine.dispose()
    chart = _dist(chart_times, chart_cpu)
    scroll = _dist(steps, steps_cpu)
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": os.environ.get("QT_QPA_PLATFORM"),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "note": "shared machine: cpu_* figures are process CPU time, the fairer measure under load",
        },
        "database": {**source, "url": describe(engine), "matches": rows},
        "table": {
            "rows": total,
            "page_size": model.page_size,
            "first_page_ms": _ms(first_page),
            "count_ms": _ms(count),
            "full_lazy_load_s": round(full_load, 3),
            "page_fetch": _dist(page_times, page_cpu),
            "scroll": {
                "steps": len(steps),
                "total_s": round(scroll_total, 3),
                **scroll,
                "steps_over_one_frame": sum(1 for s in steps if s * 1000 > FRAME_MS),
                "cpu_steps_over_one_frame": sum(1 for s in steps_cpu if s * 1000 > FRAME_MS),
            },
        },
        "filters": filter_times,
        "odds_chart": {
            **chart,
            "mean_series": round(sum(series) / len(series), 1),
            "target_ms": CHART_TARGET_MS,
            "p95_within_target": chart["p95_ms"] <= CHART_TARGET_MS,
            "cpu_p95_within_target": chart["cpu_p95_ms"] <= CHART_TARGET_MS,
        },
        "watchdog": watchdog,
    }


#: Stand-in for a database server that never answers (a non-routable address).
UNREACHABLE_URL = "postgresql://nobody@10.255.255.1:5432/none"


def _watchdog(engine: Any) -> dict[str, Any]:
    """The GUI thread's longest absence from its event loop: while every page of the window refreshes twice,
    pages are switched and matches opened; and while "Test connection" waits for an unreachable host."""
    import tempfile as _tempfile

    from betfolio.app.context import AppContext
    from betfolio.app.event_loop_watchdog import EventLoopWatchdog
    from betfolio.app.main_window import MainWindow

    with _tempfile.TemporaryDirectory() as settings:
        context = AppContext(engine, Path(settings))
        window = MainWindow(context)
        window.resize(1440, 900)
        window.show()
        context.reads.wait()
        matches = window.pages["Matches"]
        for title in window.pages:  # first paints are construction, not refreshes
            window.show_page(title)
            _until(lambda: True)
        matches.select_row(0)
        context.reads.wait()
        dog = EventLoopWatchdog()
        dog.start()
        t0 = time.perf_counter()
        for _ in range(2):
            context.data_changed.emit()
            context.reads.wait()
        for title in window.pages:
            window.show_page(title)
            context.reads.wait(1.0)
        window.show_page("Matches")
        for row in range(10, 60, 10):
            matches.select_row(row)
            context.reads.wait()
        refresh = dog.stop() | {"seconds": round(time.perf_counter() - t0, 1)}
        providers = window.pages["Providers & settings"]
        providers.db_edit.setText(UNREACHABLE_URL)
        done: list[bool] = []
        providers.tested.connect(done.append)
        dog.start()
        t0 = time.perf_counter()
        providers.test_database()
        _until(lambda: bool(done), timeout_s=60)
        connection = dog.stop() | {"seconds": round(time.perf_counter() - t0, 1), "answer": providers.db_status.text()}
        window.close()
    return {"refresh_pages_switch_open_matches": refresh, "test_connection_unreachable": connection}


