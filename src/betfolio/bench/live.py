"""`betfolio bench live`: feed-to-decision latency and trader throughput on real Redis, and the adapter service's
cached read rate.

* **Latency** — ``matches`` concurrent live matches; every ``tick_seconds`` each match publishes its next
  minute (one state per match per tick, as a live feed does), from a separate process as the poller is.
  Latency is state published (its ``observed_at``, stamped as the batch is built, before ``XADD``) → the
  trader's decision committed to the ledger and acknowledged.
* **Throughput** — ``throughput_states`` states are queued first, then one trader drains them.

Both parts first resolve every fixture once (identity map, pre-match prices — what a trader does at a match's
first state); that one-off cost is reported as ``warm_up_seconds`` and kept out of the steady-state figures.
* **Adapter** — ``betfolio serve`` in a child process on loopback; a cached ``/v1/fixtures`` read hammered by
  ``wrk`` (Debian) when installed, else by a bounded pool of Python keep-alive clients.

The store is the bundled 2022-23 sample (E0 and D1: 686 real fixtures with their pre-match odds). The trader
uses the training run given with ``--run``; without one, a randomly initialised network of the same shape
(a decision costs the same whatever the weights). Redis keys live under a private prefix, deleted afterwards.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from betfolio.net import free_port

SAMPLE_LEAGUES = ("E0", "D1")
SEASON = "2022-23"


def _store(root: Path) -> tuple[Any, list[int]]:
    from sqlalchemy import select

    from betfolio.data import bundled_sample
    from betfolio.ingest.football_data import ingest_paths
    from betfolio.store.engine import make_engine
    from betfolio.store.migrate import upgrade
    from betfolio.store.tables import matches_master

    engine = make_engine(f"sqlite:///{root / 'bench.sqlite'}")
    upgrade(engine)
    with bundled_sample() as sample:
        ingest_paths(engine, [sample / SEASON / f"{league}.csv.gz" for league in SAMPLE_LEAGUES])
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(select(matches_master.c.match_id).order_by(matches_master.c.match_id))]
    return engine, ids


def _states(match_ids: list[int], minute: int, provider: str) -> list[Any]:
    from betfolio.canonical import LiveMatchState

    now = datetime.now(UTC)
    return [
        LiveMatchState(provider=provider, provider_match_id=f"b{m}", minute=minute, home_goals=minute // 40,
                       away_goals=0, observed_at=now)
        for m in match_ids
    ]  # fmt: skip


def _trader(engine: Any, client: Any, run: Path, provider: str, prefix: str, group: str) -> Any:
    import torch

    from betfolio.live.paper import PaperConfig, PaperTrader, load_run

    torch.set_num_threads(1)
    network, manager, _ = load_run(run)
    config = PaperConfig(run, group=group, consumer="bench", provider=provider, prefix=prefix, batch=1000)
    return PaperTrader(engine, client, network, manager, config)


def publish_ticks(redis_kwargs: dict[str, Any], prefix: str, provider: str, match_ids: list[int], ticks: int,
                  tick_seconds: float) -> None:  # fmt: skip
    """The poller's side of the latency benchmark, in its own process as deployed: one batch of states per tick."""
    import redis

    from betfolio.providers.live_bus import LiveStateBus

    bus = LiveStateBus(redis.Redis(**redis_kwargs), prefix=prefix)
    for minute in range(1, ticks + 1):
        started = time.monotonic()
        bus.publish(_states(match_ids, minute, provider))
        time.sleep(max(0.0, tick_seconds - (time.monotonic() - started)))


