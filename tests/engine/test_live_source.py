"""The live source on a real Redis: consumer-group reads, live states as results, unreadable entries reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from betfolio.canonical import LiveMatchState, Match, OddsQuote
from betfolio.engine.events import DecisionRound, Results
from betfolio.engine.sources.live import STORE_PROVIDER, LiveFeed

KICKOFF = datetime(2023, 3, 4, 15, tzinfo=UTC)
STREAM = "betfolio:test:live-source"


def fixture(mid: int) -> Match:
    return Match(
        provider=STORE_PROVIDER, provider_match_id=str(mid), league="E0", season="2022-23", kickoff=KICKOFF,
        home_team=f"H{mid}", away_team=f"A{mid}", status="scheduled",
    )  # fmt: skip


def quote(mid: int, selection: str, odds: float, at: datetime, **kw: object) -> OddsQuote:
    return OddsQuote(
        provider=STORE_PROVIDER, provider_match_id=str(mid), bookmaker="bet365", market="1x2", selection=selection,
        odds=odds, quoted_at=at, ingested_at=at, **kw,
    )  # fmt: skip


def add(client, record) -> None:
    client.xadd(STREAM, {"kind": record.kind, "record": record.model_dump_json()})


def test_quotes_become_a_round_and_a_finished_live_state_settles(redis_client) -> None:
    friday = KICKOFF - timedelta(days=1)
    add(redis_client, fixture(7))
    for sel, odds in (("home", 2.0), ("draw", 3.4), ("away", 3.9)):
        add(redis_client, quote(7, sel, odds, friday))
    add(redis_client, quote(7, "home", 1.9, KICKOFF - timedelta(minutes=10)))  # too late for the as-of rule
    add(redis_client, quote(7, "home", 1.95, KICKOFF, is_closing=True))  # evaluation only
    redis_client.xadd(STREAM, {"record": b"{not json", "kind": b"match"})
    final = LiveMatchState(
        provider=STORE_PROVIDER, provider_match_id="7", minute=90, status="finished", home_goals=2, away_goals=1,
        observed_at=KICKOFF + timedelta(minutes=112),
    )  # fmt: skip
    redis_client.xadd(STREAM, {"state": final.model_dump_json()})

    feed = LiveFeed(redis_client, STREAM, group="paper", consumer="a")
    events = list(feed)
    rnd, res = events
    assert isinstance(rnd, DecisionRound) and rnd.at == friday
    table = rnd.odds[7][("1x2", None)]
    assert table.price("bet365").tolist() == [2.0, 3.4, 3.9]  # the late quote never entered the decision
    assert isinstance(res, Results) and res.at == KICKOFF + timedelta(minutes=112)
    (result,) = res.results
    assert (result.home_goals, result.away_goals, result.status) == (2, 1, "finished")
    assert result.closing[("1x2", None)].odds[0, 0] == 1.95
    assert len(feed.rejects) == 1 and STREAM in feed.rejects[0]

    # everything was acknowledged: the group has nothing pending, a second consumer gets nothing old
    assert redis_client.xpending(STREAM, "paper")["pending"] == 0
    assert list(LiveFeed(redis_client, STREAM, group="paper", consumer="b")) == []
    # another group reads the whole stream again (a second trader on the same feed)
    assert len(list(LiveFeed(redis_client, STREAM, group="watcher", consumer="a"))) == 2


class FakeBook:
    """Two known fixtures, a fixed price row each (the in-play book's shape: 1X2 then over/under 2.5)."""

    def __init__(self) -> None:
        from betfolio.engine.sources.live_book import LiveMatch, StoreLiveBook
        from betfolio.engine.strategy import MatchView

        self.quotes = StoreLiveBook.quotes
        self.known = {
            mid: LiveMatch(MatchView(mid, "E0", "2022-23", KICKOFF, f"H{mid}", f"A{mid}"), None, None) for mid in (1, 2)
        }

    def resolve(self, provider: str, provider_match_id: str) -> int | None:
        return int(provider_match_id[1:]) if provider_match_id.startswith("f") else None

    def match(self, match_id: int):  # type: ignore[no-untyped-def]
        return self.known.get(match_id)

    def odds(self, matches, states):  # type: ignore[no-untyped-def]
        import numpy as np

        return np.tile([2.0, 3.0, 4.0, 1.9, 1.9], (len(matches), 1))


def state(fixture: str, minute: int, staleness: float = 0.0, status: str = "in_play") -> LiveMatchState:
    return LiveMatchState(
        provider="feed", provider_match_id=fixture, minute=minute, home_goals=0, away_goals=0, status=status,
        observed_at=datetime.now(UTC) - timedelta(seconds=2), data_staleness=staleness,
    )  # fmt: skip


def test_in_play_states_become_rounds_per_tick_acknowledged_at_commit_and_replayable(redis_client, caplog) -> None:
    from betfolio.providers.live_bus import LiveStateBus

    bus = LiveStateBus(redis_client, prefix="betfolio:test")
    stream = "betfolio:test:feed"
    bus.publish([state("f1", 1, 10.0), state("f2", 1), state("f1", 2), state("f9", 1), state("f2", 2)])
    bus.publish([state("f1", 3, status="scheduled")])
    poison = redis_client.xadd(stream, {"state": b'{"minute": "late"}'}).decode()
    feed = LiveFeed(redis_client, stream, group="paper", consumer="a", book=FakeBook(), auto_ack=False)
    events = feed.poll()
    first, second = events  # the batch's tick_end closes the tick at once: one round per wave of matches
    assert [m.match_id for m in first.matches] == [1, 2] and [m.match_id for m in second.matches] == [1, 2]
    assert [s.minute for s in first.extra["states"].values()] == [1, 1]
    assert [s.minute for s in second.extra["states"].values()] == [2, 2]
    assert 11.99 <= first.extra["staleness"][1] < 20.0  # its own 10 s plus its age when published (ms ids)
    assert first.odds[1][("1x2", None)].price("in-play model").tolist() == [2.0, 3.0, 4.0]
    assert feed.reasons == {"unknown_match": 1, "not_in_play": 1, "malformed": 1}
    assert any(poison in r.getMessage() and "malformed" in r.getMessage() for r in caplog.records)  # logged with id
    assert redis_client.xpending(stream, "paper")["pending"] == 7  # nothing acknowledged before the commit
    feed.commit()
    assert redis_client.xpending(stream, "paper")["pending"] == 0

    again = LiveFeed(redis_client, stream, group="paper", consumer="b", book=FakeBook(), auto_ack=False)
    replayed = list(again.history())  # a restarted trader sees the same rounds again, counters untouched
    assert [[m.match_id for m in e.matches] for e in replayed] == [[1, 2], [1, 2]]
    assert [list(e.extra["entries"].values()) for e in replayed] == [list(e.extra["entries"].values()) for e in events]
    assert not again.reasons and again.poll() == []


def test_orders_on_data_past_the_staleness_limit_are_refused_with_a_reason() -> None:
    import numpy as np

    from betfolio.engine import BetOrder, Engine, Execution, Portfolio, WallClock
    from betfolio.engine.sources.live_book import StoreLiveBook
    from betfolio.risk import Bankroll

    book = FakeBook()
    views = [book.known[1].view, book.known[2].view]
    row = np.array([2.0, 3.0, 4.0, 1.9, 1.9])
    rnd = DecisionRound(
        KICKOFF, views, {1: StoreLiveBook.quotes(row), 2: StoreLiveBook.quotes(row)}, {"staleness": {1: 45.0, 2: 5.0}}
    )

    class BackHome:
        name = "home"

        def decide(self, context):  # type: ignore[no-untyped-def]
            assert context.extra["staleness"] == {1: 45.0, 2: 5.0}  # the strategy sees it too
            return [BetOrder(m.match_id, "1x2", "home", None, 2.0, 10.0, "in-play model") for m in context.matches]

    portfolio = Portfolio("home", Bankroll(1000.0))
    Engine([BackHome()], {"home": portfolio}, clock=WallClock(), execution=Execution(max_staleness=30.0)).handle(rnd)
    assert [b.match_id for b in portfolio.bets] == [2]
    assert portfolio.rejections == {"stale_data": 1}
