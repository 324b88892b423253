"""The demo's live stage: the real poller, Redis Streams, the paper trader and the ledger, end to end."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import Engine, select

from betfolio.jobs.demo.live_stage import run_demo_live
from betfolio.store.tables import runs
from tests.conftest import REDIS_URL


def test_live_stage_runs_poller_to_ledger(sqlite_engine: Engine, redis_client: object, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("BETFOLIO_REDIS_URL", REDIS_URL)
    out = io.StringIO()
    result = run_demo_live(sqlite_engine, Console(file=out, width=160), tmp_path)
    assert result["polls"] == 6 and result["states_published"] > 0
    paper = result["paper"]
    assert paper["states_read"] == result["states_published"]  # everything the poller published was read
    # the recorded in-play fixture is not in this store (no providers stage ran): skipped with the reason
    assert paper["skipped"]["unknown_match"] == paper["states_read"] and paper["decisions"] == 0
    assert "UNTRAINED" in result["network"]  # said plainly when no trained live worker exists
    assert result["metrics"]["betfolio_polls_total_fresh"] >= 6
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(runs.c.kind).where(runs.c.run_id == result["paper_run_id"])).scalar_one() == "paper"
    assert "poller → Redis Streams → paper trader → ledger" in out.getvalue()
    assert not list(redis_client.scan_iter(match="betfolio:demo:*"))  # type: ignore[attr-defined]


def test_live_stage_skips_without_redis(sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BETFOLIO_REDIS_URL", "redis://127.0.0.1:1/0")
    result = run_demo_live(sqlite_engine, Console(file=io.StringIO()), tmp_path)
    assert result["skipped"].startswith("Redis not reachable")
