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
