"""The live stage of `betfolio demo`: poller → Redis → paper trader → ledger → metrics, for a few seconds.

The recorded API-Football in-play payload is served by the local stand-in; the real poller (`run_feed`) polls it
through the resilient client and publishes to Redis Streams under a private demo prefix; the paper trader reads
the stream as a consumer group, decides with the live worker the training stage just trained (or, when that
stage was skipped, an untrained network — said so in the output), and writes a paper run to the ledger. The
stage then prints what the metrics saw. Skipped, with the reason, when Redis is not reachable
(``BETFOLIO_REDIS_URL``, default ``redis://127.0.0.1:6379/0``) or the recorded payloads are absent.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

POLLS = 6
POLL_INTERVAL_SECONDS = 0.5
TRADE_SECONDS = 5.0


#: Said when the train stage's model selection deployed abstention for the live worker.
ABSTAINED = " (its validation showed no edge, so it abstains: decisions recorded, no bets)"


def _metric(name: str, **labels: str) -> float:
    from betfolio.live.metrics import REGISTRY

    value = REGISTRY.get_sample_value(name, labels or None)
    return float(value) if value is not None else 0.0


def run_demo_live(engine: Engine, console: Console, report_dir: Path) -> dict[str, Any]:
    import redis
    import torch

    from betfolio.agents.selection import ABSTAIN
    from betfolio.agents.training import RunDir, runs_root
    from betfolio.jobs.demo.providers_stage import recorded_dir
    from betfolio.live.metrics import observe_poll
    from betfolio.live.paper import PaperConfig, PaperTrader, load_run, untrained_run
    from betfolio.providers.api_football.client import ApiFootballClient, settings_for
    from betfolio.providers.live_bus import LiveStateBus
    from betfolio.providers.live_feed import run_feed
    from betfolio.providers.standin import serve
    from betfolio.store.archive import StoreArchive

    folder = recorded_dir()
    url = os.environ.get("BETFOLIO_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        console.print(f"[yellow]live stage skipped: Redis not reachable ({exc.__class__.__name__})[/yellow]")
        return {"skipped": f"Redis not reachable ({exc.__class__.__name__})"}
    if folder is None:
        console.print("[yellow]live stage skipped: recorded provider payloads not found[/yellow]")
        return {"skipped": "recorded provider payloads not found"}

    trained = runs_root() / "demo"
    if (trained / "live.pt").exists():
        run_dir, network_note = trained, "the live worker trained by the train stage"
    else:
        run_dir = untrained_run(RunDir.named("demo-live-untrained").path)
        network_note = "an UNTRAINED network (train stage skipped): its decisions are noise"
    prefix = f"betfolio:demo:{uuid.uuid4().hex[:8]}"
    bus = LiveStateBus(client, prefix=prefix)
    torch.set_num_threads(1)
    network, manager, _ = load_run(run_dir)
    trader = PaperTrader(
        engine, client, network, manager,
        PaperConfig(run_dir, group="demo", consumer="demo-trader", provider="api-football", prefix=prefix),
    )  # fmt: skip
    polls: list[Any] = []
    try:
        with serve(folder / "api_football") as standin:
            af = ApiFootballClient(settings_for("test-key", base_url=standin.api_football_url), StoreArchive(engine))

            def poll() -> None:
                def show(result: Any) -> None:
                    snap = af.http.limiter.snapshot
                    observe_poll(af.provider, result, af.http.circuit_state,
                                 {"day": snap.day_remaining, "minute": snap.minute_remaining})  # fmt: skip
                    polls.append(result)

                run_feed(af, bus, interval_seconds=POLL_INTERVAL_SECONDS, polls=POLLS, on_poll=show)

            poller = threading.Thread(target=poll, name="demo-poller", daemon=True)
            started = time.perf_counter()
            poller.start()
            summary = trader.run(duration=TRADE_SECONDS)
            poller.join(30)
            af.close()
            elapsed = time.perf_counter() - started
    finally:
        client.delete(f"{prefix}:api-football", f"{prefix}:last:api-football")
    published = sum(p.published for p in polls)
    result = {
        "network": network_note,
        "polls": len(polls),
        "states_published": published,
        "paper": summary,
        "paper_run_id": trader.run_id,
        "equity": round(trader.bank.equity, 2),
        "metrics": {
            "betfolio_states_read_total": _metric("betfolio_states_read_total"),
            "betfolio_decisions_total": _metric("betfolio_decisions_total", agent="hrl-live"),
            "betfolio_data_staleness_seconds": _metric("betfolio_data_staleness_seconds", provider="api-football"),
            "betfolio_polls_total_fresh": _metric("betfolio_polls_total", provider="api-football", outcome="fresh"),
        },
        "seconds": round(elapsed, 1),
    }
    table = Table(title="Live: poller → Redis Streams → paper trader → ledger (stand-in, recorded in-play payload)")
    for column in ("polls", "published", "read", "decisions", "bets", "skipped", "latency p50 / p99 (ms)"):
        table.add_column(column, justify="right")
    skipped = ", ".join(f"{k} {v}" for k, v in summary["skipped"].items()) or "none"
    table.add_row(
        str(len(polls)), str(published), str(summary["states_read"]), str(summary["decisions"]), str(summary["bets"]),
        skipped, f"{summary['latency_ms']['p50']:.1f} / {summary['latency_ms']['p99']:.1f}",
    )  # fmt: skip
    console.print(table)
    abstained = ABSTAINED if trader.deployed == ABSTAIN else ""
    console.print(
        f"decided by {network_note}{abstained}; paper run {trader.run_id} in the ledger (kind='paper'); metrics: "
        + ", ".join(f"{k} {v:g}" for k, v in result["metrics"].items())
    )
    return result
