"""Gymnasium environments: live betting minute by minute, and pre-match betting match by match.

Both pass ``gymnasium.utils.env_checker.check_env``. Action masks are in ``info["action_mask"]`` and from
:meth:`action_masks` (the convention of sb3-contrib's MaskablePPO).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from betfolio.engine import BetOrder, BetRecord, DecisionContext, DecisionRound, Engine, Portfolio, Results
from betfolio.engine.book import BetReject
from betfolio.engine.settlement import Outcome, settle_outcomes
from betfolio.engine.sources.inplay import INPLAY_BOOK, InPlayReplay
from betfolio.engine.sources.prematch import MatchSetReplay
from betfolio.features.live import (
    LIVE_ACTIONS,
    LIVE_BETS,
    N_FEATURES,
    N_LIVE_ACTIONS,
    OBS_DIM,
    RECORD_SLICE,
    record_features,
)
from betfolio.features.prematch import PREMATCH_EXTRAS, PREMATCH_FEATURES, PREMATCH_OBS_DIM, prematch_features
from betfolio.markets.clv import clv
from betfolio.risk import Bankroll, RejectReason, RiskLimits
from betfolio.sim.batched import LiveSetup, Tapes, episode_facts, sample_bank, write_tapes
from betfolio.sim.episodes import MatchSet
from betfolio.sim.faults import FaultConfig
from betfolio.sim.reward import (
    HISTORY_LENGTH,
    RewardContext,
    last_n_win_rate,
    make_reward,
    match_volatility,
    push_history,
)
from betfolio.sim.timeline import MINUTES, TimelineBank

#: Upper bound of observation boxes: features are scaled to ≈ 0…1; staleness/300 and positions may exceed it.
OBS_HIGH = 1e6


class LiveBettingEnv(gym.Env[np.ndarray, np.int64]):
    """One match, one step per minute (90 steps), on the decision engine (:mod:`betfolio.engine`).

    A thin Gymnasium wrapper: each episode lays out one match's tape exactly as :class:`BatchedLiveSim` does (same
    draws from the same seed: match, variant, faults), and the engine's in-play source
    (:class:`~betfolio.engine.sources.inplay.InPlayReplay`) replays it — every minute a decision round, an order
    waits out the book's acceptance delay in the engine's pending queue and is then filled or refused by the
    book, the bankroll's risk chain sizes it, and it settles through ``markets.settlement`` on the match's real
    result into the engine's one portfolio. The observation and the reward are the batched simulator's (the
    parity test holds them equal step for step), so an agent trained on the fast simulator is judged here.

    Observation: ``[values, mask, staleness/300, extras]`` (:func:`betfolio.features.live.observation_layout`).
    Actions: :data:`LIVE_ACTIONS` (0 = no bet). ``terminated`` at full time or ruin, ``truncated`` when the
    match's data ends early.
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012
    AGENT = "agent"
    ROW = 0  # the one tape row

    def __init__(
        self,
        bank: TimelineBank | None = None,
        *,
        reward: str = "mission",
        reward_params: dict[str, float] | None = None,
        faults: FaultConfig | None = None,
        limits: RiskLimits | None = None,
        stake_fraction: float = 0.05,
        matches: np.ndarray | None = None,
        seed: int | None = None,
    ) -> None:
        setup = LiveSetup.of(bank, reward, reward_params, faults, limits, stake_fraction, matches, 1)
        self.bank, self.match_pool, self.book = setup.bank, setup.match_pool, setup.bank.book
        self.faults, self.limits, self.stake_fraction = setup.faults, setup.limits, stake_fraction
        self.reward_name, self.reward_fn = reward, setup.reward_fn
        self.initial_budget = 1.0
        self.rng = np.random.default_rng(seed or 0)
        self.tapes = Tapes.empty(1)
        self.history = np.full((1, HISTORY_LENGTH), np.nan)
        self.history_odds = np.full((1, HISTORY_LENGTH), np.nan)
        self._min_room = max(self.limits.min_stake, 1e-9)
        self._record: np.ndarray | None = None
        self._ctx = self._between_settlements()
        self._ctx.initial_budget = self.initial_budget
        self.observation_space = spaces.Box(low=0.0, high=OBS_HIGH, shape=(OBS_DIM,), dtype=np.float32)
        self.action_space = spaces.Discrete(N_LIVE_ACTIONS)
        self._needs_reset = True

    # --- the engine underneath ---------------------------------------------------------------------------
    def _start(self) -> None:
        """Lay out a new episode's tape (the batched simulator's draws, in its order) and a fresh engine."""
        match = self.rng.choice(self.match_pool, size=1)
        variant = self.rng.integers(0, self.bank.n_variants, 1)
        write_tapes(self.tapes, np.zeros(1, np.int64), self.bank, match, variant, self.faults, self.rng)
        self.source = InPlayReplay(self, self.ROW)
        self.portfolio = Portfolio(self.AGENT, Bankroll(self.initial_budget, self.limits))
        self.engine = Engine([], {self.AGENT: self.portfolio}, execution=self.source.execution())
        self.engine.on_settle.append(self._on_settle)
        self.t = 0
        self.done = False
        self.payout_if = np.zeros(N_SEL)  # the agent's positions: money returned if the selection wins
        self.staked = np.zeros(N_SEL)
        self.vol_stake = 0.0
        self._positions = False
        self.episode_return = 0.0
        self.episode_bets = 0
        self.episode_rejected = 0
        self._settled: list[tuple[BetRecord, Outcome]] = []
        self._mtm = self.initial_budget
        self._start_equity = self.initial_budget
        self._open(0)

    def _open(self, t: int) -> None:
        self._round = self.source.round(t)
        self.engine.advance(self._round.at)
        self.engine.open_round(self._round)

    def _on_settle(self, _portfolio: Portfolio, settled: list[tuple[BetRecord, Outcome]]) -> None:
        self._settled.extend(settled)

    @property
    def bankroll(self) -> Bankroll:
        return self.portfolio.bankroll

    def _observe(self) -> tuple[np.ndarray, np.ndarray]:
        """This minute's observation and action mask (the batched simulator's layout and rules)."""
        bank = self.bankroll
        cash, open_stake = bank.cash, bank.open_stake
        obs = np.empty(OBS_DIM, np.float32)
        obs[:_CORE] = self.tapes.core[self.ROW, self.t]
        inv = 1.0 / self.initial_budget
        obs[_CORE] = cash * inv
        obs[_CORE + 1] = open_stake * inv
        obs[_CORE + 2 : _CORE + 2 + N_SEL] = self.payout_if * inv
        if self._record is None:  # the worker's own record changes only when a match settles
            win_rate, count = last_n_win_rate(self.history)
            self._record = record_features(win_rate, count)[0]
        obs[_CORE + RECORD_SLICE.start : _CORE + RECORD_SLICE.stop] = self._record
        obs[-1] = bank.halted
        room = min(self.limits.max_match_exposure_fraction * (cash + open_stake) - open_stake, cash)
        can_bet = not bank.halted and room > self._min_room and not self.done and self.t < self.book.last_bet_minute
        mask = np.zeros(N_LIVE_ACTIONS, bool)
        mask[0] = True
        if can_bet:
            mask[1:] = self.tapes.offered[self.ROW, self.t]
        self._mask = mask
        return obs, mask.copy()

    # --- Gymnasium ---------------------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        if seed is not None or self._needs_reset:
            self.rng = np.random.default_rng(seed if seed is not None else int(self.np_random.integers(2**31)))
            self.history[:] = np.nan
            self.history_odds[:] = np.nan
            self._record = None
            self.reward_fn.reset()
        self._start()
        self._needs_reset = False
        obs, mask = self._observe()
        return obs, {"action_mask": mask, **episode_facts(self.bank, self.tapes, self.ROW, self.t)}

    def order_for(self, action: int) -> BetOrder:
        """The engine order an action stands for this minute: back the selection at the shown price."""
        sel = action - 1
        market, selection, line = LIVE_BETS[sel]
        return BetOrder(
            self.source.view.match_id, market, selection, line, float(self.tapes.shown[self.ROW, self.t, sel]),
            self.stake_fraction * self.bankroll.equity, INPLAY_BOOK, note=LIVE_ACTIONS[action],
        )  # fmt: skip

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self._needs_reset:
            raise RuntimeError("call reset() before step()")
        a = int(action)
        t = self.t
        reject = risk_reason = 0
        stake, fill = 0.0, math.nan
        bets, refusals = len(self.portfolio.bets), len(self.portfolio.refusals)
        equity_before = self.bankroll.equity
        placed_value = placed_payout = placed_vol = 0.0
        if a != 0 and not (0 < a < N_LIVE_ACTIONS and self._mask[a]):
            reject = BetReject.NOT_OFFERED
        elif a != 0:
            self.engine.submit(self.AGENT, self.order_for(a), self._round)
        # the clock moves on one minute: a pending order comes due on the way and the book fills or refuses it
        self.t = t + 1
        ended = self.t >= self.source.last
        if ended:
            end = self.source.result()
            self.engine.advance(end.at)
        else:
            self._open(self.t)
        if len(self.portfolio.bets) > bets:
            bet = self.portfolio.bets[-1]
            stake, fill = bet.stake, bet.odds
            risk_reason = _RISK_CODE[bet.cut_by] if bet.cut_by else 0
            sel = a - 1
            self.payout_if[sel] += stake * fill
            self.staked[sel] += stake
            self._positions = True
            placed_vol = float(match_volatility(self.tapes.fair[self.ROW, t]))
            self.vol_stake += stake * placed_vol
            self.episode_bets += 1
            # the bet's own settled log growth (the per-bet credit reward; the result is never observed)
            (outcome,) = settle_outcomes([bet], {bet.match_id: self.source.result().results[0]})
            placed_value = math.log1p((outcome.payout - stake) / equity_before)
            placed_payout = outcome.payout
        elif len(self.portfolio.refusals) > refusals:
            reason = self.portfolio.refusals[-1].reason
            reject = _BOOK_CODE.get(reason, BetReject.RISK)
            risk_reason = _RISK_CODE.get(reason, 0)
        if reject:
            self.episode_rejected += 1
        reward, terminated, truncated = self._reward(ended, placed_value, stake, placed_payout, placed_vol)
        if ended:
            self.done = True
            self._needs_reset = True
            self.engine.finish(end.at)
        self.episode_return += reward
        obs, mask = self._observe()
        info: dict[str, Any] = {
            "action_mask": mask,
            "stake": stake,
            "fill_odds": 0.0 if math.isnan(fill) else fill,  # 0.0 = no fill
            "reject_reason": int(reject),
            "risk_reason": int(risk_reason),
            "minute": self.t,
            "equity": self.bankroll.equity,
        }
        if ended:
            info["episode_return"] = self.episode_return
            info["episode_bets"] = self.episode_bets
        return obs, reward, terminated, truncated, info

    def _reward(
        self, ended: bool, placed_value: float, placed_stake: float, placed_payout: float, placed_vol: float
    ) -> tuple[float, bool, bool]:
        """Settle at the end (through the engine) and score the step with the simulator's reward function."""
        bank = self.bankroll
        ctx = self._ctx
        terminated = truncated = False
        if ended:
            end = self.source.result()
            self.engine.settle(end.results, end.at)
            payout = 0.0
            won = np.zeros(N_SEL, bool)
            for bet, outcome in self._settled:
                payout += outcome.payout
                won[LIVE_BETS.index((bet.market, bet.selection, bet.line))] |= outcome.status == "won"
            has = self.staked > 0
            stake = float(self.staked.sum())
            with np.errstate(invalid="ignore", divide="ignore"):
                avg = np.where(has, self.payout_if / np.where(has, self.staked, 1.0), np.nan)
            push_history(self.history, _ROW0, np.where(has, won.astype(float), np.nan)[None])
            push_history(self.history_odds, _ROW0, avg[None])
            self._record = None
            self.payout_if[:] = 0.0
            self.staked[:] = 0.0
            self._positions = False
            truncated = self.source.last < MINUTES
            terminated = not truncated or bank.equity <= self._min_room  # full time, or ruin
            ctx = RewardContext(
                wealth_before=np.zeros(1),
                wealth_after=np.zeros(1),
                initial_budget=self.initial_budget,
                settled=np.ones(1, bool),
                stake=np.array([stake]),
                payout=np.array([payout]),
                market_volatility=np.array([self.vol_stake / max(stake, 1e-12) if stake > 0 else 0.0]),
                risk_score=np.array(
                    [min(max(stake / (self.limits.max_match_exposure_fraction * self._start_equity), 0.0), 1.0)]
                ),
                budget_remaining=np.zeros(1),
                last_10_win_rate=last_n_win_rate(self.history)[0],
                avg_odds=last_n_win_rate(self.history_odds)[0],
                staleness_seconds=np.zeros(1),
                placed_value=np.zeros(1),
                placed_stake=np.zeros(1),
                placed_payout=np.zeros(1),
                placed_volatility=np.zeros(1),
            )
        elif placed_stake > 0:  # the worker's record at the decision, for the per-bet mission reward's bonus
            ctx.last_10_win_rate[0] = last_n_win_rate(self.history)[0][0]
            ctx.avg_odds[0] = last_n_win_rate(self.history_odds)[0][0]
        equity = bank.equity
        if self._positions:  # open positions are marked to this minute's fair price
            mtm = bank.cash + float((self.payout_if * self.tapes.fair[self.ROW, self.t]).sum())
        else:
            mtm = equity
        ctx.wealth_before[0] = self._mtm
        ctx.wealth_after[0] = mtm
        ctx.budget_remaining[0] = equity
        ctx.staleness_seconds[0] = self.tapes.staleness[self.ROW, self.t]
        assert ctx.placed_value is not None and ctx.placed_stake is not None
        assert ctx.placed_payout is not None and ctx.placed_volatility is not None
        ctx.placed_value[0] = placed_value
        ctx.placed_stake[0] = placed_stake
        ctx.placed_payout[0] = placed_payout
        ctx.placed_volatility[0] = placed_vol
        self._mtm = mtm
        return float(self.reward_fn(ctx)[0].astype(np.float32)), bool(terminated), bool(truncated)

    @staticmethod
    def _between_settlements() -> RewardContext:
        """The reward context of a minute where nothing settles (reused: only wealth and staleness change)."""
        nan = np.full(1, np.nan)
        return RewardContext(
            wealth_before=np.zeros(1), wealth_after=np.zeros(1), initial_budget=1.0, settled=np.zeros(1, bool),
            stake=np.zeros(1), payout=np.zeros(1), market_volatility=np.zeros(1), risk_score=np.zeros(1),
            budget_remaining=np.zeros(1), last_10_win_rate=nan, avg_odds=nan.copy(), staleness_seconds=np.zeros(1),
            placed_value=np.zeros(1), placed_stake=np.zeros(1), placed_payout=np.zeros(1),
            placed_volatility=np.zeros(1),
        )  # fmt: skip

    def action_masks(self) -> np.ndarray:
        return self._mask.copy()

    @property
    def action_names(self) -> tuple[str, ...]:
        return LIVE_ACTIONS


