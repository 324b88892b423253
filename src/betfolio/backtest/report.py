"""Turn a :class:`~betfolio.backtest.engine.BacktestResult` into machine-readable results and a human report.

The JSON holds every number; the HTML shows the same numbers with the plots a reader needs to judge them
(equity curves, drawdowns, calibration), embedded as base64 PNG so the report is one self-contained file.
Models are compared with the markets **on identical matches only** — a model that skips the hard games (a
promoted side it has never seen) must not look better for it.
"""

from __future__ import annotations

import base64
import io
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from betfolio.backtest.engine import BacktestResult, BetRecord, StrategyRun
from betfolio.backtest.metrics import betting_metrics, calibration_table, forecast_metrics, paired_difference
from betfolio.backtest.scoring import brier_score, log_loss, ranked_probability_score
from betfolio.engine.ledger import json_ready

#: Forecast sources that are markets, not models (benchmarks).
MARKET_SOURCES = ("opening market", "pinnacle closing")


def summarise(result: BacktestResult, *, seed: int = 0) -> dict[str, Any]:
    data = result.data
    decidable = sum(1 for m in data.matches if m.decision_at is not None)
    summary: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "leagues": data.leagues,
        "seasons": data.seasons,
        "config": result.config.as_dict(),
        "data": {
            "matches": len(data.matches),
            "with_prematch_odds": decidable,
            "with_result": len(result.outcomes),
            "issues": data.issue_counts(),
            "quotes_flagged": dict(data.flagged_quotes),  # implausible prices kept out of decisions, by reason
            "issue_details": [str(i) for i in data.issues[:500]],
            "history_matches": len(data.history),
            "model_forecasts": {
                name: {"forecast": len(preds), "not_forecast": decidable - len(preds)}
                for name, preds in result.model_forecasts.items()
            },
        },
        "rounds": result.rounds,
        "refits": result.refits,
        "fit_failures": dict(Counter(result.fit_failures).most_common(20)),
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        "strategies": {name: _strategy_summary(run, result, seed) for name, run in result.strategies.items()},
        "models": _model_summary(result),
    }
    summary["not_evaluated"] = _not_evaluated(summary)
    return summary


def _strategy_summary(run: StrategyRun, result: BacktestResult, seed: int) -> dict[str, Any]:
    settled = [b for b in run.bets if b.status not in ("open", "unsettled")]
    metrics = betting_metrics(
        [b.stake for b in settled],
        [b.payout or 0.0 for b in settled],
        [b.odds for b in settled],
        [np.nan if b.clv is None else b.clv for b in settled],
        [e for _, e in run.equity],
        result.config.initial_bankroll,
        times=[t for t, _ in run.equity],
        seed=seed,
        groups=[b.kickoff.date().toordinal() for b in settled],
    ).as_dict()
    metrics.update(
        {
            "unsettled_bets": run.unsettled,
            "halted_at": run.halted_at.isoformat() if run.halted_at else None,
            "skips": dict(run.skips.most_common()),
            "rejections": dict(run.rejections.most_common()),
            "stakes_cut": dict(Counter(b.cut_by for b in run.bets if b.cut_by).most_common()),
            "by_market": _breakdown(settled, lambda b: b.market),
            "by_league": _breakdown(settled, lambda b: b.league),
            "by_season": _breakdown(settled, lambda b: b.season),
        }
    )
    return metrics


def _breakdown(bets: list[BetRecord], key: Any) -> dict[str, dict[str, float | int | None]]:
    groups: dict[str, list[BetRecord]] = defaultdict(list)
    for b in bets:
        groups[key(b)].append(b)
    out = {}
    for k, bs in sorted(groups.items()):
        turnover = sum(b.stake for b in bs)
        profit = sum(b.profit for b in bs)
        clvs = [b.clv for b in bs if b.clv is not None]
        out[k] = {
            "bets": len(bs),
            "turnover": round(turnover, 2),
            "profit": round(profit, 2),
            "roi": profit / turnover if turnover else None,
            "clv_mean": float(np.mean(clvs)) if clvs else None,
        }
    return out


