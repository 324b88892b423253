"""Replay stored matches on the Live page through the simulator's own tapes.

``betfolio.sim`` builds each match's minute-by-minute timeline (consistent with every stored fact, or the real
``live_states`` series when there is one) and lays it out as the live agent observes it — with feed latency,
outages and coverage loss drawn from ``FaultConfig``. The monitor decodes those tapes back into states, so a
replay shows exactly what an agent would have seen: a statistic the feed lost is absent (masked), and an outage
repeats the last valid state with its staleness growing. Replays stay in memory: they are simulations and must
never be mistaken for delivered live data in ``live_states``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine

from betfolio.app.task_runner import TaskControl

REPLAY_PROVIDER = "replay (simulated)"


@dataclass(frozen=True, slots=True)
class AgentDecision:
    """A bet the live agent placed during a replay (stake as a fraction of the match budget)."""

    minute: int
    selection: str
    stake: float
    odds: float
    payout: float


@dataclass
class ReplayMatch:
    match_id: int
    league: str
    home_team: str
    away_team: str
    kickoff: datetime
    states: list[dict[str, Any]]  # one per minute 0…last, as observed (with faults)
    live_odds: np.ndarray  # [T, 5] the book's offered odds (home, draw, away, over 2.5, under 2.5), NaN = none
    outage: np.ndarray  # bool [T]: the observed state lags the true minute (provider down)
    decisions: list[AgentDecision] = field(default_factory=list)
    agent: str | None = None

    @property
    def last_minute(self) -> int:
        return len(self.states) - 1


def replay_available() -> bool:
    try:
        from betfolio.sim.batched import Tapes, write_tapes  # noqa: F401
        from betfolio.sim.episodes import load_matchset  # noqa: F401
        from betfolio.sim.timeline import build_bank  # noqa: F401
    except ImportError:
        return False
    return True


def live_agent_checkpoints() -> list[Path]:
    """Trained live-agent checkpoints of ``betfolio train`` runs (``<data dir>/agents/<run>/live*.pt``)."""
    from betfolio.store.engine import data_dir

    root = data_dir() / "agents"
    if not root.is_dir():
        return []
    return sorted(root.glob("*/live*.pt"), key=lambda p: p.stat().st_mtime, reverse=True)


def _agent_decisions(checkpoint: Path, bank: Any, seed: int) -> list[list[AgentDecision]]:
    """The agent's bets per match row, from the agents package's own evaluation replay (``replay_bank``)."""
    from betfolio.agents.live.layout import live_layout
    from betfolio.agents.live.ppo import load_live_network
    from betfolio.agents.live.replay import replay_bank

    network, _config = load_live_network(checkpoint, live_layout())  # refuses another feature set
    result = replay_bank(network, bank, seed=seed)
    per_match: list[list[AgentDecision]] = [[] for _ in range(bank.n_matches)]
    for bet in result.bets:
        per_match[bet.match_row].append(AgentDecision(bet.minute, bet.selection, bet.stake, bet.odds, bet.payout))
    return per_match


def build_replay(
    engine: Engine,
    day: date,
    *,
    leagues: tuple[str, ...] = (),
    seed: int = 0,
    faults: bool = True,
    agent_checkpoint: Path | None = None,
    control: TaskControl | None = None,
) -> list[ReplayMatch]:
    """Tapes for every replayable match kicking off on ``day`` (UTC), with the simulator's fault model.

    With ``agent_checkpoint`` the trained live agent trades the same replay: its tapes are laid out exactly as
    ``agents.live.replay.replay_bank`` lays them out (the same seeded simulator reset to the same matches with
    ``BatchedLiveSim.reset_to``), so the decisions shown belong to the states shown.
    """
    from betfolio.features.live import LIVE_FEATURES, MATCH_STATS, N_FEATURES, SCALE_VECTOR
    from betfolio.sim.batched import BatchedLiveSim, Tapes, write_tapes
    from betfolio.sim.episodes import load_matchset
    from betfolio.sim.faults import FaultConfig
    from betfolio.sim.timeline import build_bank

    if control is not None:
        control.progress(None, f"building timelines for {day:%Y-%m-%d}")
    ms = load_matchset(engine, leagues=leagues or None, date_from=day, date_to=day)
    if len(ms) == 0:
        reasons = ", ".join(f"{k}: {v}" for k, v in ms.exclusion_counts.items())
        raise ValueError(f"no replayable matches on {day:%Y-%m-%d}" + (f" ({reasons})" if reasons else ""))
    bank = build_bank(ms, n_variants=1, seed=seed)
    if control is not None:
        control.check()
    k = len(ms)
    rows = np.arange(k)
    decisions: list[list[AgentDecision]] = [[] for _ in range(k)]
    if agent_checkpoint is not None:
        if control is not None:
            control.progress(None, f"the live agent ({agent_checkpoint.parent.name}) is trading the replay…")
        decisions = _agent_decisions(agent_checkpoint, bank, seed)
        sim = BatchedLiveSim(k, seed=seed, bank=bank, autoreset=True)
        sim.reset_to(rows)
        tapes = sim.tapes
    else:
        tapes = Tapes.empty(k)
        config = FaultConfig() if faults else FaultConfig.none()
        write_tapes(tapes, rows, bank, rows, np.zeros(k, np.int64), config, np.random.default_rng(seed))
    index = {name: i for i, name in enumerate(LIVE_FEATURES)}
    out = []
    for m in range(k):
        values = tapes.core[m, :, :N_FEATURES] * SCALE_VECTOR
        mask = tapes.core[m, :, N_FEATURES : 2 * N_FEATURES] > 0.5
        kickoff = ms.kickoff[m].astype("datetime64[s]").astype(datetime).replace(tzinfo=UTC)
        last = int(tapes.last_minute[m])
        states = []
        previous_goals = (0, 0)
        for t in range(last + 1):
            stats: dict[str, dict[str, float]] = {"home": {}, "away": {}}
            for stat in MATCH_STATS:
                for side in ("home", "away"):
                    i = index[f"{side}_{stat}"]
                    if mask[t, i]:
                        stats[side][stat] = float(round(values[t, i], 3))
            goals = tuple(
                int(np.rint(values[t, index[f"{side}_goals"]]))
                if mask[t, index[f"{side}_goals"]]
                else previous_goals[j]
                for j, side in enumerate(("home", "away"))
            )
            previous_goals = goals
            states.append(
                {
                    "minute": t,
                    "home_goals": goals[0],
                    "away_goals": goals[1],
                    "statistics": stats,
                    "data_staleness": float(tapes.staleness[m, t]),
                    "status": "finished" if t == last else "in_play",
                    "observed_at": kickoff + timedelta(minutes=t),
                }
            )
        out.append(
            ReplayMatch(
                int(ms.match_id[m]),
                str(ms.league[m]),
                str(ms.home_team[m]),
                str(ms.away_team[m]),
                kickoff,
                states,
                tapes.odds[m].copy(),
                tapes.stale[m].copy(),
                decisions[m],
                agent_checkpoint.parent.name if agent_checkpoint is not None else None,
            )
        )
    out.sort(key=lambda r: (r.kickoff, r.home_team))
    return out