N_SEL = N_LIVE_ACTIONS - 1
_CORE = 2 * N_FEATURES + 1
_ROW0 = np.zeros(1, np.int64)
#: Refusal reasons of the engine back to the simulator's step codes (``info["reject_reason"]``/``["risk_reason"]``).
_BOOK_CODE = {r.label: r for r in (BetReject.SUSPENDED_DURING_DELAY, BetReject.PRICE_MOVED, BetReject.STALE_PRICE)}
_RISK_CODE = {r.label: int(r) for r in RejectReason if r != RejectReason.ACCEPTED}


#: Pre-match stake sizes (fractions of equity) offered as actions, capped by the risk limits anyway.
PREMATCH_STAKES: tuple[float, ...] = (0.01, 0.025, 0.05)
PREMATCH_SELECTIONS: tuple[str, ...] = ("home", "draw", "away")
PREMATCH_ACTIONS: tuple[str, ...] = (
    "no_bet",
    *(f"back_{sel}_{stake:g}" for sel in PREMATCH_SELECTIONS for stake in PREMATCH_STAKES),
)


#: Feature arrays of the match sets environments were built on lately, newest last (match set, values, masks).
_RECENT_FEATURES: list[tuple[MatchSet, np.ndarray, np.ndarray]] = []
_RECENT_KEPT = 4


