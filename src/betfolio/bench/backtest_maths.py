"""Speed of the maths under the backtest: Dixon-Coles fitting and vectorised settlement.

Both functions return plain dicts for ``betfolio bench backtest`` to print as JSON. Timings are medians of
several runs (``time.perf_counter``) so one scheduler hiccup on a shared machine does not decide the figure.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from betfolio.canonical.enums import Market, MatchStatus, Selection
from betfolio.markets.settlement import MARKET_CODES, SELECTION_CODES, STATUS_CODES, settle_many


def _median_seconds(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def _league_file(folder: Path, league: str) -> Path | None:
    for name in (f"{league}.csv", f"{league}.csv.gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def load_league_results(data_dir: Path, league: str, n_seasons: int) -> dict[str, Any]:
    """The last ``n_seasons`` seasons of ``league`` found under ``data_dir`` (``<season>/<league>.csv[.gz]``),
    read with the football-data parser, as arrays sorted by kick-off."""
    from betfolio.ingest.football_data import read_bytes
    from betfolio.providers.football_data.parser import parse_csv

    seasons = sorted(p.name for p in data_dir.iterdir() if p.is_dir() and _league_file(p, league) is not None)
    if not seasons:
        raise ValueError(f"no {league} files under {data_dir}")
    chosen = seasons[-n_seasons:]
    matches = []
    for season in chosen:
        path = _league_file(data_dir / season, league)
        assert path is not None
        matches.extend(parse_csv(read_bytes(path), f"{season}/{path.name}").matches)
    played = sorted(
        (m for m in matches if m.home_goals is not None and m.away_goals is not None), key=lambda m: m.kickoff
    )
    return {
        "seasons": chosen,
        "home": np.array([m.home_team for m in played]),
        "away": np.array([m.away_team for m in played]),
        "home_goals": np.array([m.home_goals for m in played], dtype=float),
        "away_goals": np.array([m.away_goals for m in played], dtype=float),
        "dates": np.array([np.datetime64(m.kickoff.replace(tzinfo=None), "ns") for m in played]),
    }


def bench_dixon_coles(
    data_dir: Path | None = None,
    league: str = "E0",
    n_seasons: int = 2,
    xi: float = 0.0018,
    repeats: int = 5,
    single_thread_blas_too: bool = True,
) -> dict[str, Any]:
    """Cold and warm Dixon-Coles fits on one league's last two seasons, and penaltyblog's fit on the same data.

    penaltyblog fits with SLSQP, whose dense algebra goes through multithreaded OpenBLAS; on a busy 2-core
    machine that thread pool dominates its time. So the comparison is repeated in a child process with
    ``OPENBLAS_NUM_THREADS=1`` (``single_thread_blas``) to show both the as-installed and the best-case ratio.
    """
    from betfolio.bench.ingest import default_data_dir
    from betfolio.models import DixonColes, PoissonModel
    from betfolio.models.weights import time_decay_weights

    folder = data_dir or default_data_dir()
    data = load_league_results(folder, league, n_seasons)
    args = (data["home"], data["away"], data["home_goals"], data["away_goals"], data["dates"])
    as_of = data["dates"].max() + np.timedelta64(1, "D")
    cold, cold_best = _median_seconds(lambda: DixonColes(xi=xi).fit(*args, as_of), repeats)
    warm_times = []
    for _ in range(repeats):  # a walk-forward refit: last week's fit seeds this week's
        model = DixonColes(xi=xi).fit(*args, as_of - np.timedelta64(7, "D"))
        start = time.perf_counter()
        model.fit(*args, as_of)
        warm_times.append(time.perf_counter() - start)
    warm, warm_best = statistics.median(warm_times), min(warm_times)
    poisson, _ = _median_seconds(lambda: PoissonModel(xi=xi).fit(*args, as_of), repeats)
    info = model.fit_info
    assert info is not None
    result: dict[str, Any] = {
        "data": str(folder),
        "league": league,
        "seasons": data["seasons"],
        "matches": info.n_matches,
        "teams": info.n_teams,
        "xi_per_day": xi,
        "solver": model.solver,
        "fit_seconds_median": round(cold, 4),
        "fit_seconds_min": round(cold_best, 4),
        "warm_refit_one_week_later_seconds_median": round(warm, 4),
        "warm_refit_seconds_min": round(warm_best, 4),
        "poisson_fit_seconds_median": round(poisson, 4),
        "target_seconds": 0.5,
        "home_advantage": round(model.home_advantage, 4),
        "rho": round(model.rho, 4),
    }
    try:
        import penaltyblog as pb
    except Exception as exc:  # the comparison is optional; say why it is missing
        result["penaltyblog"] = f"unavailable: {exc}"
        return result
    weights = time_decay_weights(data["dates"], as_of, xi)

    def fit_penaltyblog() -> object:
        reference = pb.models.DixonColesGoalModel(
            data["home_goals"].astype(int), data["away_goals"].astype(int), data["home"], data["away"], weights=weights
        )
        reference.fit()
        return reference

    theirs, theirs_best = _median_seconds(fit_penaltyblog, max(2, repeats // 2))
    reference = fit_penaltyblog()
    ours = model.match_probabilities(data["home"][-50:], data["away"][-50:])
    ref = np.array(
        [
            reference.predict(h, a, max_goals=model.max_goals + 1).home_draw_away
            for h, a in zip(data["home"][-50:], data["away"][-50:], strict=True)
        ]
    )  # type: ignore[attr-defined]
    result["penaltyblog"] = {
        "version": pb.__version__,
        "fit_seconds_median": round(theirs, 4),
        "fit_seconds_min": round(theirs_best, 4),
        "ratio_penaltyblog_over_ours": round(theirs / cold, 2),
        "max_abs_1x2_difference_last_50_fixtures": float(np.abs(ours - ref).max().round(5)),
    }
    if single_thread_blas_too:
        result["single_thread_blas"] = _in_child_with_one_blas_thread(folder, league, n_seasons, xi, repeats)
    return result


def _in_child_with_one_blas_thread(folder: Path, league: str, n_seasons: int, xi: float, repeats: int) -> object:
    """Re-run the comparison in a fresh interpreter with one OpenBLAS thread (the variable is read at import)."""
    code = (
        "import json; from pathlib import Path; from betfolio.bench.backtest_maths import bench_dixon_coles as b; "
        f"r = b(Path({str(folder)!r}), {league!r}, {n_seasons}, {xi}, {repeats}, single_thread_blas_too=False); "
        "pb = r.get('penaltyblog'); "
        "print(json.dumps({'fit_seconds_median': r['fit_seconds_median'], "
        "'penaltyblog_fit_seconds_median': pb['fit_seconds_median'] if isinstance(pb, dict) else None, "
        "'ratio_penaltyblog_over_ours': pb['ratio_penaltyblog_over_ours'] if isinstance(pb, dict) else None}))"
    )
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        return f"failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def _random_bets(n: int, seed: int) -> dict[str, np.ndarray]:
    """A realistic mix: 1X2, Asian handicap and totals on whole/half/quarter lines, ~1 % void matches."""
    rng = np.random.default_rng(seed)
    markets = np.array(
        [MARKET_CODES[Market.MATCH_ODDS], MARKET_CODES[Market.ASIAN_HANDICAP], MARKET_CODES[Market.TOTAL_GOALS]],
        dtype=np.int8,
    )
    market = markets[rng.integers(0, 3, n)]
    pick = rng.integers(0, 3, n)
    x12 = np.array([SELECTION_CODES[s] for s in (Selection.HOME, Selection.DRAW, Selection.AWAY)], dtype=np.int8)
    ah = np.array([SELECTION_CODES[s] for s in (Selection.HOME, Selection.AWAY)], dtype=np.int8)
    ou = np.array([SELECTION_CODES[s] for s in (Selection.OVER, Selection.UNDER)], dtype=np.int8)
    selection = np.where(
        market == markets[0], x12[pick], np.where(market == markets[1], ah[pick % 2], ou[pick % 2])
    ).astype(np.int8)
    line = np.where(
        market == markets[1],
        rng.integers(-10, 11, n) / 4.0,
        np.where(market == markets[2], rng.integers(2, 16, n) / 4.0, np.nan),
    )
    status = np.where(
        rng.random(n) < 0.01, STATUS_CODES[MatchStatus.POSTPONED], STATUS_CODES[MatchStatus.FINISHED]
    ).astype(np.int8)
    return {
        "market": market,
        "selection": selection,
        "line": line,
        "home_goals": rng.poisson(1.5, n).astype(float),
        "away_goals": rng.poisson(1.2, n).astype(float),
        "odds": rng.uniform(1.3, 6.0, n),
        "stake": rng.uniform(1.0, 50.0, n),
        "status": status,
    }


def bench_settlement(n: int = 2_000_000, repeats: int = 3, seed: int = 0) -> dict[str, Any]:
    """Throughput of :func:`settle_many` (no bankroll: pure settlement) in bets per second."""
    bets = _random_bets(n, seed)
    with_status, best_status = _median_seconds(lambda: settle_many(**bets), repeats)
    plain = {k: v for k, v in bets.items() if k != "status"}
    without_status, _ = _median_seconds(lambda: settle_many(**plain), repeats)
    labels = {
        **plain,
        "market": np.array([m.value for m in Market])[bets["market"]],
        "selection": np.array([s.value for s in Selection])[bets["selection"]],
    }
    with_labels, _ = _median_seconds(lambda: settle_many(**labels), max(1, repeats - 1))
    return {
        "bets": n,
        "bets_per_second": round(n / with_status),
        "bets_per_second_best": round(n / best_status),
        "bets_per_second_without_void_rules": round(n / without_status),
        "bets_per_second_string_labels": round(n / with_labels),
        "seconds_median": round(with_status, 4),
        "target_bets_per_second": 1_000_000,
    }
