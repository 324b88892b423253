"""Minute-by-minute replay timelines and their modelled in-play prices, for a whole set of matches at once.

For a match with real minute-level data (``live_states``) the timeline *is* that data: each minute shows the
latest delivered state, with the provider's own staleness growing while no new state arrived, and the episode is
truncated where the data ends. Every other match gets a synthetic timeline that is **consistent with every
stored fact**:

* goals: the half-time score's goals fall in minutes 1–45 and the rest in 46–90 (anywhere in 1–90 when the
  half-time score is unknown), so the replay passes through the real HT and FT scores;
* each statistic's per-side total (shots, shots on target, corners, fouls, cards, xG, dangerous attacks) is
  reached exactly at minute 90, and nesting is kept where the data allows it: goals ⊆ shots on target ⊆ shots
  (own goals and inconsistent source totals fall back to each statistic keeping its own total);
* minute placement follows within-match profiles (goals rise through the match, cards come late, stoppage
  time sits in minutes 45 and 90; shots, corners and dangerous attacks come in per-side spells of pressure
  drawn around their profile) and is seeded: the same seed gives the same timelines.

``n_variants`` different draws per match give an agent different paths to the same facts. Prices, suspension
windows, the second of each minute's first event (for the acceptance delay) and a rolling market volatility are
computed here too, so the step loop only gathers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from betfolio.canonical import statistics as st
from betfolio.engine.book import BookConfig
from betfolio.features.live import LIVE_BETS, MATCH_STATS
from betfolio.markets.settlement import settle_fractions_with_status
from betfolio.models.inplay import (
    GOAL_WEIGHTS,
    MINUTES,
    REMAINING,
    implied_intensities,
    offered_odds,
    outcome_probabilities,
    remaining_intensities,
)
from betfolio.sim.episodes import LiveTrack, MatchSet

T = MINUTES + 1  # states at minutes 0 (kick-off) … 90 (full time)
N_STATE = 2 + 2 * len(MATCH_STATS)  # goals + per-side statistics, in LIVE_FEATURES[STATE_SLICE] order
_S = {name: i for i, name in enumerate(MATCH_STATS)}


def _col(side: int, name: str) -> int:
    """Column of ``name`` for side 0 (home) / 1 (away) in the state block."""
    return 2 + 2 * _S[name] + side


def _profile(slope: float, stoppage: float = 1.6) -> np.ndarray:
    w = 1.0 + slope * np.arange(MINUTES) / (MINUTES - 1)
    w[[44, 89]] *= stoppage
    return w / w.sum()


SHOT_WEIGHTS = _profile(0.2)
#: Concentration of the per-match, per-side "pressure" profile around SHOT_WEIGHTS (Dirichlet): lower values give
#: burstier spells of attacking statistics. Goals keep the fixed profile the in-play book prices with, so the
#: spells add realistic texture without handing the agent an edge the modelled book cannot see.
PRESSURE_CONCENTRATION = 150.0
CARD_WEIGHTS = _profile(2.0)
FLAT_WEIGHTS = _profile(0.0)
VOLATILITY_WINDOW = 10


@dataclass
class TimelineBank:
    """Arrays indexed ``[match, variant, minute, …]`` (minute 0…90)."""

    matches: MatchSet
    values: np.ndarray  # float32 [M, V, T, N_STATE] raw cumulative values
    present: np.ndarray  # bool [M, V, T, N_STATE]
    fair: np.ndarray  # float32 [M, V, T, 5] full-time outcome probabilities
    odds: np.ndarray  # float32 [M, V, T, 5] offered decimal odds, NaN = not offered or suspended
    suspended: np.ndarray  # bool [M, V, T]
    event_second: np.ndarray  # float32 [M, V, T] second of the first goal/red card in that minute (60 = none)
    volatility: np.ndarray  # float32 [M, V, T] rolling std of home log-odds changes × √90
    base_staleness: np.ndarray  # float32 [M, V, T] provider staleness in the source data (0 when synthetic)
    last_minute: np.ndarray  # int64 [M] last minute with data (90 = complete)
    won: np.ndarray  # bool [M, 5] which live selection wins at full time
    prematch: np.ndarray  # float32 [M, 3] margin-free pre-match probabilities
    intensities: np.ndarray  # float64 [M, 2] full-match Poisson intensities implied by the pre-match prices
    book: BookConfig
    seed: int

    @property
    def n_matches(self) -> int:
        return self.values.shape[0]

    @property
    def n_variants(self) -> int:
        return self.values.shape[1]

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, n).nbytes for n in ("values", "present", "fair", "odds", "suspended",
                                                     "event_second", "volatility", "base_staleness"))  # fmt: skip


def _spread(rng: np.random.Generator, totals: np.ndarray, weights: np.ndarray, n_variants: int) -> np.ndarray:
    """Per-minute counts ``[M, V, 90]`` summing to ``totals [M]`` for every variant (weights ``[90]`` or
    ``[M, V, 90]``)."""
    n = np.broadcast_to(np.maximum(totals, 0).astype(np.int64)[:, None], (len(totals), n_variants))
    return rng.multinomial(n, weights)


def _nested(rng: np.random.Generator, inner: np.ndarray, total: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Counts for a statistic containing ``inner`` (e.g. shots ⊇ shots on target) and summing to ``total``."""
    inner_total = inner.sum(axis=-1)
    extra = np.maximum(total[:, None] - inner_total, 0).astype(np.int64)
    nested = inner + rng.multinomial(extra, weights)
    independent = rng.multinomial(np.broadcast_to(total[:, None], inner_total.shape).astype(np.int64), weights)
    ok = (total[:, None] >= inner_total)[..., None]
    return np.where(ok, nested, independent)