def feed_to_decision(engine: Any, client: Any, run: Path, match_ids: list[int], ticks: int,
                     tick_seconds: float) -> dict[str, Any]:  # fmt: skip
    import multiprocessing

    prefix, provider = f"betfolio:bench:{uuid.uuid4().hex[:8]}", "bench"
    trader = _trader(engine, client, run, provider, prefix, "latency")
    warm = time.perf_counter()
    trader.warm_up(match_ids)  # fixtures and pre-match prices, once per match
    warm_seconds = time.perf_counter() - warm
    kwargs = {k: v for k, v in client.connection_pool.connection_kwargs.items() if k in ("host", "port", "db",
              "username", "password", "unix_socket_path")}  # fmt: skip
    feeder = multiprocessing.get_context("spawn").Process(
        target=publish_ticks, args=(kwargs, prefix, provider, match_ids, ticks, tick_seconds), daemon=True
    )
    try:
        feeder.start()
        expected = len(match_ids) * ticks
        deadline = time.monotonic() + ticks * tick_seconds + 120
        cpu = time.process_time()
        while trader.summary.decisions < expected and time.monotonic() < deadline:
            trader.step(200)
        cpu = time.process_time() - cpu
        feeder.join(30)
    finally:
        if feeder.is_alive():
            feeder.terminate()
        client.delete(f"{prefix}:{provider}", f"{prefix}:last:{provider}")
    latencies = list(trader.feed_latencies)
    ms = np.asarray(latencies) * 1000.0
    return {
        "matches": len(match_ids),
        "ticks": ticks,
        "tick_seconds": tick_seconds,
        "states": int(ms.size),
        "decisions": trader.summary.decisions,
        "warm_up_seconds": round(warm_seconds, 3),
        # the trader's CPU per tick of all matches (read, decide, record, acknowledge): the load-free cost, and the
        # latency floor on an idle machine; the publisher runs in its own process, as the poller does
        "trader_cpu_ms_per_tick": round(cpu * 1000.0 / ticks, 2),
        "latency_ms": {q: round(float(np.percentile(ms, p)), 2) for q, p in (("p50", 50), ("p90", 90), ("p99", 99))}
        | {"max": round(float(ms.max()), 2)},
        "target_p99_ms": 50,
    }


def throughput(engine: Any, client: Any, run: Path, match_ids: list[int], states: int) -> dict[str, Any]:
    from betfolio.providers.live_bus import LiveStateBus

    prefix, provider = f"betfolio:bench:{uuid.uuid4().hex[:8]}", "bench"
    bus = LiveStateBus(client, prefix=prefix, maxlen=max(states * 2, 1000))
    minutes = max(1, states // len(match_ids))
    try:
        for minute in range(1, minutes + 1):
            bus.publish(_states(match_ids, minute, provider))
        trader = _trader(engine, client, run, provider, prefix, "throughput")
        warm = time.perf_counter()
        trader.warm_up(match_ids)
        warm_seconds = time.perf_counter() - warm
        started, cpu = time.perf_counter(), time.process_time()
        summary = trader.run(duration=600, until_idle=True)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        client.delete(f"{prefix}:{provider}", f"{prefix}:last:{provider}")
    return {
        "states": summary["states_read"],
        "decisions": summary["decisions"],
        "bets": summary["bets"],
        "seconds": round(elapsed, 3),
        "warm_up_seconds": round(warm_seconds, 3),
        "states_per_second": round(summary["states_read"] / elapsed, 1),
        # on a shared machine wall time mostly measures the neighbours: states per second of the trader's own CPU
        "states_per_cpu_second": round(summary["states_read"] / max(cpu, 1e-9), 1),
        "target_states_per_second": 5000,
    }


def adapter_reads(db_path: Path, seconds: float, connections: int) -> dict[str, Any]:
    """Requests/s and latency of a cached ``/v1/fixtures`` read against ``betfolio serve`` on loopback."""
    import httpx

    token = secrets.token_urlsafe(24)
    port = free_port()
    env = {**os.environ, "BETFOLIO_SERVICE_TOKEN": token, "BETFOLIO_DATABASE_URL": f"sqlite:///{db_path}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "betfolio.cli", "serve", "--port", str(port), "--cache-seconds", "5"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1/fixtures?league=E0&limit=20"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url, headers=headers, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("betfolio serve did not come up")
            time.sleep(0.2)
        wrk = shutil.which("wrk")
        cpu = _cpu_seconds(proc.pid)
        if wrk is not None:
            result = _wrk(wrk, url, headers, seconds, connections)
        else:
            result = _python_client(url, headers, seconds, connections)
        used = _cpu_seconds(proc.pid) - cpu
        if cpu >= 0 and used > 0:  # the server's own CPU per request, independent of the machine's load
            result["server_cpu_seconds"] = round(used, 3)
            result["requests_per_server_cpu_second"] = round(result["requests_per_second"] * seconds / used, 1)
        return result
    finally:
        proc.terminate()
        proc.wait(20)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc; -1 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wrk(wrk: str, url: str, headers: dict[str, str], seconds: float, connections: int) -> dict[str, Any]:
    header = "Authorization: " + headers["Authorization"]
    done = subprocess.run(
        [wrk, "-t", "1", "-c", str(connections), "-d", f"{max(1, int(seconds))}s", "--latency", "-H", header, url],
        capture_output=True, text=True, timeout=seconds + 60,
    )  # fmt: skip
    out = done.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    pct = {}
    for label, key in (("50%", "p50"), ("90%", "p90"), ("99%", "p99")):
        m = re.search(rf"\s{re.escape(label)}\s+([\d.]+)(us|ms|s)", out)
        if m:
            pct[key] = round(float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)], 3)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"tool": "wrk", "connections": connections, "seconds": seconds, "requests_per_second": rate,
            "latency_ms": pct, "non_2xx": int(errors.group(1)) if errors else 0, "target_rps": 1000}  # fmt: skip


