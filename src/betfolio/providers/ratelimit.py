"""A rate limiter that waits instead of exceeding a provider's quota.

Two sources of truth are combined: what the provider says is left (its quota headers, re-read after every
response) and the budget the user configured (requests per minute / per day, so a shared key is not drained
by one process). When the per-minute allowance is used up the limiter *sleeps* until the window has passed;
when the daily allowance is gone it refuses with QuotaExhausted — waiting until tomorrow is not a decision a
client library should take.

Hand-written rather than a generic token bucket library because the provider's own counters, not a local
estimate, are the authority, and they arrive as response headers.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

WINDOW_SECONDS = 60.0

#: Response headers carrying the remaining quota (httpx headers are case-insensitive).
DAY_HEADERS = ("x-ratelimit-requests-remaining",)  # API-Football, per day
MINUTE_HEADERS = ("x-ratelimit-remaining",)  # API-Football, per minute
CREDIT_HEADERS = ("x-requests-remaining",)  # The Odds API, credits left this month


class QuotaExhausted(RuntimeError):
    """The provider's (or the configured) quota for the day/period is used up."""


@dataclass
class QuotaSnapshot:
    day_remaining: int | None = None
    minute_remaining: int | None = None
    credits_remaining: int | None = None


def _int_header(headers: Mapping[str, str], names: tuple[str, ...]) -> int | None:
    for name in names:
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            return int(float(raw))
        except ValueError:
            continue
    return None


class QuotaLimiter:
    def __init__(
        self,
        *,
        per_minute: int | None = None,
        per_day: int | None = None,
        reserve: int = 0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_minute, self.per_day, self.reserve = per_minute, per_day, reserve
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._recent: deque[float] = deque()
        self._sent_today = 0
        self._blocked_until: float | None = None
        self.snapshot = QuotaSnapshot()
        self.waited_seconds = 0.0

    def observe(self, headers: Mapping[str, str]) -> QuotaSnapshot:
        """Read the provider's remaining quota from a response."""
        with self._lock:
            day = _int_header(headers, DAY_HEADERS)
            minute = _int_header(headers, MINUTE_HEADERS)
            credits = _int_header(headers, CREDIT_HEADERS)
            if day is not None:
                self.snapshot.day_remaining = day
            if credits is not None:
                self.snapshot.credits_remaining = credits
            if minute is not None:
                self.snapshot.minute_remaining = minute
                self._blocked_until = self._clock() + WINDOW_SECONDS if minute <= 0 else None
            return self.snapshot

    def note_rate_limited(self, retry_after: float | None = None) -> None:
        """A 429 means the window is full, whatever the headers said: wait ``Retry-After`` (else a minute)."""
        with self._lock:
            self.snapshot.minute_remaining = 0
            self._blocked_until = self._clock() + (WINDOW_SECONDS if retry_after is None else retry_after)

    def acquire(self) -> float:
        """Block until one request may be sent; returns the seconds waited. Raises QuotaExhausted."""
        with self._lock:
            for remaining, label in (
                (self.snapshot.day_remaining, "daily request quota"),
                (self.snapshot.credits_remaining, "request credits"),
            ):
                if remaining is not None and remaining <= self.reserve:
                    raise QuotaExhausted(f"{label} exhausted ({remaining} left, reserve {self.reserve})")
            if self.per_day is not None and self._sent_today >= self.per_day:
                raise QuotaExhausted(f"configured daily budget of {self.per_day} requests used up")
            waited = 0.0
            now = self._clock()
            if self._blocked_until is not None:
                delay = self._blocked_until - now
                if delay > 0:
                    self._sleep(delay)
                    waited += delay
                    now = self._clock()
                self._blocked_until = None
                self.snapshot.minute_remaining = None
            if self.per_minute is not None:
                while self._recent and now - self._recent[0] >= WINDOW_SECONDS:
                    self._recent.popleft()
                if len(self._recent) >= self.per_minute:
                    delay = self._recent[0] + WINDOW_SECONDS - now
                    if delay > 0:
                        self._sleep(delay)
                        waited += delay
                        now = self._clock()
                    self._recent.popleft()
            self._recent.append(now)
            self._sent_today += 1
            if self.snapshot.day_remaining is not None:
                self.snapshot.day_remaining -= 1  # until the next response corrects it
            self.waited_seconds += waited
            return waited
