"""The live loop: poll a provider's in-play states through the resilient client and publish them.

Each poll goes through the circuit breaker and rate limiter of the HTTP plumbing; when the provider fails, the
last stored payload comes back flagged stale, and its states are published with their growing staleness —
consumers never mistake an outage for a quiet match.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from betfolio.providers.api_football.client import ApiFootballClient
from betfolio.providers.live_bus import LiveStateBus
from betfolio.providers.resilient import NoDataAvailable


@dataclass(frozen=True)
class PollResult:
    states: int
    published: int
    stale: bool
    staleness_seconds: float
    rejects: int
    error: str | None


def poll_once(client: ApiFootballClient, bus: LiveStateBus | None, leagues: Iterable[int] | None = None) -> PollResult:
    try:
        snapshot = client.live_states(leagues)
    except NoDataAvailable as exc:  # down, and nothing stored yet to fall back on
        return PollResult(0, 0, True, 0.0, 0, str(exc))
    published = bus.publish(snapshot.states) if bus is not None else 0
    return PollResult(
        len(snapshot.states),
        published,
        snapshot.stale,
        snapshot.staleness_seconds,
        len(snapshot.rejects),
        snapshot.error,
    )


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
    """Poll every ``interval_seconds`` (``polls`` times, or until interrupted when None)."""
    results: list[PollResult] = []
    wanted = list(leagues) if leagues else None
    while polls is None or len(results) < polls:
        result = poll_once(client, bus, wanted)
        results.append(result)
        if on_poll is not None:
            on_poll(result)
        if polls is None or len(results) < polls:
            sleep(interval_seconds)
    return results