def _python_client(url: str, headers: dict[str, str], seconds: float, connections: int) -> dict[str, Any]:
    import httpx

    latencies: list[list[float]] = [[] for _ in range(connections)]
    failures = [0] * connections
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        with httpx.Client(headers=headers, timeout=5) as client:
            while time.monotonic() < stop:
                started = time.perf_counter()
                ok = client.get(url).status_code == 200
                latencies[i].append(time.perf_counter() - started)
                failures[i] += not ok

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    ms = np.concatenate([np.asarray(x) for x in latencies]) * 1000.0
    return {"tool": "python httpx threads", "connections": connections, "seconds": round(elapsed, 2),
            "requests_per_second": round(ms.size / elapsed, 1),
            "latency_ms": {q: round(float(np.percentile(ms, p)), 3) for q, p in (("p50", 50), ("p99", 99))},
            "non_2xx": sum(failures), "target_rps": 1000}  # fmt: skip


def run(redis_url: str, run_dir: Path | None, matches: int, ticks: int, tick_seconds: float, states: int,
        http_seconds: float, connections: int) -> dict[str, Any]:  # fmt: skip
    import redis

    from betfolio.live.paper import untrained_run
    from betfolio.store.identity import link_external
    from betfolio.store.writer import FIXTURE

    client = redis.Redis.from_url(redis_url)
    client.ping()
    with tempfile.TemporaryDirectory(prefix="betfolio-bench-live-") as tmp:
        root = Path(tmp)
        os.environ.setdefault("BETFOLIO_DATA_DIR", str(root / "data"))
        engine, ids = _store(root)
        if len(ids) < matches:
            raise ValueError(f"the bundled sample holds {len(ids)} fixtures; ask for at most that many matches")
        chosen = ids[:matches]
        with engine.begin() as conn:
            link_external(conn, "bench", FIXTURE, {f"b{m}": m for m in chosen})
        run_path = run_dir if run_dir is not None else untrained_run(root / "untrained-run")
        result: dict[str, Any] = {
            "network": "trained run " + run_path.name if run_dir is not None else "untrained (same shape)",
            "feed_to_decision": feed_to_decision(engine, client, run_path, chosen, ticks, tick_seconds),
            "throughput": throughput(engine, client, run_path, chosen, states),
            "adapter_cached_read": adapter_reads(root / "bench.sqlite", http_seconds, connections),
        }
        engine.dispose()
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    result["cpus"] = os.cpu_count()
    return result


def register(app: typer.Typer) -> None:
    """Add the `live` benchmark command to `app`."""

    @app.command("live")
    def bench_live(
        redis_url: Annotated[
            str,
            typer.Option("--redis", envvar="BETFOLIO_REDIS_URL", help="Redis to use (keys under a private prefix)."),
        ] = "redis://127.0.0.1:6379/0",
        run_dir: Annotated[
            Path | None, typer.Option("--run", help="Training run directory (default: untrained).")
        ] = None,
        matches: Annotated[int, typer.Option(min=1, help="Concurrent live matches.")] = 500,
        ticks: Annotated[int, typer.Option(min=1, help="Minutes each match publishes (latency part).")] = 20,
        tick_seconds: Annotated[float, typer.Option(min=0.0, help="Seconds between a match's states.")] = 1.0,
        states: Annotated[int, typer.Option(min=1, help="States queued for the throughput part.")] = 20_000,
        http_seconds: Annotated[float, typer.Option(min=0.5, help="Duration of the adapter load.")] = 10.0,
        connections: Annotated[int, typer.Option(min=1, help="Concurrent HTTP connections.")] = 16,
        as_json: Annotated[bool, typer.Option("--json", help="Compact JSON.")] = False,
    ) -> None:
        """Feed-to-decision latency (500 live matches), trader throughput, adapter cached-read rate."""
        from betfolio.cli.bench import emit

        try:
            result = run(redis_url, run_dir, matches, ticks, tick_seconds, states, http_seconds, connections)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        emit(result, as_json)
