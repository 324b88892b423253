"""`betfolio backtest`: a walk-forward backtest of one or more strategies, with JSON results and an HTML report.

Heavy imports live inside the command so `betfolio --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from betfolio.cli.options import (
    JsonFileOption,
    JsonFlag,
    LeaguesOption,
    RayAddressOption,
    RayFlag,
    SeasonsOption,
    echo_err,
    emit_json,
    err_console,
    fail,
    leagues_and_seasons,
    presentation_console,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from betfolio.backtest.data import BacktestData
    from betfolio.backtest.engine import BacktestConfig


def backtest_command(
    leagues: LeaguesOption = "E0",
    seasons: SeasonsOption = "2019-20:2022-23",
    strategy: Annotated[
        list[str] | None,
        typer.Option(
            "--strategy",
            help="Strategy to run (repeatable or comma-separated): no_bet, favourite, model_value, consensus, "
            "anchored_value; "
            "parameters as NAME:key=value,… e.g. 'model_value:kelly=0.1,model=poisson'. Default: all four.",
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", envvar="BETFOLIO_DATABASE_URL", help="Database URL or SQLite path to read (and record to)."
        ),
    ] = None,
    data_dir: Annotated[
        list[Path] | None,
        typer.Option(
            "--data-dir",
            help="football-data folder (<season>/<league>.csv), repeatable: every folder is ingested, earlier "
            "seasons too (model history); into --db if given, else a temporary SQLite.",
        ),
    ] = None,
    as_json: JsonFlag = False,
    json_file: JsonFileOption = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the HTML report (and CSV ledger) here.")
    ] = None,
    bankroll: Annotated[float, typer.Option(help="Starting bankroll.")] = 1000.0,
    max_stake: Annotated[float, typer.Option(help="Max stake per bet, fraction of equity.")] = 0.05,
    max_match_exposure: Annotated[float, typer.Option(help="Max open stake per match, fraction of equity.")] = 0.10,
    max_daily_exposure: Annotated[float, typer.Option(help="Max open stake per match day, fraction of equity.")] = 0.25,
    max_drawdown: Annotated[float, typer.Option(help="Stop betting at this drawdown from peak (0 = never).")] = 0.5,
    models: Annotated[
        str,
        typer.Option(
            help="Models to score against the markets (comma-separated): dixon_coles, poisson, market_anchored."
        ),
    ] = "dixon_coles,market_anchored",
    refit_days: Annotated[float, typer.Option(help="Refit the models every N days.")] = 7.0,
    workers: Annotated[int, typer.Option(help="Processes for fitting leagues in parallel.")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap intervals.")] = 0,
    record: Annotated[bool, typer.Option(help="Store the run and its bets in the database (with --db).")] = True,
    include_flagged: Annotated[
        bool,
        typer.Option("--include-flagged", help="Let prices flagged implausible at ingest into decisions."),
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when a requested league season has no data.")
    ] = False,
    grid: Annotated[
        Path | None,
        typer.Option(
            "--grid",
            help="TOML grid of leagues × seasons × strategy parameters (see docs/scale.md): every cell is one "
            "backtest, reported side by side; the grid's leagues, seasons and strategies replace those options.",
        ),
    ] = None,
    ray: RayFlag = False,
    ray_address: RayAddressOption = None,
) -> None:
    """Walk-forward backtest of strategies with an honest report.

    Decisions use only pre-match prices stamped before the decision time and goal models fitted on results
    known by then; closing prices are used only for CLV and the closing-market benchmark. Matches or bets that
    cannot be evaluated are counted and listed, never priced at a guess. Exit code 1 if no match was found.
    """
    from datetime import timedelta

    from betfolio.backtest.engine import BacktestConfig
    from betfolio.backtest.report import json_ready
    from betfolio.backtest.table import forecast_table, paired_table, strategy_table
    from betfolio.jobs.backtest import (
        DEFAULT_STRATEGIES,
        load_data,
        make_strategies,
        run_backtest,
        split_strategy_specs,
    )
    from betfolio.risk import RiskLimits
    from betfolio.store.engine import make_engine
    from betfolio.store.migrate import check_writable

    console = err_console
    if grid is None and (ray or ray_address):
        fail("--ray runs the cells of a --grid; a single backtest is one task")
    league_list, season_list = leagues_and_seasons(leagues, seasons)
    try:
        specs = [p for s in (strategy or DEFAULT_STRATEGIES) for p in split_strategy_specs(s)]
        strategies = make_strategies(specs)
        limits = RiskLimits(
            max_stake_fraction=max_stake,
            max_match_exposure_fraction=max_match_exposure,
            max_daily_exposure_fraction=max_daily_exposure,
            max_drawdown=max_drawdown or None,
        )
        config = BacktestConfig(
            initial_bankroll=bankroll,
            limits=limits,
            refit_every=timedelta(days=refit_days),
            evaluate_models=tuple(m.strip() for m in models.split(",") if m.strip()),
        )
    except ValueError as exc:
        echo_err(f"error: {exc}")
        raise typer.Exit(2) from exc

    engine = make_engine(db) if (db or not data_dir) else None
    if grid is not None:
        _run_grid(grid, config, engine, data_dir, include_flagged, seed, report, ray or bool(ray_address),
                  ray_address, as_json, json_file)  # fmt: skip
        return
    if engine is not None and record:
        check_writable(engine)  # the run will be recorded: a read-only database is refused before any work
    try:
        with console.status("loading matches and odds…"):
            data, engine_used = load_data(
                engine, league_list, season_list, data_dir=data_dir, include_flagged=include_flagged
            )
    except ValueError as exc:
        echo_err(f"error: {exc}")
        raise typer.Exit(2) from exc
    gaps = [f"{i.league} {i.season}" for i in data.issues if i.kind == "no_data"]
    if gaps:
        echo_err(f"{'error' if strict else 'warning'}: no data for {', '.join(gaps)}")
    if not data.matches:
        echo_err(f"error: no matches for leagues {league_list} in seasons {season_list}")
        raise typer.Exit(1)
    if gaps and strict:
        raise typer.Exit(1)
    console.print(
        f"{len(data.matches)} matches, {len(data.issues)} data issue(s); running {len(strategies)} strategies"
    )
    try:
        with console.status("walking forward…") as status:
            outcome = run_backtest(
                data,
                specs,
                config,
                engine=engine_used,
                workers=workers,
                progress=lambda i, n: status.update(f"walking forward… round {i}/{n}"),
                seed=seed,
                report_dir=report,
                record=engine is not None and record,
                run_config={
                    "leagues": league_list,
                    "seasons": season_list,
                    "strategies": specs,
                    "source": ", ".join(map(str, data_dir)) if data_dir else "database",
                    "covered": sorted({f"{m.league} {m.season}" for m in data.matches}),
                    "not_covered": gaps,
                    "include_flagged": include_flagged,
                },
            )
    except ValueError as exc:
        echo_err(f"error: {exc}")
        raise typer.Exit(2) from exc
    summary = outcome.summary
    assert summary is not None
    emit_json(json_ready(summary), as_json, json_file)
    out = presentation_console(as_json, json_file)
    out.print(strategy_table(summary))
    if summary["models"]["identical_matches"]:
        out.print(forecast_table(summary))
        if summary["models"].get("paired"):
            out.print(paired_table(summary))
    for note in summary["not_evaluated"]:
        console.print(f"[yellow]•[/] {note}")
    if outcome.report_path is not None:
        console.print(f"report: {outcome.report_path}")


def _run_grid(
    grid_file: Path,
    config: BacktestConfig,
    engine: Engine | None,
    data_dir: list[Path] | None,
    include_flagged: bool,
    seed: int,
    report: Path | None,
    use_ray: bool,
    address: str | None,
    as_json: bool,
    json_file: Path | None,
) -> None:
    """`--grid FILE`: every cell through the backtest job, on Ray or sequentially, reported side by side."""
    from betfolio.jobs.backtest import load_data
    from betfolio.scale.grid import load_grid, run_grid
    from betfolio.scale.grid_report import grid_table
    from betfolio.scale.runtime import ScaleError

    try:
        parsed = load_grid(grid_file)
    except ValueError as exc:
        fail(str(exc))
    store = [engine]  # the temporary SQLite a data folder is ingested into, once made, serves every cell

    def loader(leagues: Sequence[str], seasons: Sequence[str]) -> BacktestData:
        data, store[0] = load_data(store[0], leagues, seasons, data_dir=data_dir, include_flagged=include_flagged)
        if not data.matches:
            raise ValueError(f"no matches for leagues {list(leagues)} in seasons {list(seasons)}")
        return data

    # Workers read a database server themselves (its URL through Ray's runtime environment); a SQLite file or a
    # data folder reaches them as an object-store snapshot.
    store_url = None
    if use_ray and engine is not None and not data_dir and engine.url.get_backend_name() != "sqlite":
        store_url = engine.url.render_as_string(hide_password=False)
    with err_console.status(f"running {len(parsed.cells)} grid cells…") as status:
        try:
            summary = run_grid(
                parsed,
                config,
                loader,
                seed=seed,
                report_dir=report,
                use_ray=use_ray,
                address=address,
                store_url=store_url,
                include_flagged=include_flagged,
                on_done=lambda i, n: status.update(f"grid cells done: {i}/{n}"),
            )
        except (ValueError, ScaleError) as exc:
            fail(str(exc))
    emit_json(summary, as_json, json_file)
    out = presentation_console(as_json, json_file)
    out.print(grid_table(summary))
    err_console.print(f"[yellow]caveat:[/] {summary['caveat']}")
    for failure in summary["failures"]:
        echo_err(f"error: cell {failure['cell']} ({failure['configuration']}) failed: {failure['error']}")
    if summary.get("report"):
        err_console.print(f"report: {summary['report']}")
    if summary["failures"]:
        raise typer.Exit(1)
