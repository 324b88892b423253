"""What the Live page shows: the latest state of each live or replayed match, its timeline and momentum.

Reads ``live_states`` (written by the live service and by replays) — the same rows whether the match is live
or replayed, so the monitor cannot drift from what the agents saw — and, when Redis is configured, follows the
live stream itself: the poller's latest state of each fixture (what the paper trader is reading now) replaces
an older stored one. The paper-trading ledger's state is summarised from ``runs``/``bet_ledger``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection

from betfolio.canonical import LiveMatchState
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
    source: str = "store"  # "stream" when the latest state came from the live stream (Redis)

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


def stream_states(redis_url: str, prefix: str | None = None) -> list[LiveMatchState]:
    """The latest state of every fixture on every provider's live stream (the poller's latest-state hashes),
    its staleness aged to now."""
    import redis

    from betfolio.providers.live_bus import DEFAULT_PREFIX, LiveStateBus

    prefix = prefix or DEFAULT_PREFIX
    client = redis.Redis.from_url(redis_url, socket_timeout=2.0, socket_connect_timeout=2.0)
    try:
        bus = LiveStateBus(client, prefix=prefix)
        out: list[LiveMatchState] = []
        for provider in bus.providers():
            states, _unreadable = bus.latest(provider)
            out.extend(states)
        return out
    finally:
        client.close()


def _stream_rows(conn: Connection, stream: Sequence[LiveMatchState]) -> list[dict[str, Any]]:
    """Stream states as ``live_states``-like rows, for the fixtures the identity map knows."""
    from betfolio.store.identity import fixture_ids

    ids: dict[str, dict[str, int]] = {}
    rows = []
    for state in stream:
        known = ids.get(state.provider)
        if known is None:  # one identity-map read per provider, not per state
            known = ids[state.provider] = fixture_ids(conn, state.provider)
        canonical = known.get(state.provider_match_id)
        if canonical is None:
            continue
        rows.append({
            "match_id": canonical, "provider": state.provider, "minute": state.minute,
            "home_goals": state.home_goals, "away_goals": state.away_goals, "status": state.status.value,
            "observed_at": state.observed_at, "data_staleness": state.data_staleness, "source": "stream",
        })  # fmt: skip
    return rows


def live_overview(conn: Connection, now: datetime, stream: Sequence[LiveMatchState] = ()) -> list[LiveSummary]:
    """The latest state of each (match, provider): stored, or from the live stream when that one is newer."""
    latest = latest_live_states(conn, limit=MAX_SERIES)
    if stream:
        merged = {(r["match_id"], r["provider"]): r for r in latest}
        for row in _stream_rows(conn, stream):
            held = merged.get((row["match_id"], row["provider"]))
            if held is None or row["observed_at"] > held["observed_at"]:
                merged[(row["match_id"], row["provider"])] = row
        latest = list(merged.values())
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
                r["data_staleness"]
                if r.get("source") == "stream"  # already aged to now by the bus
                else effective_staleness(r["data_staleness"], r["observed_at"], r["status"], now),
                counts.get((r["match_id"], r["provider"]), 1),
                circuits.get(r["provider"]),
                r.get("source", "store"),
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


@dataclass(frozen=True, slots=True)
class PaperStatus:
    """The latest paper-trading run as its ledger stands: what the Live page shows beside the matches."""

    run_id: int
    name: str
    status: str
    bets: int
    open: int
    staked: float
    profit: float  # settled bets only

    def line(self) -> str:
        return (
            f"Paper trading: {self.name} ({self.status}) · {self.bets} bets, {self.open} open · "
            f"staked {self.staked:,.2f} · settled P&L {self.profit:+,.2f}"
        )


def paper_status(conn: Connection) -> PaperStatus | None:
    from betfolio.store.live_queries import latest_paper_run

    row = latest_paper_run(conn)
    if row is None:
        return None
    return PaperStatus(
        row["run_id"], row["name"], row["status"], row["bets"], row["open"], row["staked"], row["profit"]
    )