def _features_of(ms: MatchSet) -> tuple[np.ndarray, np.ndarray]:
    """``prematch_features(ms)``, computed once per match set object: one training run builds several pre-match
    environments on the same matches (each worker, each reward, the untrained control, the validation replays),
    and the features depend on the matches only. The arrays are shared read-only."""
    for seen, values, masks in _RECENT_FEATURES:
        if seen is ms:
            return values, masks
    values, masks = prematch_features(ms)
    values.flags.writeable = masks.flags.writeable = False
    _RECENT_FEATURES.append((ms, values, masks))
    del _RECENT_FEATURES[:-_RECENT_KEPT]
    return values, masks


class PreMatchBettingEnv(gym.Env[np.ndarray, np.int64]):
    """One decision per match, walking forward through a season on the decision engine (:mod:`betfolio.engine`).

    A thin Gymnasium wrapper: the engine's pre-match source replays the season (decision rounds at the as-of
    decision times, results at each match's end), its execution checks the price and passes the stake through the
    risk chain, and its settlement pays each bet on its own match's result when that match ends. A round's matches
    are offered one step at a time, all sized on the equity known at the round's time.

    The reward of a step is computed from **that step's bet's own settlement** (by the engine's
    :func:`~betfolio.engine.settlement.settle_outcomes`), so every decision gets its own reward — even when several
    matches kick off together. The observation never sees that result early: the bankroll (and the win-rate
    history) only change when the match has ended on the engine's clock. An episode is one season of the match set
    (seasons taken in turn on each reset); ``terminated`` at its end or when the drawdown stop halts the bankroll,
    ``truncated`` when ``max_matches`` cut the season short.
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012
    AGENT = "agent"

    def __init__(
        self,
        matches: MatchSet | None = None,
        *,
        reward: str = "mission",
        reward_params: dict[str, float] | None = None,
        limits: RiskLimits | None = None,
        initial_budget: float = 1.0,
        max_matches: int | None = None,
    ) -> None:
        self.ms = matches if matches is not None else sample_bank().matches
        if len(self.ms) == 0:
            raise ValueError("no matches to bet on")
        self.values, self.masks = _features_of(self.ms)
        self.order = np.lexsort((self.ms.match_id, self.ms.kickoff, self.ms.decision_at))
        self.seasons = sorted(set(self.ms.season.tolist()))
        self.limits = limits or RiskLimits()
        self.initial_budget = float(initial_budget)
        self.max_matches = max_matches
        self.reward_name = reward
        self.reward_fn = make_reward(reward, 1, **(reward_params or {}))
        # signed: prices against the consensus (edges) and line movements are below zero as often as above
        self.observation_space = spaces.Box(low=-OBS_HIGH, high=OBS_HIGH, shape=(PREMATCH_OBS_DIM,), dtype=np.float32)
        self.action_space = spaces.Discrete(len(PREMATCH_ACTIONS))
        self._season_turn = 0
        self._cut = False
        self.history = np.full((1, HISTORY_LENGTH), np.nan)
        self.history_odds = np.full((1, HISTORY_LENGTH), np.nan)
        self._rates: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._start(self.order[:0])

    # --- the engine underneath ---------------------------------------------------------------------------
    def _start(self, rows: np.ndarray) -> None:
        self.source = MatchSetReplay(self.ms, rows)
        self.portfolio = Portfolio(self.AGENT, Bankroll(self.initial_budget, self.limits))
        self.engine = Engine([], {self.AGENT: self.portfolio})
        self.engine.on_settle.append(self._on_settle)
        self._events = deque(self.source.events())
        self._round: DecisionRound | None = None
        self._todo: deque[int] = deque()  # rows of the current round still to decide
        self._rows = np.asarray(self.source.rows, dtype=np.int64)
        self._i = 0
        self._next_decision()

    def _next_decision(self) -> None:
        """Handle results until the next decision round, and queue its matches."""
        while not self._todo and self._events:
            event = self._events.popleft()
            self.engine.advance(event.at)
            if isinstance(event, Results):
                self.engine.settle(event.results, event.at)
            else:
                self.engine.open_round(event)
                self._round = event
                self._todo.extend(self.source.row_of[m.match_id] for m in event.matches)

    def _close(self) -> None:
        """The episode ended: every result still to come settles (a halt mid-season included)."""
        for event in self._events:
            if isinstance(event, Results):
                self.engine.advance(event.at)
                self.engine.settle(event.results, event.at)
        self._events.clear()
        self._todo.clear()

    def _on_settle(self, _portfolio: Portfolio, settled: list[tuple[BetRecord, Outcome]]) -> None:
        for bet, outcome in settled:
            push_history(self.history, _ROW0, np.array([[float(outcome.status == "won")]]))
            push_history(self.history_odds, _ROW0, np.array([[bet.odds]]))
        self._rates = None

    def _history_rates(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(last-10 win rate, its count, average odds) — recomputed only when a settlement changed the history."""
        if self._rates is None:
            rate, count = last_n_win_rate(self.history)
            self._rates = (rate, count, last_n_win_rate(self.history_odds)[0])
        return self._rates

    @property
    def bankroll(self) -> Bankroll:
        return self.portfolio.bankroll

    # --- Gymnasium ---------------------------------------------------------------------------------------
    def _obs(self) -> np.ndarray:
        r = self._todo[0] if self._todo else (self._rows[-1] if len(self._rows) else self.order[0])
        rate, count, _ = self._history_rates()
        extras = np.array(
            [
                self.bankroll.cash / self.initial_budget,
                self.bankroll.drawdown,
                0.0 if count[0] == 0 else rate[0],
                float(count[0] > 0),
                float(self.bankroll.halted),
            ],
            np.float32,
        )
        return np.concatenate([self.values[r], self.masks[r].astype(np.float32), extras]).astype(np.float32)

    def _mask(self) -> np.ndarray:
        mask = np.ones(len(PREMATCH_ACTIONS), bool)
        if self.bankroll.halted or self.bankroll.cash <= 1e-9:
            mask[1:] = False
        return mask

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        season = self.seasons[self._season_turn % len(self.seasons)]
        self._season_turn += 1
        rows = self.order[self.ms.season[self.order] == season]
        self._cut = bool(self.max_matches) and len(rows) > (self.max_matches or 0)
        self.history[:] = np.nan
        self.history_odds[:] = np.nan
        self._rates = None
        self.reward_fn.reset()
        self._start(rows[: self.max_matches] if self.max_matches else rows)
        return self._obs(), {"action_mask": self._mask(), "season": season, "matches": len(self._rows)}

    def order_for(self, action: int) -> BetOrder | None:
        """The engine order an action stands for on the current match (None for "no bet")."""
        if action == 0 or not self._todo:
            return None
        r = self._todo[0]
        sel, size = divmod(action - 1, len(PREMATCH_STAKES))
        return BetOrder(
            int(self.ms.match_id[r]),
            "1x2",
            PREMATCH_SELECTIONS[sel],
            None,
            float(self.ms.prematch_odds[r, sel]),
            PREMATCH_STAKES[size] * self.bankroll.equity,
            str(self.ms.bet_bookmaker[r]),
            note=PREMATCH_ACTIONS[action],
        )

    def context(self) -> DecisionContext:
        """What an engine strategy would be given for the current match (the same context the backtest builds)."""
        if not self._todo or self._round is None:
            raise RuntimeError("the season is over; call reset()")
        mid = int(self.ms.match_id[self._todo[0]])
        view = next(m for m in self._round.matches if m.match_id == mid)
        return self.engine.context(self.AGENT, DecisionRound(self._round.at, [view], {mid: self._round.odds[mid]}))

    def action_for(self, orders: Sequence[BetOrder]) -> int:
        """The action that places ``orders`` (at most one, on the current match) — lets any engine strategy act."""
        if not orders:
            return 0
        if len(orders) > 1:
            raise ValueError(f"one bet per match in this environment, got {len(orders)} orders")
        (order,) = orders
        for a in range(1, len(PREMATCH_ACTIONS)):
            offered = self.order_for(a)
            assert offered is not None
            if (offered.match_id, offered.market, offered.selection, offered.bookmaker) == (
                order.match_id,
                order.market,
                order.selection,
                order.bookmaker,
            ) and abs(offered.stake - order.stake) <= 1e-9 * max(1.0, order.stake):
                return a
        raise ValueError(f"no action places {order} (stakes are {PREMATCH_STAKES} of equity at the offered price)")

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        a = int(action)
        if not 0 <= a < len(PREMATCH_ACTIONS):
            raise ValueError(f"action {a} outside 0…{len(PREMATCH_ACTIONS) - 1}")
        if not self._todo:
            raise RuntimeError("the season is over; call reset()")
        r = self._todo[0]
        bank = self.bankroll
        before = bank.equity
        info: dict[str, Any] = {"match_id": self.ms.match_id[r].item(), "action": PREMATCH_ACTIONS[a]}
        stake = payout = spread = 0.0
        order = self.order_for(a)
        if order is not None and self._mask()[a]:
            assert self._round is not None
            refused = len(self.portfolio.refusals)
            bet = self.engine.submit(self.AGENT, order, self._round)
            if bet is not None:
                info["decision"] = f"accepted {bet.stake:.4g}" + (f" (cut by {bet.cut_by})" if bet.cut_by else "")
                # the reward of this decision: its own bet's settlement on its own match (never a neighbour's)
                (outcome,) = settle_outcomes([bet], {bet.match_id: self.source.result(r)})
                stake, payout = bet.stake, outcome.payout
                sel = PREMATCH_SELECTIONS.index(bet.selection)
                spread = float(match_volatility(self.ms.prematch_fair[r]))
                # evaluation only (never observed): closing line value of the bet, NaN without a closing price
                info["clv"] = float(clv([bet.odds], self.ms.closing_odds[r][None], [sel])[0])
            else:
                info["decision"] = f"rejected ({self.portfolio.refusals[refused].reason})"
        elif order is not None:
            info["decision"] = "rejected (halted)"
        self._todo.popleft()
        self._i += 1
        self._next_decision()
        end = not self._todo
        rate, _, avg_odds = self._history_rates()
        ctx = RewardContext(
            wealth_before=np.array([before]),
            wealth_after=np.array([before - stake + payout]),
            initial_budget=self.initial_budget,
            settled=np.array([stake > 0]),
            stake=np.array([stake]),
            payout=np.array([payout]),
            market_volatility=np.array([spread]),
            risk_score=np.array([min(stake / max(self.limits.max_daily_exposure_fraction * before, 1e-12), 1.0)]),
            budget_remaining=np.array([bank.equity]),
            last_10_win_rate=rate,
            avg_odds=avg_odds,
            staleness_seconds=np.zeros(1),
        )
        reward = float(self.reward_fn(ctx)[0])
        truncated = end and self._cut
        terminated = (end and not truncated) or bank.halted or bank.equity <= 1e-9
        if terminated or truncated:
            self._close()
        info["equity"] = bank.equity
        info["bet_stake"] = stake
        info["bet_payout"] = payout
        info["action_mask"] = self._mask()
        return self._obs(), reward, bool(terminated), bool(truncated), info

    def action_masks(self) -> np.ndarray:
        return self._mask()

    @property
    def feature_names(self) -> tuple[str, ...]:
        return PREMATCH_FEATURES + tuple(f"mask_{f}" for f in PREMATCH_FEATURES) + PREMATCH_EXTRAS


#: Gymnasium ids (``gymnasium.make("betfolio/LiveBetting-v0", reward="log_wealth")``).
ENV_IDS: dict[str, str] = {
    "betfolio/LiveBetting-v0": "betfolio.sim.envs:LiveBettingEnv",
    "betfolio/PreMatchBetting-v0": "betfolio.sim.envs:PreMatchBettingEnv",
}


def register_envs() -> None:
    """Register the environments with Gymnasium (idempotent; done on ``import betfolio.sim``)."""
    for env_id, entry_point in ENV_IDS.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point, max_episode_steps=None)
