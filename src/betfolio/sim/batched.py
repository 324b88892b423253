"""Many live matches advanced in one call: the training-speed twin of :class:`~betfolio.sim.envs.LiveBettingEnv`.

Vector-env semantics with **same-step auto-reset** (as Stable-Baselines3's VecEnv): when an env's episode ends,
the returned observation is already the first one of its next episode and the terminal observation is in
``info["final_observation"]`` (rows of ``info["done"]``). One episode is one match, stepped minute by minute
from kick-off (minute 0) to full time (minute 90): ``terminated`` at full time or ruin, ``truncated`` when the
match's real data ends early.

Why it is fast: everything the agent cannot influence — the replayed states, the book's prices, suspension
windows, the faults of this episode — is laid out as a per-env *tape* of 91 rows when the episode starts
(vectorised over all envs resetting together). A step then only gathers one row per env, applies the few bets
placed (on the subset of envs that bet) and updates the bankroll arrays; no Python loop runs per env.

Per step, for every env:

1. the action is read (0 = no bet, ``i`` = back ``LIVE_SELECTIONS[i-1]``); a masked action is refused
   (``BetReject.NOT_OFFERED``); otherwise the book's acceptance rules (:func:`~betfolio.engine.book.accept_bets`)
   and then the shared risk rules (:func:`betfolio.risk.clip_stakes`) decide the fill and the stake
   (``stake_fraction`` of equity requested);
2. the clock advances one minute; at the end the bets are settled on the real full-time result;
3. the reward is computed by the selected reward function (:mod:`betfolio.sim.reward`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from betfolio.canonical.features import STALENESS_SCALE_SECONDS
from betfolio.engine.book import BetReject, accept_bets
from betfolio.features.live import (
    LIVE_ODDS_SLICE,
    N_FEATURES,
    N_LIVE_ACTIONS,
    OBS_DIM,
    PREMATCH_SLICE,
    RECORD_SLICE,
    SCALE_VECTOR,
    STATE_SLICE,
    group_of_features,
    record_features,
)
from betfolio.risk import BatchedBankroll, RiskLimits, clip_stakes
from betfolio.sim.faults import FaultConfig, draw_faults
from betfolio.sim.reward import (
    HISTORY_LENGTH,
    LIVE_TRAINING_REWARDS,
    RewardContext,
    last_n_win_rate,
    make_reward,
    match_volatility,
    push_history,
)
from betfolio.sim.timeline import MINUTES, T, TimelineBank, build_bank

N_SEL = N_LIVE_ACTIONS - 1
HISTORY = HISTORY_LENGTH
_GROUP = group_of_features()
_CORE = 2 * N_FEATURES + 1


@lru_cache(maxsize=4)
def sample_bank(leagues: tuple[str, ...] = ("E0",), seasons: tuple[str, ...] = ("2022-23",), seed: int = 0,
                n_variants: int = 2) -> TimelineBank:  # fmt: skip
    """Timelines of the bundled sample (cached: building them takes a few seconds)."""
    from betfolio.sim.episodes import load_sample_matchset

    return build_bank(load_sample_matchset(leagues, seasons), n_variants=n_variants, seed=seed)


@dataclass
class Tapes:
    """Per-env episode tapes ``[n_envs, T, …]``; rows are rewritten when an env resets."""

    core: np.ndarray  # float32 [n, T, 2F+1] values, mask, staleness/300 as observed
    staleness: np.ndarray  # float32 [n, T] seconds
    stale: np.ndarray  # bool [n, T] observed row lags the true minute
    shown: np.ndarray  # float32 [n, T, 5] odds the agent sees (stale during outages)
    odds: np.ndarray  # float32 [n, T, 5] the book's true offered odds (NaN = not offered)
    offered: np.ndarray  # bool [n, T, 5] finite odds: the selection can be backed
    fair: np.ndarray  # float32 [n, T, 5]
    event_second: np.ndarray  # float32 [n, T]
    volatility: np.ndarray  # float32 [n, T]
    won: np.ndarray  # bool [n, 5]
    last_minute: np.ndarray  # int64 [n]
    match: np.ndarray  # int64 [n] bank row
    variant: np.ndarray  # int64 [n]

    @classmethod
    def empty(cls, n: int) -> Tapes:
        return cls(
            core=np.zeros((n, T, _CORE), np.float32),
            staleness=np.zeros((n, T), np.float32),
            stale=np.zeros((n, T), bool),
            shown=np.full((n, T, N_SEL), np.nan, np.float32),
            odds=np.full((n, T, N_SEL), np.nan, np.float32),
            offered=np.zeros((n, T, N_SEL), bool),
            fair=np.zeros((n, T, N_SEL), np.float32),
            event_second=np.full((n, T), 60.0, np.float32),
            volatility=np.zeros((n, T), np.float32),
            won=np.zeros((n, N_SEL), bool),
            last_minute=np.full(n, MINUTES, np.int64),
            match=np.zeros(n, np.int64),
            variant=np.zeros(n, np.int64),
        )


def write_tapes(tapes: Tapes, rows: np.ndarray, bank: TimelineBank, match: np.ndarray, variant: np.ndarray,
                faults: FaultConfig, rng: np.random.Generator) -> None:  # fmt: skip
    """Lay out the episodes of ``rows`` (bank ``match``/``variant``) with freshly drawn faults.

    The bank's ``[match, variant, minute]`` arrays are read through one flat row index per env-minute
    (``np.take`` on the arrays seen as ``[M·V·T, …]``): far cheaper than three-way fancy indexing, which
    dominated an episode's cost.
    """
    k = len(rows)
    draw = draw_faults(rng, k, faults)
    t = np.arange(T)[None, :]
    in_outage = (t >= draw.outage_start[:, None]) & (t < draw.outage_end[:, None])
    obs_row = np.where(in_outage, np.maximum(draw.outage_start[:, None] - 1, 0), t)  # last valid state repeats
    last = bank.last_minute[match]
    obs_row = np.minimum(obs_row, last[:, None])  # after real data ends nothing new arrives
    episode = (match * bank.n_variants + variant)[:, None] * T
    at_obs, at_t = episode + obs_row, episode + t  # flat rows of what is observed and of the true minute
    staleness = _take(bank.base_staleness, at_obs) + draw.latency[:, None] + 60.0 * (t - obs_row)

    values = np.empty((k, T, N_FEATURES), np.float32)
    mask = np.empty((k, T, N_FEATURES), bool)
    values[:, :, 0] = obs_row
    mask[:, :, 0] = True
    values[:, :, STATE_SLICE] = _take(bank.values, at_obs)
    mask[:, :, STATE_SLICE] = _take(bank.present, at_obs)
    values[:, :, PREMATCH_SLICE] = bank.prematch[match][:, None, :]
    mask[:, :, PREMATCH_SLICE] = True
    shown = _take(bank.odds, at_obs)
    finite = np.isfinite(shown)
    with np.errstate(divide="ignore"):
        values[:, :, LIVE_ODDS_SLICE] = np.where(finite, 1.0 / shown, 0.0)
    mask[:, :, LIVE_ODDS_SLICE] = finite
    mask &= t[:, :, None] < draw.loss_from[:, None, _GROUP]  # coverage loss: groups vanish from a minute on
    every = k == len(tapes.match) and bool((rows == np.arange(k)).all())
    dst: slice | np.ndarray = slice(None) if every else rows  # all envs restarting together: write in place
    core = tapes.core if every else np.empty((k, T, _CORE), np.float32)
    np.divide(values, SCALE_VECTOR, out=values)
    np.copyto(values, 0.0, where=~mask)  # missing is 0 with mask 0, never a sentinel
    core[:, :, :N_FEATURES] = values
    core[:, :, N_FEATURES : 2 * N_FEATURES] = mask
    core[:, :, -1] = staleness / STALENESS_SCALE_SECONDS
    if not every:
        tapes.core[rows] = core
    tapes.staleness[dst] = staleness
    tapes.stale[dst] = obs_row != t
    tapes.shown[dst] = shown
    odds = _take(bank.odds, at_t)
    tapes.odds[dst] = odds
    tapes.offered[dst] = np.isfinite(odds)
    tapes.fair[dst] = _take(bank.fair, at_t)
    tapes.event_second[dst] = _take(bank.event_second, at_t)
    tapes.volatility[dst] = _take(bank.volatility, at_t)
    tapes.won[dst] = bank.won[match]
    tapes.last_minute[dst] = last
    tapes.match[dst] = match
    tapes.variant[dst] = variant


def _take(array: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """``array[match, variant, minute, …]`` at flat rows ``(match·V + variant)·T + minute``."""
    m, v, t = array.shape[:3]
    return np.take(array.reshape(m * v * t, *array.shape[3:]), flat, axis=0)


@dataclass
class EpisodeStats:
    """Per-env running totals of the current episode (reported in ``info`` when it ends)."""

    n: int
    reward: np.ndarray = field(init=False)
    bets: np.ndarray = field(init=False)
    rejected: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.reward = np.zeros(self.n)
        self.bets = np.zeros(self.n, np.int64)
        self.rejected = np.zeros(self.n, np.int64)

    def clear(self, rows: np.ndarray) -> None:
        self.reward[rows] = 0.0
        self.bets[rows] = 0
        self.rejected[rows] = 0


class BatchedLiveSim:
    """``n_envs`` live-betting episodes advanced together (see the module docstring)."""

    def __init__(
        self,
        n_envs: int,
        seed: int = 0,
        *,
        bank: TimelineBank | None = None,
        reward: str = "mission",
        reward_params: dict[str, float] | None = None,
        faults: FaultConfig | None = None,
        limits: RiskLimits | None = None,
        stake_fraction: float = 0.05,
        initial_budget: float = 1.0,
        carry_bankroll: bool = False,
        season_matches: int = 0,
        autoreset: bool = True,
        matches: np.ndarray | None = None,
    ) -> None:
        if n_envs < 1:
            raise ValueError("n_envs must be ≥ 1")
        self.n_envs = n_envs
        self.setup = LiveSetup.of(bank, reward, reward_params, faults, limits, stake_fraction, matches, n_envs)
        self.bank, self.match_pool, self.book = self.setup.bank, self.setup.match_pool, self.setup.bank.book
        self.faults, self.limits, self.stake_fraction = self.setup.faults, self.setup.limits, stake_fraction
        self.reward_name, self.reward_fn = reward, self.setup.reward_fn
        self.initial_budget = float(initial_budget)
        #: Season-long episodes: with ``carry_bankroll`` the bankroll runs on from match to match and starts
        #: afresh after ``season_matches`` matches (0 = only on ruin or a halt). The mission's budget penalty
        #: (equity below 80 % of the initial budget) can only bite when losses accumulate across matches.
        self.carry_bankroll = carry_bankroll
        if season_matches < 0:
            raise ValueError("season_matches must be ≥ 0")
        self.season_matches = season_matches
        self.matches_played = np.zeros(n_envs, np.int64)  # in the current season, per env
        self.autoreset = autoreset
        self.observation_dim = OBS_DIM
        self.n_actions = N_LIVE_ACTIONS
        self._seed(seed)
        n = n_envs
        self.ar = np.arange(n)
        self.tapes = Tapes.empty(n)
        self.bankroll = BatchedBankroll(n, self.initial_budget, self.limits)
        self.t = np.zeros(n, np.int64)
        self.payout_if = np.zeros((n, N_SEL))  # money returned if the selection wins
        self.staked = np.zeros((n, N_SEL))
        self.vol_stake = np.zeros(n)  # Σ stake × the match's volatility at placement (see match_volatility)
        self.history = np.full((n, HISTORY), np.nan)  # last-10 bet results (1 won / 0 lost), NaN = empty
        self.history_odds = np.full((n, HISTORY), np.nan)
        self.done = np.zeros(n, bool)
        self.episode = EpisodeStats(n)
        self._obs = np.zeros((n, OBS_DIM), np.float32)
        self._mask = np.zeros((n, N_LIVE_ACTIONS), bool)
        self._mtm = np.full(n, self.initial_budget)
        self._zeros = np.zeros(n)  # read-only defaults for steps where nothing settles
        self._nans = np.full(n, np.nan)
        self._false = np.zeros(n, bool)
        for const in (self._zeros, self._nans, self._false):
            const.flags.writeable = False
        self._exposure_fraction = self.limits.max_match_exposure_fraction
        self._start_equity = np.full(n, self.initial_budget)  # equity at kick-off of the current episode
        self._positions = False  # any open position in any env (skips mark-to-market when none)
        self._book_dirty = True  # the book part of the observation must be recomputed
        self._budget_ok = np.zeros(n, bool)
        self._stopped = False

    # --- episode control ---------------------------------------------------------------------------------
    def _seed(self, seed: int | None) -> None:
        self.rng = np.random.default_rng(seed)

    def reset(self, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Start a fresh episode in every env; returns (observations, action masks)."""
        return self._fresh(seed)

    def reset_to(self, matches: Any, variants: Any = None, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Like :meth:`reset`, but env ``i`` replays bank row ``matches[i]`` (variant ``variants[i]``, default 0).

        For evaluation on chosen matches; after these episodes end, auto-reset draws from the pool again.
        """
        rows = np.asarray(matches, np.int64).reshape(-1)
        if rows.shape != (self.n_envs,) or rows.min() < 0 or rows.max() >= self.bank.n_matches:
            raise ValueError(f"need {self.n_envs} bank rows in 0…{self.bank.n_matches - 1}")
        var = np.zeros(self.n_envs, np.int64) if variants is None else np.asarray(variants, np.int64).reshape(-1)
        if var.shape != (self.n_envs,) or var.min() < 0 or var.max() >= self.bank.n_variants:
            raise ValueError(f"need {self.n_envs} variants in 0…{self.bank.n_variants - 1}")
        return self._fresh(seed, rows, var)

    def _fresh(
        self, seed: int | None, match: np.ndarray | None = None, variant: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Fresh bankrolls, histories and reward state in every env, then new episodes (drawn unless given)."""
        if seed is not None:
            self._seed(seed)
        self.bankroll.reset()
        self.history[:] = np.nan
        self.history_odds[:] = np.nan
        self.matches_played[:] = 0
        self.reward_fn.reset()
        self._start(self.ar, fresh_bankroll=True, match=match, variant=variant)
        self._observe()
        return self._obs.copy(), self._mask.copy()

    @property
    def market_volatility(self) -> np.ndarray:
        """Rolling volatility of the home price this minute (std of log-odds changes over 10 minutes × √90).

        Part of the manager's state in the mission; not in the worker's observation.
        """
        return self.tapes.volatility[self.ar, self.t].astype(np.float64)

    def _start(
        self, rows: np.ndarray, fresh_bankroll: bool, match: np.ndarray | None = None, variant: np.ndarray | None = None
    ) -> None:
        if match is None:
            match = self.rng.choice(self.match_pool, size=len(rows))
        if variant is None:
            variant = self.rng.integers(0, self.bank.n_variants, len(rows))
        write_tapes(self.tapes, rows, self.bank, match, variant, self.faults, self.rng)
        if fresh_bankroll:
            reset = np.zeros(self.n_envs, bool)
            reset[rows] = True
            self.bankroll.reset(reset)
        self.bankroll.new_day(None if len(rows) == self.n_envs else self._rows_mask(rows))
        self.t[rows] = 0
        self.payout_if[rows] = 0.0
        self.staked[rows] = 0.0
        self.vol_stake[rows] = 0.0
        self.done[rows] = False
        self.episode.clear(rows)
        self._mtm[rows] = self.bankroll.equity[rows]
        self._start_equity[rows] = self._mtm[rows]
        self._positions = bool(self.staked.any())
        self._stopped = False
        self._book_dirty = True

    def _rows_mask(self, rows: np.ndarray) -> np.ndarray:
        m = np.zeros(self.n_envs, bool)
        m[rows] = True
        return m

    # --- observation -------------------------------------------------------------------------------------
    def _observe(self) -> None:
        """Write this minute's observation and action mask into the internal buffers.

        The tape row changes every minute; the book part (cash, exposure, positions, whether the budget still
        allows a bet) only when a bet is placed or settled or an episode starts, so it is recomputed only then.
        """
        t = self.t
        obs = self._obs
        np.take(self.tapes.core.reshape(-1, _CORE), self.ar * T + t, axis=0, out=obs[:, :_CORE])
        if self._book_dirty:
            bank = self.bankroll
            inv = 1.0 / self.initial_budget
            obs[:, _CORE] = bank.cash * inv
            obs[:, _CORE + 1] = bank.open_stake * inv
            obs[:, _CORE + 2 : _CORE + 2 + N_SEL] = self.payout_if * inv
            win_rate, count = last_n_win_rate(self.history)
            obs[:, _CORE + RECORD_SLICE.start : _CORE + RECORD_SLICE.stop] = record_features(win_rate, count)
            obs[:, -1] = bank.halted
            equity = bank.cash + bank.open_stake
            room = np.minimum(self.limits.max_match_exposure_fraction * equity - bank.open_stake, bank.cash)
            self._budget_ok = ~bank.halted & (room > max(self.limits.min_stake, 1e-9)) & ~self.done
            self._book_dirty = False
        can_bet = self._budget_ok & (t < self.book.last_bet_minute)
        mask = self._mask
        mask[:, 0] = True
        np.logical_and(self.tapes.offered[self.ar, t], can_bet[:, None], out=mask[:, 1:])

    @property
    def action_mask(self) -> np.ndarray:
        return self._mask.copy()

    # --- stepping ----------------------------------------------------------------------------------------
    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        a = np.asarray(actions).reshape(-1)
        n = self.n_envs
        if a.shape[0] != n:
            raise ValueError(f"expected {n} actions, got {a.shape[0]}")
        if self._stopped:  # only without autoreset: finished envs stay put until reset
            raise RuntimeError("step() called on a finished episode; call reset() first (autoreset is off)")
        t = self.t
        reject = np.zeros(n, np.int8)
        risk_reason = np.zeros(n, np.int8)
        stake_placed = np.zeros(n)
        fill_odds = np.full(n, np.nan)
        placed_value = placed_payout = placed_vol = self._zeros
        if a.any():
            betting = np.nonzero(a)[0]
            placed_value, placed_payout, placed_vol = np.zeros(n), np.zeros(n), np.zeros(n)
            self._place(betting, a[betting].astype(np.int64), reject, risk_reason, stake_placed, fill_odds,
                        placed_value, placed_payout, placed_vol)  # fmt: skip
        t += 1
        bank = self.bankroll
        last = self.tapes.last_minute
        ended = t >= last
        any_ended = bool(ended.any())
        ctx_stake = self._zeros
        ctx_payout = self._zeros
        vol = self._zeros
        win_rate = avg_odds = self._nans
        terminated = truncated = ruined = self._false
        if any_ended:
            rows = np.nonzero(ended)[0]
            ctx_stake, ctx_payout, vol = np.zeros(n), np.zeros(n), np.zeros(n)
            won = self.tapes.won[rows]
            payout = (self.payout_if[rows] * won).sum(1)
            staked = self.staked[rows].sum(1)
            full_pay = np.zeros(n)
            full_pay[rows] = payout
            release = np.zeros(n)
            release[rows] = bank.open_stake[rows]
            bank.settle(full_pay, release)
            has = self.staked[rows] > 0
            results = np.where(has, won.astype(float), np.nan)
            with np.errstate(invalid="ignore", divide="ignore"):
                avg = np.where(has, self.payout_if[rows] / np.where(has, self.staked[rows], 1.0), np.nan)
                vol[rows] = np.where(staked > 0, self.vol_stake[rows] / np.maximum(staked, 1e-12), 0.0)
            push_history(self.history, rows, results)
            push_history(self.history_odds, rows, avg)
            ctx_stake[rows] = staked
            ctx_payout[rows] = payout
            self.payout_if[rows] = 0.0
            self.staked[rows] = 0.0
            self._positions = bool(self.staked.any())
            self._book_dirty = True
            win_rate, _ = last_n_win_rate(self.history)
            avg_odds, _ = last_n_win_rate(self.history_odds)
            truncated = ended & (last < MINUTES)
            ruined = bank.cash + bank.open_stake <= max(self.limits.min_stake, 1e-9)
            terminated = (ended & ~truncated) | ruined
        if placed_payout is not self._zeros and win_rate is self._nans:
            # the worker's record at the decision, for the per-bet mission reward's bonus
            win_rate, _ = last_n_win_rate(self.history)
            avg_odds, _ = last_n_win_rate(self.history_odds)
        equity = bank.cash + bank.open_stake
        # Open positions are marked to the fair price of this minute (skipped when nobody holds any).
        mtm = bank.cash + (self.payout_if * self.tapes.fair[self.ar, t]).sum(1) if self._positions else equity
        ctx = RewardContext(
            wealth_before=self._mtm,
            wealth_after=mtm,
            initial_budget=self.initial_budget,
            settled=ended,
            stake=ctx_stake,
            payout=ctx_payout,
            market_volatility=vol,
            risk_score=np.clip(ctx_stake / (self._exposure_fraction * self._start_equity), 0.0, 1.0)
            if any_ended
            else self._zeros,
            budget_remaining=equity,
            last_10_win_rate=win_rate,
            avg_odds=avg_odds,
            staleness_seconds=self.tapes.staleness[self.ar, t],
            placed_value=placed_value,
            placed_stake=stake_placed,
            placed_payout=placed_payout,
            placed_volatility=placed_vol,
        )
        reward = self.reward_fn(ctx).astype(np.float32)
        self._mtm = np.array(mtm)
        self.episode.reward += reward
        info: dict[str, Any] = {
            "stake": stake_placed,
            "fill_odds": fill_odds,
            "reject_reason": reject,
            "risk_reason": risk_reason,
            "minute": t.copy(),
            "equity": equity,
        }
        if any_ended:
            done = terminated | truncated
            info["done"] = done
            self.done = done.copy()
            self._book_dirty = True
            self._observe()
            rows = np.nonzero(done)[0]
            info["final_observation"] = self._obs.copy()
            info["final_action_mask"] = self._mask.copy()
            info["episode"] = {
                "rows": rows,
                "return": self.episode.reward[rows].copy(),
                "bets": self.episode.bets[rows].copy(),
                "rejected": self.episode.rejected[rows].copy(),
                "equity": equity[rows].copy(),
                "match": self.tapes.match[rows].copy(),
            }
            if self.autoreset:
                self.matches_played[rows] += 1
                fresh = np.ones(len(rows), bool) if not self.carry_bankroll else (bank.halted[rows] | ruined[rows])
                if self.season_matches:
                    fresh |= self.matches_played[rows] >= self.season_matches
                self.matches_played[rows[fresh]] = 0
                self._start(rows, fresh_bankroll=False)
                if fresh.any():
                    m = np.zeros(n, bool)
                    m[rows[fresh]] = True
                    bank.reset(m)
                    self._book_dirty = True
                    self._mtm[m] = bank.equity[m]
                    self._start_equity[m] = self._mtm[m]
                self._observe()
            else:
                self._stopped = True
        else:
            info["done"] = np.zeros(n, bool)
            self._observe()
            terminated, truncated = np.zeros(n, bool), np.zeros(n, bool)
        return self._obs.copy(), reward, terminated, truncated, self._mask.copy(), info

    def _place(self, rows: np.ndarray, acts: np.ndarray, reject: np.ndarray, risk_reason: np.ndarray,
               stake_out: np.ndarray, fill_out: np.ndarray, value_out: np.ndarray, payout_out: np.ndarray,
               vol_out: np.ndarray) -> None:  # fmt: skip
        """Book acceptance, then the risk rules, for the envs in ``rows`` backing selection ``acts - 1``."""
        allowed = (acts >= 1) & (acts < N_LIVE_ACTIONS)
        allowed[allowed] = self._mask[rows[allowed], acts[allowed]]
        reject[rows[~allowed]] = BetReject.NOT_OFFERED
        self.episode.rejected[rows[~allowed]] += 1
        rows, acts = rows[allowed], acts[allowed]
        if rows.size == 0:
            return
        sel = acts - 1
        t = self.t[rows]
        tp = self.tapes
        requested = tp.shown[rows, t, sel].astype(np.float64)
        nxt = np.minimum(t + 1, MINUTES)
        fill, code = accept_bets(
            requested,
            tp.odds[rows, t, sel].astype(np.float64),
            tp.odds[rows, nxt, sel].astype(np.float64),
            tp.event_second[rows, nxt],
            tp.stale[rows, t],
            self.book,
        )
        bank = self.bankroll
        ok = code == 0
        equity = bank.cash[rows] + bank.open_stake[rows]
        stake, risk = clip_stakes(
            np.where(ok, self.stake_fraction * equity, 0.0),
            np.where(ok, fill, 2.0),
            bank.cash[rows],
            equity,
            limits=self.limits,
            match_exposure=bank.open_stake[rows],
            daily_exposure=bank.daily_exposure[rows],
            halted=bank.halted[rows],
        )
        refused = ok & (stake <= 0)
        code[refused] = BetReject.RISK
        risk_reason[rows] = np.where(ok, risk, 0)
        placed = stake > 0
        reject[rows] = code
        self.episode.rejected[rows[~placed]] += 1
        r, s, st, f = rows[placed], sel[placed], stake[placed], fill[placed]
        if r.size:
            # the bet's settled log growth, for the per-bet credit reward (the result is on the tape, not observed)
            value_out[r] = np.log1p(st / equity[placed] * (f * tp.won[r, s] - 1.0))
            payout_out[r] = st * f * tp.won[r, s]
            vol = match_volatility(tp.fair[r, t[placed]])
            vol_out[r] = vol
            bank.cash[r] -= st
            bank.open_stake[r] += st
            bank.daily_exposure[r] += st
            self.payout_if[r, s] += st * f
            self.staked[r, s] += st
            self._positions = True
            self._book_dirty = True
            self.vol_stake[r] += st * vol
            stake_out[r] = st
            fill_out[r] = f
            self.episode.bets[r] += 1

    # --- conveniences ------------------------------------------------------------------------------------
    def reset_envs(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Start new episodes in ``rows`` only (for manual control when autoreset is off)."""
        rows = np.asarray(rows, np.int64)
        self._start(rows, fresh_bankroll=not self.carry_bankroll)
        self._observe()
        return self._obs.copy(), self._mask.copy()

    def episode_facts(self, row: int) -> dict[str, Any]:
        """What is being replayed in env ``row`` (for logging; not part of the observation)."""
        return episode_facts(self.bank, self.tapes, row, int(self.t[row]))


@dataclass(frozen=True)
class LiveSetup:
    """The options the batched simulator and the live environment share, checked and defaulted one way."""

    bank: TimelineBank
    match_pool: np.ndarray
    faults: FaultConfig
    limits: RiskLimits
    reward_fn: Any

    @classmethod
    def of(cls, bank: TimelineBank | None, reward: str, reward_params: dict[str, float] | None,
           faults: FaultConfig | None, limits: RiskLimits | None, stake_fraction: float, matches: np.ndarray | None,
           n_envs: int) -> LiveSetup:  # fmt: skip
        bank = bank if bank is not None else sample_bank()
        return cls(
            bank,
            match_pool(bank, reward, stake_fraction, matches),
            faults if faults is not None else FaultConfig(),
            limits or RiskLimits(),
            make_reward(reward, n_envs, **(reward_params or {})),
        )


def match_pool(bank: TimelineBank, reward: str, stake_fraction: float, matches: np.ndarray | None) -> np.ndarray:
    """The bank rows episodes are drawn from, after checking the options the simulator and the env share."""
    if reward not in LIVE_TRAINING_REWARDS:
        raise ValueError(f"unknown reward {reward!r}; choose one of {', '.join(LIVE_TRAINING_REWARDS)}")
    if not 0.0 < stake_fraction <= 1.0:
        raise ValueError("stake_fraction must be in (0, 1]")
    pool = np.arange(bank.n_matches) if matches is None else np.asarray(matches, np.int64)
    if pool.size == 0 or pool.max() >= bank.n_matches or pool.min() < 0:
        raise ValueError("matches must be non-empty row indices into the timeline bank")
    return pool


def episode_facts(bank: TimelineBank, tapes: Tapes, row: int, minute: int) -> dict[str, Any]:
    """What is being replayed in tape ``row`` (for logging; not part of the observation)."""
    m = int(tapes.match[row])
    ms = bank.matches
    return {
        "match_id": ms.match_id[m].item(),
        "league": ms.league[m],
        "season": ms.season[m],
        "home_team": ms.home_team[m],
        "away_team": ms.away_team[m],
        "full_time": ms.full_time[m].tolist(),
        "variant": int(tapes.variant[row]),
        "minute": minute,
    }
