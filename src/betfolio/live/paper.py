"""Paper trading: the trained HRL run trades the live stream on the engine; risk chain and ledger are the real ones.

This module is wiring only. The engine's live source (:class:`betfolio.engine.sources.live.LiveFeed`, a Redis
consumer group, with :class:`~betfolio.engine.sources.live_book.StoreLiveBook` resolving fixtures and offering
the modelled in-play book) turns the stream into decision rounds; the HRL decides as an engine strategy
(:class:`betfolio.live.hrl_strategy.HRLLiveStrategy`, the live feature builder, one LSTM state per match); the
engine's execution checks the price, the data staleness limit and the risk chain, counting a reason for every
refusal; settlement runs on each match's final state (or on its result once ingested into the store); and the
one ledger writer (:mod:`betfolio.engine.ledger`, ``kind='paper'``) records every bet under an id derived from
(run, match, decision minute, selection).

Exactly once: stream entries are acknowledged only after the ledger transaction of the decisions they caused
commits; a trader killed in between reads them again and re-derives the same bet ids (the insert is a no-op).
Memory across restarts: before reading, a trader replays the entries its group already handled through the same
engine and strategy (:meth:`LiveFeed.history`), which rebuilds the recurrent state, positions, bankroll and
manager exactly as an uninterrupted trader holds them. If Redis or the database goes away the trader waits,
rebuilds itself the same way and resumes — it never crash-loops or loses its place.
"""

from __future__ import annotations

import gc
import json
import logging
import math
import socket
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

from betfolio.agents.live.network import MaskedAttentionLSTM
from betfolio.agents.live.ppo import load_live_network
from betfolio.agents.manager import ManagerConfig, UCBVariant
from betfolio.agents.selection import ABSTAIN, TRAINED
from betfolio.canonical.enums import MatchStatus
from betfolio.engine import Engine, Execution, Portfolio, WallClock, ledger
from betfolio.engine.bets import BetRecord
from betfolio.engine.events import DecisionRound, Event, MatchResult, Results
from betfolio.engine.settlement import Outcome
from betfolio.engine.sources.live import LiveFeed, entry_key
from betfolio.engine.sources.live_book import StoreLiveBook
from betfolio.features.live import N_LIVE_ACTIONS
from betfolio.live import metrics
from betfolio.live.hrl_strategy import AGENT, HRLLiveStrategy, check_policy
from betfolio.markets.margin import remove_margin_multiplicative
from betfolio.providers.live_bus import DEFAULT_PREFIX
from betfolio.risk.bankroll import Bankroll, StakeOrder
from betfolio.risk.limits import RiskLimits
from betfolio.sim.reward import match_volatility, mission_reward

log = logging.getLogger(__name__)

RUN_KIND = "paper"
#: Alert floor for the budget gauge, as a fraction of the initial bankroll (the mission reward's 0.8 line).
BUDGET_FLOOR_FRACTION = 0.8
#: How often open bets are checked against results ingested into the store.
SETTLE_FROM_STORE_SECONDS = 30.0
#: A match is "live" for the staleness/no-decision alerts while its latest state is this recent.
LIVE_WINDOW_SECONDS = 300.0
#: The live worker's name in a training run's evaluation (the model-selection record paper trading follows).
LIVE_WORKER = "live"
#: Settled bets in the rolling Sharpe ratio exported for the dashboard.
SHARPE_WINDOW = 50


@dataclass
class PaperConfig:
    run_dir: Path
    group: str = "paper"
    consumer: str | None = None
    provider: str = "api-football"
    max_staleness: float = 30.0
    initial_bankroll: float = 1000.0
    limits: RiskLimits = field(default_factory=RiskLimits)
    batch: int = 500
    block_ms: int = 200
    prefix: str = DEFAULT_PREFIX
    #: "greedy" takes the policy's most likely action; "sample" draws from it with a draw derived from
    #: (run, match, minute), so a restarted trader draws the same number for the same state.
    policy: str = "greedy"

    def __post_init__(self) -> None:
        check_policy(self.policy)

    @property
    def run_key(self) -> str:
        return f"paper {self.run_dir.resolve().name} · {self.group}"


