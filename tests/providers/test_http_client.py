"""The real httpx client against the stand-in server over real HTTP on 127.0.0.1: retries, quota, circuit
breaker with stale fallback, provider status, secrets."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from betfolio.providers.api_football.adapter import ApiFootball
from betfolio.providers.api_football.client import ApiFootballClient, settings_for
from betfolio.providers.http import QuotaExceeded, RequestRejected, TransientError
from betfolio.providers.odds_api.client import OddsApiClient
from betfolio.providers.odds_api.client import settings_for as odds_settings
from betfolio.providers.ratelimit import QuotaExhausted, QuotaLimiter
from betfolio.providers.resilient import NoDataAvailable, ResilientSource
from betfolio.store.archive import StoreArchive
from betfolio.store.tables import provider_status, raw_payloads

FAST = {"backoff_initial": 0.0, "backoff_max": 0.0}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def af_client(standin, engine=None, **overrides) -> ApiFootballClient:
    options = {**FAST, **overrides}
    return ApiFootballClient(
        settings_for("test-key", base_url=standin.api_football_url, **options),
        StoreArchive(engine) if engine is not None else None,
    )


def status_row(engine) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(provider_status)).mappings().one())


def test_fetch_parses_and_reads_quota_headers(standin, sqlite_engine) -> None:
    client = af_client(standin, sqlite_engine)
    fetched = client.get("fixtures", ids="1149523-1149519")
    assert not fetched.stale and fetched.staleness_seconds == 0.0
    result = ApiFootball().parse_payload("fixtures", fetched.payload)
    assert {m.provider_match_id for m in result.of_kind("match")} == {"1149523", "1149519"}
    assert client.http.limiter.snapshot.day_remaining == 99
    assert client.http.limiter.snapshot.minute_remaining == 9
    row = status_row(sqlite_engine)
    assert row["circuit_state"] == "closed" and row["quota_remaining_day"] == 99 and row["last_success_at"]
    client.close()


def test_transient_failures_are_retried(standin) -> None:
    standin.state.slow_seconds = 1.0
    standin.faults.extend(["rate_limited", "server_error", "timeout", "malformed"])
    slept: list[float] = []
    client = ApiFootballClient(
        settings_for("test-key", base_url=standin.api_football_url, timeout=0.4, attempts=5, backoff_initial=0.5),
        sleep=slept.append,
    )
    response = client.http.get("fixtures", {"ids": "1149523-1149519"})
    assert response.attempts == 5 and response.payload["results"] == 2
    assert len(standin.state.requests) == 5
    # Retry-After: 0 on the 429, then exponential backoff 1, 2, 4 s
    assert slept == [0.0, 1.0, 2.0, 4.0]
    client.close()


def test_retries_give_up_with_the_last_error(standin) -> None:
    standin.faults.extend(["server_error"] * 3)
    client = af_client(standin, attempts=3)
    with pytest.raises(TransientError, match="HTTP 500"):
        client.http.get("status")
    client.close()


def test_http_200_with_quota_error_is_not_retried(standin) -> None:
    standin.faults.append("quota_exhausted")
    client = af_client(standin, attempts=5)
    with pytest.raises(QuotaExceeded, match="request limit for the day"):
        client.http.get("fixtures", {"ids": "1149523-1149519"})
    assert len(standin.state.requests) == 1
    # the provider said 0 left: the limiter now refuses without calling
    with pytest.raises(QuotaExceeded, match="daily request quota exhausted"):
        client.http.get("fixtures", {"ids": "1149523-1149519"})
    assert len(standin.state.requests) == 1
    client.close()


def test_caller_errors_do_not_open_the_circuit(standin) -> None:
    standin.faults.extend(["bad_parameters"] * 4)
    client = af_client(standin, fail_max=3)
    for _ in range(4):
        with pytest.raises(RequestRejected, match="At least one parameter"):
            client.http.get("injuries")
    assert client.http.circuit_state == "closed"
    client.close()


def test_wrong_key_is_rejected(standin) -> None:
    client = ApiFootballClient(settings_for("wrong", base_url=standin.api_football_url, **FAST))
    with pytest.raises(RequestRejected, match="application key"):
        client.http.get("status")
    client.close()


def test_circuit_opens_serves_stale_data_then_closes(standin, engine) -> None:
    client = af_client(standin, engine, attempts=1, fail_max=3, reset_timeout=0.5)
    fresh = client.get("fixtures", ids="1149523-1149519")
    assert not fresh.stale
    later = fresh.fetched_at + timedelta(seconds=120)
    client.source = ResilientSource(client.http, StoreArchive(engine), clock=lambda: later)

    standin.faults.extend(["server_error"] * 3)
    errors = []
    for _ in range(3):
        stale = client.get("fixtures", ids="1149523-1149519")
        assert stale.stale and stale.source == "store"
        errors.append(stale.error)
        assert stale.content == fresh.content
        assert stale.staleness_seconds == pytest.approx(120, abs=1)
    assert "HTTP 500" in errors[0] and "HTTP 500" in errors[1] and "circuit open" in errors[2]  # third trips it
    assert client.http.circuit_state == "open"
    assert status_row(engine)["circuit_state"] == "open"

    calls = len(standin.state.requests)
    while_open = client.get("fixtures", ids="1149523-1149519")
    assert while_open.stale and "circuit open" in while_open.error
    assert len(standin.state.requests) == calls  # the provider was not called
    with pytest.raises(NoDataAvailable):
        client.get("fixtures", ids="1")  # nothing stored for this request

    time.sleep(0.6)  # reset timeout passes: half-open, one trial call goes through and succeeds
    recovered = client.get("fixtures", ids="1149523-1149519")
    assert not recovered.stale and client.http.circuit_state == "closed"
    row = status_row(engine)
    assert row["circuit_state"] == "closed" and row["last_failure_at"] and "circuit" in row["last_error"]
    client.close()


def test_rate_limiter_waits_for_the_minute_window_instead_of_exceeding(standin) -> None:
    standin.state.minute_limit = 2
    clock = FakeClock()

    def wait(seconds: float) -> None:
        clock.sleep(seconds)
        if seconds >= 30:  # a minute passes at the provider too
            standin.state.minute_used = 0

    limiter = QuotaLimiter(clock=clock, sleep=wait)
    client = ApiFootballClient(
        settings_for("test-key", base_url=standin.api_football_url, **FAST), limiter=limiter, sleep=wait
    )
    for _ in range(3):
        client.http.get("fixtures", {"ids": "1149523-1149519"})
    assert len(standin.state.requests) == 3  # never a 429: the third call waited
    assert clock.slept == [pytest.approx(60.0)]
    client.close()


def test_limiter_budget_and_quota_rules() -> None:
    clock = FakeClock()
    limiter = QuotaLimiter(per_minute=3, per_day=5, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        assert limiter.acquire() == 0.0
    clock.now += 10
    assert limiter.acquire() == pytest.approx(50.0)  # waits until the oldest request leaves the window
    limiter.acquire()
    with pytest.raises(QuotaExhausted, match="configured daily budget of 5"):
        limiter.acquire()
    provider_says = QuotaLimiter(reserve=2, clock=clock, sleep=clock.sleep)
    provider_says.observe({"x-ratelimit-requests-remaining": "2", "X-RateLimit-Remaining": "5"})
    with pytest.raises(QuotaExhausted, match="daily request quota exhausted"):
        provider_says.acquire()


def test_odds_api_key_is_never_logged_nor_stored(standin, sqlite_engine, caplog) -> None:
    secret = "test-key"
    standin.state.odds_api_key = secret = "s3cret-odds-key"
    client = OddsApiClient(odds_settings(secret, base_url=standin.odds_api_url, **FAST), StoreArchive(sqlite_engine))
    with caplog.at_level(logging.INFO, logger="httpx"):
        fetched = client.odds("soccer_epl")
    assert len(fetched.payload) == 41 and client.http.limiter.snapshot.credits_remaining == 99
    assert caplog.records and all(secret not in r.getMessage() for r in caplog.records)
    assert secret not in repr(client.http)
    with sqlite_engine.connect() as conn:
        for source, params in conn.execute(select(raw_payloads.c.source, raw_payloads.c.params)):
            assert secret not in source and secret not in str(params)
    client.close()
    bad = OddsApiClient(odds_settings("wrong-key-123", base_url=standin.odds_api_url, **FAST))
    with pytest.raises(NoDataAvailable, match="API key is not valid"):
        bad.odds("soccer_epl")
    bad.close()


def test_live_states_fall_back_with_growing_staleness(standin, sqlite_engine) -> None:
    client = af_client(standin, sqlite_engine, attempts=1)
    live = client.live_states()
    (state,) = live.states
    assert not live.stale and state.data_staleness == 0.0 and state.minute == 45 and state.away_goals == 1
    later = live.fetched_at + timedelta(seconds=90)
    client.source = ResilientSource(client.http, StoreArchive(sqlite_engine), clock=lambda: later)
    standin.faults.append("server_error")
    down = client.live_states()
    (stale_state,) = down.states
    assert down.stale and "HTTP 500" in down.error
    assert stale_state.data_staleness == pytest.approx(90, abs=1) and stale_state.observed_at == state.observed_at
    features = stale_state.feature_vector()
    assert features.get("staleness") == pytest.approx(90 / 300, abs=0.01)
    client.close()


def test_fixture_ids_are_requested_twenty_at_a_time(standin) -> None:
    client = af_client(standin)
    ids = list(range(1000, 1045))
    pages = list(client.fixtures_by_ids(ids))
    sent = [r["params"]["ids"].split("-") for r in standin.state.requests]
    assert len(pages) == 3 and [len(chunk) for chunk in sent] == [20, 20, 5]
    assert [int(i) for chunk in sent for i in chunk] == ids
    client.close()
