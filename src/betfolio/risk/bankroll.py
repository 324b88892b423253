"""A bankroll that validates every order through a chain of risk checks and keeps the books.

The chain (flumine's idea): each check sees the order and the stake that survived the previous checks, and
either passes it, shrinks it to the limit it enforces, or refuses it. The first refusal ends the chain, and
the decision always carries the reason — a backtest report can then say *why* money was not staked.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from betfolio.risk.limits import CAP_REASONS, RejectReason, RiskLimits

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class StakeOrder:
    """A request to stake ``stake`` at decimal ``odds`` on match ``match_key``, counted against day ``day``."""

    match_key: Hashable
    day: Hashable
    stake: float
    odds: float
    label: str = ""


@dataclass(frozen=True, slots=True)
class OrderDecision:
    accepted: bool
    stake: float  # accepted stake (0.0 when refused)
    requested: float
    reason: RejectReason  # ACCEPTED, the limit that cut the stake, or why it was refused
    bet_id: int | None = None

    @property
    def clipped(self) -> bool:
        return self.accepted and self.reason in CAP_REASONS

    def describe(self) -> str:
        if not self.accepted:
            return f"rejected ({self.reason.label}): requested {self.requested:.2f}"
        if self.clipped:
            return f"accepted {self.stake:.2f} of {self.requested:.2f} (cut by {self.reason.label})"
        return f"accepted {self.stake:.2f}"


@dataclass(slots=True)
class OpenBet:
    bet_id: int
    match_key: Hashable
    day: Hashable
    stake: float
    odds: float
    label: str = ""


@dataclass(frozen=True, slots=True)
class SettledBet:
    bet_id: int
    stake: float
    payout: float

    @property
    def profit(self) -> float:
        return self.payout - self.stake


#: A check takes the bankroll, the order and the stake still standing; returns (new stake, reason or None).
#: A returned stake of 0 with a reason refuses the order; a smaller stake with a cap reason shrinks it.
Check = Callable[["Bankroll", StakeOrder, float], tuple[float, RejectReason | None]]


def check_odds(_: Bankroll, order: StakeOrder, stake: float) -> tuple[float, RejectReason | None]:
    if not (math.isfinite(order.odds) and order.odds > 1.0):
        return 0.0, RejectReason.INVALID_ODDS
    return stake, None


def check_stake(_: Bankroll, order: StakeOrder, stake: float) -> tuple[float, RejectReason | None]:
    if not (math.isfinite(stake) and stake > 0.0):
        return 0.0, RejectReason.INVALID_STAKE
    return stake, None


def check_halt(bank: Bankroll, _: StakeOrder, stake: float) -> tuple[float, RejectReason | None]:
    if bank.halted:
        return 0.0, RejectReason.HALTED
    return stake, None


def check_funds(bank: Bankroll, _: StakeOrder, stake: float) -> tuple[float, RejectReason | None]:
    if bank.cash <= _EPS:
        return 0.0, RejectReason.NO_FUNDS
    return stake, None


def _cap(stake: float, limit: float, reason: RejectReason) -> tuple[float, RejectReason | None]:
    limit = max(limit, 0.0)
    if stake > limit + _EPS:
        return (limit, reason) if limit > _EPS else (0.0, reason)
    return stake, None


def check_stake_cap(bank: Bankroll, _: StakeOrder, stake: float) -> tuple[float, RejectReason | None]:
    return _cap(stake, bank.limits.max_stake_fraction * bank.equity, RejectReason.STAKE_CAP)


def check_match_exposure(bank: Bankroll, order: StakeOrder, stake: float) -> tuple[float, RejectReason | None]:
    room = bank.limits.max_match_exposure_fraction * bank.equity - bank.match_exposure(order.match_key)
    return _cap(stake, room, RejectReason.MATCH_EXPOSURE)


def check_daily_exposure(bank: Bankroll, order: StakeOrder, stake: float) -> tuple[float, RejectReason | None]:
    room = bank.limits.max_daily_exposure_fraction * bank.equity - bank.daily_exposure(order.day)
    return _cap(stake, room, RejectReason.DAILY_EXPOSURE)


def check_cash(bank: Bankroll, _: StakeOrder, stake: float) -> tuple[float, RejectReason | None]:
    return _cap(stake, bank.cash, RejectReason.CASH)


def check_min_stake(bank: Bankroll, _: StakeOrder, stake: float) -> tuple[float, RejectReason | None]:
    if stake < bank.limits.min_stake:
        return 0.0, RejectReason.BELOW_MIN_STAKE
    return stake, None


DEFAULT_CHECKS: tuple[Check, ...] = (
    check_odds,
    check_stake,
    check_halt,
    check_funds,
    check_stake_cap,
    check_match_exposure,
    check_daily_exposure,
    check_cash,
    check_min_stake,
)


@dataclass
class Bankroll:
    """Cash, open bets and the equity curve of one portfolio.

    Equity = cash + stakes still at risk (valued at cost until settled). The drawdown stop compares equity with
    its running peak; once it fires the bankroll is ``halted`` and refuses new orders until :meth:`resume`.
    """

    initial: float
    limits: RiskLimits = field(default_factory=RiskLimits)
    checks: tuple[Check, ...] = DEFAULT_CHECKS

    def __post_init__(self) -> None:
        if not (math.isfinite(self.initial) and self.initial > 0.0):
            raise ValueError(f"initial bankroll must be a positive number, got {self.initial!r}")
        self.cash: float = float(self.initial)
        self.peak: float = float(self.initial)
        self.max_drawdown_seen: float = 0.0
        self.halted: bool = False
        self.open_bets: dict[int, OpenBet] = {}
        self.rejections: dict[RejectReason, int] = defaultdict(int)
        self.turnover: float = 0.0
        self._match_exposure: dict[Hashable, float] = defaultdict(float)
        self._day_exposure: dict[Hashable, float] = defaultdict(float)
        self._ids = itertools.count(1)

    # --- state -------------------------------------------------------------------------------------------
    @property
    def open_stake(self) -> float:
        return sum(b.stake for b in self.open_bets.values())

    @property
    def equity(self) -> float:
        return self.cash + self.open_stake

    @property
    def drawdown(self) -> float:
        """Current fall from the peak as a fraction of the peak (0 = at the peak)."""
        return max(0.0, 1.0 - self.equity / self.peak) if self.peak > 0 else 0.0

    def match_exposure(self, match_key: Hashable) -> float:
        return self._match_exposure.get(match_key, 0.0)

    def daily_exposure(self, day: Hashable) -> float:
        return self._day_exposure.get(day, 0.0)

    def max_stake(self, match_key: Hashable, day: Hashable) -> float:
        """The largest stake an order on this match and day could get right now (0 when halted)."""
        probe = StakeOrder(match_key, day, math.inf, 2.0)
        stake = math.inf
        for check in self.checks:
            if check in (check_stake, check_min_stake):
                continue
            stake, reason = check(self, probe, stake)
            if reason is not None and stake <= 0.0:
                return 0.0
        return stake if math.isfinite(stake) else 0.0

    # --- orders ------------------------------------------------------------------------------------------
    def validate(self, order: StakeOrder) -> OrderDecision:
        """Run the check chain without placing anything."""
        stake = float(order.stake)
        binding: RejectReason | None = None
        for check in self.checks:
            stake, reason = check(self, order, stake)
            if reason is not None:
                binding = reason
                if stake <= 0.0:
                    return OrderDecision(False, 0.0, float(order.stake), reason)
        return OrderDecision(True, stake, float(order.stake), binding or RejectReason.ACCEPTED)

    def place(self, order: StakeOrder) -> OrderDecision:
        decision = self.validate(order)
        if not decision.accepted:
            self.rejections[decision.reason] += 1
            return decision
        bet_id = self._book(order, decision.stake)
        return OrderDecision(True, decision.stake, decision.requested, decision.reason, bet_id)

    def restore(self, order: StakeOrder) -> int:
        """Book a bet that was placed earlier, at its recorded stake, without the checks (they ran when it was
        placed, against the bankroll of that time): a restarted trader restoring a bet it cannot re-decide.
        Returns its id for :meth:`settle`."""
        return self._book(order, order.stake)

    def _book(self, order: StakeOrder, stake: float) -> int:
        """Take ``stake`` from cash into an open bet and its exposures; the new bet's id."""
        bet_id = next(self._ids)
        self.cash -= stake
        self.turnover += stake
        self._match_exposure[order.match_key] += stake
        self._day_exposure[order.day] += stake
        self.open_bets[bet_id] = OpenBet(bet_id, order.match_key, order.day, stake, order.odds, order.label)
        return bet_id

    def settle(self, bet_id: int, payout: float) -> SettledBet:
        """Close a bet with the total money returned (stake included; 0 for a loss, the stake for a push)."""
        settled = self._close(bet_id, payout)
        self._mark()
        return settled

    def settle_many(self, payouts: Iterable[tuple[int, float]]) -> list[SettledBet]:
        """Close several bets that settle at the same moment, then mark equity once.

        Marking after each bet would let the order within the batch invent peaks and troughs (wins first, then
        losses) that never existed, and fire the drawdown stop on them. All payouts are checked before any is
        applied, so a bad one leaves every bet open.
        """
        items = list(payouts)
        for bet_id, payout in items:
            self._check_payout(bet_id, payout)
        if len({bet_id for bet_id, _ in items}) != len(items):
            raise ValueError("a bet appears twice in one settlement")
        settled = [self._close(bet_id, payout) for bet_id, payout in items]
        if settled:
            self._mark()
        return settled

    def _check_payout(self, bet_id: int, payout: float) -> OpenBet:
        bet = self.open_bets.get(bet_id)
        if bet is None:
            raise KeyError(f"bet {bet_id} is not open (unknown or already settled)")
        if not (math.isfinite(payout) and payout >= 0.0):
            raise ValueError(f"payout of bet {bet_id} must be finite and ≥ 0, got {payout!r}")
        max_payout = bet.stake * bet.odds
        if payout > max_payout * (1 + 1e-9) + _EPS:
            raise ValueError(f"payout {payout} of bet {bet_id} exceeds stake × odds = {max_payout}")
        return bet

    def _close(self, bet_id: int, payout: float) -> SettledBet:
        bet = self._check_payout(bet_id, payout)
        del self.open_bets[bet_id]
        self._release(self._match_exposure, bet.match_key, bet.stake)
        self._release(self._day_exposure, bet.day, bet.stake)
        self.cash += payout
        return SettledBet(bet_id, bet.stake, payout)

    def void(self, bet_id: int) -> SettledBet:
        return self.settle(bet_id, self.open_bets[bet_id].stake if bet_id in self.open_bets else math.nan)

    def resume(self) -> None:
        """Lift the drawdown stop and measure future drawdowns from the current equity."""
        self.halted = False
        self.peak = self.equity

    def snapshot(self) -> dict[str, Any]:
        return {
            "cash": self.cash,
            "open_stake": self.open_stake,
            "equity": self.equity,
            "peak": self.peak,
            "drawdown": self.drawdown,
            "max_drawdown": self.max_drawdown_seen,
            "halted": self.halted,
            "turnover": self.turnover,
            "rejections": {r.label: n for r, n in self.rejections.items()},
        }

    # --- internals ---------------------------------------------------------------------------------------
    @staticmethod
    def _release(book: dict[Hashable, float], key: Hashable, stake: float) -> None:
        left = book.get(key, 0.0) - stake
        if left <= _EPS:
            book.pop(key, None)
        else:
            book[key] = left

    def _mark(self) -> None:
        equity = self.equity
        self.peak = max(self.peak, equity)
        dd = self.drawdown
        self.max_drawdown_seen = max(self.max_drawdown_seen, dd)
        if self.limits.max_drawdown is not None and dd >= self.limits.max_drawdown - 1e-12:
            self.halted = True