def _synthetic(ms: MatchSet, rng: np.random.Generator, n_variants: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-minute increments ``[M, V, 90, N_STATE]`` and presence ``[M, N_STATE]``."""
    m = len(ms)
    inc = np.zeros((m, n_variants, MINUTES, N_STATE), dtype=np.float64)
    present = np.zeros((m, N_STATE), dtype=bool)
    present[:, :2] = True
    first, second = GOAL_WEIGHTS[:45] / GOAL_WEIGHTS[:45].sum(), GOAL_WEIGHTS[45:] / GOAL_WEIGHTS[45:].sum()
    known_ht = ms.half_time[:, 0] >= 0
    totals = np.nan_to_num(ms.stat_totals, nan=0.0)
    known = np.isfinite(ms.stat_totals)  # copied: event-derived card counts may add to it
    # Real event minutes (API-Football events) replace the drawn placement of goals and cards.
    ev_rows = np.array(sorted(ms.events), dtype=np.int64)
    ev_goal_rows = np.array([r for r in ev_rows if ms.events[r].goals is not None], dtype=np.int64)
    for k in range(2):
        ft, ht = ms.full_time[:, k], ms.half_time[:, k]
        goals = np.concatenate(
            [_spread(rng, np.where(known_ht, ht, 0), first, n_variants),
             _spread(rng, np.where(known_ht, ft - ht, 0), second, n_variants)], axis=-1,
        ) + _spread(rng, np.where(known_ht, 0, ft), GOAL_WEIGHTS, n_variants)  # fmt: skip
        if ev_goal_rows.size:
            goals[ev_goal_rows] = np.stack([ms.events[r].goals[k] for r in ev_goal_rows])[:, None, :]
        inc[..., k] = goals
        sot_total = np.rint(totals[:, _S[st.SHOTS_ON_TARGET], k])
        shots_total = np.rint(totals[:, _S[st.SHOTS], k])
        # Attacking statistics come in spells: a Dirichlet draw around the shot profile per match, variant, side.
        pressure = rng.dirichlet(PRESSURE_CONCENTRATION * SHOT_WEIGHTS, size=(m, n_variants))
        pressure /= pressure.sum(-1, keepdims=True)
        sot = _nested(rng, goals, sot_total, pressure)
        has_sot = known[:, _S[st.SHOTS_ON_TARGET], k]
        shots = _nested(rng, np.where(has_sot[:, None, None], sot, goals), shots_total, pressure)
        inc[..., _col(k, st.SHOTS_ON_TARGET)] = sot
        inc[..., _col(k, st.SHOTS)] = shots
        for name, weights in ((st.CORNERS, pressure), (st.FOULS, FLAT_WEIGHTS), (st.YELLOW_CARDS, CARD_WEIGHTS),
                              (st.RED_CARDS, CARD_WEIGHTS), (st.DANGEROUS_ATTACKS, pressure)):  # fmt: skip
            inc[..., _col(k, name)] = _spread(rng, np.rint(totals[:, _S[name], k]), weights, n_variants)
            if name in (st.RED_CARDS, st.YELLOW_CARDS) and ev_rows.size:
                real = np.stack([getattr(ms.events[r], name)[k] for r in ev_rows])  # [rows, 90]
                stored = totals[ev_rows, _S[name], k]
                # events agree with the stored total, or no total is stored: the event minutes are the facts
                use = ~known[ev_rows, _S[name], k] | (real.sum(1) == stored)
                inc[ev_rows[use], :, :, _col(k, name)] = real[use][:, None, :]
                known[ev_rows[use], _S[name], k] = True
        # xG is continuous: it accrues with the shots (or evenly when shots are unknown or zero).
        xg_total = totals[:, _S[st.EXPECTED_GOALS], k]
        shot_share = shots / np.maximum(shots.sum(-1, keepdims=True), 1)
        has_shots = (shots.sum(-1, keepdims=True) > 0) & known[:, _S[st.SHOTS], k][:, None, None]
        share = np.where(has_shots, shot_share, pressure)
        inc[..., _col(k, st.EXPECTED_GOALS)] = xg_total[:, None, None] * share
        for name in MATCH_STATS:
            present[:, _col(k, name)] = known[:, _S[name], k]
    inc[..., 2:] *= present[:, None, None, 2:]
    return inc, present


def _first_event_second(rng: np.random.Generator, events: np.ndarray) -> np.ndarray:
    """Second of the earliest of ``events`` uniform arrivals within a minute (60 where none): 60·(1 − U^{1/k})."""
    u = rng.random(events.shape)
    with np.errstate(divide="ignore"):
        sec = 60.0 * (1.0 - u ** (1.0 / np.maximum(events, 1)))
    return np.where(events > 0, sec, 60.0)


def build_bank(
    ms: MatchSet, *, n_variants: int = 2, seed: int = 0, book: BookConfig | None = None, chunk: int = 16_384
) -> TimelineBank:
    """Timelines, prices and suspension windows for every match in ``ms`` (vectorised, seeded)."""
    if len(ms) == 0:
        raise ValueError("no matches to build timelines from")
    if n_variants < 1:
        raise ValueError("n_variants must be ≥ 1")
    book = book or BookConfig()
    rng = np.random.default_rng(seed)
    m = len(ms)
    inc, present_m = _synthetic(ms, rng, n_variants)
    values = np.zeros((m, n_variants, T, N_STATE), dtype=np.float64)
    np.cumsum(inc, axis=2, out=values[:, :, 1:])
    present = np.broadcast_to(present_m[:, None, None, :], values.shape).copy()
    red = 2 + 2 * _S[st.RED_CARDS]
    events = inc[..., 0] + inc[..., 1] + inc[..., red] + inc[..., red + 1]  # [M, V, 90]
    base_staleness = np.zeros((m, n_variants, T), dtype=np.float32)
    last_minute = np.full(m, MINUTES, dtype=np.int64)
    for row, track in ms.live.items():  # real minute-level data replaces the synthetic path
        values[row], present[row], base_staleness[row], events[row], last_minute[row] = _from_track(track, n_variants)

    event_second = np.full((m, n_variants, T), 60.0, dtype=np.float32)
    event_second[:, :, 1:] = _first_event_second(rng, events)
    happened = np.zeros((m, n_variants, T), dtype=bool)
    happened[:, :, 1:] = events > 0
    suspended = happened.copy()
    for lag in range(1, book.suspend_minutes):
        suspended[:, :, lag:] |= happened[:, :, :-lag]
    suspended[:, :, MINUTES] = True  # full time: the market is closed
    suspended |= np.arange(T)[None, None, :] >= last_minute[:, None, None]

    lam_h, lam_a = implied_intensities(ms.prematch_fair, ms.fair_over)
    minutes = np.broadcast_to(np.arange(T)[None, None, :], (m, n_variants, T))
    reds = np.where(present[..., red], values[..., red], 0.0), np.where(present[..., red + 1], values[..., red + 1], 0)
    mu_h, mu_a = remaining_intensities(lam_h[:, None, None], lam_a[:, None, None], minutes, reds[0], reds[1])
    flat = [x.reshape(-1) for x in (mu_h, mu_a, values[..., 0], values[..., 1])]
    fair = np.empty((flat[0].size, 5))
    for start in range(0, flat[0].size, chunk):
        sl = slice(start, start + chunk)
        fair[sl] = outcome_probabilities(flat[0][sl], flat[1][sl], flat[2][sl], flat[3][sl])
    fair = fair.reshape(m, n_variants, T, 5)
    # Independent Poisson goals cannot match a 1X2 and a totals price exactly (draws are under-priced); the
    # market's residual view is kept at kick-off and fades with the share of the match still to play, so
    # minute 0 reproduces the pre-match probabilities and full time the result.
    tilt = (ms.prematch_fair / np.maximum(fair[:, 0, 0, :3], 1e-9))[:, None, None, :] ** REMAINING[None, None, :, None]
    tilted = fair[..., :3] * tilt
    fair[..., :3] = tilted / tilted.sum(-1, keepdims=True)
    odds = offered_odds(fair, book.margin, book.min_probability)
    odds[suspended] = np.nan

    ph = np.clip(fair[..., 0], 0.005, 0.995)
    dx = np.diff(np.log(ph / (1 - ph)), axis=2, prepend=np.log(ph[..., :1] / (1 - ph[..., :1])))
    c1 = np.cumsum(dx, axis=2)
    c2 = np.cumsum(dx * dx, axis=2)
    w = VOLATILITY_WINDOW
    s1 = c1 - np.concatenate([np.zeros((m, n_variants, w)), c1[:, :, :-w]], axis=2)
    s2 = c2 - np.concatenate([np.zeros((m, n_variants, w)), c2[:, :, :-w]], axis=2)
    count = np.minimum(np.arange(1, T + 1), w)[None, None, :]
    vol = np.sqrt(np.maximum(s2 / count - (s1 / count) ** 2, 0.0)) * np.sqrt(MINUTES)

    won = live_wins(ms.full_time)
    return TimelineBank(
        matches=ms,
        values=values.astype(np.float32),
        present=present,
        fair=fair.astype(np.float32),
        odds=odds.astype(np.float32),
        suspended=suspended,
        event_second=event_second,
        volatility=vol.astype(np.float32),
        base_staleness=base_staleness,
        last_minute=last_minute,
        won=won,
        prematch=ms.prematch_fair.astype(np.float32),
        intensities=np.stack([lam_h, lam_a], 1),
        book=book,
        seed=seed,
    )


def live_wins(full_time: np.ndarray) -> np.ndarray:
    """Which live selection wins (bool ``[M, 5]``) on each final score, settled by :mod:`betfolio.markets`."""
    markets, selections, lines = zip(*LIVE_BETS, strict=True)
    line = np.array([np.nan if x is None else x for x in lines])
    win, _refund = settle_fractions_with_status(
        np.array(markets)[None, :], np.array(selections)[None, :], line[None, :], full_time[:, :1], full_time[:, 1:]
    )
    return win == 1.0


def _from_track(track: LiveTrack, n_variants: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Timeline arrays (values, presence, staleness, events per minute, last minute) from real minute states."""
    minutes = np.arange(T)
    row = np.searchsorted(track.minutes, minutes, side="right") - 1  # latest state at or before each minute
    seen = row >= 0
    r = np.maximum(row, 0)
    vals = np.zeros((T, N_STATE))
    pres = np.zeros((T, N_STATE), dtype=bool)
    vals[:, :2] = np.where(seen[:, None], track.goals[r], 0)
    pres[:, :2] = True
    stats = track.stats[r].reshape(T, -1)  # [T, S*2] in (stat, side) order = LIVE_FEATURES order
    ok = np.isfinite(stats) & seen[:, None]
    vals[:, 2:] = np.where(ok, stats, 0.0)
    pres[:, 2:] = ok
    stale = np.where(seen, track.staleness[r] + 60.0 * (minutes - track.minutes[r]), 0.0)
    goals_inc = np.diff(vals[:, 0] + vals[:, 1])
    red = 2 + 2 * _S[st.RED_CARDS]
    red_inc = np.diff(vals[:, red] + vals[:, red + 1])
    events = np.maximum(goals_inc, 0) + np.maximum(red_inc, 0)
    last = MINUTES if track.finished else int(min(MINUTES, track.minutes.max()))
    rep = lambda a: np.broadcast_to(a, (n_variants, *a.shape))  # noqa: E731
    return rep(vals), rep(pres), rep(stale.astype(np.float32)), rep(events), last
