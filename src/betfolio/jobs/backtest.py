"""The backtest job: load → run → summarise → report → record, in one place.

`betfolio backtest`, the app's Backtest page, the demo, the agents' evaluation and `betfolio bench backtest`
all run a walk-forward backtest; they differ only in which steps they want (the agents' evaluation needs the
raw result and records its own portfolio, the bench times the run alone, the app writes a report and records
the run). Each step is a keyword here rather than a copy of the sequence in each caller, so a change to how a
backtest is run, summarised or recorded happens once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

if TYPE_CHECKING:
    from betfolio.backtest.data import BacktestData
    from betfolio.backtest.engine import BacktestConfig, BacktestResult
    from betfolio.backtest.strategy import Strategy

#: The four baselines every backtest compares against unless told otherwise.
DEFAULT_STRATEGIES = ("no_bet", "favourite", "model_value", "consensus")

Progress = Callable[[int, int], None]


@dataclass
class BacktestOutcome:
    """What a backtest job produced; ``summary`` is None when the caller asked for the raw result only."""

    data: BacktestData
    result: BacktestResult
    summary: dict[str, Any] | None = None
    run_id: int | None = None
    report_path: Path | None = None
    run_config: dict[str, Any] = field(default_factory=dict)
    run_seconds: float = 0.0


def split_strategy_specs(value: str) -> list[str]:
    """Split 'a,b:k=1,c' into strategy specs: a comma starts a new spec only before a strategy name."""
    from betfolio.backtest.strategies import STRATEGIES

    specs: list[str] = []
    for part in value.split(","):
        head = part.split(":", 1)[0].strip()
        if head in STRATEGIES or not specs:
            specs.append(part.strip())
        else:
            specs[-1] += "," + part.strip()
    return [s for s in specs if s]


def make_strategies(specs: Sequence[str | Strategy]) -> list[Strategy]:
    """Strategy objects from specs ('model_value:kelly=0.1') or ready objects; ValueError on a bad spec."""
    from betfolio.backtest.strategies import make_strategy

    out: list[Strategy] = []
    for spec in specs:
        if isinstance(spec, str):
            out.extend(make_strategy(s) for s in split_strategy_specs(spec))
        else:
            out.append(spec)
    if not out:
        raise ValueError("choose at least one strategy")
    return out


def load_data(
    engine: Engine | None,
    leagues: Sequence[str] | None = None,
    seasons: Sequence[str] | None = None,
    *,
    data_dir: Path | Sequence[Path] | None = None,
    include_flagged: bool = False,
) -> tuple[BacktestData, Engine]:
    """Matches and odds from the store, after ingesting ``data_dir`` (one folder or several; their earlier seasons
    too, as model history) into it (a temporary SQLite if no engine).

    Unknown league codes are a ValueError; requested league seasons without data are ``no_data`` issues. Quotes
    flagged implausible at ingest stay out unless ``include_flagged``."""
    from betfolio.backtest.data import check_scope, load_from_directory, load_from_engine
    from betfolio.store.ingest_guard import no_ingest_running
    from betfolio.store.migrate import prepare_for_reading

    folders = [data_dir] if isinstance(data_dir, str | Path) else list(data_dir or [])
    if folders:
        for folder in folders:
            if not Path(folder).is_dir():
                raise ValueError(f"--data-dir {folder} is not a folder")
        if not leagues or not seasons:
            raise ValueError("leagues and seasons are required to read a data folder")
        data, engine = load_from_directory(
            folders, list(leagues), list(seasons), engine=engine, include_flagged=include_flagged
        )
    else:
        if engine is None:
            raise ValueError("a database or a data folder is required")
        prepare_for_reading(engine)  # a read-only database (mount, folder) is read as it is
        with no_ingest_running(engine):  # a backtest on a half-ingested set would be recorded as if complete
            data = load_from_engine(
                engine,
                list(leagues) if leagues else None,
                list(seasons) if seasons else None,
                include_flagged=include_flagged,
            )
    if leagues and seasons:
        check_scope(engine, data, list(leagues), list(seasons))
    return data, engine


def run_backtest(
    data: BacktestData,
    strategies: Sequence[str | Strategy],
    config: BacktestConfig | None = None,
    *,
    engine: Engine | None = None,
    workers: int = 1,
    progress: Progress | None = None,
    summarise: bool = True,
    seed: int = 0,
    report_dir: Path | None = None,
    record: bool = False,
    run_config: dict[str, Any] | None = None,
    name: str | None = None,
    before_record: Callable[[], None] | None = None,
) -> BacktestOutcome:
    """Walk forward over ``data`` with ``strategies``; then, as asked, summarise, write the report and record.

    ``record`` stores the run and its bets in ``engine`` (one transaction); ``before_record`` is called just
    before that (the app uses it as the last chance to cancel: a cancelled run records nothing).
    ``run_config`` is merged into the configuration stored with the run and shown in the report.
    """
    from betfolio.backtest.engine import BacktestConfig, WalkForward
    from betfolio.backtest.ledger import record_run
    from betfolio.backtest.report import summarise as summarise_result
    from betfolio.backtest.report import write_report

    if (report_dir is not None or record) and not summarise:
        raise ValueError("a report or a recorded run needs the summary")
    if record and engine is None:
        raise ValueError("recording a run needs a database")
    if record:
        from betfolio.store.migrate import check_writable

        check_writable(engine)  # a read-only database is refused now, not after the whole walk-forward
    config = config or BacktestConfig()
    objects = make_strategies(strategies)
    started_at = datetime.now(UTC)
    clock = time.perf_counter()
    result = WalkForward(data, objects, config, workers=workers).run(progress=progress)
    outcome = BacktestOutcome(data=data, result=result, run_seconds=time.perf_counter() - clock)
    if not summarise:
        return outcome
    outcome.summary = summarise_result(result, seed=seed)
    outcome.run_config = {
        "leagues": data.leagues,
        "seasons": data.seasons,
        "strategies": [s if isinstance(s, str) else s.name for s in strategies],
        "source": "database",
        **(run_config or {}),
        **config.as_dict(),
    }
    outcome.summary["run_config"] = outcome.run_config
    if report_dir is not None:
        outcome.report_path = write_report(result, outcome.summary, report_dir)
    if record:
        assert engine is not None
        if before_record is not None:
            before_record()
        outcome.run_id = record_run(
            engine,
            result,
            outcome.summary,
            name=name or run_name(outcome.run_config["leagues"], outcome.run_config["seasons"]),
            config=outcome.run_config,
            report_path=str(outcome.report_path) if outcome.report_path else None,
            started_at=started_at,
        )
        outcome.summary["run_id"] = outcome.run_id
    return outcome


def run_name(leagues: Sequence[str], seasons: Sequence[str]) -> str:
    """The name a recorded backtest run is listed under (Portfolio page, `runs` table)."""
    joined = ",".join(leagues)
    return f"backtest {joined} {seasons[0]}…{seasons[-1]}" if seasons else f"backtest {joined}"
