"""`betfolio live` degrades instead of dying: Redis away or killed mid-run, a hostile provider payload."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis

from betfolio.net import free_port
from betfolio.providers.api_football.client import ApiFootballClient, settings_for
from betfolio.providers.live_bus import LiveStateBus
from betfolio.providers.live_feed import MAX_BACKOFF_SECONDS, next_wait, run_feed
from betfolio.store.archive import StoreArchive

FAST = {"backoff_initial": 0.0, "backoff_max": 0.0}


def af_client(standin, engine=None) -> ApiFootballClient:
    archive = StoreArchive(engine) if engine is not None else None
    return ApiFootballClient(settings_for("test-key", base_url=standin.api_football_url, **FAST), archive)


@pytest.fixture
def own_redis() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """A private redis-server this test may kill (the shared one serves other developers' tests)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server binary not installed")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield proc, port
    proc.kill()
    proc.wait()


def test_closed_redis_port_is_counted_not_fatal(standin) -> None:
    bus = LiveStateBus.from_url(f"redis://127.0.0.1:{free_port()}/3")
    waits: list[float] = []
    client = af_client(standin)
    results = run_feed(client, bus, interval_seconds=2.0, polls=3, sleep=waits.append)
    client.close()
    assert [r.states for r in results] == [1, 1, 1]  # the provider side kept working
    assert all(r.bus_error and r.bus_error.startswith("redis:") for r in results)
    assert results[-1].bus_errors == 3 and results[-1].provider_errors == 0
    assert waits == [4.0, 8.0]  # backing off while the failures repeat


def test_redis_killed_mid_run_then_back(standin, own_redis) -> None:
    proc, port = own_redis
    bus = LiveStateBus.from_url(f"redis://127.0.0.1:{port}/0")
    client = af_client(standin)
    restarted: list[subprocess.Popen[bytes]] = []

    def sleep(_seconds: float) -> None:
        if len(polled) == 1:
            proc.kill()
            proc.wait()
        if len(polled) == 2:  # Redis comes back on the same port
            restarted.append(
                subprocess.Popen(
                    [shutil.which("redis-server") or "redis-server", "--port", str(port), "--save", ""],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            for _ in range(100):
                try:
                    redis.Redis(port=port).ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)

    polled: list[object] = []
    try:
        results = run_feed(client, bus, interval_seconds=0.0, polls=3, on_poll=polled.append, sleep=sleep)
    finally:
        client.close()
        for p in restarted:
            p.kill()
            p.wait()
    assert [r.published for r in results] == [1, 0, 1]
    assert results[1].bus_error is not None and results[2].bus_error is None
    assert results[-1].bus_errors == 1


def test_deeply_nested_provider_answer_goes_through_retries_and_stale_fallback(standin, sqlite_engine) -> None:
    client = af_client(standin, sqlite_engine)
    first = run_feed(client, None, interval_seconds=0.0, polls=1, sleep=lambda _s: None)
    assert first[0].states == 1 and not first[0].stale
    standin.state.faults.extend(["deeply_nested"] * client.http.settings.attempts)
    second = run_feed(client, None, interval_seconds=0.0, polls=1, sleep=lambda _s: None)[0]
    client.close()
    assert second.stale and second.states == 1  # the last stored payload, served as stale
    assert "nested" in (second.error or "")
    assert second.provider_errors == 1


def test_provider_down_with_nothing_stored_is_counted(standin) -> None:
    client = af_client(standin)
    standin.state.faults.extend(["server_error"] * 100)
    results = run_feed(client, None, interval_seconds=1.0, polls=2, sleep=lambda _s: None)
    client.close()
    assert all(r.states == 0 and r.error for r in results)
    assert results[-1].provider_errors == 2


def test_backoff_is_capped_and_resets() -> None:
    assert next_wait(30.0, 0) == 30.0
    assert next_wait(30.0, 1) == 60.0
    assert next_wait(30.0, 50) == MAX_BACKOFF_SECONDS


def test_live_command_with_a_closed_redis_port_exits_0(standin, tmp_path, monkeypatch) -> None:
    import json

    from typer.testing import CliRunner

    from betfolio.cli import app

    monkeypatch.setenv("BETFOLIO_API_FOOTBALL_KEY", "test-key")
    args = ["live", "--redis", f"redis://127.0.0.1:{free_port()}/3", "--polls", "2", "--interval", "0"]
    args += ["--base-url", standin.api_football_url, "--db", str(tmp_path / "live.sqlite"), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [line["bus_errors"] for line in lines] == [1, 2]
