from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from betfolio.ingest.football_data import ingest_paths
from betfolio.jobs.demo.backtest_stage import run_demo_backtest
from betfolio.store.engine import make_engine
from betfolio.store.migrate import upgrade


def test_demo_stage_on_a_small_store(synthetic_dir: Path, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    upgrade(engine)
    ingest_paths(engine, [synthetic_dir])
    console = Console(record=True, width=160)
    summary = run_demo_backtest(engine, console, tmp_path)
    text = console.export_text()
    assert "Walk-forward backtest" in text and "consensus" in text
    assert set(summary["strategies"]) == {"no_bet", "favourite", "model_value", "consensus"}
    json.dumps(summary, allow_nan=False)  # JSON-ready: no NaN, no datetimes
    assert (tmp_path / "backtest" / "index.html").exists()


def test_demo_stage_on_an_empty_store(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    upgrade(engine)
    assert run_demo_backtest(engine, Console(record=True), tmp_path) == {"skipped": "no matches"}
