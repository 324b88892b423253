"""Reading the live-state stream as a Redis consumer group: resume after a crash, share work, never lose a state.

The poller appends states to ``<prefix>:<provider>`` (:class:`betfolio.providers.live_bus.LiveStateBus`). A
trader reads them with ``XREADGROUP``: each entry is delivered to one consumer of the group and stays *pending*
until acknowledged, so a trader killed between reading and acknowledging gets the entry again on restart
(its own pending entries are read first), and entries left pending by a consumer that never came back are
claimed after ``claim_idle_ms`` (``XAUTOCLAIM``). Acknowledging only after the decision is committed gives
at-least-once delivery; the ledger's derived bet ids turn that into exactly-once bets.

Malformed entries are returned with their id and reason so the caller counts, logs and acknowledges them —
a poison entry is never redelivered forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from betfolio.canonical import LiveMatchState


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    state: LiveMatchState | None
    error: str | None = None

    @property
    def published_ms(self) -> int:
        """Milliseconds since the epoch when Redis appended the entry (the first part of its id)."""
        return int(self.id.split("-", 1)[0])


def _text(raw: Any) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def _entry(entry_id: Any, fields: dict[Any, Any]) -> Entry:
    ident = _text(entry_id)
    raw = fields.get(b"state", fields.get("state")) if fields else None
    if raw is None:
        return Entry(ident, None, "no 'state' field")
    try:
        return Entry(ident, LiveMatchState.model_validate_json(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "entry"
        return Entry(ident, None, f"{where}: {first['msg']}")


class StreamConsumer:
    """One consumer of a group on one stream."""

    def __init__(self, client: Any, stream: str, group: str, consumer: str, *, claim_idle_ms: int = 60_000) -> None:
        self.client = client
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.claim_idle_ms = claim_idle_ms
        self._backlog = True  # read our own pending entries before new ones
        self._claim_from = "0-0"

    def ensure_group(self) -> None:
        """Create the group at the start of the stream (the stream too, if the poller has not yet written)."""
        import redis

        try:
            self.client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def restart(self) -> None:
        """Re-read this consumer's unacknowledged entries first (after a failure to commit)."""
        self._backlog = True

    def read(self, count: int = 500, block_ms: int = 200) -> list[Entry]:
        if self._backlog:
            entries = self._group_read("0", count, None)
            if entries:
                return entries
            self._backlog = False
            claimed = self._claim(count)
            if claimed:
                return claimed
        return self._group_read(">", count, block_ms)

    def ack(self, ids: list[str]) -> None:
        if ids:
            self.client.xack(self.stream, self.group, *ids)

    def pending(self) -> int:
        info = self.client.xpending(self.stream, self.group)
        return int(info["pending"] if isinstance(info, dict) else info[0])

    def _group_read(self, start: str, count: int, block_ms: int | None) -> list[Entry]:
        response = self.client.xreadgroup(self.group, self.consumer, {self.stream: start}, count=count, block=block_ms)
        out = []
        for _stream, entries in response or []:
            for entry_id, fields in entries:
                out.append(_entry(entry_id, fields))
        return out

    def _claim(self, count: int) -> list[Entry]:
        """Entries another consumer read and never acknowledged for ``claim_idle_ms`` (it died): take them over."""
        result = self.client.xautoclaim(
            self.stream, self.group, self.consumer, self.claim_idle_ms, start_id=self._claim_from, count=count
        )
        self._claim_from = _text(result[0])
        return [_entry(entry_id, fields) for entry_id, fields in result[1] if fields is not None]
