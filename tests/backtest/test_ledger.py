"""A backtest on both database backends: load from the store, run, record the run and its bets atomically."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from betfolio.backtest.data import ingest_directory, load_from_engine
from betfolio.backtest.engine import WalkForward
from betfolio.backtest.ledger import record_run
from betfolio.backtest.report import summarise
from betfolio.backtest.strategies import FavouriteFlat, ModelValue
from betfolio.store.tables import bet_ledger, runs
from tests.backtest.conftest import SEASONS, small_config


def test_run_is_recorded_with_every_bet(engine: Engine, synthetic_dir: Path) -> None:
    ingest_directory(synthetic_dir, ["E0"], SEASONS, engine=engine)
    data = load_from_engine(engine, ["E0"], SEASONS)
    assert len(data.matches) == 112
    result = WalkForward(data, [FavouriteFlat(), ModelValue(kelly=0.2)], small_config()).run()
    summary = summarise(result)
    run_id = record_run(engine, result, summary, name="test", config={"leagues": ["E0"]})
    bets = [b for r in result.strategies.values() for b in r.bets]
    with engine.connect() as conn:
        stored = conn.execute(select(bet_ledger).where(bet_ledger.c.run_id == run_id)).mappings().all()
        run = conn.execute(select(runs).where(runs.c.run_id == run_id)).mappings().one()
    assert len(stored) == len(bets) > 0
    assert {r["agent"] for r in stored} == {"favourite", "model_value"}
    assert sum(r["payout"] for r in stored) == pytest.approx(sum(b.payout for b in bets))
    assert all(r["status"] in ("won", "lost", "half_won", "half_lost", "push", "void") for r in stored)
    assert run["metrics"]["strategies"]["favourite"]["bets"] == summary["strategies"]["favourite"]["bets"]
    # every row is settled at its own match's end, never at its placement time
    ends = {m.match_id: m.result_at for m in data.matches}
    assert all(r["settled_at"] == ends[r["match_id"]] > r["placed_at"] for r in stored)


def test_a_failed_record_leaves_nothing(sqlite_engine: Engine, synthetic_dir: Path) -> None:
    ingest_directory(synthetic_dir, ["E0"], SEASONS[:1], engine=sqlite_engine)
    data = load_from_engine(sqlite_engine)
    result = WalkForward(data, [FavouriteFlat()], small_config(evaluate_models=())).run()
    result.strategies["favourite"].bets[-1].match_id = 10**9  # violates the foreign key on the last row
    with pytest.raises(Exception, match="FOREIGN KEY"):
        record_run(sqlite_engine, result, summarise(result), name="broken", config={})
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(runs)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(bet_ledger)).scalar_one() == 0
