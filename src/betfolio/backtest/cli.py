"""`betfolio backtest`: a walk-forward backtest of one or more strategies, with JSON results and an HTML report.

Heavy imports live inside the command so `betfolio --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DEFAULT_STRATEGIES = ["no_bet", "favourite", "model_value", "consensus"]


def backtest_command(
    leagues: Annotated[str, typer.Option("--leagues", help="Comma-separated league codes, e.g. E0,D1.")] = "E0",
    seasons: Annotated[
        str, typer.Option("--seasons", help="Season range FIRST:LAST (2019-20:2022-23) or a comma-separated list.")
    ] = "2019-20:2022-23",
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
        Path | None,
        typer.Option(
            "--data-dir",
            help="football-data folder (<season>/<league>.csv); ingested into --db if given, else a temporary SQLite.",
        ),
    ] = None,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write machine-readable results to this file ('-' = stdout).")
    ] = None,
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
) -> None:
    """Walk-forward backtest of strategies with an honest report.

    Decisions use only pre-match prices stamped before the decision time and goal models fitted on results
    known by then; closing prices are used only for CLV and the closing-market benchmark. Matches or bets that
    cannot be evaluated are counted and listed, never priced at a guess. Exit code 1 if no match was found.
    """
    from datetime import UTC, datetime, timedelta

    from rich.console import Console

    from betfolio.backtest.data import load_from_directory, load_from_engine, parse_seasons
    from betfolio.backtest.engine import BacktestConfig, WalkForward
    from betfolio.backtest.ledger import record_run
    from betfolio.backtest.report import summarise, write_json, write_report
    from betfolio.backtest.strategies import make_strategy
    from betfolio.backtest.table import forecast_table, paired_table, strategy_table
    from betfolio.risk import RiskLimits
    from betfolio.store.engine import make_engine
    from betfolio.store.migrate import upgrade

    console = Console(stderr=True)
    started = datetime.now(UTC)
    try:
        league_list = [x.strip() for x in leagues.split(",") if x.strip()]
        season_list = parse_seasons(seasons)
        specs = [p for s in (strategy or DEFAULT_STRATEGIES) for p in _split_specs(s)]
        strategies = [make_strategy(s) for s in specs]
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
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if not league_list:
        typer.echo("error: --leagues is empty", err=True)
        raise typer.Exit(2)

    engine = make_engine(db) if (db or data_dir is None) else None
    with console.status("loading matches and odds…"):
        if data_dir is not None:
            if not data_dir.is_dir():
                typer.echo(f"error: --data-dir {data_dir} is not a folder", err=True)
                raise typer.Exit(2)
            data, engine_used = load_from_directory(data_dir, league_list, season_list, engine=engine)
        else:
            assert engine is not None
            upgrade(engine)
            data = load_from_engine(engine, league_list, season_list)
            engine_used = engine
    if not data.matches:
        typer.echo(f"error: no matches for leagues {league_list} in seasons {season_list}", err=True)
        raise typer.Exit(1)
    console.print(
        f"{len(data.matches)} matches, {len(data.issues)} data issue(s); running {len(strategies)} strategies"
    )
    try:
        with console.status("walking forward…") as status:
            result = WalkForward(data, strategies, config, workers=workers).run(
                progress=lambda i, n: status.update(f"walking forward… round {i}/{n}")
            )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    summary = summarise(result, seed=seed)
    run_config = {
        "leagues": league_list,
        "seasons": season_list,
        "strategies": specs,
        "source": str(data_dir) if data_dir else "database",
        **config.as_dict(),
    }
    summary["run_config"] = run_config
    report_path = write_report(result, summary, report) if report is not None else None
    if engine is not None and record:
        summary["run_id"] = record_run(
            engine_used,
            result,
            summary,
            name=f"backtest {','.join(league_list)} {season_list[0]}…{season_list[-1]}",
            config=run_config,
            report_path=str(report_path) if report_path else None,
            started_at=started,
        )
    to_stdout = json_file is not None and str(json_file) == "-"
    if to_stdout:
        import json

        from betfolio.backtest.report import json_ready

        print(json.dumps(json_ready(summary), indent=2, allow_nan=False))
    elif json_file is not None:
        write_json(summary, json_file)
    out = Console(stderr=to_stdout)
    out.print(strategy_table(summary))
    if summary["models"]["identical_matches"]:
        out.print(forecast_table(summary))
        if summary["models"].get("paired"):
            out.print(paired_table(summary))
    for note in summary["not_evaluated"]:
        console.print(f"[yellow]•[/] {note}")
    if report_path is not None:
        console.print(f"report: {report_path}")


def _split_specs(value: str) -> list[str]:
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
