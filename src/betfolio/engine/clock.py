"""Clocks: how the engine's time moves from one event to the next.

The loop asks its clock to ``advance_to`` the time of the next event before handling it. Only the clock differs
between a backtest, a replay shown to a person and live trading (flumine's idea): the events and the strategy
code are the same.

* :class:`HistoricalClock` jumps straight to the next event (a backtest, a training environment);
* :class:`ReplayClock` waits ``(event gap) / speed`` of real time, so a replay can be watched;
* :class:`WallClock` is real time: events arrive when they happen, it only records the moment.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """The engine's notion of now."""

    @property
    def now(self) -> datetime | None: ...

    def advance_to(self, when: datetime) -> None: ...


class ClockError(RuntimeError):
    """Time was asked to run backwards."""


@dataclass
class HistoricalClock:
    """Jump to the next event: simulated time costs nothing."""

    now: datetime | None = None

    def advance_to(self, when: datetime) -> None:
        if self.now is not None and when < self.now:
            raise ClockError(f"event at {when.isoformat()} is before the clock ({self.now.isoformat()})")
        self.now = when


@dataclass
class ReplayClock:
    """Replay history ``speed`` times faster than it happened (``speed=60``: a match in 90 seconds)."""

    speed: float = 60.0
    now: datetime | None = None
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    #: Longest real wait between two events (seconds): a week without matches is not worth watching.
    max_wait: float = 2.0

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise ValueError(f"replay speed must be positive, got {self.speed}")

    def advance_to(self, when: datetime) -> None:
        if self.now is not None:
            if when < self.now:
                raise ClockError(f"event at {when.isoformat()} is before the clock ({self.now.isoformat()})")
            wait = min((when - self.now).total_seconds() / self.speed, self.max_wait)
            if wait > 0:
                self.sleep(wait)
        self.now = when


@dataclass
class WallClock:
    """Real time: events are handled when they arrive; ``now`` is the wall-clock time (UTC)."""

    source: Callable[[], datetime] = field(default=lambda: datetime.now(UTC), repr=False)

    @property
    def now(self) -> datetime:
        return self.source()

    def advance_to(self, when: datetime) -> None:
        """Nothing to wait for: a live event is handled as soon as it is read."""
