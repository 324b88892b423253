"""The live feed as an engine source: canonical records from a Redis Stream, read with a consumer group.

``betfolio live`` appends every :class:`~betfolio.canonical.LiveMatchState` to a stream (field ``state``, see the
live bus); fixtures (:class:`~betfolio.canonical.Match`) and prices (:class:`~betfolio.canonical.OddsQuote`) travel
the same way as canonical JSON in a ``record`` field (with its ``kind``). :class:`LiveFeed` turns the entries
into engine events:

* pre-match quotes the as-of rule allows (non-closing, stamped ``min_lead`` before kick-off at the latest) update
  the match's book; a **snapshot** — consecutive quotes stamped at the same moment — becomes one
  :class:`~betfolio.engine.events.DecisionRound` for the matches it touched, at that moment;
* a final :class:`~betfolio.canonical.Match` or a finished live state becomes a
  :class:`~betfolio.engine.events.Results` event (closing quotes seen before it ride along, for CLV only).

Reading through a consumer group (``XREADGROUP`` … ``XACK``) lets several traders share a feed, each entry going
to one consumer, and lets a trader that restarts resume after its last acknowledged entry. Unreadable entries are
acknowledged and reported in :attr:`LiveFeed.rejects` with their id and reason, never silently dropped.
:func:`publish_replay` writes a stored history to a stream in the same format, so a strategy can be run through
this live path on past data (and must then place exactly the bets the backtest places).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from betfolio.canonical import LiveMatchState, Match, OddsQuote
from betfolio.canonical.enums import Market, MatchStatus, Selection
from betfolio.engine.asof import DEFAULT_AS_OF, AsOfRule
from betfolio.engine.events import RESULT_DELAY, DecisionRound, Event, MatchResult, Results
from betfolio.engine.execution import market_key
from betfolio.engine.quotes import MARKET_SELECTIONS, price_tables
from betfolio.engine.strategy import MatchView

if TYPE_CHECKING:
    from betfolio.engine.quotes import MarketKey, MatchRecord

#: The provider name of records whose ``provider_match_id`` is a store match id (a replay of the store).
STORE_PROVIDER = "betfolio"
_FINAL = {
    MatchStatus.FINISHED,
    MatchStatus.AWARDED,
    MatchStatus.POSTPONED,
    MatchStatus.CANCELLED,
    MatchStatus.ABANDONED,
}
_KINDS: dict[str, type[Match] | type[OddsQuote]] = {Match.kind: Match, OddsQuote.kind: OddsQuote}
_Price = dict[tuple["MarketKey", str, str], tuple[datetime, float]]


def _decode(raw: Any) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def store_ids(provider: str, provider_match_id: str) -> int | None:
    """Resolve a replay's ids: records of :data:`STORE_PROVIDER` carry the store's match id."""
    if provider == STORE_PROVIDER and provider_match_id.isdigit():
        return int(provider_match_id)
    return None


class LiveFeed:
    """Engine events from one Redis Stream, read as ``consumer`` of consumer group ``group``."""

    def __init__(
        self,
        client: Any,
        stream: str,
        *,
        group: str = "engine",
        consumer: str = "engine-1",
        as_of: AsOfRule = DEFAULT_AS_OF,
        resolve: Callable[[str, str], int | None] = store_ids,
        start: str = "0",
        count: int = 500,
    ) -> None:
        self.client = client
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.as_of = as_of
        self.resolve = resolve
        self.count = count
        self.rejects: list[str] = []
        self.fixtures: dict[int, MatchView] = {}
        self._books: dict[int, _Price] = defaultdict(dict)
        self._closing: dict[int, _Price] = defaultdict(dict)
        self._snapshot: tuple[datetime, set[int]] | None = None
        self._ended: set[int] = set()
        self._ensure_group(start)

    def _ensure_group(self, start: str) -> None:
        import redis

        try:
            self.client.xgroup_create(self.stream, self.group, id=start, mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    # --- reading -----------------------------------------------------------------------------------------
    def poll(self, block_ms: int | None = None) -> list[Event]:
        """Read what arrived for this consumer (waiting up to ``block_ms``), acknowledge it, return its events.

        A snapshot still open at the end of a read is kept for the next poll unless the stream is idle.
        """
        response = self.client.xreadgroup(
            self.group, self.consumer, {self.stream: ">"}, count=self.count, block=block_ms
        )
        events: list[Event] = []
        ids = []
        for _stream, entries in response or []:
            for entry_id, fields in entries:
                ids.append(entry_id)
                try:
                    record = self._parse(fields)
                except (ValidationError, ValueError) as exc:
                    reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
                    self.rejects.append(f"{self.stream} {_decode(entry_id)}: {reason}")
                    continue
                events.extend(self._take(record, _decode(entry_id)))
        if ids:
            self.client.xack(self.stream, self.group, *ids)
        if not ids:
            events.extend(self._flush())
        return events

    def __iter__(self) -> Iterator[Event]:
        """Every event until the stream has nothing more for this consumer (a replay; live trading polls)."""
        while True:
            events = self.poll()
            yield from events
            if not events and self._snapshot is None:
                return

    @staticmethod
    def _parse(fields: dict[Any, Any]) -> LiveMatchState | Match | OddsQuote:
        raw = fields.get(b"state", fields.get("state"))
        if raw is not None:
            return LiveMatchState.model_validate_json(raw)
        raw = fields.get(b"record", fields.get("record"))
        kind = _decode(fields.get(b"kind", fields.get("kind", "")))
        if raw is None or kind not in _KINDS:
            raise ValueError(f"entry is neither a live state nor a record of kind {sorted(_KINDS)}")
        return _KINDS[kind].model_validate_json(raw)

    # --- turning records into events ----------------------------------------------------------------------
    def _take(self, record: LiveMatchState | Match | OddsQuote, where: str) -> list[Event]:
        mid = self.resolve(record.provider, record.provider_match_id)
        if mid is None:
            self.rejects.append(f"{self.stream} {where}: unknown match {record.provider}/{record.provider_match_id}")
            return []
        if isinstance(record, Match):
            self.fixtures.setdefault(
                mid, MatchView(mid, record.league, record.season, record.kickoff, record.home_team, record.away_team)
            )
            if record.status in _FINAL:
                return [*self._flush(), *self._end(mid, record.kickoff + RESULT_DELAY, record)]
            return []
        if isinstance(record, LiveMatchState):
            if record.status in _FINAL:
                return [*self._flush(), *self._end(mid, record.observed_at, record)]
            return []
        return self._quote(mid, record)

    def _quote(self, mid: int, q: OddsQuote) -> list[Event]:
        view = self.fixtures.get(mid)
        if q.in_play or view is None:
            if view is None:
                self.rejects.append(f"{self.stream}: quote for match {mid} before its fixture")
            return []
        if q.market.value not in MARKET_SELECTIONS:
            return []
        key = (market_key(q.market.value, q.selection.value, q.line), q.bookmaker, q.selection.value)
        if q.market is not Market.MATCH_ODDS and q.line is None:
            return []
        if q.is_closing:
            self._closing[mid][key] = (q.quoted_at, q.odds)
            return []
        if q.quoted_at > self.as_of.latest_usable(view.kickoff):
            return []  # too close to kick-off for the as-of rule
        out: list[Event] = []
        if self._snapshot is not None and self._snapshot[0] != q.quoted_at:
            out.extend(self._flush())
        held = self._books[mid].get(key)
        if held is None or q.quoted_at >= held[0]:
            self._books[mid][key] = (q.quoted_at, q.odds)
        if self._snapshot is None:
            self._snapshot = (q.quoted_at, set())
        self._snapshot[1].add(mid)
        return out

    def _flush(self) -> list[Event]:
        if self._snapshot is None:
            return []
        at, mids = self._snapshot
        self._snapshot = None
        ordered = sorted((m for m in mids if m not in self._ended), key=lambda m: (self.fixtures[m].kickoff, m))
        if not ordered:
            return []
        return [
            DecisionRound(at, [self.fixtures[m] for m in ordered], {m: price_tables(self._books[m]) for m in ordered})
        ]

    def _end(self, mid: int, at: datetime, record: LiveMatchState | Match) -> list[Event]:
        if mid in self._ended:
            return []
        self._ended.add(mid)
        result = MatchResult(
            mid, at, record.status.value, record.home_goals, record.away_goals, price_tables(self._closing.pop(mid, {}))
        )
        self._books.pop(mid, None)
        return [Results(at, [result])]


def publish_replay(client: Any, stream: str, matches: Sequence[MatchRecord]) -> int:
    """Write a stored history to ``stream`` as the live path carries it; returns the number of entries.

    In time order: at each decision time the fixtures and their as-of prices, at each match's end its closing
    prices and its final record. Match ids are the store's (provider :data:`STORE_PROVIDER`).
    """
    from betfolio.engine.sources.prematch import PreMatchReplay

    by_id = {m.match_id: m for m in matches}
    pipe = client.pipeline(transaction=False)
    n = 0

    def add(record: Match | OddsQuote) -> None:
        nonlocal n
        pipe.xadd(stream, {"kind": record.kind, "record": record.model_dump_json()})
        n += 1

    for event in PreMatchReplay(matches).events():
        if isinstance(event, DecisionRound):
            for view in event.matches:
                m = by_id[view.match_id]
                add(_fixture(m, MatchStatus.SCHEDULED))
                for quote in _quotes(m, m.prematch, event.at, closing=False):
                    add(quote)
        else:
            for r in event.results:
                m = by_id[r.match_id]
                for quote in _quotes(m, m.closing, m.kickoff, closing=True):
                    add(quote)
                add(_fixture(m, MatchStatus(m.status)))
    pipe.execute()
    return n


def _fixture(m: MatchRecord, status: MatchStatus) -> Match:
    final = status in _FINAL
    return Match(
        provider=STORE_PROVIDER,
        provider_match_id=str(m.match_id),
        league=m.league,
        season=m.season,
        kickoff=m.kickoff,
        home_team=m.home,
        away_team=m.away,
        status=status,
        home_goals=m.home_goals if final else None,
        away_goals=m.away_goals if final else None,
    )


def _quotes(m: MatchRecord, tables: Any, at: datetime, *, closing: bool) -> Iterator[OddsQuote]:
    import math

    for (market, _line), table in tables.items():
        for i, book in enumerate(table.bookmakers):
            for j, selection in enumerate(table.selections):
                odds = float(table.odds[i, j])
                if not math.isfinite(odds):
                    continue
                yield OddsQuote(
                    provider=STORE_PROVIDER,
                    provider_match_id=str(m.match_id),
                    bookmaker=book,
                    market=Market(market),
                    selection=Selection(selection),
                    line=table.selection_line(selection),
                    odds=odds,
                    quoted_at=at,
                    ingested_at=at,
                    is_closing=closing,
                )
