"""The live feed as an engine source: canonical records from a Redis Stream, read with a consumer group.

``betfolio live`` appends every :class:`~betfolio.canonical.LiveMatchState` to a stream (field ``state``, see the
live bus); fixtures (:class:`~betfolio.canonical.Match`) and prices (:class:`~betfolio.canonical.OddsQuote`) travel
the same way as canonical JSON in a ``record`` field (with its ``kind``). :class:`LiveFeed` turns the entries
into engine events:

* pre-match quotes the as-of rule allows (non-closing, stamped ``min_lead`` before kick-off at the latest) update
  the match's book; a **snapshot** — consecutive quotes stamped at the same moment — becomes one
  :class:`~betfolio.engine.events.DecisionRound` for the matches it touched, at that moment;
* a final :class:`~betfolio.canonical.Match` or a finished live state becomes a
  :class:`~betfolio.engine.events.Results` event (closing quotes seen before it ride along, for CLV only);
* with a live book (:mod:`.live_book`), in-play states become decision rounds offering the modelled in-play
  book's prices — the paper trader's source (see :class:`LiveFeed`).

Reading through a consumer group (``XREADGROUP`` … ``XACK``) lets several traders share a feed, each entry going
to one consumer, and lets a trader that restarts resume after its last acknowledged entry. Unreadable entries are
acknowledged, logged and reported in :attr:`LiveFeed.rejects` with their id and reason (counted by reason in
:attr:`LiveFeed.reasons`), never silently dropped nor retried forever.
:func:`publish_replay` writes a stored history to a stream in the same format, so a strategy can be run through
this live path on past data (and must then place exactly the bets the backtest places).
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from pydantic import ValidationError

from betfolio.canonical import LiveMatchState, Match, OddsQuote
from betfolio.canonical.base import validate_json
from betfolio.canonical.enums import Market, MatchStatus, Selection
from betfolio.engine.asof import DEFAULT_AS_OF, AsOfRule
from betfolio.engine.events import RESULT_DELAY, DecisionRound, Event, MatchResult, Results
from betfolio.engine.execution import market_key
from betfolio.engine.quotes import MARKET_SELECTIONS, price_tables
from betfolio.engine.strategy import MatchView

if TYPE_CHECKING:
    from betfolio.engine.quotes import MarketKey, MarketQuotes, MatchRecord
    from betfolio.engine.sources.live_book import LiveMatch

log = logging.getLogger(__name__)

#: The provider name of records whose ``provider_match_id`` is a store match id (a replay of the store).
STORE_PROVIDER = "betfolio"
_FINAL = {
    MatchStatus.FINISHED,
    MatchStatus.AWARDED,
    MatchStatus.POSTPONED,
    MatchStatus.CANCELLED,
    MatchStatus.ABANDONED,
}
_IN_PLAY = MatchStatus.IN_PLAY
_KINDS: dict[str, type[Match] | type[OddsQuote]] = {Match.kind: Match, OddsQuote.kind: OddsQuote}
_Price = dict[tuple["MarketKey", str, str], tuple[datetime, float]]


def _decode(raw: Any) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def entry_key(entry_id: Any) -> tuple[int, int]:
    """A stream entry id (str or bytes) as a sortable pair: when Redis appended it (ms since the epoch), then its
    sequence number within that millisecond."""
    ms, _, seq = _decode(entry_id).partition("-")
    return int(ms), int(seq or 0)


def store_ids(provider: str, provider_match_id: str) -> int | None:
    """Resolve a replay's ids: records of :data:`STORE_PROVIDER` carry the store's match id."""
    if provider == STORE_PROVIDER and provider_match_id.isdigit():
        return int(provider_match_id)
    return None


class LiveBook(Protocol):
    """What the live source needs to turn in-play states into decision rounds (see
    :class:`betfolio.engine.sources.live_book.StoreLiveBook`)."""

    def resolve(self, provider: str, provider_match_id: str) -> int | None: ...

    def match(self, match_id: int) -> LiveMatch | None: ...

    def odds(self, matches: Sequence[LiveMatch], states: Sequence[LiveMatchState]) -> Any: ...

    def quotes(self, odds: Any) -> Mapping[MarketKey, MarketQuotes]: ...


#: In-play states published within this many milliseconds of the previous one belong to the same tick.
TICK_GAP_MS = 5
#: The field a publisher sets on the last state of a batch (:data:`betfolio.providers.live_bus.TICK_END_FIELD`;
#: the engine reads the stream format, it does not import the provider side).
_TICK_END = "tick_end"
_TICK_END_BYTES = _TICK_END.encode()
#: Unusable entries kept (with their id and reason) in :attr:`LiveFeed.rejects`; all are counted by reason.
MAX_REJECTS = 1000
#: Most states in one tick (a publisher that never pauses still gets its states decided).
MAX_TICK = 2000


class _Tables(Mapping[int, Mapping["MarketKey", "MarketQuotes"]]):
    """A round's price tables, built per match only when asked for (the price check of an order): a round of 500
    matches where few bet should not build a thousand tables. ``extra["prices"]`` holds the raw rows."""

    def __init__(self, book: LiveBook, rows: dict[int, Any]) -> None:
        self._book, self._rows = book, rows
        self._built: dict[int, Mapping[MarketKey, MarketQuotes]] = {}

    def __getitem__(self, match_id: int) -> Mapping[MarketKey, MarketQuotes]:
        built = self._built.get(match_id)
        if built is None:
            built = self._built[match_id] = self._book.quotes(self._rows[match_id])
        return built

    def __iter__(self) -> Iterator[int]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


@dataclass(slots=True)
class _Held:
    published_ms: int
    entry_id: str
    match_id: int
    state: LiveMatchState


class LiveFeed:
    """Engine events from one Redis Stream, read as ``consumer`` of consumer group ``group``.

    With a ``book`` the feed also trades in play: every in-play :class:`~betfolio.canonical.LiveMatchState` is
    offered in a :class:`~betfolio.engine.events.DecisionRound` with the book's prices. States arrive in
    **ticks** — a publisher's batch, ended by its ``tick_end`` field, or else states published less than
    :data:`TICK_GAP_MS` apart — and a tick becomes one
    round per "wave" (at most one state per match, in stream order, so a match's states are decided in order).
    The round carries ``extra["states"]`` (match id → state), ``extra["staleness"]`` (how old the data was when
    published: the state's own ``data_staleness`` plus its age at publication — what the agents see and what the
    execution's staleness limit reads) and ``extra["entries"]`` (match id → stream entry id). Tick boundaries
    depend on the entries alone, never on how reads happened to be cut, so replaying a stream's history forms
    exactly the rounds the live reads formed — which is how a restarted trader rebuilds its memory
    (:meth:`history`).

    ``auto_ack=False`` defers acknowledgement to :meth:`commit` (call it once the decisions are recorded), so
    an entry is acknowledged only after what it caused is stored: a trader killed in between reads it again
    (its own pending entries come first, then entries a dead consumer left pending for ``claim_idle_ms``).
    """

    def __init__(
        self,
        client: Any,
        stream: str,
        *,
        group: str = "engine",
        consumer: str = "engine-1",
        as_of: AsOfRule = DEFAULT_AS_OF,
        resolve: Callable[[str, str], int | None] | None = None,
        book: LiveBook | None = None,
        start: str = "0",
        count: int = 500,
        auto_ack: bool = True,
        claim_idle_ms: int = 60_000,
    ) -> None:
        self.client = client
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.as_of = as_of
        self.book = book
        self.resolve = resolve or (book.resolve if book is not None else store_ids)
        self.count = count
        self.auto_ack = auto_ack
        self.claim_idle_ms = claim_idle_ms
        self.rejects: list[str] = []  # the latest MAX_REJECTS, for a report
        #: Entries not acted on, by reason (malformed, unknown_match, not_in_play).
        self.reasons: Counter[str] = Counter()
        #: Entries read (every kind, malformed included) and the publication time of the newest (ms).
        self.entries_read = 0
        self.last_published_ms = 0
        self.fixtures: dict[int, MatchView] = {}
        self._books: dict[int, _Price] = defaultdict(dict)
        self._closing: dict[int, _Price] = defaultdict(dict)
        self._snapshot: tuple[datetime, set[int]] | None = None
        self._ended: set[int] = set()
        self._held: list[_Held] = []
        self._done: list[str] = []  # entries whose events were handed out, not yet acknowledged
        self._backlog = True
        self._claim_from = "0-0"
        self._start = start
        self.ensure_group()

    def ensure_group(self) -> None:
        """Create the group (and the stream, if nobody wrote yet); an existing group is kept as it is."""
        import redis

        try:
            self.client.xgroup_create(self.stream, self.group, id=self._start, mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def restart(self) -> None:
        """Start over as a fresh reader of the group: what was read and not committed is forgotten (its entries
        are still pending and will be read again), and so is what the stream told so far (fixtures, books,
        ended matches) — :meth:`history` tells it again. The counters are kept."""
        self._held.clear()
        self._done.clear()
        self.fixtures.clear()
        self._books.clear()
        self._closing.clear()
        self._snapshot = None
        self._ended.clear()
        self._backlog = True
        self._claim_from = "0-0"

    # --- reading -----------------------------------------------------------------------------------------
    def poll(self, block_ms: int | None = None) -> list[Event]:
        """Read what arrived for this consumer (waiting up to ``block_ms``) and return its events.

        Own pending entries are read first, then entries a dead consumer left pending, then new ones. A tick of
        in-play states still open at the end of a read is kept for the next poll, and closed once a read that
        started more than :data:`TICK_GAP_MS` after its last state returns. Entries are acknowledged now, or at
        :meth:`commit` with ``auto_ack=False``.
        """
        if self._held:
            block_ms = min(block_ms or TICK_GAP_MS + 1, TICK_GAP_MS + 1)
        started_ms = int(time.time() * 1000)
        entries, full = self._read(block_ms)
        events = self._handle(entries)
        if self._held and not full and started_ms > self._held[-1].published_ms + TICK_GAP_MS:
            events.extend(self._close_tick())
        if not entries and not self._held:
            events.extend(self._flush())
        if self.auto_ack:
            self.commit()
        return events

    def commit(self) -> None:
        """Acknowledge every entry whose events were handed out (their consequences are recorded)."""
        if self._done:
            self.client.xack(self.stream, self.group, *self._done)
            self._done = []

    @property
    def holding(self) -> bool:
        """Whether in-play states wait for their tick to close (poll again soon)."""
        return bool(self._held)

    def __iter__(self) -> Iterator[Event]:
        """Every event until the stream has nothing more for this consumer (a replay; live trading polls)."""
        while True:
            events = self.poll()
            yield from events
            if not events and self._snapshot is None and not self._held:
                return

    def _read(self, block_ms: int | None) -> tuple[list[tuple[str, dict[Any, Any]]], bool]:
        if self._backlog:
            entries = self._group_read("0", None)
            if entries:
                return entries, len(entries) >= self.count
            self._backlog = False
            claimed = self._claim()
            if claimed:
                return claimed, True
        entries = self._group_read(">", block_ms)
        return entries, len(entries) >= self.count

    def _group_read(self, start: str, block_ms: int | None) -> list[tuple[str, dict[Any, Any]]]:
        response = self.client.xreadgroup(
            self.group, self.consumer, {self.stream: start}, count=self.count, block=block_ms
        )
        return [(_decode(i), f) for _stream, entries in response or [] for i, f in entries]

    def _claim(self) -> list[tuple[str, dict[Any, Any]]]:
        """Entries another consumer read and never acknowledged for ``claim_idle_ms`` (it died): take them over."""
        result = self.client.xautoclaim(
            self.stream, self.group, self.consumer, self.claim_idle_ms, start_id=self._claim_from, count=self.count
        )
        self._claim_from = _decode(result[0])
        return [(_decode(i), f) for i, f in result[1]]

    def history(self) -> Iterator[Event]:
        """The events of every entry the group has already handled (delivered and acknowledged), in stream order.

        Replayed through the same engine and strategy before the first :meth:`poll`, they rebuild what a trader
        that never stopped would hold in memory — recurrent state, positions, bankroll — because rounds form the
        same way from the entries alone. Entries still pending are left to :meth:`poll`. The feed's counters
        are not touched by the replay.
        """
        last = self._last_delivered()
        if last is None:
            return
        pending = self._pending_ids(last)
        saved = (self.entries_read, self.last_published_ms, Counter(self.reasons), len(self.rejects))
        after = "-"
        while True:
            chunk = self.client.xrange(self.stream, min=after, max=last, count=self.count)
            if after != "-":
                chunk = chunk[1:]
            if not chunk:
                break
            after = _decode(chunk[-1][0])
            entries = [(_decode(i), f) for i, f in chunk if _decode(i) not in pending]
            yield from self._handle(entries)
            if after == last:
                break
        yield from self._close_tick()
        self.entries_read, self.last_published_ms, self.reasons = saved[0], saved[1], saved[2]
        del self.rejects[saved[3] :]
        self._done.clear()

    def _last_delivered(self) -> str | None:
        for info in self.client.xinfo_groups(self.stream):
            name = _decode(info.get("name", info.get(b"name", b"")))
            if name == self.group:
                last = _decode(info.get("last-delivered-id", info.get(b"last-delivered-id", b"0-0")))
                return None if last == "0-0" else last
        return None

    def _pending_ids(self, last: str) -> set[str]:
        out: set[str] = set()
        start = "-"
        while True:
            rows = self.client.xpending_range(self.stream, self.group, min=start, max=last, count=10_000)
            if not rows:
                return out
            out.update(_decode(r["message_id"]) for r in rows)
            if len(rows) < 10_000:
                return out
            start = "(" + _decode(rows[-1]["message_id"])

    @staticmethod
    def _parse(fields: dict[Any, Any]) -> LiveMatchState | Match | OddsQuote:
        raw = fields.get(b"state", fields.get("state"))
        if raw is not None:
            return validate_json(LiveMatchState, raw)
        raw = fields.get(b"record", fields.get("record"))
        kind = _decode(fields.get(b"kind", fields.get("kind", "")))
        if raw is None or kind not in _KINDS:
            raise ValueError(f"entry is neither a live state nor a record of kind {sorted(_KINDS)}")
        return validate_json(_KINDS[kind], raw)

    def _take(self, record: LiveMatchState | Match | OddsQuote, where: str) -> list[Event]:
        mid = self.resolve(record.provider, record.provider_match_id)
        if mid is None:
            self._reject(where, "unknown_match", f"{record.provider}/{record.provider_match_id}")
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
            if self.book is not None:
                self.reasons["not_in_play"] += 1  # kick-off not yet, suspended: nothing on offer
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

    # --- turning entries into events ----------------------------------------------------------------------
    def _handle(self, entries: Sequence[tuple[str, dict[Any, Any]]]) -> list[Event]:
        """Events of these entries, in order (a tick ends where the next entry is too far in time, or too big).

        Runs once per entry inside the feed-to-decision latency, hence the names bound once per read."""
        events: list[Event] = []
        book, resolve, parse, done = self.book, self.resolve, self._parse, self._done
        for entry_id, fields in entries:
            self.entries_read += 1
            published = entry_key(entry_id)[0]
            if published > self.last_published_ms:
                self.last_published_ms = published
            held = self._held
            if held and (published > held[-1].published_ms + TICK_GAP_MS or len(held) >= MAX_TICK):
                events.extend(self._close_tick())
            if not fields:  # pending, but trimmed from the stream since: nothing left to read
                self._reject(entry_id, "malformed", "entry no longer in the stream")
                done.append(entry_id)
                continue
            try:
                record = parse(fields)
            except (ValidationError, ValueError) as exc:
                reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
                self._reject(entry_id, "malformed", reason)
                done.append(entry_id)
                continue
            live = isinstance(record, LiveMatchState)
            if live and book is not None and record.status is _IN_PLAY:
                mid = resolve(record.provider, record.provider_match_id)
                if mid is None or book.match(mid) is None:
                    self._reject(entry_id, "unknown_match", f"{record.provider}/{record.provider_match_id}")
                    done.append(entry_id)
                    continue
                self._held.append(_Held(published, entry_id, mid, record))
                if _TICK_END in fields or _TICK_END_BYTES in fields:
                    events.extend(self._close_tick())  # the publisher's batch is complete: no need to wait
                continue
            if live and record.status in _FINAL:
                events.extend(self._close_tick())  # the match's last in-play states are decided before it ends
            events.extend(self._take(record, entry_id))
            done.append(entry_id)
        return events

    def _reject(self, entry_id: str, reason: str, detail: str) -> None:
        self.reasons[reason] += 1
        self.rejects.append(f"{self.stream} {entry_id}: {reason}: {detail}")
        if len(self.rejects) > 2 * MAX_REJECTS:
            del self.rejects[:-MAX_REJECTS]
        log.warning("live stream %s entry %s not used: %s (%s)", self.stream, entry_id, reason, detail)

    def _close_tick(self) -> list[Event]:
        """The held tick as decision rounds: one per wave of distinct matches, in stream order."""
        if not self._held or self.book is None:
            return []
        held, self._held = self._held, []
        at = datetime.fromtimestamp(held[-1].published_ms / 1000.0, UTC)
        rounds: list[Event] = []
        while held:
            wave: dict[int, _Held] = {}
            later: list[_Held] = []
            for h in held:
                if h.match_id in wave:
                    later.append(h)
                else:
                    wave[h.match_id] = h
            rounds.append(self._round(at, list(wave.values())))
            held = later
        return rounds

    def _round(self, at: datetime, wave: Sequence[_Held]) -> DecisionRound:
        assert self.book is not None
        matches: list[LiveMatch] = []
        for h in wave:
            m = self.book.match(h.match_id)
            assert m is not None  # _handle holds only states of matches the book knows
            matches.append(m)
        states = [h.state for h in wave]
        prices = self.book.odds(matches, states)
        ids = [h.match_id for h in wave]
        # staleness when published: the state's own plus its age at publication (never negative), per state
        n = len(wave)
        published = np.fromiter((h.published_ms for h in wave), np.float64, n) / 1000.0
        observed = np.fromiter((s.observed_at.timestamp() for s in states), np.float64, n)
        own = np.fromiter((s.data_staleness for s in states), np.float64, n)
        staleness = own + np.maximum(0.0, published - observed)
        odds = dict(zip(ids, prices, strict=True))
        extra = {
            "states": dict(zip(ids, states, strict=True)),
            "staleness": dict(zip(ids, staleness.tolist(), strict=True)),
            "entries": {h.match_id: h.entry_id for h in wave},
            "fair": {h.match_id: m.fair for h, m in zip(wave, matches, strict=True)},
            "prices": odds,
        }
        self._done.extend(h.entry_id for h in wave)
        views = [m.view for m in matches]
        return DecisionRound(at, views, _Tables(self.book, odds), extra)


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
