"""What an agent sees each minute of a replayed (or live) match, and how the observation vector is laid out.

The live observation is ``[values(F), mask(F), staleness/300, extras(E)]``:

* ``values`` — :data:`LIVE_FEATURES` scaled by :data:`FEATURE_SCALES` so that typical magnitudes are ≈ 0…1
  (networks train badly on raw counts such as 600 passes next to a 0.4 probability). Missing values are 0.0.
* ``mask`` — 1.0 where the value is known, 0.0 where it is missing. "0 shots" and "shots unknown" differ only
  here, which is why the mask is always part of the observation (missing ≠ zero).
* ``staleness/300`` — seconds since the data was fresh divided by five minutes, as the mission prescribes.
* ``extras`` — the agent's own book (:data:`LIVE_EXTRAS`): cash, exposure and open positions per selection.

:func:`observation_layout` returns the slices so a model can split the vector into attention tokens
(one token per feature: value + mask) without hard-coding offsets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from betfolio.canonical import statistics as st
from betfolio.canonical.coverage import Coverage
from betfolio.canonical.features import STALENESS_SCALE_SECONDS
from betfolio.canonical.live import LiveMatchState

#: In-match statistics replayed minute by minute, per side (cumulative counts, xG as a running sum).
MATCH_STATS: tuple[str, ...] = (
    st.SHOTS,
    st.SHOTS_ON_TARGET,
    st.CORNERS,
    st.FOULS,
    st.YELLOW_CARDS,
    st.RED_CARDS,
    st.EXPECTED_GOALS,
    st.DANGEROUS_ATTACKS,
)

#: Selections of the modelled in-play book, in action order (action ``i + 1`` backs ``LIVE_SELECTIONS[i]``).
LIVE_SELECTIONS: tuple[str, ...] = ("home", "draw", "away", "over_2_5", "under_2_5")
#: Each live selection in the canonical vocabulary: (market, selection, line) — how it is settled and recorded.
LIVE_BETS: tuple[tuple[str, str, float | None], ...] = (
    ("1x2", "home", None),
    ("1x2", "draw", None),
    ("1x2", "away", None),
    ("total_goals", "over", 2.5),
    ("total_goals", "under", 2.5),
)

#: Per-minute feature names, in observation order.
LIVE_FEATURES: tuple[str, ...] = (
    "minute",
    "home_goals",
    "away_goals",
    *(f"{side}_{stat}" for stat in MATCH_STATS for side in ("home", "away")),
    "prematch_home",
    "prematch_draw",
    "prematch_away",
    *(f"live_{sel}" for sel in LIVE_SELECTIONS),
)

#: Divisors that bring each feature to roughly unit scale (documented, not learned: they must be identical
#: in training and live use).
_STAT_SCALES = {
    st.SHOTS: 20.0,
    st.SHOTS_ON_TARGET: 10.0,
    st.CORNERS: 10.0,
    st.FOULS: 20.0,
    st.YELLOW_CARDS: 5.0,
    st.RED_CARDS: 2.0,
    st.EXPECTED_GOALS: 3.0,
    st.DANGEROUS_ATTACKS: 100.0,
}
FEATURE_SCALES: dict[str, float] = {
    "minute": 90.0,
    "home_goals": 3.0,
    "away_goals": 3.0,
    **{f"{side}_{stat}": scale for stat, scale in _STAT_SCALES.items() for side in ("home", "away")},
    **{name: 1.0 for name in LIVE_FEATURES if name.startswith(("prematch_", "live_"))},
}

#: Index of the first and one-past-last in-match statistic (score and MATCH_STATS, per side) in LIVE_FEATURES.
STATE_SLICE = slice(1, 3 + 2 * len(MATCH_STATS))
PREMATCH_SLICE = slice(STATE_SLICE.stop, STATE_SLICE.stop + 3)
LIVE_ODDS_SLICE = slice(PREMATCH_SLICE.stop, PREMATCH_SLICE.stop + len(LIVE_SELECTIONS))

#: Feature groups that a provider delivers (or loses) together — the unit of coverage-loss faults.
FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    "clock_and_score": ("minute", "home_goals", "away_goals"),
    **{stat: (f"home_{stat}", f"away_{stat}") for stat in MATCH_STATS},
    "prematch_odds": ("prematch_home", "prematch_draw", "prematch_away"),
    "live_odds": tuple(f"live_{sel}" for sel in LIVE_SELECTIONS),
}

#: The agent's own book, appended after the staleness entry (all as fractions of the episode's initial budget).
LIVE_EXTRAS: tuple[str, ...] = (
    "cash_fraction",
    "exposure_fraction",
    *(f"position_{sel}" for sel in LIVE_SELECTIONS),  # potential payout if the selection wins
    # The worker's own record (the mission's last-10 win rate, which its performance bonus is paid on): the
    # share of its last ≤ 10 settled bets that won, and how many there are / 10 (0 = no record yet, not "lost").
    "recent_win_rate",
    "recent_bets",
    "halted",
)

#: Actions of the live environment: 0 = no bet, then one "back" action per selection.
LIVE_ACTIONS: tuple[str, ...] = ("no_bet", *(f"back_{sel}" for sel in LIVE_SELECTIONS))
N_LIVE_ACTIONS = len(LIVE_ACTIONS)

#: Where the worker's record sits among the extras (see :func:`record_features`).
RECORD_SLICE = slice(LIVE_EXTRAS.index("recent_win_rate"), LIVE_EXTRAS.index("recent_bets") + 1)


def record_features(win_rate: float | np.ndarray, bets: int | np.ndarray) -> np.ndarray:
    """``[…, 2]``: win rate over the last ≤ 10 bets (0 when there are none or it is NaN) and their count / 10."""
    rate = np.asarray(win_rate, dtype=np.float64)
    count = np.clip(np.asarray(bets, dtype=np.float64), 0.0, 10.0)
    rate = np.where(np.isfinite(rate) & (count > 0), np.clip(rate, 0.0, 1.0), 0.0)
    return np.stack(np.broadcast_arrays(rate, count / 10.0), axis=-1)


N_FEATURES = len(LIVE_FEATURES)
OBS_DIM = 2 * N_FEATURES + 1 + len(LIVE_EXTRAS)
SCALE_VECTOR = np.array([FEATURE_SCALES[name] for name in LIVE_FEATURES], dtype=np.float32)


@dataclass(frozen=True, slots=True)
class ObservationLayout:
    """Where each part of the live observation vector lives."""

    features: tuple[str, ...]
    extras: tuple[str, ...]
    values: slice
    mask: slice
    staleness: slice
    extra: slice
    dim: int

    def split(self, obs: np.ndarray) -> dict[str, np.ndarray]:
        """Views of ``obs[..., dim]`` per part (works on any leading batch shape)."""
        return {
            "values": obs[..., self.values],
            "mask": obs[..., self.mask],
            "staleness": obs[..., self.staleness],
            "extras": obs[..., self.extra],
        }


def observation_layout() -> ObservationLayout:
    """The live observation layout (see the module docstring)."""
    f = N_FEATURES
    return ObservationLayout(
        features=LIVE_FEATURES,
        extras=LIVE_EXTRAS,
        values=slice(0, f),
        mask=slice(f, 2 * f),
        staleness=slice(2 * f, 2 * f + 1),
        extra=slice(2 * f + 1, OBS_DIM),
        dim=OBS_DIM,
    )


def feature_index(name: str) -> int:
    try:
        return LIVE_FEATURES.index(name)
    except ValueError:
        raise KeyError(f"unknown live feature {name!r}; known: {', '.join(LIVE_FEATURES)}") from None


def group_of_features() -> np.ndarray:
    """Group id per feature (index into ``tuple(FEATURE_GROUPS)``), for vectorised coverage-loss masks."""
    ids = np.empty(N_FEATURES, dtype=np.int64)
    for g, names in enumerate(FEATURE_GROUPS.values()):
        for name in names:
            ids[feature_index(name)] = g
    return ids


def staleness_feature(seconds: np.ndarray | float) -> np.ndarray:
    """``staleness / 300`` with negative or non-finite input refused (staleness is a duration)."""
    arr = np.asarray(seconds, dtype=np.float64)
    if np.any(~np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError("staleness must be finite and ≥ 0 seconds")
    return arr / STALENESS_SCALE_SECONDS


#: Pre-match observation features (one decision per match).
# The pre-match layout is defined with its builder (betfolio.features.prematch).


def observation_from_state(
    state: LiveMatchState,
    prematch_fair: np.ndarray | tuple[float, float, float] | None,
    live_odds: np.ndarray | tuple[float, ...] | None = None,
    *,
    coverage: Coverage | None = None,
    cash_fraction: float = 1.0,
    exposure_fraction: float = 0.0,
    positions: np.ndarray | tuple[float, ...] | None = None,
    halted: bool = False,
    recent_win_rate: float = 0.0,
    recent_bets: int = 0,
) -> np.ndarray:
    """The live observation for a canonical :class:`LiveMatchState` — the same layout the simulator produces.

    This is how a trained agent reads a real feed: identical scaling, masks and staleness, so the policy sees
    live data exactly as it saw replays. ``live_odds`` are the book's current decimal odds per
    :data:`LIVE_SELECTIONS` (NaN or None = not offered); a statistic is present only if the state carries it and
    the league-season ``coverage`` (when given) declares it. Stoppage time counts as minute 90.
    (One state of :func:`observations_from_states`.)
    """
    return observations_from_states(
        [state],
        [prematch_fair],
        None if live_odds is None else np.asarray(live_odds, dtype=np.float64).reshape(1, -1),
        coverage=coverage,
        cash_fraction=cash_fraction,
        exposure_fraction=exposure_fraction,
        positions=None if positions is None else np.asarray(positions, dtype=np.float64).reshape(1, -1),
        halted=halted,
        recent_win_rate=recent_win_rate,
        recent_bets=recent_bets,
    )[0]


def observations_from_states(
    states: Sequence[LiveMatchState],
    prematch_fair: Sequence[np.ndarray | tuple[float, float, float] | None],
    live_odds: np.ndarray | None = None,
    *,
    coverage: Coverage | None = None,
    cash_fraction: float | np.ndarray = 1.0,
    exposure_fraction: float | np.ndarray = 0.0,
    positions: np.ndarray | None = None,
    halted: bool | np.ndarray = False,
    recent_win_rate: float | np.ndarray = 0.0,
    recent_bets: int | np.ndarray = 0,
) -> np.ndarray:
    """Observations ``[n, OBS_DIM]`` for ``n`` states at once (a live trader's batch of matches).

    ``prematch_fair`` has one entry per state (None = no pre-match prices); ``live_odds`` is ``[n, 5]``
    (NaN = not offered); the book extras broadcast per state. Only the statistics a state carries are visited in
    Python (a trader decides hundreds of matches per round, inside the feed-to-decision latency); the clock,
    score, pre-match prices, scaling, masks and staleness are numpy passes over the whole batch.
    """
    n = len(states)
    values = np.zeros((n, N_FEATURES), np.float64)
    mask = np.zeros((n, N_FEATURES), bool)
    allowed = (stat for stat in MATCH_STATS if coverage is None or coverage.has_statistic(stat))
    columns = {stat: 3 + 2 * MATCH_STATS.index(stat) for stat in allowed}  # first column of each (home, away)
    reds = columns.get(st.RED_CARDS)
    values[:, 0] = np.fromiter((min(state.minute, 90) for state in states), np.float64, n)
    values[:, 1] = np.fromiter((state.home_goals for state in states), np.float64, n)
    values[:, 2] = np.fromiter((state.away_goals for state in states), np.float64, n)
    mask[:, 0:3] = True
    staleness = np.fromiter((state.data_staleness for state in states), np.float64, n)
    rows: list[int] = []
    cols: list[int] = []
    found: list[float] = []
    for r, state in enumerate(states):
        for k, side in enumerate(("home", "away")):
            stats = state.statistics.get(side) or {}  # type: ignore[call-overload]
            for stat, raw in stats.items():
                i = columns.get(stat)
                if i is not None and raw is not None:
                    rows.append(r)
                    cols.append(i + k)
                    found.append(float(raw))
            card = state.home_red_cards if k == 0 else state.away_red_cards
            if reds is not None and card is not None and stats.get(st.RED_CARDS) is None:  # the state's own count
                rows.append(r)
                cols.append(reds + k)
                found.append(float(card))
    if found:
        at = np.asarray(rows), np.asarray(cols)
        got = np.asarray(found, np.float64)
        ok = np.isfinite(got)
        values[at[0][ok], at[1][ok]] = got[ok]
        mask[at[0][ok], at[1][ok]] = True
    fair = np.full((n, 3), np.nan)
    for r, f in enumerate(prematch_fair):
        if f is not None:
            fair[r] = f
    ok = np.isfinite(fair)
    values[:, PREMATCH_SLICE] = np.where(ok, fair, 0.0)
    mask[:, PREMATCH_SLICE] = ok
    if live_odds is not None:
        odds = np.asarray(live_odds, dtype=np.float64).reshape(n, len(LIVE_SELECTIONS))
        ok = np.isfinite(odds) & (odds > 1.0)
        values[:, LIVE_ODDS_SLICE] = np.where(ok, 1.0 / np.where(ok, odds, 1.0), 0.0)
        mask[:, LIVE_ODDS_SLICE] = ok
    extras = np.zeros((n, len(LIVE_EXTRAS)), np.float64)
    extras[:, 0], extras[:, 1], extras[:, -1] = cash_fraction, exposure_fraction, np.asarray(halted, dtype=np.float64)
    if positions is not None:
        extras[:, 2 : 2 + len(LIVE_SELECTIONS)] = positions
    extras[:, RECORD_SLICE] = record_features(recent_win_rate, recent_bets)
    out = np.concatenate(
        [np.where(mask, values / SCALE_VECTOR, 0.0), mask, staleness_feature(staleness).reshape(n, 1), extras], axis=1
    )
    return out.astype(np.float32)
