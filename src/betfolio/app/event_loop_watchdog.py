"""Measure how long the GUI thread goes without serving its event loop (for the benchmark and the tests).

A timer ticks every 10 ms on the GUI thread; any work that keeps the thread from returning to its event loop
shows up as a long gap between two ticks. Two gaps are recorded per tick: wall-clock time, and the CPU time the
GUI thread itself consumed. The CPU figure measures the application's own stalls (a query or a table fill run on
the GUI thread) and is immune to a busy machine descheduling the process; the wall figure also catches waits that
burn no CPU (a connection attempt to an unreachable host).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Slot


class EventLoopWatchdog(QObject):
    def __init__(self, interval_ms: int = 10, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.ticks = 0
        self.max_wall_ms = 0.0
        self.max_cpu_ms = 0.0
        self._last = (0.0, 0.0)

    def start(self) -> None:
        self.ticks = 0
        self.max_wall_ms = self.max_cpu_ms = 0.0
        self._last = (time.perf_counter(), time.thread_time())
        self.timer.start()

    def stop(self) -> dict[str, float]:
        self._tick()
        self.timer.stop()
        return self.figures()

    def figures(self) -> dict[str, float]:
        return {
            "ticks": self.ticks,
            "max_gap_ms": round(self.max_wall_ms, 1),
            "max_gui_cpu_gap_ms": round(self.max_cpu_ms, 1),
        }

    @Slot()
    def _tick(self) -> None:
        wall, cpu = time.perf_counter(), time.thread_time()
        self.max_wall_ms = max(self.max_wall_ms, (wall - self._last[0]) * 1000.0)
        self.max_cpu_ms = max(self.max_cpu_ms, (cpu - self._last[1]) * 1000.0)
        self._last = (wall, cpu)
        self.ticks += 1
