"""Paper trading: the trained HRL run decides on the live stream; the risk chain and the ledger are the real ones.

For every state read from the stream (a consumer group, :mod:`betfolio.live.stream`) the trader

1. resolves the provider's fixture id to the store's match (``identity_map``) — unknown matches are skipped
   with a reason;
2. prices the modelled in-play book from the match's pre-match 1X2 quotes *as of kick-off* (margin removed)
   and the current score, minute and red cards (:mod:`betfolio.sim.pricing`) — the same book the live worker
   was trained against, since no live odds feed is part of the stream;
3. builds the observations with the one live feature builder (:func:`betfolio.features.live.observations_from_states`
   — identical scaling, masks and ``staleness / 300``) and steps the live worker's LSTM for that match (one
   recurrent state per match; a batch of matches in one forward pass);
4. lets the manager's allocation scale the stake (5 % of the live worker's share of equity), passes the order
   through the bankroll's risk chain, and records the bet in the ledger (``kind='paper'``) under an id derived
   from (run, match, minute, selection);
5. settles a match's open bets when its final state arrives, or later from the store once its result is
   ingested.

Data staler than ``max_staleness`` seconds places no new bet (counted as ``stale``). Stream entries are
acknowledged only after the batch's ledger writes commit; if Redis or the database goes away the trader waits,
reloads its books from the ledger and re-reads its unacknowledged entries — it never crash-loops or loses its
place.
"""

from __future__ import annotations

import json
import logging
import math
import socket
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

from betfolio.agents.live.network import MASKED_LOGIT, MaskedAttentionLSTM
from betfolio.agents.live.ppo import load_live_network
from betfolio.agents.manager import ManagerConfig, ManagerState, UCBManager, UCBVariant
from betfolio.canonical import LiveMatchState
from betfolio.canonical.enums import MatchStatus
from betfolio.features.live import LIVE_SELECTIONS, N_LIVE_ACTIONS, observations_from_states
from betfolio.live import ledger, metrics
from betfolio.live.stream import Entry, StreamConsumer
from betfolio.markets.margin import remove_margin_multiplicative
from betfolio.markets.settlement import settle
from betfolio.providers.live_bus import DEFAULT_PREFIX
from betfolio.risk.bankroll import Bankroll, StakeOrder
from betfolio.risk.limits import RiskLimits
from betfolio.sim.market import BookConfig
from betfolio.sim.pricing import implied_intensities, offered_odds, outcome_probabilities, remaining_intensities
from betfolio.sim.reward import bet_return_volatility, mission_reward

log = logging.getLogger(__name__)

AGENT = "hrl-live"
#: Stake per bet as a fraction of the live worker's capital — the mission's 5 %, as in training.
STAKE_FRACTION = 0.05
#: Alert floor for the budget gauge, as a fraction of the initial bankroll (the mission reward's 0.8 line).
BUDGET_FLOOR_FRACTION = 0.8
#: How often open bets are checked against results ingested into the store.
SETTLE_FROM_STORE_SECONDS = 30.0
#: A match is "live" for the staleness/no-decision alerts while its latest state is this recent.
LIVE_WINDOW_SECONDS = 300.0
#: Settled bets in the rolling Sharpe ratio exported for the dashboard.
SHARPE_WINDOW = 50
#: Selection index → (market, selection, line) in the ledger's vocabulary.
LEDGER_SELECTIONS: dict[str, tuple[str, str, float | None]] = {
    "home": ("1x2", "home", None),
    "draw": ("1x2", "draw", None),
    "away": ("1x2", "away", None),
    "over_2_5": ("total_goals", "over", 2.5),
    "under_2_5": ("total_goals", "under", 2.5),
}


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
        if self.policy not in ("greedy", "sample"):
            raise ValueError(f"policy must be 'greedy' or 'sample', got {self.policy!r}")

    @property
    def run_key(self) -> str:
        return f"paper {self.run_dir.resolve().name} · {self.group}"


@dataclass
class MatchBook:
    """What the trader keeps per match: identity, pre-match prices, recurrent slot, positions, decisions."""

    match_id: int
    slot: int
    kickoff: datetime
    intensities: tuple[float, float] | None  # full-match Poisson intensities from pre-match prices
    fair: np.ndarray | None  # margin-free pre-match 1X2
    positions: np.ndarray = field(default_factory=lambda: np.zeros(len(LIVE_SELECTIONS)))
    decided: set[int] = field(default_factory=set)  # minutes with a bet (from the ledger across restarts)
    last_seen: float = 0.0
    status: str = "in_play"


