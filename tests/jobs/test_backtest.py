"""The one backtest job: every step on request, and the same numbers whichever caller runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from betfolio.backtest.engine import BacktestConfig
from betfolio.backtest.strategies import FavouriteFlat
from betfolio.jobs.backtest import load_data, make_strategies, run_backtest, split_strategy_specs
from betfolio.store.engine import make_engine
from betfolio.store.tables import bet_ledger, runs


def test_split_specs_keeps_parameters_with_their_strategy() -> None:
    assert split_strategy_specs("no_bet,consensus:alpha=0.0,stake_fraction=0.02,favourite") == [
        "no_bet",
        "consensus:alpha=0.0,stake_fraction=0.02",
        "favourite",
    ]
    with pytest.raises(ValueError, match="at least one"):
        make_strategies([])


def test_job_runs_reports_and_records_once(synthetic_dir: Path, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'job.sqlite'}")
    data, used = load_data(engine, ["E0"], ["2020-21"], data_dir=synthetic_dir)
    assert used is engine and data.matches
    config = BacktestConfig(evaluate_models=())
    raw = run_backtest(data, [FavouriteFlat()], config, summarise=False)
    assert raw.summary is None and raw.run_id is None
    calls: list[str] = []
    full = run_backtest(
        data,
        ["favourite"],
        config,
        engine=engine,
        report_dir=tmp_path / "report",
        record=True,
        before_record=lambda: calls.append("checked"),
    )
    assert calls == ["checked"] and full.summary is not None and full.report_path is not None
    assert full.summary["strategies"]["favourite"]["bets"] == len(raw.result.strategies["favourite"].bets)
    with engine.connect() as conn:
        assert conn.execute(select(runs.c.name)).scalar_one() == "backtest E0 2020-21…2020-21"
        assert conn.execute(select(func.count()).select_from(bet_ledger)).scalar_one() == len(
            raw.result.strategies["favourite"].bets
        )
    with pytest.raises(ValueError, match="needs the summary"):
        run_backtest(data, ["favourite"], config, engine=engine, record=True, summarise=False)
    with pytest.raises(ValueError, match="not a folder"):
        load_data(engine, ["E0"], ["2020-21"], data_dir=tmp_path / "missing")
