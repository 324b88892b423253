"""Several training seeds, one report: the spread across seeds beside each seed's bootstrap interval.

One seed's bootstrap interval says how much a season of bets could have varied for *that* trained policy; it
says nothing about how much the policy itself depends on the luck of training. Both are shown side by side, and
the verdict counts seeds ("beats its untrained network in 4 of 5 seeds") instead of trusting one run.

Input: the per-seed summaries of :func:`betfolio.jobs.training.train_and_evaluate_seed` (each has ``seed``,
``strategies``, ``verdict`` …). Output: THE evaluation JSON — ``strategies`` holds the mean over seeds of every
metric (so the table and scripts read it like a one-seed report), ``spread`` the across-seed statistics with each
seed's interval, ``per_seed`` the seeds' own rows, ``verdict`` the counted statements.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

#: Workers judged against their own untrained network and a random policy of the same betting rate.
CONTROLLED_WORKERS = ("live", "prematch")
#: The mission's drawdown ceiling for the HRL portfolio: the verdict's test and the manager's drawdown budget
#: (``HRLSettings.max_drawdown``) both read it.
MAX_DRAWDOWN_LIMIT = 0.20

#: What each seed keeps in ``per_seed`` (its own rows and verdict, the manager's summary, where its run lives).
PER_SEED_KEYS = (
    "seed",
    "strategies",
    "verdict",
    "controls",
    "selection",
    "manager",
    "training",
    "curves",
    "run_dir",
    "run_id",
    "seconds",
    "cpu_seconds",
    "inputs",
)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def mean_row(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Mean over seeds of every numeric metric (seeds where a metric is undefined, e.g. ROI without bets, are
    left out of that metric's mean; ``None`` when no seed defines it)."""
    keys = list(dict.fromkeys(k for row in rows for k in row))
    out: dict[str, Any] = {}
    for key in keys:
        values = [v for v in (_number(row.get(key)) for row in rows) if v is not None]
        out[key] = float(np.mean(values)) if values else None
    out["seeds"] = len(rows)
    return out


def spread(values: Sequence[float | None]) -> dict[str, float | int | None]:
    """Mean, sample standard deviation, min and max across seeds (``n`` seeds define the value)."""
    xs = np.array([v for v in values if v is not None], dtype=np.float64)
    if not len(xs):
        return {"n": 0, "mean": None, "std": None, "min": None, "max": None}
    std = float(xs.std(ddof=1)) if len(xs) > 1 else 0.0
    return {"n": len(xs), "mean": float(xs.mean()), "std": std, "min": float(xs.min()), "max": float(xs.max())}


