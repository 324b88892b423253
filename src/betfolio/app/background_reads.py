"""Database and network reads off the GUI thread: run on a thread pool, results delivered back by a signal.

Every page asks the database something when it refreshes, when the user picks a row, and every few seconds on
the Live page. Any of those run on the GUI thread would freeze the window for as long as the query (or an
unreachable server) takes, so pages hand a plain function to ``BackgroundReads.submit`` and get its result in a
callback on the GUI thread. Requests are keyed: a newer request under the same key makes an older one's
result stale, and a stale result is dropped — clicking quickly through matches shows the last one clicked,
never whichever query happened to finish last.

Long, cancellable work with progress (ingests, backtests, replays, training) uses ``task_runner.TaskRunner``.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Lives on the GUI thread; a job emits from its pool thread, so the slot runs queued on the GUI thread."""

    finished = Signal(int, object, object)  # ticket, result, error message (None on success)


class _Job(QRunnable):
    def __init__(self, ticket: int, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._ticket, self._fn, self._relay = ticket, fn, relay

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # reported to the requester; the pool thread survives
            log.debug("background read failed:\n%s", traceback.format_exc())
            self._relay.finished.emit(self._ticket, None, f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
        else:
            self._relay.finished.emit(self._ticket, result, None)


@dataclass(slots=True)
class _Request:
    key: str
    on_result: Callable[[Any], None]
    on_error: Callable[[str], None] | None


class BackgroundReads(QObject):
    """Run functions on a thread pool; deliver each latest-per-key result on the GUI thread."""

    #: Emitted (on the GUI thread) whenever nothing is left in flight.
    idle = Signal()

    def __init__(self, parent: QObject | None = None, max_threads: int = 3) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._relay = _Relay(self)
        self._relay.finished.connect(self._deliver)
        self._requests: dict[int, _Request] = {}
        self._latest: dict[str, int] = {}
        self._next_ticket = 0

    @property
    def pending(self) -> int:
        """Requests still running (stale ones included: they still hold a pool thread)."""
        return len(self._requests)

    def submit(
        self,
        key: str,
        fn: Callable[[], Any],
        on_result: Callable[[Any], None],
        on_error: Callable[[str], None] | None = None,
    ) -> int:
        """Run ``fn()`` off the GUI thread; ``on_result(value)`` or ``on_error(message)`` runs on the GUI thread.

        ``fn`` must not touch widgets: it reads the database (or the network) and shapes plain data.
        """
        self._next_ticket += 1
        ticket = self._next_ticket
        self._requests[ticket] = _Request(key, on_result, on_error)
        self._latest[key] = ticket
        self.pool.start(_Job(ticket, fn, self._relay))
        return ticket

    @Slot(int, object, object)
    def _deliver(self, ticket: int, result: object, error: object) -> None:
        request = self._requests.pop(ticket, None)
        if request is None:
            return
        if self._latest.get(request.key) == ticket:
            del self._latest[request.key]
            if error is None:
                request.on_result(result)
            elif request.on_error is not None:
                request.on_error(str(error))
            else:
                log.warning("background read %r failed: %s", request.key, error)
        if not self._requests:
            self.idle.emit()

    def wait(self, timeout_s: float = 60.0) -> bool:
        """Keep the event loop running until nothing is in flight (tests, screenshots, exports); True if idle.

        Events keep being processed meanwhile, so waiting never freezes the window either.
        """
        deadline = time.monotonic() + timeout_s
        while self._requests:
            if time.monotonic() > deadline:
                return False
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            if self._requests:
                self.pool.waitForDone(5)
        return True

    def shutdown(self, timeout_ms: int = 3_000) -> None:
        """Forget every callback and give running jobs a moment to end (an unreachable host may not)."""
        self._requests.clear()
        self._latest.clear()
        self.pool.clear()
        self.pool.waitForDone(timeout_ms)
