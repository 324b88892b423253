"""The simulator stage of `betfolio demo`: replay every stored match in-play under simple policies.

Shows what the simulator does on real data — episodes built from the store (with exclusions counted), modelled
in-play prices, suspensions, acceptance delay, faults and the shared risk rules — and how the three rewards
rank the same trajectories (the mission's guarded formula, log-wealth growth, differential Sharpe). The
policies are baselines for orientation, not strategies: they only read the observation, as an agent would.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from betfolio.engine.book import BetReject
from betfolio.features.live import LIVE_ACTIONS, feature_index, observation_layout
from betfolio.sim.batched import BatchedLiveSim
from betfolio.sim.reward import REWARD_NAMES
from betfolio.sim.timeline import MINUTES, TimelineBank

Policy = Callable[[int, np.ndarray, np.ndarray, np.random.Generator], np.ndarray]
_LAYOUT = observation_layout()
_PRE = [feature_index(f"prematch_{s}") for s in ("home", "draw", "away")]
_HOME, _AWAY = feature_index("home_goals"), feature_index("away_goals")


def _no_bet(minute: int, obs: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.zeros(len(obs), np.int64)


def _favourite_at_kickoff(minute: int, obs: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Back the pre-match favourite once, at kick-off."""
    if minute != 0:
        return np.zeros(len(obs), np.int64)
    action = obs[:, _PRE].argmax(1) + 1
    return np.where(mask[np.arange(len(obs)), action], action, 0)


def _late_leader(minute: int, obs: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Back the side leading at the 75th minute (as observed — possibly stale)."""
    if minute != 75:
        return np.zeros(len(obs), np.int64)
    values = obs[:, _LAYOUT.values]
    action = np.where(values[:, _HOME] > values[:, _AWAY], 1, np.where(values[:, _AWAY] > values[:, _HOME], 3, 0))
    return np.where(mask[np.arange(len(obs)), action], action, 0)


def _random(minute: int, obs: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random allowed back action on 5 % of minutes."""
    choice = (rng.random(mask.shape) * mask).argmax(1)
    return np.where(rng.random(len(obs)) < 0.05, choice, 0)


POLICIES: dict[str, Policy] = {
    "no bet": _no_bet,
    "favourite 0'": _favourite_at_kickoff,
    "leader 75'": _late_leader,
    "random 5%": _random,
}


def evaluate_policies(bank: TimelineBank, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Every policy over every match of ``bank`` (variant 0), once per reward; JSON-ready results per policy.

    A match whose data ends early (an in-play track recorded mid-match) ends before the others, and a simulator
    without auto-reset stops at its first ended episode; so each group of matches of one length is replayed on its
    own simulator and the groups' figures are pooled (one group, the usual case, is one replay as before)."""
    groups = [np.flatnonzero(bank.last_minute == last) for last in np.unique(bank.last_minute)]
    results: dict[str, dict[str, Any]] = {}
    for name, policy in POLICIES.items():
        entry: dict[str, Any] = {"returns": {}}
        for reward in REWARD_NAMES:  # the same seed gives the same trajectory under every reward
            rng = np.random.default_rng(seed)
            staked = attempts = rejected = 0.0
            totals: list[np.ndarray] = []
            equity: list[np.ndarray] = []
            bets: list[np.ndarray] = []
            for rows in groups:
                sim = BatchedLiveSim(len(rows), seed=seed, bank=bank, reward=reward, autoreset=False)
                obs, mask = sim.reset_to(rows, seed=seed)
                total = np.zeros(len(rows))
                info: dict[str, Any] = {}
                for minute in range(MINUTES):
                    action = policy(minute, obs, mask, rng)
                    obs, r, terminated, truncated, mask, info = sim.step(action)
                    total += r
                    staked += float(info["stake"].sum())
                    attempts += float((action != 0).sum())
                    rejected += float((info["reject_reason"] != BetReject.NONE).sum())
                    if (terminated | truncated).all():
                        break
                totals.append(total)
                equity.append(info["equity"])
                bets.append(sim.episode.bets.copy())
            final = np.concatenate(equity)
            entry["returns"][reward] = float(np.concatenate(totals).mean())
            payout = float(final.sum() - len(final) + staked)  # equity = 1 − stakes + payouts per match
            entry.update(
                {
                    "matches": len(final),
                    "bets_per_match": float(np.concatenate(bets).mean()),
                    "rejected_share": rejected / attempts if attempts else 0.0,
                    "turnover": staked,
                    "roi": (payout - staked) / staked if staked else 0.0,
                    "mean_log_growth": float(np.log(final).mean()),
                }
            )
        results[name] = entry
    return results


def _table(results: dict[str, dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    headers = {"mission": "mission", "log_wealth": "log-W", "diff_sharpe": "dSharpe"}
    for column in ("policy", "bets", "rej.", "ROI", "log-g", *(headers[k] for k in REWARD_NAMES)):
        table.add_column(column, justify="left" if column == "policy" else "right", no_wrap=True)
    for name, r in results.items():
        table.add_row(
            name,
            f"{r['bets_per_match']:.2f}",
            f"{r['rejected_share']:.1%}",
            f"{r['roi']:+.1%}" if r["turnover"] else "—",
            f"{r['mean_log_growth']:+.4f}",
            *(f"{r['returns'][k]:+.3f}" for k in REWARD_NAMES),
        )
    return table


def run_demo_sim(engine: Engine, console: Console, report_dir: Path) -> dict[str, Any]:
    """Load episodes from ``engine``, build timelines, replay them under the baseline policies; print and save.

    Returns the JSON-ready summary (also written to ``report_dir/sim/results.json``).
    """
    from betfolio.sim.episodes import load_matchset
    from betfolio.sim.timeline import build_bank

    started = time.perf_counter()
    try:
        matches = load_matchset(engine)
    except ValueError as exc:
        console.print(f"[yellow]simulator skipped: {exc}[/yellow]")
        return {"skipped": str(exc)}
    summary = matches.summary()
    console.print(
        f"simulator: {summary['matches']} replayable matches, {summary['excluded']} excluded "
        f"{summary['excluded_by_reason'] or ''} — live odds are modelled from pre-match prices, not historical"
    )
    bank = build_bank(matches, n_variants=1, seed=0)
    results = evaluate_policies(bank)
    console.print(_table(results, "In-play replay, per match (default faults)"))
    console.print(
        "bets and log growth (log-g) per match, rej. = share of bet requests refused; mission / log-W (log-wealth) /"
        " dSharpe (differential Sharpe) = mean episode return under each reward"
    )
    payload = {
        "episodes": summary,
        "actions": list(LIVE_ACTIONS),
        "policies": results,
        "seconds": round(time.perf_counter() - started, 2),
    }
    out = report_dir / "sim"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(payload, indent=2, default=str))
    return payload