def _model_summary(result: BacktestResult) -> dict[str, Any]:
    sources = {name: fs.as_dict() for name, fs in result.forecasts.items()}
    outcomes = result.outcomes
    own = {}
    for name, preds in sources.items():
        ids = [i for i in preds if i in outcomes]
        if ids:
            own[name] = forecast_metrics(name, [preds[i] for i in ids], [outcomes[i] for i in ids]).as_dict()
    models = [n for n in sources if n not in MARKET_SOURCES]
    common = set(outcomes)
    for preds in sources.values():
        common &= set(preds)
    ids = sorted(common)
    identical = []
    calibration = {}
    if ids:
        y = [outcomes[i] for i in ids]
        for name, preds in sources.items():
            p = np.array([preds[i] for i in ids])
            identical.append(forecast_metrics(name, p, y).as_dict())
            calibration[name] = calibration_table(p, y)
    base_rates = None
    if ids:
        y_arr = np.array([outcomes[i] for i in ids])
        freq = np.bincount(y_arr, minlength=3) / len(y_arr)
        base_rates = forecast_metrics("base rates (in-sample)", np.tile(freq, (len(ids), 1)), y_arr).as_dict()
    gaps = {}
    by_source = {m["source"]: m for m in identical}
    for name in models:
        if name in by_source:
            for market in MARKET_SOURCES:
                if market in by_source:
                    gaps[f"{name} − {market}"] = {
                        "rps": by_source[name]["rps"] - by_source[market]["rps"],
                        "log_loss": by_source[name]["log_loss"] - by_source[market]["log_loss"],
                    }
    paired, by_league_season = _paired_comparisons(result, sources, models, ids)
    return {
        "identical_matches": len(ids),
        "on_identical_matches": identical + ([base_rates] if base_rates else []),
        "on_own_coverage": list(own.values()),
        "gaps": gaps,
        "paired": paired,
        "by_league_season": by_league_season,
        "calibration": calibration,
    }


