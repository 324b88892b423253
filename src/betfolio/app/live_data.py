"""What the Live page shows: the latest state of each live or replayed match, its timeline and momentum.

Reads ``live_states`` (written by the live service and by replays) — the same rows whether the match is live
or replayed, so the monitor cannot drift from what the agents saw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection

from betfolio.canonical import statistics as st
from betfolio.store.live_queries import live_state_counts
from betfolio.store.queries import latest_live_states, matches_by_ids, provider_statuses

#: The monitor lists at most this many (match, provider) series, the most recently observed first.
MAX_SERIES = 500

#: The mission's alert threshold: data older than this is highlighted.
STALE_AFTER_SECONDS = 30.0
#: A state observed within this window of "now" is treated as live: its age keeps adding to its staleness.
LIVE_WINDOW = timedelta(hours=3)
#: Momentum = weighted new attacking events per side over the last ``MOMENTUM_WINDOW`` minutes (home − away).
#: Shots on target weigh most, then xG, then shots and corners; dangerous attacks are frequent and weak.
MOMENTUM_WEIGHTS: Mapping[str, float] = {
    st.SHOTS_ON_TARGET: 1.0,
    st.EXPECTED_GOALS: 2.0,
    st.SHOTS: 0.4,
    st.CORNERS: 0.3,
    st.DANGEROUS_ATTACKS: 0.05,
}
MOMENTUM_WINDOW = 10


@dataclass(frozen=True, slots=True)
class LiveSummary:
    match_id: int
    provider: str
    league: str
    home_team: str
    away_team: str
    minute: int
    home_goals: int
    away_goals: int
    status: str
    observed_at: datetime
    staleness: float
    states: int
    circuit_state: str | None

    @property
    def stale(self) -> bool:
        return self.staleness > STALE_AFTER_SECONDS

    @property
    def is_live(self) -> bool:
        return self.status == "in_play"


def effective_staleness(reported: float, observed_at: datetime, status: str, now: datetime) -> float:
    """Reported staleness, plus the state's age when the match is being followed live right now.

    A replayed match keeps the staleness it was recorded with; a live one that stopped updating grows stale
    by the wall clock — which is exactly what a dead feed looks like.
    """
    if status == "in_play" and timedelta(0) <= now - observed_at <= LIVE_WINDOW:
        return reported + (now - observed_at).total_seconds()
    return reported


def live_overview(conn: Connection, now: datetime) -> list[LiveSummary]:
    latest = latest_live_states(conn, limit=MAX_SERIES)
    if not latest:
        return []
    ids = [r["match_id"] for r in latest]
    teams = matches_by_ids(conn, ids)
    counts = live_state_counts(conn, ids)
    circuits = {row["provider"]: row["circuit_state"] for row in provider_statuses(conn)}
    out = []
    for r in latest:
        m = teams.get(r["match_id"])
        if m is None:
            continue
        out.append(
            LiveSummary(
                r["match_id"],
                r["provider"],
                m["league"],
                m["home_team"],
                m["away_team"],
                r["minute"],
                r["home_goals"],
                r["away_goals"],
                r["status"],
                r["observed_at"],
                effective_staleness(r["data_staleness"], r["observed_at"], r["status"], now),
                counts.get((r["match_id"], r["provider"]), 1),
                circuits.get(r["provider"]),
            )
        )
    # Live first, then the most recently observed.
    out.sort(key=lambda s: (not s.is_live, -s.observed_at.timestamp()))
    return out


@dataclass(frozen=True, slots=True)
class Momentum:
    minutes: np.ndarray
    pressure: np.ndarray  # per state: weighted new events, home − away
    rolling: np.ndarray  # sum of ``pressure`` over the last MOMENTUM_WINDOW minutes
    stats_used: tuple[str, ...]


def momentum(states: Sequence[Mapping[str, Any]]) -> Momentum | None:
    """Momentum from cumulative per-side statistics; None when the feed carries none of them.

    Only statistics the feed delivered are used (a missing statistic is skipped, never read as 0); a total that
    goes down (a provider correction) contributes nothing rather than negative pressure.
    """
    if not states:
        return None
    used = tuple(
        s
        for s in MOMENTUM_WEIGHTS
        if any(s in (state["statistics"] or {}).get(side, {}) for state in states for side in ("home", "away"))
    )
    if not used:
        return None
    minutes = np.array([state["minute"] for state in states], dtype=float)
    totals = np.zeros((len(states), 2))
    last = {("home", s): 0.0 for s in used} | {("away", s): 0.0 for s in used}
    for i, state in enumerate(states):
        stats = state["statistics"] or {}
        for j, side in enumerate(("home", "away")):
            side_stats = stats.get(side, {}) or {}
            for s in used:
                if s in side_stats and side_stats[s] is not None:
                    last[(side, s)] = max(last[(side, s)], float(side_stats[s]))
                totals[i, j] += MOMENTUM_WEIGHTS[s] * last[(side, s)]
    increments = np.diff(totals, axis=0, prepend=np.zeros((1, 2)))
    pressure = increments[:, 0] - increments[:, 1]
    rolling = np.array([pressure[(minutes > m - MOMENTUM_WINDOW) & (minutes <= m)].sum() for m in minutes])
    return Momentum(minutes, pressure, rolling, used)
