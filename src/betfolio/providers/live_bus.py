"""Live match states over Redis Streams: the hand-off from the live feed to whoever trades or watches.

Every canonical ``LiveMatchState`` a feed produces is appended (as JSON) to the provider's stream
``<prefix>:<provider>`` — capped, so Redis holds recent history, not all of it — and the latest state of each
fixture is kept in the hash ``<prefix>:last:<provider>``. A consumer that starts late, or one reading while the
feed is down, still gets the last valid state of every match, re-stamped with how stale it now is: the
mission's rule that stale data is served *as* stale, never as fresh.

Redis Streams rather than pub/sub because a consumer that was away must be able to catch up (``read`` from
its last id), and because the stream is an ordered, replayable log of what the agents saw.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from betfolio.canonical import LiveMatchState
from betfolio.canonical.base import validate_json

DEFAULT_PREFIX = "betfolio:live"
DEFAULT_MAXLEN = 100_000
#: Field marking the last state of a published batch on its stream: a reader knows the tick is complete without
#: waiting to see whether more states follow.
TICK_END_FIELD = "tick_end"
#: One provider's part of a published batch, run by Redis: ``ARGV`` is the stream's ``MAXLEN`` (approximate)
#: then (fixture id, state JSON) pairs in order. Every state becomes an entry with field ``state`` — the last
#: also with :data:`TICK_END_FIELD` — and the latest state of each fixture (the last one in the batch wins) is
#: written to the hash, in slices (Lua's ``unpack`` takes a bounded number of values).
_PUBLISH = f"""
local last = #ARGV - 1
for i = 2, last, 2 do
  if i == last then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'state', ARGV[i + 1], '{TICK_END_FIELD}', '1')
  else
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'state', ARGV[i + 1])
  end
end
for i = 2, #ARGV, 1000 do
  redis.call('HSET', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
return (#ARGV - 1) / 2
"""


@dataclass
class StreamBatch:
    """States read from a stream, the id to resume from, and entries that could not be read (id: reason)."""

    states: list[LiveMatchState]
    last_id: str
    rejects: list[str] = field(default_factory=list)


def aged(state: LiveMatchState, now: datetime) -> LiveMatchState:
    """The state as of ``now``: its staleness grows by the time elapsed since the provider observed it."""
    elapsed = max(0.0, (now - state.observed_at).total_seconds())
    return state.model_copy(update={"data_staleness": state.data_staleness + elapsed})


def _decode(raw: Any) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


class LiveStateBus:
    def __init__(self, client: Any, *, prefix: str = DEFAULT_PREFIX, maxlen: int = DEFAULT_MAXLEN) -> None:
        self.client = client
        self.prefix = prefix
        self.maxlen = maxlen

    @classmethod
    def from_url(cls, url: str, **options: Any) -> LiveStateBus:
        import redis

        return cls(redis.Redis.from_url(url), **options)

    def stream_key(self, provider: str) -> str:
        return f"{self.prefix}:{provider}"

    def latest_key(self, provider: str) -> str:
        return f"{self.prefix}:last:{provider}"

    def publish(self, states: Iterable[LiveMatchState]) -> int:
        """Append every state to its provider's stream and update the latest-state hash (one round trip).

        A poller's batch of hundreds of matches is published inside the feed-to-decision latency, so each
        provider's part goes as one script (:data:`_PUBLISH`): one command to pack and one reply to parse instead
        of one ``XADD`` each, the entries and hash writes unchanged. All of it runs as one transaction."""
        batch = list(states)
        if not batch:
            return 0
        by_provider: dict[str, list[LiveMatchState]] = {}
        for state in batch:
            by_provider.setdefault(state.provider, []).append(state)
        pipe = self.client.pipeline(transaction=True)
        for provider, group in by_provider.items():
            args: list[Any] = [self.maxlen]
            for state in group:
                args += (state.provider_match_id, state.model_dump_json())
            pipe.eval(_PUBLISH, 2, self.stream_key(provider), self.latest_key(provider), *args)
        pipe.execute()
        return len(batch)

    def read(
        self, provider: str, last_id: str = "0-0", *, count: int = 1000, block_ms: int | None = None
    ) -> StreamBatch:
        """States appended after ``last_id`` (``block_ms`` waits for new ones); unreadable entries are reported."""
        response = self.client.xread({self.stream_key(provider): last_id}, count=count, block=block_ms)
        batch = StreamBatch([], last_id)
        for _stream, entries in response or []:
            for entry_id, fields in entries:
                batch.last_id = _decode(entry_id)
                raw = fields.get(b"state", fields.get("state"))
                try:
                    batch.states.append(validate_json(LiveMatchState, raw if raw is not None else b""))
                except ValidationError as exc:
                    batch.rejects.append(f"{self.stream_key(provider)} {batch.last_id}: {exc.errors()[0]['msg']}")
        return batch

    def providers(self) -> list[str]:
        """Every provider with a latest-state hash under this prefix (whoever shows all live matches starts here)."""
        head = self.latest_key("")
        return sorted({_decode(key)[len(head) :] for key in self.client.scan_iter(match=f"{head}*", count=100)})

    def latest(self, provider: str, *, now: datetime | None = None) -> tuple[list[LiveMatchState], list[str]]:
        """The last state of every fixture, aged to ``now``, plus the fixtures whose entry is unreadable."""
        now = now or datetime.now(UTC)
        states, rejects = [], []
        for match_id, raw in self.client.hgetall(self.latest_key(provider)).items():
            try:
                states.append(aged(validate_json(LiveMatchState, raw), now))
            except ValidationError as exc:
                rejects.append(f"{self.latest_key(provider)} {_decode(match_id)}: {exc.errors()[0]['msg']}")
        states.sort(key=lambda s: s.provider_match_id)
        return states, rejects
