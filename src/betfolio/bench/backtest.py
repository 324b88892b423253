"""`betfolio bench backtest`: goal-model fitting, settlement, the bankroll engine and the full walk-forward.

The Dixon-Coles fit and pure settlement throughput come from :mod:`betfolio.bench.backtest_maths`; this module
adds the risk engine's throughput (stake clipping + settlement + bankroll update over arrays) and the full
walk-forward over every league and season asked for, with the model's RPS gap to the Pinnacle closing market.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

FULL_LEAGUES = ("E0", "D1", "SP1", "I1", "F1")
FULL_SEASONS = "2012-13:2022-23"


def bench_bankroll_engine(n: int = 1_000_000, repeats: int = 3, seed: int = 0) -> dict[str, Any]:
    """Bets per second through the vectorised risk chain, settlement and the bankroll update, one bet per env."""
    from betfolio.bench.backtest_maths import _random_bets
    from betfolio.markets.settlement import settle_many
    from betfolio.risk import BatchedBankroll, RiskLimits

    bets = _random_bets(n, seed)
    rng = np.random.default_rng(seed)
    requested = rng.uniform(0.0, 80.0, n)
    times = []
    for _ in range(repeats):
        bank = BatchedBankroll(n, 1000.0, RiskLimits())
        start = time.perf_counter()
        stake, _codes = bank.place(requested, bets["odds"])
        payout = settle_many(**{**bets, "stake": stake})
        bank.settle(payout)
        times.append(time.perf_counter() - start)
    best, median = min(times), float(np.median(times))
    return {
        "bets": n,
        "bets_per_second": round(n / median),
        "bets_per_second_best": round(n / best),
        "seconds_median": round(median, 4),
        "target_bets_per_second": 1_000_000,
    }


def bench_walk_forward(
    data_dir: Path,
    leagues: tuple[str, ...] = FULL_LEAGUES,
    seasons: str = FULL_SEASONS,
    workers: int = 2,
) -> dict[str, Any]:
    """Ingest (timed apart), then a weekly-refit walk-forward of the four baselines over every league/season."""
    import tempfile
    from datetime import timedelta

    from betfolio.backtest.data import ingest_directory, load_from_engine, parse_seasons
    from betfolio.backtest.engine import BacktestConfig
    from betfolio.backtest.strategies import AnchoredValue, FavouriteFlat, MarketConsensus, ModelValue, NoBet
    from betfolio.jobs.backtest import run_backtest
    from betfolio.store.engine import make_engine

    season_list = parse_seasons(seasons)
    with tempfile.TemporaryDirectory(prefix="betfolio-bench-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        start = time.perf_counter()
        ingest_directory(data_dir, list(leagues), season_list, engine=engine)
        ingest = time.perf_counter() - start
        start = time.perf_counter()
        data = load_from_engine(engine, list(leagues), season_list)
        load = time.perf_counter() - start
        engine.dispose()
    strategies = [NoBet(), FavouriteFlat(), ModelValue(), MarketConsensus(), AnchoredValue()]
    config = BacktestConfig(refit_every=timedelta(days=7), evaluate_models=("dixon_coles", "market_anchored"))
    outcome = run_backtest(data, strategies, config, workers=workers)
    result, summary, walk = outcome.result, outcome.summary, outcome.run_seconds
    assert summary is not None
    scores = {m["source"]: m for m in summary["models"]["on_identical_matches"]}
    gap = summary["models"]["gaps"].get("dixon_coles − pinnacle closing")
    return {
        "data": str(data_dir),
        "leagues": list(leagues),
        "seasons": season_list,
        "matches": len(data.matches),
        "rounds": result.rounds,
        "refits": result.refits,
        "workers": workers,
        "ingest_seconds": round(ingest, 2),
        "load_seconds": round(load, 2),
        "walk_forward_seconds": round(walk, 2),
        "walk_forward_breakdown_seconds": {k: round(v, 2) for k, v in result.timings.items()},
        "target_walk_forward_seconds": 300,
        "bets": {name: s["bets"] for name, s in summary["strategies"].items()},
        "roi": {name: s["roi"] for name, s in summary["strategies"].items()},
        "roi_ci": {name: [s["roi_ci_low"], s["roi_ci_high"]] for name, s in summary["strategies"].items()},
        "clv_mean": {name: s["clv_mean"] for name, s in summary["strategies"].items()},
        "drawdown_stop": {name: s["halted_at"] for name, s in summary["strategies"].items() if s["halted_at"]},
        "identical_matches": summary["models"]["identical_matches"],
        "rps": {name: round(s["rps"], 5) for name, s in scores.items()},
        "rps_gap_dixon_coles_minus_pinnacle_closing": round(gap["rps"], 5) if gap else None,
        "log_loss_gap_dixon_coles_minus_pinnacle_closing": round(gap["log_loss"], 5) if gap else None,
        "rps_gap_market_anchored_minus_pinnacle_closing": _rounded(
            summary["models"]["gaps"].get("market_anchored − pinnacle closing"), "rps"
        ),
        "paired": {
            name: {k: _rounded(v, "mean", "ci_low", "ci_high") for k, v in d.items()}
            for name, d in summary["models"].get("paired", {}).items()
        },
        "coverage_by_season": _coverage(result, data),
        "data_issues": summary["data"]["issues"],
    }


def _rounded(d: dict[str, Any] | None, *keys: str) -> Any:
    if d is None:
        return None
    if len(keys) == 1:
        return round(d[keys[0]], 5)
    return {k: None if d[k] is None else round(d[k], 5) for k in keys}


def _coverage(result: Any, data: Any) -> dict[str, dict[str, float]]:
    """Share of each season's matches with a forecast, per model."""
    seasons: dict[str, list[int]] = {}
    for m in data.matches:
        seasons.setdefault(m.season, []).append(m.match_id)
    return {
        name: {s: round(sum(1 for i in ids if i in preds) / len(ids), 4) for s, ids in sorted(seasons.items())}
        for name, preds in result.model_forecasts.items()
    }


