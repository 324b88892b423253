"""The live loop: poll a provider's in-play states through the resilient client and publish them.

Each poll goes through the circuit breaker and rate limiter of the HTTP plumbing; when the provider fails, the
last stored payload comes back flagged stale, and its states are published with their growing staleness —
consumers never mistake an outage for a quiet match.

The loop degrades, it never dies: a provider failure with nothing stored to fall back on, an unusable payload,
Redis going away (or never being there) are each counted on the poll's result and the loop carries on, backing
off while failures repeat and returning to the normal interval on the first clean poll.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from redis.exceptions import RedisError

from betfolio.providers.api_football.client import ApiFootballClient
from betfolio.providers.base import PayloadError
from betfolio.providers.http import ProviderError
from betfolio.providers.live_bus import LiveStateBus

#: Longest wait between polls while failures repeat (the interval doubles per failed poll up to this).
MAX_BACKOFF_SECONDS = 300.0


@dataclass(frozen=True)
class PollResult:
    states: int
    published: int
    stale: bool
    staleness_seconds: float
    rejects: int
    error: str | None
    bus_error: str | None = None
    provider_errors: int = 0  # failed provider reads so far in this run (cumulative)
    bus_errors: int = 0  # failed Redis publishes so far in this run (cumulative)

    @property
    def failed(self) -> bool:
        return self.bus_error is not None or (self.error is not None and self.states == 0)


def _one_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    return text[:300]


def poll_once(client: ApiFootballClient, bus: LiveStateBus | None, leagues: Iterable[int] | None = None) -> PollResult:
    try:
        snapshot = client.live_states(leagues)
    except (ProviderError, PayloadError) as exc:  # down with nothing stored, or a payload nothing can be read from
        return PollResult(0, 0, True, 0.0, 0, _one_line(exc))
    published, bus_error = 0, None
    if bus is not None:
        try:
            published = bus.publish(snapshot.states)
        except RedisError as exc:  # Redis down or unreachable: states are still counted, the next poll retries
            bus_error = f"redis: {_one_line(exc)}"
    return PollResult(
        len(snapshot.states),
        published,
        snapshot.stale,
        snapshot.staleness_seconds,
        len(snapshot.rejects),
        snapshot.error,
        bus_error,
    )


def next_wait(interval_seconds: float, consecutive_failures: int) -> float:
    """The normal interval after a clean poll; doubling per consecutive failed poll, capped."""
    if consecutive_failures <= 0:
        return interval_seconds
    backoff = max(interval_seconds, 1.0) * 2 ** min(consecutive_failures, 16)
    return min(backoff, max(MAX_BACKOFF_SECONDS, interval_seconds))


def run_feed(
    client: ApiFootballClient,
    bus: LiveStateBus | None,
    *,
    interval_seconds: float,
    polls: int | None,
    leagues: Iterable[int] | None = None,
    on_poll: Callable[[PollResult], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[PollResult]:
    """Poll every ``interval_seconds`` (``polls`` times, or until interrupted when None), backing off while
    polls fail. With ``polls=None`` only the last few results are kept (a long run must not grow)."""
    results: list[PollResult] = []
    wanted = list(leagues) if leagues else None
    provider_errors = bus_errors = consecutive = done = 0
    while polls is None or done < polls:
        result = poll_once(client, bus, wanted)
        provider_errors += result.error is not None  # served stale or nothing: the provider failed either way
        bus_errors += result.bus_error is not None
        result = PollResult(**{**result.__dict__, "provider_errors": provider_errors, "bus_errors": bus_errors})
        consecutive = consecutive + 1 if result.failed else 0
        done += 1
        results.append(result)
        if polls is None:
            del results[:-100]
        if on_poll is not None:
            on_poll(result)
        if polls is None or done < polls:
            sleep(next_wait(interval_seconds, consecutive))
    return results
