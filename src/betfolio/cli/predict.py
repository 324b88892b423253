"""`betfolio predict`: fair odds, best price, edge and suggested stake for the store's upcoming fixtures.

Heavy imports live inside the command so `betfolio --help` stays fast.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from betfolio.cli.options import DbOption, JsonFlag, emit_json, presentation_console

CSV_COLUMNS = (
    "match_id", "league", "kickoff", "home", "away", "model", "market", "selection", "line", "probability",
    "fair_odds", "best_odds", "bookmaker", "edge", "stake",
)  # fmt: skip


def predict_command(
    db: DbOption = None,
    leagues: Annotated[str, typer.Option("--leagues", help="Comma-separated league codes (default: all).")] = "",
    models: Annotated[
        str, typer.Option("--models", help="Models (comma-separated): market_anchored, dixon_coles, poisson.")
    ] = "market_anchored,dixon_coles",
    as_of: Annotated[str | None, typer.Option("--as-of", help="Decision time, ISO 8601 (default: now, UTC).")] = None,
    bankroll: Annotated[float, typer.Option(help="Bankroll the suggested stakes are sized for.")] = 1000.0,
    kelly: Annotated[float, typer.Option(help="Kelly fraction of the suggested stakes.")] = 0.25,
    max_stake: Annotated[float, typer.Option(help="Cap on a suggested stake, fraction of the bankroll.")] = 0.05,
    value_only: Annotated[bool, typer.Option("--value-only", help="Show only sides with a positive edge.")] = False,
    history_days: Annotated[int, typer.Option(help="Days of finished matches the models learn from.")] = 1100,
    as_json: JsonFlag = False,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Also write the rows to this CSV file.")] = None,
) -> None:
    """Every model's fair odds per market for the upcoming (scheduled) fixtures in the store, against the best
    price on offer: edge and a fractional-Kelly stake. Fixtures with unknown teams and markets with a missing side
    or an impossible price are skipped and counted, never priced at a guess."""
    from datetime import UTC

    from rich.table import Table

    from betfolio.backtest.predict import predict_upcoming
    from betfolio.store.engine import make_engine

    try:
        when = datetime.fromisoformat(as_of) if as_of else None
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        engine = make_engine(db)
        report = predict_upcoming(
            engine,
            leagues=[x.strip() for x in leagues.split(",") if x.strip()] or None,
            as_of=when,
            models=[x.strip() for x in models.split(",") if x.strip()],
            bankroll=bankroll,
            kelly=kelly,
            max_stake_fraction=max_stake,
            history_days=history_days,
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    rows = [r for r in report.rows if r.edge > 0] if value_only else report.rows
    if csv_file is not None:
        csv_file.parent.mkdir(parents=True, exist_ok=True)
        with csv_file.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            writer.writerows(r.as_dict() for r in rows)
    if as_json:
        out = report.as_dict()
        out["rows"] = [r.as_dict() for r in rows]
        emit_json(out, as_json)
        return
    console = presentation_console(as_json)
    table = Table(title=f"Upcoming fixtures as of {report.as_of:%Y-%m-%d %H:%M} UTC ({report.fixtures} fixtures)")
    for col in ("kickoff", "match", "model", "market", "side", "p", "fair", "best", "bookmaker", "edge", "stake"):
        table.add_column(col, justify="right" if col in ("p", "fair", "best", "edge", "stake") else "left")
    for r in rows:
        side = r.selection if r.line is None else f"{r.selection} {r.line:+g}"
        table.add_row(
            f"{r.kickoff:%m-%d %H:%M}",
            f"{r.home} v {r.away}",
            r.model,
            r.market,
            side,
            f"{r.probability:.3f}",
            f"{r.fair_odds:.2f}",
            f"{r.best_odds:.2f}",
            r.bookmaker,
            f"{100 * r.edge:+.1f}%",
            f"{r.stake:.2f}" if r.stake else "",
        )
    console.print(table)
    for name, n in report.forecast.items():
        console.print(f"{name}: {n} of {report.fixtures} fixtures forecast")
    for reason, n in report.skipped_fixtures.items():
        console.print(f"[yellow]•[/] skipped {n} fixture(s): {reason}")
    for reason, n in report.skipped_markets.items():
        console.print(f"[yellow]•[/] skipped {n} market(s): {reason}")
