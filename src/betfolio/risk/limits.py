"""What a portfolio may risk: per bet, per match, per day, and when to stop altogether."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from enum import IntEnum
from typing import Any


class RejectReason(IntEnum):
    """Why an order was refused or cut. Integer-valued so the vectorised path can return a code per env.

    ``ACCEPTED`` (0) means the full requested stake went through; codes ≥ 1 either rejected the order
    (``OrderDecision.accepted`` is False) or — for the cap codes — cut it down to the named limit.
    """

    ACCEPTED = 0
    INVALID_ODDS = 1  # odds not finite or ≤ 1.0: nothing to win, never a real price
    INVALID_STAKE = 2  # stake not finite or ≤ 0
    HALTED = 3  # the max-drawdown stop has fired; no new risk until reset
    NO_FUNDS = 4  # no cash left to stake
    STAKE_CAP = 5  # cut to max_stake_fraction of equity
    MATCH_EXPOSURE = 6  # cut (or refused) by the per-match exposure limit
    DAILY_EXPOSURE = 7  # cut (or refused) by the per-day exposure limit
    CASH = 8  # cut to the cash available
    BELOW_MIN_STAKE = 9  # what is left after the cuts is smaller than min_stake

    @property
    def label(self) -> str:
        return self.name.lower()


#: Codes that shrink a stake rather than refuse it outright (the order may still pass with a smaller stake).
CAP_REASONS = frozenset(
    {RejectReason.STAKE_CAP, RejectReason.MATCH_EXPOSURE, RejectReason.DAILY_EXPOSURE, RejectReason.CASH}
)


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """Limits as fractions of current equity (cash plus stakes still at risk, valued at cost).

    Fractions of *equity*, not of the starting bankroll, so the limits shrink after losses — the property that
    makes fixed-fraction staking survive a losing run. Defaults follow the mission (5 % per trade) with
    exposure limits a cautious fund would use.
    """

    max_stake_fraction: float = 0.05
    max_match_exposure_fraction: float = 0.10
    max_daily_exposure_fraction: float = 0.25
    #: Stop taking new risk once equity falls this far below its peak (0.5 = a 50 % drawdown); None = never.
    max_drawdown: float | None = 0.5
    #: Orders smaller than this (in currency units) after the cuts are refused rather than placed as dust.
    min_stake: float = 0.0

    def __post_init__(self) -> None:
        for name in ("max_stake_fraction", "max_match_exposure_fraction", "max_daily_exposure_fraction"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0.0 < value <= 1.0):
                raise ValueError(f"RiskLimits.{name} must be in (0, 1], got {value!r}")
        if self.max_drawdown is not None and not (math.isfinite(self.max_drawdown) and 0.0 < self.max_drawdown <= 1.0):
            raise ValueError(f"RiskLimits.max_drawdown must be in (0, 1] or None, got {self.max_drawdown!r}")
        if not (math.isfinite(self.min_stake) and self.min_stake >= 0.0):
            raise ValueError(f"RiskLimits.min_stake must be ≥ 0, got {self.min_stake!r}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
