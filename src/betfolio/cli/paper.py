"""`betfolio paper`: paper-trade the live stream on the engine (see :mod:`betfolio.live.paper`).

The database URL may come from a `BETFOLIO_DATABASE_URL_FILE` secrets file. Heavy imports live inside the command.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from betfolio.cli.options import DbOption, fail


def paper_command(
    run: Annotated[Path, typer.Option("--run", help="Training run directory (holds live.pt and run.json).")],
    redis_url: Annotated[
        str | None,
        typer.Option("--redis", envvar="BETFOLIO_REDIS_URL", help="Redis URL of the stream (default: redis_url)."),
    ] = None,
    db: DbOption = None,
    duration: Annotated[
        float | None, typer.Option("--duration", min=0.0, help="Stop after S seconds (default: run until stopped).")
    ] = None,
    metrics_port: Annotated[
        int, typer.Option("--metrics-port", min=0, max=65535, help="Serve Prometheus /metrics here (0 = off).")
    ] = 0,
    metrics_host: Annotated[str, typer.Option(help="Address for /metrics.")] = "127.0.0.1",
    group: Annotated[str, typer.Option(help="Consumer group (traders in one group share the stream).")] = "paper",
    consumer: Annotated[str | None, typer.Option(help="This trader's name in the group (default: host-pid).")] = None,
    provider: Annotated[str, typer.Option(help="Stream (provider) to trade.")] = "api-football",
    max_staleness: Annotated[float, typer.Option(min=0.0, help="No new bet on data staler than this (s).")] = 30.0,
    bankroll: Annotated[float, typer.Option(min=0.0, help="Initial paper bankroll.")] = 1000.0,
    policy: Annotated[str, typer.Option(help="greedy (most likely action) or sample (seeded per state).")] = "greedy",
    until_idle: Annotated[bool, typer.Option(help="Stop once the stream is drained (scripts, demos).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON summary at the end.")] = False,
) -> None:
    """Paper-trade the live stream with a trained HRL run on the engine: decisions, risk chain, ledger
    (kind='paper')."""
    from betfolio.agents.checkpoint import CheckpointError
    from betfolio.config import ConfigError, load_settings
    from betfolio.live.metrics import serve_metrics
    from betfolio.live.paper import PaperConfig, PaperTrader
    from betfolio.live.secrets import SecretError
    from betfolio.store.engine import make_engine
    from betfolio.store.migrate import upgrade

    try:
        redis_url = redis_url or load_settings().redis_url
        if not redis_url:
            raise ValueError("no Redis URL: pass --redis, set BETFOLIO_REDIS_URL or redis_url in the config file")
        engine = make_engine(db)
        upgrade(engine)
        config = PaperConfig(
            run_dir=run,
            group=group,
            consumer=consumer,
            provider=provider,
            max_staleness=max_staleness,
            initial_bankroll=bankroll,
            policy=policy,
        )
        trader = PaperTrader.open(engine, redis_url, config)
    except (SecretError, ConfigError, CheckpointError, ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    serve_metrics(metrics_port, metrics_host)
    log = None if as_json else (lambda line: print(line, file=sys.stderr))
    summary = trader.run(duration=duration, log=log, until_idle=until_idle)
    if as_json:
        print(json.dumps(summary, indent=2))
    else:
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(summary["skipped"].items())) or "none"
        print(
            f"{summary['states_read']} states read, {summary['decisions']} decisions, {summary['bets']} bets, "
            f"skipped: {skipped}; latency p50 {summary['latency_ms']['p50']:.2f} ms, "
            f"p99 {summary['latency_ms']['p99']:.2f} ms"
        )