@dataclass
class Summary:
    #: What the run's model selection deployed for the live worker (:func:`live_deployment`).
    deployed: str = TRAINED
    states_read: int = 0
    decisions: int = 0
    bets: int = 0
    settled: int = 0
    malformed: int = 0
    replayed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=200_000))

    def as_dict(self) -> dict[str, Any]:
        lat = np.asarray(self.latencies) * 1000.0
        pct = {"p50": float(np.percentile(lat, 50)), "p99": float(np.percentile(lat, 99))} if lat.size else {
            "p50": 0.0, "p99": 0.0}  # fmt: skip
        return {
            "deployed": self.deployed,
            "states_read": self.states_read,
            "decisions": self.decisions,
            "bets": self.bets,
            "settled": self.settled,
            "malformed": self.malformed,
            "replayed": self.replayed,
            "skipped": dict(sorted(self.skipped.items())),
            "latency_ms": pct,
        }


def load_run(run_dir: Path) -> tuple[MaskedAttentionLSTM, ManagerConfig, str]:
    """The trained live worker and the manager settings of a training run directory."""
    if not run_dir.is_dir():
        raise FileNotFoundError(f"training run directory {run_dir} does not exist")
    checkpoint = run_dir / "live.pt"
    network, _config = load_live_network(checkpoint)
    manager = ManagerConfig(variant=UCBVariant.SLIDING)
    manifest = run_dir / "run.json"
    if manifest.exists():
        try:
            stored = json.loads(manifest.read_text()).get("manager") or {}
            known = {k: v for k, v in stored.items() if k in ManagerConfig.__dataclass_fields__}
            if "variant" in known:
                known["variant"] = UCBVariant(known["variant"])
            manager = ManagerConfig(**known)
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"{manifest}: unreadable manager settings ({exc})") from None
    return network.eval(), manager, checkpoint.name


def live_deployment(run_dir: Path) -> str:
    """What the run's model selection deployed for the live worker: ``"trained"`` or ``"abstain"``.

    A training run replays its trained live worker on held-out training matches and deploys it only if it beat
    abstaining there beyond noise (:mod:`betfolio.agents.selection`); its ``evaluation.json`` records the choice.
    Paper trading follows it, so what trades is what the evaluation judged. A run without that record (trained
    by ``betfolio train --agent live``, or before model selection existed) deploys its trained network.
    """
    record = run_dir / "evaluation.json"
    if not record.exists():
        return TRAINED
    try:
        workers = json.loads(record.read_text()).get("selection", {}).get("workers", {})
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"{record}: unreadable model-selection record ({exc})") from None
    deployed = (workers.get(LIVE_WORKER) or {}).get("deployed", TRAINED)
    if deployed not in (TRAINED, ABSTAIN):
        raise ValueError(f"{record}: unknown deployment {deployed!r} for the live worker")
    return deployed


def untrained_run(path: Path) -> Path:
    """A run directory holding a randomly initialised live network — same shape and cost as a trained one — for
    benchmarks and for the demo when no training run exists. Anything it "decides" is noise, and is labelled so."""
    from betfolio.agents.checkpoint import save_checkpoint
    from betfolio.agents.live.layout import live_layout
    from betfolio.agents.live.network import NetworkConfig
    from betfolio.agents.live.ppo import CHECKPOINT_KIND, PPOConfig

    layout = live_layout()
    config = PPOConfig(network=NetworkConfig(n_actions=N_LIVE_ACTIONS))
    network = MaskedAttentionLSTM(layout, config.network)
    save_checkpoint(
        path / "live.pt", kind=CHECKPOINT_KIND, feature_hash=layout.feature_hash(),
        payload={"config": config.as_dict(), "layout": layout.as_dict(), "network": network.state_dict()},
    )  # fmt: skip
    return path