def strategy_spread(name: str, seeds: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Across-seed spread of a strategy's ROI, final equity and CLV, next to each seed's own bootstrap interval."""
    rows = [(s["seed"], s["strategies"][name]) for s in seeds if name in s["strategies"]]
    return {
        "roi": spread([_number(r.get("roi")) for _, r in rows]),
        "final_equity": spread([_number(r.get("final_equity")) for _, r in rows]),
        "clv_mean": spread([_number(r.get("clv_mean")) for _, r in rows]),
        "per_seed": [
            {
                "seed": seed,
                "bets": r.get("bets"),
                "roi": r.get("roi"),
                "roi_ci_low": r.get("roi_ci_low"),
                "roi_ci_high": r.get("roi_ci_high"),
                "clv_mean": r.get("clv_mean"),
                "final_equity": r.get("final_equity"),
            }
            for seed, r in rows
        ],
    }


def _count(seeds: Sequence[dict[str, Any]], test: Any) -> tuple[int, int]:
    """(seeds passing ``test(strategies)``, seeds where it could be decided — ``test`` returns None if not)."""
    outcomes = [test(s["strategies"]) for s in seeds]
    decided = [o for o in outcomes if o is not None]
    return sum(bool(o) for o in decided), len(decided)


def _at_or_above(a: str, b: str) -> Any:
    def test(rows: dict[str, Any]) -> bool | None:
        if a not in rows or b not in rows:
            return None
        return bool(rows[a]["final_equity"] >= rows[b]["final_equity"] - 1e-9)

    return test


def _beyond_noise(a: str, b: str) -> Any:
    def test(rows: dict[str, Any]) -> bool | None:
        if a not in rows or b not in rows:
            return None
        lo, hi = _number(rows[a].get("roi_ci_low")), _number(rows[b].get("roi_ci_high"))
        return None if lo is None or hi is None else lo > hi

    return test


def _positive_clv(name: str, *, interval: bool) -> Any:
    def test(rows: dict[str, Any]) -> bool | None:
        row = rows.get(name)
        if row is None:
            return None
        value = _number(row.get("clv_ci_low" if interval else "clv_mean"))
        return None if value is None else value > 0

    return test


def _drawdown_within(name: str, limit: float) -> Any:
    def test(rows: dict[str, Any]) -> bool | None:
        row = rows.get(name)
        value = None if row is None else _number(row.get("max_drawdown"))
        return None if value is None else value <= limit

    return test


def comparisons(seeds: Sequence[dict[str, Any]], baselines: Sequence[str]) -> dict[str, dict[str, int]]:
    """Machine-readable seed counts behind the verdict: ``{claim: {"seeds": passing, "of": decided}}``."""
    claims: dict[str, Any] = {}
    for w in CONTROLLED_WORKERS:
        for control in ("untrained", "random"):
            claims[f"{w} >= {w}_{control} (final equity)"] = _at_or_above(w, f"{w}_{control}")
            claims[f"{w} > {w}_{control} beyond noise"] = _beyond_noise(w, f"{w}_{control}")
    claims["prematch clv_mean > 0"] = _positive_clv("prematch", interval=False)
    claims["prematch clv interval above 0"] = _positive_clv("prematch", interval=True)
    claims["prematch_ungated clv_mean > 0"] = _positive_clv("prematch_ungated", interval=False)
    claims["prematch_ungated clv interval above 0"] = _positive_clv("prematch_ungated", interval=True)
    claims[f"hrl max_drawdown <= {MAX_DRAWDOWN_LIMIT:.0%}"] = _drawdown_within("hrl", MAX_DRAWDOWN_LIMIT)
    for agent in ("live", "prematch", "hrl"):
        for b in baselines:
            claims[f"{agent} > {b} beyond noise"] = _beyond_noise(agent, b)
    out = {}
    for claim, test in claims.items():
        passing, decided = _count(seeds, test)
        out[claim] = {"seeds": passing, "of": decided}
    return out


def deployments(seeds: Sequence[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per gated worker: in how many seeds its trained policy beat abstaining on the held-out training matches
    and was deployed (``{worker: {"trained": k, "of": n}}``; the other seeds deployed the abstaining policy)."""
    out: dict[str, dict[str, int]] = {}
    for s in seeds:
        for worker, gate in ((s.get("selection") or {}).get("workers") or {}).items():
            row = out.setdefault(worker, {"trained": 0, "of": 0})
            row["trained"] += gate.get("deployed") == "trained"
            row["of"] += 1
    return out


def seed_verdict(seeds: Sequence[dict[str, Any]], counts: dict[str, dict[str, int]]) -> list[str]:
    """Plain statements that count seeds; an edge is only claimed when a majority of seeds show it beyond noise."""
    n = len(seeds)
    lines = [f"{n} training seed(s): {', '.join(str(s['seed']) for s in seeds)}."]
    deployed = deployments(seeds)
    chosen = {w: deployed[w] for w in CONTROLLED_WORKERS if w in deployed}
    if chosen:
        lines.append(
            "Deployed after validation on the latest training matches: "
            + "; ".join(f"{w} its trained policy in {d['trained']} of {d['of']} seeds" for w, d in chosen.items())
            + " (abstaining otherwise: no edge beyond bootstrap noise there)."
        )

    def c(claim: str) -> str:
        k = counts.get(claim, {"seeds": 0, "of": 0})
        return f"{k['seeds']} of {k['of']}"

    for w in CONTROLLED_WORKERS:
        lines.append(
            f"{w}: ends at or above its untrained network in {c(f'{w} >= {w}_untrained (final equity)')} seeds "
            f"(beyond noise in {c(f'{w} > {w}_untrained beyond noise')}), at or above a random policy of the same "
            f"betting rate in {c(f'{w} >= {w}_random (final equity)')} (beyond noise in "
            f"{c(f'{w} > {w}_random beyond noise')})."
        )
    clv = spread([_number(s["strategies"].get("prematch", {}).get("clv_mean")) for s in seeds])
    if clv["n"]:
        lines.append(
            f"prematch: mean CLV {clv['mean']:+.2%} across seeds (std {clv['std']:.2%}); positive in "
            f"{c('prematch clv_mean > 0')} seeds, its bootstrap interval above 0 in "
            f"{c('prematch clv interval above 0')}."
        )
    else:
        lines.append("prematch: no bets with a closing line in any seed, so no CLV.")
    trained = spread([_number(s["strategies"].get("prematch_ungated", {}).get("clv_mean")) for s in seeds])
    if trained["n"] and clv["n"] < trained["n"]:  # the worker abstained in some seeds: its trained policy's CLV
        lines.append(
            f"prematch's trained policy, deployed or not (prematch_ungated): mean CLV {trained['mean']:+.2%} across "
            f"seeds (std {trained['std']:.2%}); positive in {c('prematch_ungated clv_mean > 0')} seeds, its "
            f"bootstrap interval above 0 in {c('prematch_ungated clv interval above 0')}."
        )
    lines.append(
        f"hrl: max drawdown within {MAX_DRAWDOWN_LIMIT:.0%} in {c(f'hrl max_drawdown <= {MAX_DRAWDOWN_LIMIT:.0%}')} "
        "seeds."
    )
    edges = []
    for agent in ("live", "prematch", "hrl"):
        beaten = [
            k.split(" > ")[1].removesuffix(" beyond noise")
            for k, v in counts.items()
            if k.startswith(f"{agent} > ")
            and not k.startswith(f"{agent} > {agent}_")
            and v["of"]
            and v["seeds"] * 2 > v["of"]
        ]
        if beaten:
            edges.append(f"{agent} (beats {', '.join(beaten)} beyond noise in most seeds)")
    if edges:
        lines.append(f"Overall: an edge shown on the unseen seasons by {'; '.join(edges)}.")
    else:
        lines.append(
            "Overall: no agent beat a baseline beyond bootstrap noise in a majority of seeds on the unseen seasons."
        )
    return lines


def gather_seeds(seeds: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The evaluation JSON of several seeds (see the module docstring); seeds sorted by number."""
    from betfolio.agents.evaluation import BASELINES

    if not seeds:
        raise ValueError("no seed results to gather")
    seeds = sorted(seeds, key=lambda s: s["seed"])
    names = list(dict.fromkeys(n for s in seeds for n in s["strategies"]))
    strategies = {n: mean_row([s["strategies"][n] for s in seeds if n in s["strategies"]]) for n in names}
    counts = comparisons(seeds, [b for b in BASELINES if b != "no_bet"])
    first = seeds[0]
    settings = {k: v for k, v in first.get("settings", {}).items() if k != "seed"}
    return {
        "train_seasons": first.get("train_seasons"),
        "eval_seasons": first.get("eval_seasons"),
        "leagues": first.get("leagues"),
        "settings": settings,
        "seeds": [s["seed"] for s in seeds],
        "strategies": strategies,
        "spread": {n: strategy_spread(n, seeds) for n in names},
        "comparisons": counts,
        "deployments": deployments(seeds),
        "verdict": seed_verdict(seeds, counts),
        "per_seed": [{k: s.get(k) for k in PER_SEED_KEYS} for s in seeds],
    }
