"""Long work off the GUI thread: a QThread per task with progress, cancel, result and error (``TaskRunner``).

Pattern from ProphitBet's responsive UI: the window only ever *receives* signals; the work itself runs on a
QThread. Cancellation is cooperative — the task calls ``control.progress(...)`` (or checks
``control.cancelled``) and a pending cancel turns the next progress report into a ``Cancelled`` exception, so
any task that reports progress is cancellable without extra code.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """Raised inside a task when the user pressed cancel."""


class TaskControl:
    """What a task sees of the GUI: a progress reporter and a cancel flag (thread-safe)."""

    def __init__(self, report: Callable[[float, str], None]) -> None:
        self._report = report
        self._cancel = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def check(self) -> None:
        """Raise ``Cancelled`` if a cancel is pending."""
        if self._cancel.is_set():
            raise Cancelled

    def progress(self, fraction: float | None, message: str = "") -> None:
        """Report progress in [0, 1] (None = indeterminate); raises ``Cancelled`` if a cancel is pending."""
        self.check()
        value = -1.0 if fraction is None else min(max(float(fraction), 0.0), 1.0)
        self._report(value, message)


Task = Callable[[TaskControl], Any]


class _Worker(QObject):
    progress = Signal(float, str)
    succeeded = Signal(object)
    failed = Signal(str)
    was_cancelled = Signal()
    done = Signal()

    def __init__(self, task: Task) -> None:
        super().__init__()
        self._task = task
        self.control = TaskControl(self.progress.emit)

    @Slot()
    def run(self) -> None:
        try:
            result = self._task(self.control)
        except Cancelled:
            self.was_cancelled.emit()
        except Exception as exc:
            log.error("background task failed:\n%s", traceback.format_exc())
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            if self.control.cancelled:
                self.was_cancelled.emit()
            else:
                self.succeeded.emit(result)
        finally:
            self.done.emit()


class TaskRunner(QObject):
    """Runs one task at a time on its own QThread and re-emits the outcome on the GUI thread.

    The runner lives on the GUI thread, so its slots run there (queued connections): receivers can touch
    widgets directly. ``progress`` carries -1 for "indeterminate".
    """

    started = Signal()
    progress = Signal(float, str)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: _Worker | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, task: Task) -> None:
        if self._thread is not None:
            raise RuntimeError("a task is already running")
        thread = QThread()
        worker = _Worker(task)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self._on_progress)
        worker.succeeded.connect(self._on_succeeded)
        worker.failed.connect(self._on_failed)
        worker.was_cancelled.connect(self._on_cancelled)
        # Direct: QThread.quit is thread-safe, and the thread must end even when the GUI loop is not running
        # (a caller may ``wait()`` on it from a nested loop that has already returned).
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        thread.start()
        self.started.emit()

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.control.cancel()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until the thread ends (for shutdown and tests); True if it ended."""
        thread = self._thread
        return True if thread is None else thread.wait(timeout_ms)

    @Slot(float, str)
    def _on_progress(self, value: float, message: str) -> None:
        self.progress.emit(value, message)

    @Slot(object)
    def _on_succeeded(self, result: object) -> None:
        self.succeeded.emit(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.failed.emit(message)

    @Slot()
    def _on_cancelled(self) -> None:
        self.cancelled.emit()

    @Slot()
    def _on_thread_finished(self) -> None:
        thread, worker = self._thread, self._worker
        self._thread = self._worker = None
        if worker is not None:
            worker.deleteLater()
        if thread is not None:
            thread.deleteLater()
        self.finished.emit()