class PaperTrader:
    """The wiring: a live feed, the HRL strategy, the engine, the ledger and the metrics of one paper run."""

    def __init__(self, engine: Any, client: Any, network: MaskedAttentionLSTM, manager: ManagerConfig,
                 config: PaperConfig) -> None:  # fmt: skip
        self.db = engine
        self.client = client
        self.network = network
        self.manager_config = manager
        self.config = config
        self.book = StoreLiveBook(engine)
        consumer = config.consumer or f"{socket.gethostname()}-{config.group}"
        self.feed = LiveFeed(
            client, f"{config.prefix}:{config.provider}", group=config.group, consumer=consumer, book=self.book,
            count=config.batch, auto_ack=False,
        )  # fmt: skip
        self.run_id = ledger.open_run(
            engine, kind=RUN_KIND, name=config.run_key,
            config={"run_dir": str(config.run_dir), "group": config.group, "provider": config.provider,
                    "max_staleness": config.max_staleness, "initial_bankroll": config.initial_bankroll,
                    "policy": config.policy, "limits": config.limits.as_dict()},
        )  # fmt: skip
        self.deployed = live_deployment(config.run_dir)
        if self.deployed == ABSTAIN:
            log.warning(
                "paper run %s: the run's model selection deployed abstention for the live worker (no edge on its "
                "validation matches); decisions are recorded, no bet is placed",
                self.run_id,
            )
        self.summary = Summary(deployed=self.deployed)
        self._carried: Counter[str] = Counter()
        self._replaying = False
        #: Seconds from each state's observation (stamped as it is published) to its decision being recorded.
        self.feed_latencies: deque[float] = deque(maxlen=200_000)
        self._last_store_settle = 0.0
        try:
            self._rebuild()
        except Exception as exc:  # Redis or the database away at start: :meth:`run` waits and rebuilds
            if not _transient(exc):
                raise
            log.warning("paper run %s: memory not rebuilt yet (%s); retrying", self.run_id, type(exc).__name__)

    @classmethod
    def open(cls, engine: Any, redis_url: str, config: PaperConfig) -> PaperTrader:
        import redis

        # One intra-op thread: the batches are small, and on a shared machine more threads only contend.
        torch.set_num_threads(1)
        network, manager, _name = load_run(config.run_dir)
        client = redis.Redis.from_url(redis_url, socket_timeout=5.0, socket_connect_timeout=5.0)
        return cls(engine, client, network, manager, config)

    @property
    def bank(self) -> Bankroll:
        return self.portfolio.bankroll

    @property
    def open_bets(self) -> list[BetRecord]:
        return self.portfolio.open

    # -- (re)building the trader's memory -------------------------------------------------------------------------
    def _rebuild(self) -> None:
        """A fresh engine, then the group's handled history replayed through it: the memory of a trader that
        never stopped (recurrent states, positions, bankroll, manager)."""
        if hasattr(self, "portfolio") and not self._replaying:  # reasons counted before a failure stay counted
            self._carried += self.portfolio.skips + self.portfolio.rejections
        gc.unfreeze()  # what the previous memory held may be collected again (see _freeze_heap)
        self.portfolio = Portfolio(AGENT, Bankroll(self.config.initial_bankroll, self.config.limits))
        self.strategy = HRLLiveStrategy(
            self.network, self.manager_config, self.portfolio, run_key=self.config.run_key,
            policy=self.config.policy, initial_bankroll=self.config.initial_bankroll,
            abstain=self.deployed == ABSTAIN,
        )  # fmt: skip
        self.loop = Engine(
            [self.strategy], {AGENT: self.portfolio}, clock=WallClock(),
            execution=Execution(max_staleness=self.config.max_staleness),
            initial_bankroll=self.config.initial_bankroll,
        )  # fmt: skip
        self.loop.on_settle.append(self.strategy.settled)
        self.loop.on_settle.append(self._settled)
        self._ids: dict[int, int] = {}  # id(bet) → ledger bet id, while the bet is open
        self._details: dict[int, dict[str, Any]] = {}
        self._new: list[tuple[int, BetRecord]] = []
        self._settlements: list[tuple[int, BetRecord]] = []
        self._rewards: list[float] = []
        self.returns: deque[float] = deque(maxlen=SHARPE_WINDOW)
        self._last_seen: dict[int, float] = {}
        self._staleness: float | None = None  # worst data staleness in the latest round
        self._broken = True
        self.feed.restart()
        self._adopt_trimmed()
        replayed = 0
        self._replaying = True  # the portfolio's counters hold the replay's reasons until it completes
        for event in self.feed.history():
            self._handle(event)
            replayed += len(event.extra.get("states", ())) if isinstance(event, DecisionRound) else 0
        self._new.clear()  # already in the ledger: their entries were acknowledged after it committed
        self._settlements.clear()
        self._rewards.clear()
        self.summary.replayed += replayed
        self.portfolio.skips.clear()
        self.portfolio.rejections.clear()
        self.strategy.decisions = 0
        self._replaying = False
        if replayed:
            log.info("paper run %s: memory rebuilt from %d handled states", self.run_id, replayed)
        self._broken = False
        self._publish_budget()
        _freeze_heap()

    def _adopt_trimmed(self) -> int:
        """Bets of this run decided on entries since trimmed from the stream (``MAXLEN``) cannot be re-decided:
        restore them from the ledger, before the replay (they came first) — open ones are held again and settle
        on their final state or from the store, settled ones count in the bankroll. Returns how many."""
        first = self.client.xrange(self.feed.stream, count=1)
        if not first:
            return 0
        oldest = entry_key(first[0][0])
        adopted = 0
        for row in ledger.run_bets(self.db, self.run_id):
            entry = (row["detail"] or {}).get("entry")
            if entry is None or entry_key(entry) >= oldest:
                continue  # still in the stream: the replay or the pending read decides it again
            fixture = self.book.match(row["match_id"])
            kickoff = fixture.view.kickoff if fixture is not None else row["placed_at"]
            bet = BetRecord(
                strategy=row["agent"], match_id=row["match_id"],
                league=fixture.view.league if fixture is not None else "",
                season=fixture.view.season if fixture is not None else "",
                market=row["market"], selection=row["selection"], line=row["line"], odds=row["odds"],
                stake=row["stake"], requested_stake=(row["detail"] or {}).get("requested_stake", row["stake"]),
                bookmaker=row["bookmaker"] or "", placed_at=row["placed_at"], kickoff=kickoff,
                in_play=bool(row["in_play"]),
            )  # fmt: skip
            bet.bank_id = self.bank.restore(
                StakeOrder(row["match_id"], kickoff.date(), row["stake"], row["odds"], f"{bet.market}:{bet.selection}")
            )
            if row["status"] == "open":
                self.portfolio.open.append(bet)
                self._ids[id(bet)] = int(row["bet_id"])
                self._details[id(bet)] = dict(row["detail"] or {})
            else:
                self.bank.settle(bet.bank_id, row["payout"] or 0.0)
            adopted += 1
        if adopted:
            log.warning("paper run %s: %d bets restored from the ledger (their stream entries were trimmed)",
                        self.run_id, adopted)  # fmt: skip
        return adopted

    # -- the loop -------------------------------------------------------------------------------------------------
    def run(
        self, duration: float | None = None, log: Callable[[str], None] | None = None, *, until_idle: bool = False
    ) -> dict[str, Any]:
        """Trade until ``duration`` seconds have passed (or forever; with ``until_idle`` also stop at the first
        empty read, once the stream is drained); returns the JSON summary."""
        deadline = None if duration is None else time.monotonic() + duration
        backoff = 0.5
        while deadline is None or time.monotonic() < deadline:
            try:
                if self._broken:  # never trade on half-rebuilt memory: rebuild fully first
                    self.feed.ensure_group()
                    self._rebuild()
                read = self.step(self._block_ms(deadline))
                self._settle_from_store()
                if until_idle and not read and not self.feed.holding:
                    break
                backoff = 0.5
            except Exception as exc:  # Redis or PostgreSQL away: wait, rebuild, resume
                if not _transient(exc):
                    raise
                kind = "redis" if "redis" in type(exc).__module__ else "database"
                metrics.ERRORS.labels(f"{kind}_unavailable").inc()
                if log:
                    log(f"{kind} unavailable ({type(exc).__name__}); retrying in {backoff:.1f} s")
                time.sleep(min(backoff, max(0.0, deadline - time.monotonic()) if deadline else backoff))
                backoff = min(backoff * 2, 10.0)
                self._broken = True
        summary = self.summary.as_dict()
        try:
            ledger.finish_run(self.db, self.run_id, summary | {"equity": self.bank.equity})
        except Exception as exc:
            if not _transient(exc):
                raise
        if log:
            log(json.dumps(summary))
        return summary

    def _block_ms(self, deadline: float | None) -> int:
        if deadline is None:
            return self.config.block_ms
        return max(1, min(self.config.block_ms, int((deadline - time.monotonic()) * 1000)))

    def step(self, block_ms: int | None = None) -> int:
        """One read of the stream: decide on it, record bets and settlements in one transaction, then acknowledge.
        Returns how many entries were read."""
        before = self.feed.entries_read
        events = self.feed.poll(block_ms)
        read_at = time.perf_counter()
        read = self.feed.entries_read - before
        self.summary.states_read += read
        if read:
            metrics.STATES_READ.inc(read)
            metrics.STREAM_LAG.set(max(0.0, time.time() - self.feed.last_published_ms / 1000.0))
        decided_before = self.strategy.decisions
        for event in events:
            self._handle(event)
        decided = self.strategy.decisions - decided_before
        self._record()
        self.feed.commit()
        latency = time.perf_counter() - read_at
        recorded = time.time()
        for event in events:
            if isinstance(event, DecisionRound):
                self.feed_latencies.extend(
                    recorded - s.observed_at.timestamp() for s in event.extra.get("states", {}).values()
                )
        self.summary.decisions += decided
        if decided:
            metrics.DECISIONS.labels(AGENT).inc(decided)
            self.summary.latencies.extend([latency] * decided)
            for _ in range(decided):
                metrics.DECISION_LATENCY.observe(latency)
        self._count_reasons()
        self._publish_budget()
        self._publish_liveness()
        return read

    def warm_up(self, match_ids: Iterable[int]) -> int:
        """Read these fixtures and their pre-match prices ahead of their first state; returns how many exist."""
        found = sum(self.book.match(m) is not None for m in match_ids)
        _freeze_heap()
        return found

    def _handle(self, event: Event) -> None:
        """One engine event; the bets it placed get their decision ids and ledger detail."""
        placed = len(self.portfolio.bets)
        self.loop.handle(event)
        if isinstance(event, Results):
            self.strategy.forget([r.match_id for r in event.results])
            for r in event.results:
                self._last_seen.pop(r.match_id, None)
            return
        states, staleness = event.extra.get("states", {}), event.extra.get("staleness", {})
        if staleness:
            self._staleness = max(staleness.values())
        now = time.monotonic()
        for mid in states:
            self._last_seen[mid] = now
        for bet in self.portfolio.bets[placed:]:
            state = states[bet.match_id]
            bet_id = self.strategy.bet_id(bet, state.minute)
            self._ids[id(bet)] = bet_id
            self._details[id(bet)] = {
                "minute": state.minute,
                "score": [state.home_goals, state.away_goals],
                "staleness": round(float(staleness.get(bet.match_id, state.data_staleness)), 3),
                "manager_share": round(self.strategy.last_share, 4),
                "provider": state.provider,
                "provider_match_id": state.provider_match_id,
                "entry": event.extra.get("entries", {}).get(bet.match_id),
                "match_volatility": _match_volatility(event, bet.match_id),
            }
            self._new.append((bet_id, bet))
        del self.portfolio.bets[:]  # the open ones stay in portfolio.open until they settle
        if len(self.portfolio.refusals) > 10_000:
            del self.portfolio.refusals[:]
        if len(self.portfolio.equity) > 10_000:
            del self.portfolio.equity[:-1000]

    def _settled(self, _portfolio: Portfolio, outcomes: list[tuple[BetRecord, Outcome]]) -> None:
        """The engine's settle hook: queue the ledger update, observe the reward (the mission's formula)."""
        bank = self.portfolio.bankroll
        for bet, outcome in outcomes:
            bet_id = self._ids.pop(id(bet), None)
            detail = self._details.get(id(bet), {})
            # NaN (a bet restored from a ledger row written without it) counts as the reward's volatility floor
            volatility = detail.get("match_volatility")
            reward = float(
                mission_reward(
                    bet.stake, outcome.payout, math.nan if volatility is None else volatility, bank.drawdown,
                    bank.equity, self.config.initial_bankroll, self.strategy.manager.win_rate("live"), bet.odds,
                    detail.get("staleness", 0.0),
                )
            )  # fmt: skip
            detail["reward"] = reward
            self.returns.append(outcome.payout / bet.stake - 1.0)
            if bet_id is not None:
                self._settlements.append((bet_id, bet))
                self._rewards.append(reward)

    def _record(self) -> None:
        """Bets placed and settled since the last call, in one transaction (then metrics)."""
        if not self._new and not self._settlements:
            return
        details = self._details
        with self.db.begin() as conn:
            added = ledger.add_bets(conn, self.run_id, self._new, lambda b: details.get(id(b), {}))
            ledger.settle_bets(conn, self._settlements, lambda b: details.get(id(b), {}))
        for _bet_id, bet in self._settlements:
            details.pop(id(bet), None)
            metrics.BETS_SETTLED.labels(AGENT, bet.status).inc()
        for reward in self._rewards:
            metrics.REWARD.labels(AGENT).observe(reward)
        self.summary.bets += added
        self.summary.settled += len(self._settlements)
        if added:
            metrics.BETS_PLACED.labels(AGENT).inc(added)
        self._new, self._settlements, self._rewards = [], [], []

    def _count_reasons(self) -> None:
        """Every state or order not acted on, by reason: the feed's (malformed, unknown match…), the strategy's
        skips and the execution's refusals (stale data, price, risk chain)."""
        reasons = self.feed.reasons + self._carried + self.portfolio.skips + self.portfolio.rejections
        for reason, n in reasons.items():
            delta = n - self.summary.skipped.get(reason, 0)
            if delta > 0:
                metrics.SKIPPED.labels(reason).inc(delta)
                if reason == "malformed":
                    metrics.ERRORS.labels("malformed_entry").inc(delta)
        self.summary.skipped = Counter(dict(reasons))
        self.summary.malformed = reasons.get("malformed", 0)

    def _publish_budget(self) -> None:
        run = self.config.run_key
        metrics.BUDGET_REMAINING.labels(run).set(self.bank.equity)
        metrics.BUDGET_FLOOR.labels(run).set(self.config.initial_bankroll * BUDGET_FLOOR_FRACTION)
        metrics.OPEN_BETS.labels(run).set(len(self.portfolio.open))
        if len(self.returns) >= 2 and (spread := float(np.std(self.returns, ddof=1))) > 0:
            metrics.ROLLING_SHARPE.labels(run).set(float(np.mean(self.returns)) / spread)

    def _publish_liveness(self) -> None:
        cutoff = time.monotonic() - LIVE_WINDOW_SECONDS
        metrics.LIVE_MATCHES.set(sum(1 for seen in self._last_seen.values() if seen > cutoff))
        if self._staleness is not None:
            metrics.DATA_STALENESS.labels(self.config.provider).set(self._staleness)

    # -- settlement from the store -----------------------------------------------------------------------------------
    def _settle_from_store(self) -> None:
        """Settle open bets whose match result has been ingested since (the final state may never come)."""
        if not self.portfolio.open or time.monotonic() - self._last_store_settle < SETTLE_FROM_STORE_SECONDS:
            return
        from betfolio.store import queries

        self._last_store_settle = time.monotonic()
        ids = sorted({b.match_id for b in self.portfolio.open})
        with self.db.connect() as conn:
            rows = queries.match_results(conn, ids)
        now = datetime.now(UTC)
        results = []
        for match_id, r in rows.items():
            status = MatchStatus(r["status"])
            if (status.is_final and r["home_goals"] is not None) or status.voids_bets:
                results.append(MatchResult(match_id, now, status.value, r["home_goals"], r["away_goals"]))
        if results:
            self.loop.handle(Results(now, results))
            self._record()
            self._publish_budget()


