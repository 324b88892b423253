"""The adapter service against a real store (SQLite copy of a real season) and the real Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine, insert, select

from betfolio.canonical import LiveMatchState
from betfolio.live.service import MAX_URL_BYTES, check_bind, create_app
from betfolio.net import free_port
from betfolio.providers.live_bus import LiveStateBus
from betfolio.store.identity import link_external
from betfolio.store.tables import daily_betting_lines, live_states, matches_master, provider_status
from betfolio.store.writer import FIXTURE

TOKEN = "s3rvice-token-for-tests-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def app(season_engine: Engine, redis_client: object) -> Iterator[object]:
    yield create_app(season_engine, redis_client, token=TOKEN, cache_seconds=0.0)


@pytest.fixture
def client(app: object) -> Iterator[TestClient]:
    with TestClient(app) as c:  # type: ignore[arg-type]
        yield c


def _first_match(engine: Engine) -> dict:
    with engine.connect() as conn:
        return dict(
            conn.execute(select(matches_master).order_by(matches_master.c.kickoff_utc).limit(1)).mappings().one()
        )


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "database": "ok", "redis": "ok"}


def test_readiness_fails_when_redis_is_gone(season_engine: Engine) -> None:
    import redis

    dead = redis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5)
    with TestClient(create_app(season_engine, dead, token=TOKEN)) as c:
        ready = c.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["database"] == "ok" and ready.json()["redis"].startswith("unreachable")


def test_tokens(client: TestClient) -> None:
    assert client.get("/v1/fixtures").status_code == 401
    assert client.get("/v1/fixtures", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/v1/fixtures", headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 401
    assert client.get("/v1/fixtures", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    assert client.get("/v1/fixtures", headers={"Authorization": "Bearer \u00e9".encode("latin-1")}).status_code == 401
    assert client.get("/v1/fixtures", headers=AUTH).status_code == 200
    assert client.get("/healthz").status_code == 200  # probes need no token


def test_fixtures_and_odds_as_of(client: TestClient, season_engine: Engine) -> None:
    page = client.get("/v1/fixtures", params={"league": "E0", "limit": 5}, headers=AUTH).json()
    assert len(page) == 5 and all(f["league"] == "E0" for f in page)
    assert page == sorted(page, key=lambda f: (f["kickoff_utc"], f["match_id"]))
    match = _first_match(season_engine)
    kickoff = match["kickoff_utc"]
    before = client.get(
        f"/v1/fixtures/{match['match_id']}/odds",
        params={"as_of": (kickoff - timedelta(days=30)).isoformat()},
        headers=AUTH,
    ).json()
    assert before["quotes"] == []  # nothing was quoted a month before: the as-of rule holds over HTTP
    at_kickoff = client.get(
        f"/v1/fixtures/{match['match_id']}/odds", params={"as_of": kickoff.isoformat(), "market": "1x2"}, headers=AUTH
    ).json()
    assert at_kickoff["quotes"], "pre-match quotes exist for a real fixture"
    assert all(q["market"] == "1x2" and not q["is_closing"] for q in at_kickoff["quotes"])
    assert all(datetime.fromisoformat(q["quoted_at"]) <= kickoff for q in at_kickoff["quotes"])
    with season_engine.connect() as conn:
        closing = conn.execute(
            select(daily_betting_lines).where(
                daily_betting_lines.c.match_id == match["match_id"], daily_betting_lines.c.is_closing.is_(True)
            )
        ).first()
    if closing is not None:
        later = client.get(
            f"/v1/fixtures/{match['match_id']}/odds",
            params={"as_of": (kickoff + timedelta(days=1)).isoformat(), "include_closing": "true"},
            headers=AUTH,
        ).json()
        assert any(q["is_closing"] for q in later["quotes"])
    assert client.get("/v1/fixtures/999999999/odds", headers=AUTH).status_code == 404


def test_bad_requests_are_refused_before_any_query(client: TestClient) -> None:
    assert client.get("/v1/fixtures", params={"league": "E" * MAX_URL_BYTES}, headers=AUTH).status_code == 414
    assert client.request("GET", "/v1/fixtures", content=b"{}", headers=AUTH).status_code == 413
    assert client.get("/v1/fixtures", params={"date_from": "yesterday"}, headers=AUTH).status_code == 422
    assert client.get("/v1/fixtures", params={"limit": 10**9}, headers=AUTH).status_code == 422
    assert client.get("/v1/fixtures/abc/odds", headers=AUTH).status_code == 422
    assert client.get("/v1/fixtures/1/odds", params={"as_of": "2020-13-45"}, headers=AUTH).status_code == 422
    assert client.get("/v1/live", params={"provider": "../../etc"}, headers=AUTH).status_code == 422
    assert client.get("/v1/nothing-here", headers=AUTH).status_code == 404


def test_live_states_from_redis_then_from_the_store(season_engine: Engine, redis_client: object) -> None:
    match = _first_match(season_engine)
    with season_engine.begin() as conn:
        link_external(conn, "api-football", FIXTURE, {"4711": match["match_id"]})
        conn.execute(
            insert(provider_status).values(provider="api-football", circuit_state="closed",
                                           quota_remaining_day=90, updated_at=datetime.now(UTC))
        )  # fmt: skip
        conn.execute(
            insert(live_states).values(
                match_id=match["match_id"], provider="api-football",
                observed_at=datetime.now(UTC) - timedelta(minutes=5),
                minute=55, status="in_play", home_goals=1, away_goals=0, statistics={}, data_staleness=0.0,
                ingested_at=datetime.now(UTC),
            )
        )  # fmt: skip
    observed = datetime.now(UTC) - timedelta(seconds=20)
    LiveStateBus(redis_client).publish(
        [LiveMatchState(provider="api-football", provider_match_id="4711", minute=61, home_goals=1, away_goals=1,
                        observed_at=observed, data_staleness=5.0)]
    )  # fmt: skip
    with TestClient(create_app(season_engine, redis_client, token=TOKEN, cache_seconds=0)) as c:
        states = c.get("/v1/live", headers=AUTH).json()
        assert c.get("/v1/providers", headers=AUTH).json()[0]["circuit_state"] == "closed"
    assert len(states) == 1 and states[0]["source"] == "redis"
    assert states[0]["match_id"] == match["match_id"] and states[0]["minute"] == 61
    assert states[0]["data_staleness"] >= 25.0  # aged: 5 s stale when observed, 20 s ago

    import redis

    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    with TestClient(create_app(season_engine, dead, token=TOKEN, cache_seconds=0)) as c:
        fallback = c.get("/v1/live", headers=AUTH).json()
        assert c.get("/readyz").status_code == 503
    assert [(s["source"], s["minute"]) for s in fallback] == [("store", 55)]


def test_reads_are_cached(season_engine: Engine) -> None:
    with TestClient(create_app(season_engine, None, token=TOKEN, cache_seconds=60)) as c:
        first = c.get("/v1/providers", headers=AUTH).json()
        with season_engine.begin() as conn:
            conn.execute(
                insert(provider_status).values(provider="x", circuit_state="open", updated_at=datetime.now(UTC))
            )
        assert c.get("/v1/providers", headers=AUTH).json() == first == []


def test_non_loopback_bind_needs_a_token() -> None:
    with pytest.raises(ValueError, match=r"refusing to listen on 0\.0\.0\.0"):
        check_bind("0.0.0.0", None)
    check_bind("0.0.0.0", TOKEN)
    check_bind("127.0.0.1", None)
    done = subprocess.run(
        [sys.executable, "-m", "betfolio.cli", "serve", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True, text=True, env={**os.environ, "BETFOLIO_SERVICE_TOKEN": ""}, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2 and "refusing to listen" in done.stderr


def test_real_server_keeps_the_token_out_of_logs_and_metrics(season_db: Path, tmp_path: Path) -> None:
    secret_file = tmp_path / "service_token"
    secret_file.write_text(TOKEN + "\n")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BETFOLIO_SERVICE_TOKEN")}
    env |= {"BETFOLIO_SERVICE_TOKEN_FILE": str(secret_file), "BETFOLIO_DATABASE_URL": f"sqlite:///{season_db}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "betfolio.cli", "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert httpx.get(f"{base}/v1/coverage", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert httpx.get(f"{base}/v1/coverage", headers=AUTH).status_code == 200
        assert httpx.get(f"{base}/v1/coverage", params={"token": TOKEN}).status_code == 401
        exported = httpx.get(f"{base}/metrics").text
        assert "betfolio_http_requests_total" in exported and TOKEN not in exported
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert "file " + str(secret_file) in err  # says where the token came from…
    assert TOKEN not in out + err  # …never what it is


# -- property-based: every documented operation, generated inputs, responses checked against the schema -----------
def test_openapi_contract(season_engine: Engine, redis_client: object) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(season_engine, redis_client, token=TOKEN))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/fixtures", "/v1/fixtures/{match_id}/odds", "/v1/live", "/readyz"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def conforms(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=AUTH)

        conforms()