@dataclass
class Summary:
    states_read: int = 0
    decisions: int = 0
    bets: int = 0
    settled: int = 0
    malformed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        lat = np.asarray(self.latencies[-200_000:]) * 1000.0
        pct = {"p50": float(np.percentile(lat, 50)), "p99": float(np.percentile(lat, 99))} if lat.size else {
            "p50": 0.0, "p99": 0.0}  # fmt: skip
        return {
            "states_read": self.states_read,
            "decisions": self.decisions,
            "bets": self.bets,
            "settled": self.settled,
            "malformed": self.malformed,
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
    def __init__(self, engine: Any, client: Any, network: MaskedAttentionLSTM, manager: ManagerConfig,
                 config: PaperConfig) -> None:  # fmt: skip
        self.engine = engine
        self.client = client
        self.network = network
        self.config = config
        self.book_config = BookConfig()
        consumer = config.consumer or f"{socket.gethostname()}-{config.group}"
        self.consumer = StreamConsumer(client, f"{config.prefix}:{config.provider}", config.group, consumer)
        self.manager = UCBManager(("prematch", "live"), manager)
        self.run_id = ledger.ensure_paper_run(
            engine,
            config.run_key,
            {"run_dir": str(config.run_dir), "group": config.group, "provider": config.provider,
             "max_staleness": config.max_staleness, "initial_bankroll": config.initial_bankroll,
             "limits": config.limits.as_dict()},
        )  # fmt: skip
        self.summary = Summary()
        self._ids: dict[str, str] = {}
        self._ids_loaded = 0.0
        self._last_store_settle = 0.0
        self._reset_books()

    @classmethod
    def open(cls, engine: Any, redis_url: str, config: PaperConfig) -> PaperTrader:
        import redis

        # One intra-op thread: the batches are small, and on a shared machine more threads only contend.
        torch.set_num_threads(1)
        network, manager, _name = load_run(config.run_dir)
        client = redis.Redis.from_url(redis_url, socket_timeout=5.0, socket_connect_timeout=5.0)
        return cls(engine, client, network, manager, config)

    # -- books ----------------------------------------------------------------------------------------------------
    def _reset_books(self) -> None:
        """(Re)build every in-memory book from the ledger: the ledger is the truth after any failure."""
        self.bank = Bankroll(self.config.initial_bankroll, self.config.limits)
        self.matches: dict[str, MatchBook] = {}
        self.open_bets: dict[int, dict[str, Any]] = {}  # ledger bet id → row (+ bankroll id)
        self.settled_history: list[bool] = []
        self.returns: deque[float] = deque(maxlen=SHARPE_WINDOW)
        self._capacity = 0
        self._h = self._c = torch.zeros(1, 0, self.network.config.hidden)
        bets = ledger.load_bets(self.engine, self.run_id)
        self._decided: dict[int, set[int]] = defaultdict(set)
        for row in bets:
            self._decided[row["match_id"]].add(int(row["detail"].get("minute", -1)))
            placed = self.bank.place(StakeOrder(row["match_id"], row["placed_at"].date(), row["stake"], row["odds"]))
            if not placed.accepted:  # limits changed since: keep the books honest, the bet is still real
                self.bank.cash -= row["stake"]
                bank_id = None
            else:
                bank_id = placed.bet_id
            if row["status"] == "open":
                self.open_bets[row["bet_id"]] = {**row, "bank_id": bank_id}
            else:
                if bank_id is not None:
                    self.bank.settle(bank_id, row["payout"] or 0.0)
                else:
                    self.bank.cash += row["payout"] or 0.0
                self.settled_history.append(row["status"] in ("won", "half_won"))
                self.returns.append((row["payout"] or 0.0) / row["stake"] - 1.0)
        self._publish_budget()

    def _publish_budget(self) -> None:
        run = self.config.run_key
        metrics.BUDGET_REMAINING.labels(run).set(self.bank.equity)
        metrics.BUDGET_FLOOR.labels(run).set(self.config.initial_bankroll * BUDGET_FLOOR_FRACTION)
        metrics.OPEN_BETS.labels(run).set(len(self.open_bets))
        if len(self.returns) >= 2 and (spread := float(np.std(self.returns, ddof=1))) > 0:
            metrics.ROLLING_SHARPE.labels(run).set(float(np.mean(self.returns)) / spread)

    def _slot(self) -> int:
        slot = len(self.matches)
        if slot >= self._capacity:
            grow = max(64, self._capacity)
            zeros = torch.zeros(1, grow, self.network.config.hidden)
            self._h, self._c = torch.cat([self._h, zeros], 1), torch.cat([self._c, zeros.clone()], 1)
            self._capacity += grow
        return slot

    def warm_up(self, states: list[LiveMatchState]) -> int:
        """Resolve these fixtures (identity, pre-match prices) ahead of their first state; returns how many."""
        return sum(self._match(s) is not None for s in states)

    def _match(self, state: LiveMatchState) -> MatchBook | None:
        key = state.provider_match_id
        book = self.matches.get(key)
        if book is not None:
            return book
        canonical = self._ids.get(key)
        if canonical is None and time.monotonic() - self._ids_loaded > 5.0:
            self._load_ids(state.provider)
            canonical = self._ids.get(key)
        if canonical is None or not canonical.isdigit():
            return None
        match_id = int(canonical)
        kickoff, fair = self._prematch(match_id)
        if kickoff is None:
            return None
        lam = None
        if fair is not None:
            lh, la = implied_intensities(fair.reshape(1, 3))
            lam = (float(lh[0]), float(la[0]))
        book = MatchBook(match_id, self._slot(), kickoff, lam, fair, decided=self._decided.get(match_id, set()))
        for row in self.open_bets.values():
            if row["match_id"] == match_id:
                book.positions[row["detail"]["action"] - 1] += row["stake"] * row["odds"]
        self.matches[key] = book
        return book

    def _load_ids(self, provider: str) -> None:
        from betfolio.store.identity import external_ids
        from betfolio.store.writer import FIXTURE

        with self.engine.connect() as conn:
            self._ids = external_ids(conn, provider, FIXTURE)
        self._ids_loaded = time.monotonic()

    def _prematch(self, match_id: int) -> tuple[datetime | None, np.ndarray | None]:
        """Kick-off and margin-free 1X2 from every bookmaker's last pre-kick-off quote (median, renormalised)."""
        from betfolio.store import queries
        from betfolio.store.tables import matches_master

        with self.engine.connect() as conn:
            kickoff = conn.execute(
                matches_master.select().with_only_columns(matches_master.c.kickoff_utc).where(
                    matches_master.c.match_id == match_id)
            ).scalar()  # fmt: skip
            if kickoff is None:
                return None, None
            quotes = queries.odds_as_of(conn, match_id, kickoff, market="1x2")
        books: dict[str, dict[str, float]] = defaultdict(dict)
        for q in quotes:
            books[q.bookmaker][q.selection] = q.odds
        rows = [[b[s] for s in ("home", "draw", "away")] for b in books.values() if len(b) == 3]
        if not rows:
            return kickoff, None
        fair = np.median(remove_margin_multiplicative(np.asarray(rows, dtype=np.float64)), axis=0)
        return kickoff, fair / fair.sum()

    # -- the loop -------------------------------------------------------------------------------------------------
    def run(
        self, duration: float | None = None, log: Callable[[str], None] | None = None, *, until_idle: bool = False
    ) -> dict[str, Any]:
        """Trade until ``duration`` seconds have passed (or forever; with ``until_idle`` also stop at the first
        empty read, once the stream is drained); returns the JSON summary."""
        deadline = None if duration is None else time.monotonic() + duration
        backoff = 0.5
        ready = False
        while deadline is None or time.monotonic() < deadline:
            try:
                if not ready:
                    self.consumer.ensure_group()
                    ready = True
                entries = self.consumer.read(self.config.batch, self._block_ms(deadline))
                read_at = time.perf_counter()
                if entries:
                    self.process(entries, read_at)
                self._settle_from_store()
                if until_idle and not entries:
                    break
                backoff = 0.5
            except Exception as exc:  # Redis or PostgreSQL away: wait, rebuild from the ledger, resume
                if not _transient(exc):
                    raise
                kind = "redis" if "redis" in type(exc).__module__ else "database"
                metrics.ERRORS.labels(f"{kind}_unavailable").inc()
                if log:
                    log(f"{kind} unavailable ({type(exc).__name__}); retrying in {backoff:.1f} s")
                time.sleep(min(backoff, max(0.0, deadline - time.monotonic()) if deadline else backoff))
                backoff = min(backoff * 2, 10.0)
                ready = False
                try:
                    self._reset_books()
                    self.consumer.restart()
                except Exception as again:
                    if not _transient(again):
                        raise
        summary = self.summary.as_dict()
        try:
            ledger.finish_run(self.engine, self.run_id, summary | {"equity": self.bank.equity})
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

    def process(self, entries: list[Entry], read_at: float) -> None:
        """Decide on a batch, write bets and settlements in one transaction, then acknowledge the batch."""
        if not entries:
            return
        now = datetime.now(UTC)
        self.summary.states_read += len(entries)
        metrics.STATES_READ.inc(len(entries))
        metrics.STREAM_LAG.set(max(0.0, time.time() - entries[-1].published_ms / 1000.0))
        valid: list[tuple[Entry, LiveMatchState]] = []
        for entry in entries:
            if entry.state is None:
                self.summary.malformed += 1
                self._skip("malformed")
                metrics.ERRORS.labels("malformed_entry").inc()
                log.warning("malformed stream entry %s: %s", entry.id, entry.error)
            else:
                valid.append((entry, entry.state))
        bets: list[dict[str, Any]] = []
        settlements: list[dict[str, Any]] = []
        decided = 0
        pending = valid
        while pending:  # one wave per distinct match, so a match's LSTM steps in stream order
            wave, later, seen = [], [], set()
            for item in pending:
                (later if item[1].provider_match_id in seen else wave).append(item)
                seen.add(item[1].provider_match_id)
            decided += self._decide(wave, now, bets, settlements)
            pending = later
        added = 0
        if bets or settlements:
            with self.engine.begin() as conn:
                added = ledger.write(conn, bets, settlements)
        self.consumer.ack([e.id for e in entries])
        done = time.perf_counter()
        latency = done - read_at
        self.summary.latencies.extend([latency] * decided)
        if len(self.summary.latencies) > 400_000:
            del self.summary.latencies[:200_000]
        for _ in range(decided):
            metrics.DECISION_LATENCY.observe(latency)
        self.summary.bets += added
        if added:
            metrics.BETS_PLACED.labels(AGENT).inc(added)
        self._publish_budget()
        self._publish_liveness()

    def _skip(self, reason: str, n: int = 1) -> None:
        self.summary.skipped[reason] += n
        metrics.SKIPPED.labels(reason).inc(n)

    def _publish_liveness(self) -> None:
        cutoff = time.monotonic() - LIVE_WINDOW_SECONDS
        live = sum(1 for b in self.matches.values() if b.status == "in_play" and b.last_seen > cutoff)
        metrics.LIVE_MATCHES.set(live)

    def _decide(self, wave: list[tuple[Entry, LiveMatchState]], now: datetime, bets: list[dict[str, Any]],
                settlements: list[dict[str, Any]]) -> int:  # fmt: skip
        """Step the live worker once for every match in ``wave``; returns the number of decisions taken."""
        live: list[tuple[MatchBook, LiveMatchState, float]] = []
        worst_staleness = 0.0
        for _entry, state in wave:
            book = self._match(state)
            if book is None:
                self._skip("unknown_match")
                continue
            book.last_seen = time.monotonic()
            book.status = state.status.value
            staleness = state.data_staleness + max(0.0, (now - state.observed_at).total_seconds())
            worst_staleness = max(worst_staleness, staleness)
            if state.status.is_final or state.status.voids_bets:
                settlements.extend(self._settle_match(book, state.status, state.home_goals, state.away_goals, now))
                self._skip("final_state")
                continue
            if state.status is not MatchStatus.IN_PLAY:
                self._skip("not_in_play")
                continue
            live.append((book, state, staleness))
        if wave:
            metrics.DATA_STALENESS.labels(wave[0][1].provider).set(worst_staleness)
        if not live:
            return 0
        prices = self._live_odds([b for b, _, _ in live], [s for _, s, _ in live])  # one vectorised pass
        masks = np.ones((len(live), N_LIVE_ACTIONS), bool)
        masks[:, 1:] = np.isfinite(prices)
        equity = max(self.bank.equity, 1e-9)
        observed = [
            state.model_copy(update={"data_staleness": staleness}) if staleness != state.data_staleness else state
            for _, state, staleness in live
        ]
        obs = observations_from_states(
            observed,
            [book.fair for book, _, _ in live],
            prices,
            cash_fraction=self.bank.cash / self.config.initial_bankroll,
            exposure_fraction=np.array([self.bank.match_exposure(book.match_id) for book, _, _ in live]) / equity,
            positions=np.stack([book.positions for book, _, _ in live]) / self.config.initial_bankroll,
            halted=self.bank.halted,
        )
        rows = [(book, state, odds) for (book, state, _), odds in zip(live, prices, strict=True)]
        slots = torch.as_tensor([b.slot for b, _, _ in rows])
        with torch.inference_mode():
            logits, _value, (h, c) = self.network.step(
                torch.as_tensor(obs), (self._h[:, slots], self._c[:, slots])
            )
            self._h[:, slots], self._c[:, slots] = h, c
            logits = logits.masked_fill(~torch.as_tensor(masks), MASKED_LOGIT)
            if self.config.policy == "greedy":
                actions = logits.argmax(dim=-1).numpy()
            else:
                cdf = torch.softmax(logits, dim=-1).cumsum(dim=-1).numpy()
                draws = np.array([self._draw(b.match_id, s.minute) for b, s, _ in rows])
                actions = np.minimum((cdf < draws[:, None] * cdf[:, -1:]).sum(axis=1), N_LIVE_ACTIONS - 1)
        metrics.DECISIONS.labels(AGENT).inc(len(rows))
        self.summary.decisions += len(rows)
        share = self._live_share(worst_staleness)
        for (book, state, odds), action in zip(rows, actions, strict=True):
            if action == 0:
                continue
            staleness = state.data_staleness + max(0.0, (now - state.observed_at).total_seconds())
            if staleness > self.config.max_staleness:
                self._skip("stale")
                continue
            if state.minute in book.decided:
                self._skip("already_decided")
                continue
            if state.minute >= self.book_config.last_bet_minute:
                self._skip("market_closed")
                continue
            bet = self._place(book, state, int(action), float(odds[action - 1]), share, staleness, now)
            if bet is not None:
                bets.append(bet)
        return len(rows)

    def _draw(self, match_id: int, minute: int) -> float:
        """A uniform number in [0, 1) fixed by (run, match, minute): reproducible across restarts."""
        return (ledger.paper_bet_id(self.config.run_key, match_id, minute, "draw") & ((1 << 53) - 1)) / (1 << 53)

    def _live_odds(self, books: list[MatchBook], states: list[LiveMatchState]) -> np.ndarray:
        """The modelled book's odds per :data:`LIVE_SELECTIONS` for every match at once (NaN = not offered)."""
        out = np.full((len(books), len(LIVE_SELECTIONS)), np.nan)
        priced = [i for i, b in enumerate(books) if b.intensities is not None]
        if not priced:
            return out
        lam = np.array([books[i].intensities for i in priced])
        st = [states[i] for i in priced]
        mu_h, mu_a = remaining_intensities(
            lam[:, 0], lam[:, 1], np.array([s.minute for s in st]),
            np.array([s.home_red_cards or 0 for s in st]), np.array([s.away_red_cards or 0 for s in st]),
        )  # fmt: skip
        probs = outcome_probabilities(
            mu_h, mu_a, np.array([s.home_goals for s in st]), np.array([s.away_goals for s in st])
        )
        out[priced] = offered_odds(probs, self.book_config.margin, self.book_config.min_probability)
        return out

    def _live_share(self, staleness: float) -> float:
        equity = self.bank.equity
        state = ManagerState(
            budget_remaining=equity / self.config.initial_bankroll,
            risk_score=min(1.0, self.bank.drawdown / (self.config.limits.max_drawdown or 1.0)),
            portfolio_return=equity / self.config.initial_bankroll - 1.0,
            worker_win_rates=(math.nan, self.manager.win_rate("live")),
            market_volatility=0.0,
            data_staleness=staleness,
        )
        return self.manager.allocate(state).shares["live"]

    def _place(self, book: MatchBook, state: LiveMatchState, action: int, odds: float, share: float,
               staleness: float, now: datetime) -> dict[str, Any] | None:  # fmt: skip
        selection = LIVE_SELECTIONS[action - 1]
        requested = STAKE_FRACTION * self.bank.equity * share
        decision = self.bank.place(StakeOrder(book.match_id, now.date(), requested, odds, selection))
        if not decision.accepted:
            self._skip(f"risk_{decision.reason.label}")
            return None
        market, sel, line = LEDGER_SELECTIONS[selection]
        bet_id = ledger.paper_bet_id(self.config.run_key, book.match_id, state.minute, selection)
        book.decided.add(state.minute)
        book.positions[action - 1] += decision.stake * odds
        row = {
            "bet_id": bet_id,
            "run_id": self.run_id,
            "agent": AGENT,
            "match_id": book.match_id,
            "market": market,
            "selection": sel,
            "line": line,
            "odds": odds,
            "stake": decision.stake,
            "bookmaker": "modelled-in-play",
            "placed_at": now,
            "in_play": True,
            "status": "open",
            "payout": None,
            "settled_at": None,
            "closing_odds": None,
            "clv": None,
            "detail": {
                "minute": state.minute,
                "action": action,
                "score": [state.home_goals, state.away_goals],
                "staleness": round(staleness, 3),
                "risk": decision.reason.label,
                "manager_share": round(share, 4),
                "provider": state.provider,
                "provider_match_id": state.provider_match_id,
            },
        }
        self.open_bets[bet_id] = {**row, "bank_id": decision.bet_id}
        return row

    # -- settlement ------------------------------------------------------------------------------------------------
    def _settle_match(self, book: MatchBook | None, status: MatchStatus, home: int | None, away: int | None,
                      now: datetime, match_id: int | None = None) -> list[dict[str, Any]]:  # fmt: skip
        target = book.match_id if book is not None else match_id
        out = []
        for bet_id, row in list(self.open_bets.items()):
            if row["match_id"] != target:
                continue
            result = settle(row["market"], row["selection"], row["line"], home, away, status)
            payout = result.payout(row["stake"], row["odds"])
            won = result.outcome.value in ("won", "half_won")
            probability = 1.0 / row["odds"] / (1.0 + self.book_config.margin)
            reward = float(
                mission_reward(
                    row["stake"], payout, bet_return_volatility(row["odds"], probability),
                    self.bank.drawdown, self.bank.equity, self.config.initial_bankroll,
                    self.manager.win_rate("live"), row["odds"], row["detail"].get("staleness", 0.0),
                )
            )  # fmt: skip
            if row["bank_id"] is not None:
                self.bank.settle(row["bank_id"], payout)
            self.manager.record("live", payout - row["stake"], row["stake"], bets_won=[won])
            self.settled_history.append(won)
            self.returns.append(payout / row["stake"] - 1.0)
            metrics.REWARD.labels(AGENT).observe(reward)
            metrics.BETS_SETTLED.labels(AGENT, result.outcome.value).inc()
            self.summary.settled += 1
            del self.open_bets[bet_id]
            out.append(
                {
                    "bet_id": bet_id,
                    "status": result.outcome.value,
                    "payout": payout,
                    "settled_at": now,
                    "detail": {**row["detail"], "reward": reward, "final_score": [home, away]},
                }
            )
        if out:
            self.manager.end_round()
        return out

    def _settle_from_store(self) -> None:
        """Settle open bets whose match result has been ingested since (the final state may never come)."""
        if not self.open_bets or time.monotonic() - self._last_store_settle < SETTLE_FROM_STORE_SECONDS:
            return
        from betfolio.store import queries

        self._last_store_settle = time.monotonic()
        ids = sorted({r["match_id"] for r in self.open_bets.values()})
        with self.engine.connect() as conn:
            results = queries.match_results(conn, ids)
        now = datetime.now(UTC)
        settlements = []
        for match_id, r in results.items():
            status = MatchStatus(r["status"])
            if (status.is_final and r["home_goals"] is not None) or status.voids_bets:
                settlements += self._settle_match(None, status, r["home_goals"], r["away_goals"], now, match_id)
        if settlements:
            with self.engine.begin() as conn:
                ledger.write(conn, [], settlements)
            self._publish_budget()


def _transient(exc: BaseException) -> bool:
    """Connection-level failures of Redis or the database (worth waiting out), as opposed to bugs."""
    import redis
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, redis.ConnectionError | redis.TimeoutError | OperationalError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated
