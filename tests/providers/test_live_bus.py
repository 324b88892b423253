"""Live states over real Redis Streams, fed through the real client from the stand-in server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from betfolio.canonical import LiveMatchState
from betfolio.cli import app
from betfolio.providers.api_football.client import ApiFootballClient, settings_for
from betfolio.providers.live_bus import LiveStateBus
from betfolio.providers.live_feed import run_feed
from betfolio.providers.resilient import ResilientSource
from betfolio.store.archive import StoreArchive
from tests.conftest import REDIS_URL

NOW = datetime(2024, 3, 1, 20, 0, tzinfo=UTC)


def state(match: str, minute: int, home: int = 0, away: int = 0, staleness: float = 0.0) -> LiveMatchState:
    return LiveMatchState(
        provider="api-football", provider_match_id=match, minute=minute, home_goals=home, away_goals=away,
        statistics={"home": {"shots": 4.0, "xg": 0.0}, "away": {}}, observed_at=NOW, data_staleness=staleness,
    )  # fmt: skip


@pytest.fixture
def bus(redis_client) -> LiveStateBus:
    return LiveStateBus(redis_client, prefix="test:live")


def test_publish_read_and_resume(bus) -> None:
    assert bus.publish([state("1", 10), state("2", 12, 1, 0)]) == 2
    first = bus.read("api-football")
    assert [s.provider_match_id for s in first.states] == ["1", "2"] and first.rejects == []
    assert first.states[0] == state("1", 10)  # lossless: a reported 0.0 xG stays 0.0, absent stays absent
    assert first.states[0].feature_vector(stats=("xg",)).get("home_xg") == 0.0
    assert first.states[0].feature_vector(stats=("xg",)).get("away_xg") is None
    bus.publish([state("1", 11, 0, 1)])
    nxt = bus.read("api-football", first.last_id)
    assert [(s.provider_match_id, s.minute) for s in nxt.states] == [("1", 11)]
    assert bus.read("api-football", nxt.last_id).states == []


def test_latest_state_ages_with_staleness(bus) -> None:
    bus.publish([state("1", 10), state("1", 11, 1, 0), state("2", 30, staleness=5.0)])
    latest, rejects = bus.latest("api-football", now=NOW + timedelta(seconds=40))
    assert rejects == []
    assert [(s.provider_match_id, s.minute, s.data_staleness) for s in latest] == [("1", 11, 40.0), ("2", 30, 45.0)]
    assert latest[0].feature_vector().get("staleness") == pytest.approx(40 / 300)


def test_providers_are_those_with_latest_states(bus, redis_client) -> None:
    assert bus.providers() == []
    other = state("7", 3).model_copy(update={"provider": "sportmonks"})
    bus.publish([state("1", 10), other])
    LiveStateBus(redis_client, prefix="test:elsewhere").publish([state("2", 5)])  # another prefix is not ours
    assert bus.providers() == ["api-football", "sportmonks"]
    assert [s.provider_match_id for s in bus.latest("sportmonks")[0]] == ["7"]


def test_unreadable_entries_are_reported_and_skipped(bus, redis_client) -> None:
    bus.publish([state("1", 10)])
    redis_client.xadd(bus.stream_key("api-football"), {"state": b"{not json"})
    redis_client.hset(bus.latest_key("api-football"), "9", b'{"minute": -3}')
    bus.publish([state("2", 20)])
    batch = bus.read("api-football")
    assert [s.provider_match_id for s in batch.states] == ["1", "2"]
    assert len(batch.rejects) == 1 and "test:live:api-football" in batch.rejects[0]
    latest, rejects = bus.latest("api-football", now=NOW)
    assert [s.provider_match_id for s in latest] == ["1", "2"] and rejects and " 9:" in rejects[0]


def test_feed_publishes_live_states_and_stale_ones_during_an_outage(standin, sqlite_engine, bus) -> None:
    client = ApiFootballClient(
        settings_for("test-key", base_url=standin.api_football_url, attempts=1, backoff_initial=0.0),
        StoreArchive(sqlite_engine),
    )
    (fresh,) = run_feed(client, bus, interval_seconds=0, polls=1)
    assert fresh.states == fresh.published == 1 and not fresh.stale
    live = bus.read("api-football")
    assert live.states[0].minute == 45 and live.states[0].data_staleness == 0.0
    later = live.states[0].observed_at + timedelta(seconds=75)
    client.source = ResilientSource(client.http, StoreArchive(sqlite_engine), clock=lambda: later)
    standin.faults.append("server_error")
    (down,) = run_feed(client, bus, interval_seconds=0, polls=1)
    assert down.stale and down.published == 1 and "HTTP 500" in (down.error or "")
    stale = bus.read("api-football", live.last_id).states
    assert stale[0].data_staleness == pytest.approx(75, abs=1)  # served as stale, never as fresh
    client.close()


def test_live_command_polls_and_publishes(standin, tmp_path, redis_client, monkeypatch) -> None:
    monkeypatch.setenv("BETFOLIO_API_FOOTBALL_KEY", "test-key")
    result = CliRunner().invoke(
        app,
        ["live", "--base-url", standin.api_football_url, "--redis", REDIS_URL, "--polls", "2", "--interval", "0",
         "--db", f"sqlite:///{tmp_path / 'live.sqlite'}", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    polls = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [p["published"] for p in polls] == [1, 1]
    assert redis_client.xlen("betfolio:live:api-football") == 2
    bad = CliRunner().invoke(app, ["live", "--leagues", "Narnia", "--polls", "1"])
    assert bad.exit_code == 2


def test_a_large_batch_keeps_order_tick_end_and_the_latest_state_per_fixture(bus, redis_client) -> None:
    # 1,300 states of 600 fixtures (more values than one hash write of the publishing script takes), two providers
    batch = [state(str(i % 600), 1 + i // 600) for i in range(1300)]
    batch.insert(700, state("x", 5).model_copy(update={"provider": "sportmonks"}))
    assert bus.publish(batch) == 1301
    entries = redis_client.xrange("test:live:api-football")
    published = [LiveMatchState.model_validate_json(f[b"state"]) for _, f in entries]
    assert published == [s for s in batch if s.provider == "api-football"]  # every state, in order
    assert [i for i, (_, f) in enumerate(entries) if b"tick_end" in f] == [1299]  # only the batch's last entry
    ((_, other),) = redis_client.xrange("test:live:sportmonks")
    assert other[b"tick_end"] == b"1"
    latest, rejects = bus.latest("api-football", now=NOW)
    assert rejects == [] and len(latest) == 600
    assert {s.provider_match_id: s.minute for s in latest} == {str(i): 3 if i < 100 else 2 for i in range(600)}