def _freeze_heap() -> None:
    """Move every object alive now — network, fixture cache, rebuilt memory — out of the cyclic garbage collector's
    generations (``gc.freeze``). A full collection then scans only what recent ticks allocated: over the whole heap
    it stalled the tick it fell in for up to hundreds of milliseconds on a loaded machine, and a tick is 500
    decisions, so one such stall set the feed-to-decision p99. A rebuild unfreezes first, so a replaced memory can
    still be collected."""
    gc.freeze()


def _transient(exc: BaseException) -> bool:
    """Connection-level failures of Redis or the database (worth waiting out), as opposed to bugs."""
    import redis
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, redis.ConnectionError | redis.TimeoutError | OperationalError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _match_volatility(event: Event, match_id: int) -> float | None:
    """The mission reward's market volatility of a match at the decision (:func:`match_volatility` of the
    margin-free 1X2 prices on offer), kept in the bet's ledger detail for its reward at settlement."""
    quotes = getattr(event, "odds", {}).get(match_id, {}).get(("1x2", None))
    if quotes is None:
        return None
    odds = np.asarray(quotes.odds, dtype=np.float64).reshape(-1)[:3]
    if odds.size < 3 or not np.all(np.isfinite(odds) & (odds > 1.0)):
        return None
    return round(float(match_volatility(remove_margin_multiplicative(odds))), 6)
