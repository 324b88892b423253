"""`betfolio bench live` parts on a small scale (the figures themselves are reported, never asserted)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from betfolio.bench.live import adapter_reads, feed_to_decision, throughput
from tests.live.feed import link_matches


def test_bench_parts_measure_what_they_say(season_engine: Engine, season_db: Path, redis_client: object,
                                           trained_run: Path) -> None:  # fmt: skip
    ids = [m for m, _, _ in link_matches(season_engine, 8)]
    from betfolio.store.identity import link_external
    from betfolio.store.writer import FIXTURE

    with season_engine.begin() as conn:
        link_external(conn, "bench", FIXTURE, {f"b{m}": m for m in ids})
    latency = feed_to_decision(season_engine, redis_client, trained_run, ids, ticks=2, tick_seconds=0.2)
    assert latency["states"] == latency["decisions"] == 16
    assert 0 < latency["latency_ms"]["p50"] <= latency["latency_ms"]["p99"] <= latency["latency_ms"]["max"]
    speed = throughput(season_engine, redis_client, trained_run, ids, 80)
    assert speed["states"] == speed["decisions"] == 80 and speed["states_per_second"] > 0
    assert not list(redis_client.scan_iter(match="betfolio:bench:*"))  # type: ignore[attr-defined]
    http = adapter_reads(season_db, seconds=1.0, connections=2)
    assert http["requests_per_second"] > 0 and http["non_2xx"] == 0 and "p99" in http["latency_ms"]
