"""Backtest grids: leagues × seasons × strategy parameters from a TOML file, every cell one run of THE backtest job.

The grid file::

    # every combination of the three lists below is one cell
    leagues = ["E0", "D1"]                 # an entry may name several leagues: "E0,SP1"
    seasons = ["2021-22", "2019-20:2020-21"]

    [strategies.model_value]               # a table per strategy; list values are swept
    kelly = [0.05, 0.1]
    model = ["poisson", "dixon_coles"]

    [strategies.favourite]                 # no parameters: one configuration

A cell runs :func:`betfolio.jobs.backtest.run_backtest` with one strategy on one league set and season range,
so a grid cell and ``betfolio backtest --strategy SPEC`` agree to the last digit, and the same cell gives the
same numbers whether it runs here, on a local Ray or on a cluster (:func:`run_cell` is the only code path).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from betfolio.backtest.metrics import HEADLINE_KEYS
from betfolio.config import parse_toml
from betfolio.scale.tasks import TaskFailure

if TYPE_CHECKING:
    from betfolio.backtest.data import BacktestData
    from betfolio.backtest.engine import BacktestConfig

#: The metrics a grid reports per cell, side by side (the strategy summary's keys).
CELL_METRICS = ("bets", "turnover", "profit", *HEADLINE_KEYS[1:])


@dataclass(frozen=True, slots=True)
class GridCell:
    """One configuration: a league set, a season list and one strategy spec (``NAME:key=value,…``)."""

    leagues: tuple[str, ...]
    seasons: tuple[str, ...]
    strategy: str

    @property
    def data_key(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return self.leagues, self.seasons

    @property
    def label(self) -> str:
        seasons = self.seasons[0] if len(self.seasons) == 1 else f"{self.seasons[0]}:{self.seasons[-1]}"
        return f"{','.join(self.leagues)} {seasons} {self.strategy}"


@dataclass(frozen=True)
class CellTask:
    """What a worker needs to run one cell: the cell, the backtest settings, and its matches — either the
    snapshot itself (or its Ray object reference) or, with ``data`` None, the store the worker opens from
    ``BETFOLIO_DATABASE_URL`` (passed through Ray's runtime environment, never in code). ``run`` names the grid
    run: a worker reads each (leagues, seasons) of one run from the store once, for all its cells."""

    index: int
    cell: GridCell
    config: BacktestConfig
    seed: int = 0
    data: Any = None  # BacktestData | ray.ObjectRef | None
    report_dir: Path | None = None
    include_flagged: bool = False  # when the worker reads the store itself
    run: str = ""  # when the worker reads the store itself


@dataclass
class Grid:
    leagues: list[tuple[str, ...]]
    seasons: list[tuple[str, ...]]
    strategies: list[str]
    path: Path | None = None
    cells: list[GridCell] = field(init=False)

    def __post_init__(self) -> None:
        self.cells = [
            GridCell(lg, ss, st) for lg, ss, st in itertools.product(self.leagues, self.seasons, self.strategies)
        ]


def _strategy_specs(name: str, params: Any, where: str) -> list[str]:
    if not isinstance(params, Mapping):
        raise ValueError(f"{where}: [strategies.{name}] must be a table of parameters")
    keys = sorted(params)
    values = [v if isinstance(v, list) else [v] for v in (params[k] for k in keys)]
    for key, options in zip(keys, values, strict=True):
        if not options:
            raise ValueError(f"{where}: strategies.{name}.{key} is an empty list")
    specs = []
    for combo in itertools.product(*values):
        text = ",".join(f"{k}={_spec_value(v)}" for k, v in zip(keys, combo, strict=True))
        specs.append(f"{name}:{text}" if text else name)
    return specs


def _spec_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "+".join(map(str, value))
    return str(value)


def parse_grid(text: str, where: str = "grid") -> Grid:
    """A :class:`Grid` from TOML text; ValueError naming ``where`` (and the key) when something is wrong."""
    from betfolio.backtest.data import parse_seasons
    from betfolio.jobs.backtest import make_strategies

    raw = parse_toml(text, where)
    unknown = set(raw) - {"leagues", "seasons", "strategies"}
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} (leagues, seasons, strategies)")
    for key in ("leagues", "seasons"):
        if not isinstance(raw.get(key), list) or not raw[key] or not all(isinstance(x, str) for x in raw[key]):
            raise ValueError(f"{where}: '{key}' must be a non-empty list of strings")
    leagues = [tuple(x.strip() for x in entry.split(",") if x.strip()) for entry in raw["leagues"]]
    if any(not lg for lg in leagues):
        raise ValueError(f"{where}: 'leagues' has an empty entry")
    try:
        seasons = [tuple(parse_seasons(entry)) for entry in raw["seasons"]]
    except ValueError as exc:
        raise ValueError(f"{where}: seasons: {exc}") from exc
    strategies_raw = raw.get("strategies")
    if not isinstance(strategies_raw, Mapping) or not strategies_raw:
        raise ValueError(f"{where}: at least one [strategies.NAME] table is required")
    specs = [s for name, params in strategies_raw.items() for s in _strategy_specs(name, params, where)]
    for spec in specs:
        try:
            make_strategies([spec])
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{where}: {exc}") from exc
    return Grid(leagues, seasons, specs)


def load_grid(path: Path) -> Grid:
    """The grid file at ``path`` (see the module docstring); ValueError naming the file on bad input."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"--grid {path}: {exc.strerror or exc}") from exc
    grid = parse_grid(text, where=f"--grid {path}")
    grid.path = path
    return grid


def run_cell(task: CellTask) -> dict[str, Any]:
    """Run one grid cell through the backtest job; the cell's row of the side-by-side report."""
    from betfolio.jobs.backtest import run_backtest

    data = task.data
    if data is None:  # on a worker: the store named by BETFOLIO_DATABASE_URL in the runtime environment
        data = _store_data(task.run, *task.cell.data_key, task.include_flagged)
    elif not _is_backtest_data(data):  # an object-store snapshot
        import ray

        data = ray.get(data)
    report_dir = task.report_dir / f"cell-{task.index:03d}" if task.report_dir else None
    outcome = run_backtest(data, [task.cell.strategy], task.config, seed=task.seed, report_dir=report_dir)
    assert outcome.summary is not None
    (name, metrics), *_ = outcome.summary["strategies"].items()
    return {
        "cell": task.index,
        "leagues": list(task.cell.leagues),
        "seasons": list(task.cell.seasons),
        "strategy": task.cell.strategy,
        "strategy_name": name,
        "matches": outcome.summary["data"]["matches"],
        **{k: metrics.get(k) for k in CELL_METRICS},
        "report": str(outcome.report_path) if outcome.report_path else None,
    }


@lru_cache(maxsize=2)
def _store_data(run: str, leagues: tuple[str, ...], seasons: tuple[str, ...], include_flagged: bool) -> BacktestData:
    """The matches of one grid run's (leagues, seasons) as this worker read them from the store: once per worker
    and run, not once per cell (a grid's strategies are its innermost loop, so the cells a worker runs in turn
    mostly share their matches; two data sets are kept for those that do not). A new run reads the store again."""
    from betfolio.jobs.backtest import load_data
    from betfolio.store.engine import make_engine

    engine = make_engine(None)
    try:
        data, _ = load_data(engine, leagues, seasons, include_flagged=include_flagged)
    finally:
        engine.dispose()
    return data


def _is_backtest_data(value: Any) -> bool:
    from betfolio.backtest.data import BacktestData

    return isinstance(value, BacktestData)


Mapper = Callable[[Callable[[CellTask], dict[str, Any]], Sequence[CellTask]], list[Any]]


def grid_tasks(
    grid: Grid,
    config: BacktestConfig,
    datasets: Mapping[tuple[tuple[str, ...], tuple[str, ...]], Any] | None,
    *,
    seed: int = 0,
    report_dir: Path | None = None,
    include_flagged: bool = False,
) -> list[CellTask]:
    """The grid's cells as tasks; ``datasets`` maps a cell's (leagues, seasons) to its data (or object ref);
    None means the workers read the store themselves (once per worker for this run of the grid)."""
    run = uuid.uuid4().hex if datasets is None else ""
    return [
        CellTask(
            i,
            cell,
            config,
            seed,
            datasets[cell.data_key] if datasets is not None else None,
            report_dir,
            include_flagged,
            run,
        )
        for i, cell in enumerate(grid.cells)
    ]


def load_datasets(
    grid: Grid, loader: Callable[[Sequence[str], Sequence[str]], BacktestData]
) -> dict[tuple[tuple[str, ...], tuple[str, ...]], BacktestData]:
    """Each distinct (leagues, seasons) of the grid loaded once (cells sharing matches share the snapshot)."""
    keys = list(dict.fromkeys(cell.data_key for cell in grid.cells))
    return {key: loader(*key) for key in keys}


def grid_summary(grid: Grid, results: Sequence[dict[str, Any] | TaskFailure], runner: str) -> dict[str, Any]:
    """The side-by-side JSON: one row per cell, the failures with their configuration, and the caveat."""
    rows = [r for r in results if not isinstance(r, TaskFailure)]
    failed = [
        {"cell": f.index, "configuration": grid.cells[f.index].label, "error": f.error}
        for f in results
        if isinstance(f, TaskFailure)
    ]
    ranked = [r for r in rows if r["roi"] is not None and r["bets"]]
    best = max(ranked, key=lambda r: r["roi"], default=None)
    excluding_zero = sum(1 for r in ranked if r["roi_ci_low"] is not None and r["roi_ci_low"] > 0)
    return {
        "grid": str(grid.path) if grid.path else None,
        "runner": runner,
        "configurations": len(grid.cells),
        "cells": rows,
        "failures": failed,
        "best_by_roi": None
        if best is None
        else {"cell": best["cell"], "roi": best["roi"], "strategy": best["strategy"]},
        "cells_with_roi_ci_above_zero": excluding_zero,
        "caveat": multiple_testing_caveat(len(grid.cells), excluding_zero),
    }


def multiple_testing_caveat(configurations: int, above_zero: int) -> str:
    """Why the best cell of a grid is not an estimate of what it will earn (stated in every grid report)."""
    expected = 0.025 * configurations
    return (
        f"{configurations} configurations were compared on the same matches. The best of them is selection-biased: "
        "its ROI and interval overstate what it would earn on new matches (the winner's curse), because picking "
        "the maximum of many noisy estimates favours the luckiest. "
        f"{above_zero} cell(s) have a 95% ROI interval above zero; about {expected:.1f} would by chance alone "
        "if no configuration had an edge. Confirm a chosen configuration on seasons that were not in this grid."
    )


def run_grid(
    grid: Grid,
    config: BacktestConfig,
    loader: Callable[[Sequence[str], Sequence[str]], BacktestData],
    *,
    seed: int = 0,
    report_dir: Path | None = None,
    use_ray: bool = False,
    address: str | None = None,
    store_url: str | None = None,
    include_flagged: bool = False,
    on_done: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run every cell — on Ray (local, or the cluster at ``address``) or one after another — and summarise.

    Matches reach the cells as a snapshot loaded here once per (leagues, seasons) and shared through Ray's object
    store; with ``store_url`` (a database server every node can reach) the workers read the store themselves,
    the URL passed in their runtime environment. Writes ``grid.html`` and ``grid.json`` to ``report_dir``.
    """
    from betfolio.scale.tasks import ray_map, sequential_map

    if report_dir is not None:
        report_dir = report_dir.resolve()  # the workers' working directory is not the driver's

    def describe(task: CellTask) -> str:
        return f"cell {task.index}: {task.cell.label}"

    if use_ray:
        from betfolio.scale.runtime import ray_session, worker_env

        with ray_session(address) as ray:
            if store_url:
                tasks = grid_tasks(
                    grid, config, None, seed=seed, report_dir=report_dir, include_flagged=include_flagged
                )
            else:
                snapshots = {k: ray.put(v) for k, v in load_datasets(grid, loader).items()}
                tasks = grid_tasks(grid, config, snapshots, seed=seed, report_dir=report_dir)
            results = ray_map(
                run_cell, tasks, address, describe=describe, env_vars=worker_env(store_url), on_done=on_done
            )
        runner = f"on Ray ({address or 'local'})"
    else:
        tasks = grid_tasks(grid, config, load_datasets(grid, loader), seed=seed, report_dir=report_dir)
        results = sequential_map(run_cell, tasks, describe=describe, on_done=on_done)
        runner = "sequentially"
    summary = grid_summary(grid, results, runner)
    if report_dir is not None:
        import json

        from betfolio.engine.ledger import json_ready
        from betfolio.scale.grid_report import write_grid_report

        summary["report"] = str(write_grid_report(summary, report_dir))
        (report_dir / "grid.json").write_text(json.dumps(json_ready(summary), indent=2, default=str), "utf-8")
    return summary
