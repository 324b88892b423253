"""Ingest benchmark: full load, re-load (skipping unchanged files, and forced re-parse), as-of query latency."""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url

from betfolio.ingest.football_data import ingest_paths
from betfolio.store.engine import make_engine, resolve_database_url
from betfolio.store.migrate import upgrade
from betfolio.store.queries import odds_as_of
from betfolio.store.tables import matches_master


def default_data_dir() -> Path:
    """What `betfolio fetch football-data` downloaded (football-data in the user cache dir), else the bundled
    sample. Pass --data-dir to measure another folder; the figures name the folder they were measured on."""
    from betfolio.config import load_settings

    fetched = load_settings().cache_dir / "football-data"
    if any(fetched.glob("*/*.csv")):
        return fetched
    from betfolio.data import bundled_sample

    with bundled_sample() as path:
        return path


def _timed_ingest(engine: Engine, data_dir: Path, *, force: bool = False) -> dict[str, Any]:
    start = time.perf_counter()
    summary = ingest_paths(engine, [data_dir], force=force)
    return {
        "seconds": round(time.perf_counter() - start, 3),
        "files": len(summary.files),
        "matches": summary.matches,
        "matches_added": summary.matches_added,
        "quotes": summary.quotes,
        "quotes_added": summary.quotes_added,
        "rejected": summary.rejected,
    }


def _as_of_latency(engine: Engine, samples: int = 300) -> dict[str, float]:
    with engine.connect() as conn:
        rows = conn.execute(select(matches_master.c.match_id, matches_master.c.kickoff_utc)).all()
        picks = rows[:: max(1, len(rows) // samples)][:samples]
        times = []
        for match_id, kickoff in picks:
            t0 = time.perf_counter()
            odds_as_of(conn, match_id, kickoff)
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {
        "queries": len(times),
        "median_ms": round(statistics.median(times), 3),
        "p99_ms": round(times[int(len(times) * 0.99) - 1], 3),
    }


def _suite(engine: Engine, data_dir: Path) -> dict[str, Any]:
    upgrade(engine)
    return {
        "full_ingest": _timed_ingest(engine, data_dir),
        "reingest_unchanged": _timed_ingest(engine, data_dir),
        "reingest_forced_reparse": _timed_ingest(engine, data_dir, force=True),
        "as_of_query": _as_of_latency(engine),
    }


def run(data_dir: Path | None, postgres_url: str | None) -> dict[str, Any]:
    data_dir = data_dir or default_data_dir()
    result: dict[str, Any] = {
        "benchmark": "ingest",
        "data_dir": str(data_dir),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.sqlite")
        result["sqlite"] = _suite(engine, data_dir)
        engine.dispose()
    if postgres_url:
        server = make_url(resolve_database_url(postgres_url))
        name = f"betfolio_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            engine = make_engine(server.set(database=name).render_as_string(hide_password=False))
            result["postgresql"] = _suite(engine, data_dir)
            engine.dispose()
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return result