def bench_rating_update(n: int = 200_000, seed: int = 0) -> dict[str, Any]:
    """Microseconds per rating update (Elo, pi-ratings, shots rating, rest, league home advantage).

    Reported as CPU time of this process as well as wall time: on a shared machine the wall figure mostly
    measures the neighbours.
    """
    import random
    from datetime import datetime, timedelta

    from betfolio.models.ratings import Ratings

    rng = random.Random(seed)
    teams = [f"team{i}" for i in range(20)]
    start_day = datetime(2020, 8, 1)
    matches = [
        (*rng.sample(teams, 2), rng.randint(0, 4), rng.randint(0, 3), start_day + timedelta(days=i // 10))
        for i in range(n)
    ]
    shots = (13.0, 5.0, 10.0, 3.0)
    ratings = Ratings()
    wall, cpu = time.perf_counter(), time.process_time()
    for home, away, hg, ag, day in matches:
        ratings.update("E0", "2020-21", day, home, away, hg, ag, shots)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "updates": n,
        "microseconds_per_update_cpu": round(cpu / n * 1e6, 3),
        "microseconds_per_update_wall": round(wall / n * 1e6, 3),
        "target_microseconds": 10,
    }


def run(
    data_dir: Path | None,
    *,
    leagues: tuple[str, ...] = FULL_LEAGUES,
    seasons: str = FULL_SEASONS,
    workers: int = 2,
    skip_walk_forward: bool = False,
) -> dict[str, Any]:
    from betfolio.bench.backtest_maths import bench_dixon_coles, bench_settlement
    from betfolio.bench.ingest import default_data_dir

    folder = data_dir or default_data_dir()
    result: dict[str, Any] = {"benchmark": "backtest", "data": str(folder)}
    try:
        result["dixon_coles_fit"] = bench_dixon_coles(folder)
    except (ValueError, OSError) as exc:
        result["dixon_coles_fit"] = f"unavailable: {exc}"
    result["settlement"] = bench_settlement()
    result["settlement_and_bankroll"] = bench_bankroll_engine()
    result["rating_update"] = bench_rating_update()
    if not skip_walk_forward:
        result["walk_forward"] = bench_walk_forward(folder, leagues, seasons, workers)
    return result


def register(app: typer.Typer) -> None:
    """Add the `backtest` benchmark command to `app`."""

    @app.command("backtest")
    def bench_backtest(
        data_dir: Annotated[
            Path | None,
            typer.Option(
                help="football-data folder (default: what `betfolio fetch football-data` downloaded, else the sample)"
            ),
        ] = None,
        leagues: Annotated[str, typer.Option(help="Leagues of the full walk-forward.")] = ",".join(FULL_LEAGUES),
        seasons: Annotated[str, typer.Option(help="Seasons of the full walk-forward.")] = FULL_SEASONS,
        workers: Annotated[int, typer.Option(help="Processes fitting leagues in parallel.")] = 2,
        skip_walk_forward: Annotated[bool, typer.Option(help="Only the fit and settlement benchmarks.")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Compact JSON.")] = False,
    ) -> None:
        """Dixon-Coles fit (vs penaltyblog), settlement and bankroll throughput, full walk-forward timing."""
        from betfolio.cli.bench import emit

        league_list = tuple(x.strip() for x in leagues.split(",") if x.strip())
        emit(
            run(data_dir, leagues=league_list, seasons=seasons, workers=workers, skip_walk_forward=skip_walk_forward),
            as_json,
        )