def _paired_comparisons(
    result: BacktestResult, sources: dict[str, dict[int, np.ndarray]], models: list[str], ids: list[int]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each model against each market on identical matches: paired score differences with day-bootstrap intervals.

    Overall for RPS, log-loss and Brier; per league and season for RPS (the question "is it better here?").
    """
    if not ids:
        return {}, {}
    meta = {m.match_id: m for m in result.data.matches}
    y = np.array([result.outcomes[i] for i in ids])
    days = np.array([meta[i].kickoff.date().toordinal() for i in ids])
    scores = {
        name: {
            "rps": ranked_probability_score(p, y),
            "log_loss": log_loss(p, y),
            "brier": brier_score(p, y),
        }
        for name, p in ((n, np.array([preds[i] for i in ids])) for n, preds in sources.items())
    }
    pairs = [(n, mk) for n in models for mk in MARKET_SOURCES if mk in scores and n in scores]
    pairs += [(n, other) for n in models for other in models if n != other and n == "market_anchored"]
    paired = {
        f"{a} − {b}": {
            metric: paired_difference(scores[a][metric], scores[b][metric], groups=days).as_dict()
            for metric in ("rps", "log_loss", "brier")
        }
        for a, b in pairs
    }
    keys = np.array([f"{meta[i].league} {meta[i].season}" for i in ids])
    by_league_season: dict[str, Any] = {}
    for key in sorted(set(keys)):
        sel = keys == key
        by_league_season[key] = {
            "matches": int(sel.sum()),
            "rps": {name: float(sc["rps"][sel].mean()) for name, sc in scores.items()},
            "paired_rps": {
                f"{a} − {b}": paired_difference(
                    scores[a]["rps"][sel], scores[b]["rps"][sel], groups=days[sel]
                ).as_dict()
                for a, b in pairs
            },
        }
    return paired, by_league_season


def _not_evaluated(summary: dict[str, Any]) -> list[str]:
    """Plain sentences on what the backtest could not evaluate, for the top of the report."""
    notes = []
    d = summary["data"]
    if d["matches"] - d["with_prematch_odds"]:
        notes.append(f"{d['matches'] - d['with_prematch_odds']} matches had no pre-match prices: no decisions on them.")
    if d["matches"] - d["with_result"]:
        notes.append(f"{d['matches'] - d['with_result']} matches had no result: not scored, bets on them not settled.")
    for name, counts in d.get("model_forecasts", {}).items():
        if counts["not_forecast"]:
            notes.append(
                f"{name}: {counts['not_forecast']} of {d['with_prematch_odds']} decidable matches got no forecast "
                "(a team without results in the fit window, or too few results yet)."
            )
    for kind, n in sorted(d["issues"].items()):
        if kind == "no_closing_odds":
            notes.append(f"{n} league-season(s) lack closing prices in part or whole: CLV is missing for those bets.")
        elif kind in ("duplicate_match", "invalid_odds", "missing_file", "ingest_error", "ingest_reject"):
            notes.append(f"{n} data issue(s) of kind {kind} (see issue_details).")
    for name, s in summary["strategies"].items():
        if s["unsettled_bets"]:
            notes.append(f"{name}: {s['unsettled_bets']} bet(s) could not be settled (no result); stakes returned.")
        if s["bets"] and s["clv_bets"] < s["bets"]:
            notes.append(f"{name}: {s['bets'] - s['clv_bets']} of {s['bets']} bets have no closing price for CLV.")
        if s["halted_at"]:
            notes.append(f"{name}: the drawdown stop fired on {s['halted_at'][:10]}; no bets after that.")
    return notes


# ---------------------------------------------------------------------------------------------- writing
def write_json(summary: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(json_ready(summary), indent=2, allow_nan=False))


def write_ledger_csv(result: BacktestResult, path: Path) -> None:
    import csv

    fields = list(BetRecord.__dataclass_fields__)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for run in result.strategies.values():
            for b in run.bets:
                writer.writerow({f: getattr(b, f) for f in fields})


def write_report(result: BacktestResult, summary: dict[str, Any], report_dir: Path) -> Path:
    """``index.html`` (self-contained), ``results.json`` and ``bets.csv`` in ``report_dir``."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    report_dir.mkdir(parents=True, exist_ok=True)
    plots = {
        "equity": _png(_plot_equity, result),
        "drawdown": _png(_plot_drawdown, result),
        "calibration": _png(_plot_calibration, summary),
    }
    env = Environment(loader=PackageLoader("betfolio", "templates"), autoescape=select_autoescape())
    env.filters["pct"] = lambda v, d=1: "—" if v is None else f"{100 * v:.{d}f} %"
    env.filters["num"] = lambda v, d=2: "—" if v is None else f"{v:,.{d}f}"
    html = env.get_template("backtest_report.html").render(s=summary, plots=plots)
    out = report_dir / "index.html"
    out.write_text(html)
    write_json(summary, report_dir / "results.json")
    write_ledger_csv(result, report_dir / "bets.csv")
    return out


def _png(draw: Any, arg: Any) -> str:
    """A chart as base64 PNG, drawn on its own Agg canvas: pyplot and the global backend stay untouched, so a
    notebook user's backend is not switched and no figure is left in pyplot's registry."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    draw(ax, arg)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _plot_equity(ax: Any, result: BacktestResult) -> None:
    for name, run in result.strategies.items():
        if run.equity:
            ax.plot([t for t, _ in run.equity], [e for _, e in run.equity], label=name, lw=1.2)
    ax.axhline(result.config.initial_bankroll, color="grey", lw=0.8, ls="--")
    ax.set_title("Equity")
    ax.set_ylabel("bankroll")
    ax.legend(loc="best", fontsize=8)


def _plot_drawdown(ax: Any, result: BacktestResult) -> None:
    for name, run in result.strategies.items():
        if run.equity:
            e = np.array([v for _, v in run.equity])
            peak = np.maximum.accumulate(np.concatenate([[result.config.initial_bankroll], e]))[1:]
            ax.plot([t for t, _ in run.equity], -(1 - e / peak) * 100, label=name, lw=1.0)
    ax.set_title("Drawdown from peak")
    ax.set_ylabel("%")
    ax.legend(loc="best", fontsize=8)


def _plot_calibration(ax: Any, summary: dict[str, Any]) -> None:
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
    for name, table in summary["models"]["calibration"].items():
        if table:
            ax.plot([r["mean_forecast"] for r in table], [r["observed"] for r in table], marker="o", ms=3, label=name)
    ax.set_title("Calibration (home/draw/away pooled, identical matches)")
    ax.set_xlabel("forecast probability")
    ax.set_ylabel("observed frequency")
    ax.legend(loc="best", fontsize=8)
