from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from betfolio.engine.clock import ClockError, HistoricalClock, ReplayClock, WallClock

T = datetime(2023, 1, 1, 15, tzinfo=UTC)


def test_historical_clock_jumps_and_refuses_to_go_back() -> None:
    clock = HistoricalClock()
    clock.advance_to(T)
    clock.advance_to(T + timedelta(days=3))
    assert clock.now == T + timedelta(days=3)
    with pytest.raises(ClockError, match="before the clock"):
        clock.advance_to(T)


def test_replay_clock_waits_the_scaled_gap_capped() -> None:
    waits: list[float] = []
    clock = ReplayClock(speed=60.0, sleep=waits.append, max_wait=5.0)
    clock.advance_to(T)
    clock.advance_to(T + timedelta(minutes=2))  # 120 s / 60 = 2 s
    clock.advance_to(T + timedelta(days=1))  # capped
    assert waits == [pytest.approx(2.0), 5.0]
    with pytest.raises(ValueError, match="positive"):
        ReplayClock(speed=0)


def test_wall_clock_reads_the_time_source() -> None:
    clock = WallClock(source=lambda: T)
    clock.advance_to(T - timedelta(days=1))  # live events are handled when read
    assert clock.now == T
