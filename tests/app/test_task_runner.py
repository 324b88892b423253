from __future__ import annotations

import threading

import pytest

from betfolio.app.task_runner import Cancelled, TaskControl, TaskRunner


def test_task_runs_off_the_gui_thread_and_reports_progress(qtbot) -> None:
    runner = TaskRunner()
    seen: list[tuple[float, str]] = []
    runner.progress.connect(lambda v, m: seen.append((v, m)))
    gui_thread = threading.get_ident()

    def task(control: TaskControl) -> int:
        control.progress(None, "warming up")
        for i in range(3):
            control.progress((i + 1) / 3, f"step {i + 1}")
        return threading.get_ident()

    with qtbot.waitSignal(runner.succeeded, timeout=10_000) as blocker:
        runner.start(task)
    assert blocker.args[0] != gui_thread
    qtbot.waitUntil(lambda: not runner.running)
    assert seen[0] == (-1.0, "warming up")
    assert seen[-1] == (1.0, "step 3")


def test_failure_is_reported_with_its_message(qtbot) -> None:
    runner = TaskRunner()

    def task(_control: TaskControl) -> None:
        raise ValueError("no matches for E9")

    with qtbot.waitSignal(runner.failed, timeout=10_000) as blocker:
        runner.start(task)
    assert blocker.args == ["ValueError: no matches for E9"]
    qtbot.waitUntil(lambda: not runner.running)


def test_cancel_stops_a_task_at_its_next_progress_report(qtbot) -> None:
    runner = TaskRunner()
    started = threading.Event()
    release = threading.Event()
    steps: list[int] = []

    def task(control: TaskControl) -> None:
        started.set()
        release.wait(10)
        for i in range(1000):
            control.progress(i / 1000, "working")
            steps.append(i)

    runner.start(task)
    assert started.wait(10)
    with pytest.raises(RuntimeError):
        runner.start(task)  # one task at a time
    with qtbot.waitSignal(runner.cancelled, timeout=10_000):
        runner.cancel()
        release.set()
    assert steps == []
    qtbot.waitUntil(lambda: not runner.running)


def test_control_check_raises_only_after_cancel() -> None:
    control = TaskControl(lambda _v, _m: None)
    control.check()
    control.cancel()
    assert control.cancelled
    with pytest.raises(Cancelled):
        control.check()
