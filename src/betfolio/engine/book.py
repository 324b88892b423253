"""The modelled in-play bookmaker: margin, suspensions, bet acceptance delay.

Live odds are **modelled, not historical** (see :mod:`betfolio.models.inplay`). The book behaves as real ones do
in the ways that matter to an agent:

* it quotes every selection with a multiplicative ``margin`` and takes decided selections off the board;
* it **suspends** the market in the minute of a goal or a red card and for ``suspend_minutes - 1`` minutes
  after (no bet can be placed while suspended: the action mask says so);
* a bet is **accepted only after** ``acceptance_delay_seconds``. If a goal or red card happens inside that window
  the market suspends and the bet is rejected; otherwise the price at acceptance (interpolated between this
  minute and the next) must not have drifted below the requested odds by more than ``price_tolerance`` or the
  bet is rejected. A bet requested at a *stale* price (the agent's data lagged the book) is rejected the same
  way when the book has moved — acting on stale data costs fills, not just information.
* the fill is at the lower of the requested price and the price at acceptance.

Reject codes (:class:`BetReject`) travel in the step ``info`` so agents and reports can see why.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class BetReject(IntEnum):
    NONE = 0
    NOT_OFFERED = 1  # action masked: market suspended, selection off the board, budget exhausted
    SUSPENDED_DURING_DELAY = 2  # a goal or red card inside the acceptance window
    PRICE_MOVED = 3  # the book's price fell below the requested one during the delay
    STALE_PRICE = 4  # requested at a price the book no longer offered (agent data was stale)
    RISK = 5  # refused by the risk rules (reason code in info["risk_reason"])

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class BookConfig:
    margin: float = 0.06
    suspend_minutes: int = 1
    min_probability: float = 0.01
    acceptance_delay_seconds: float = 8.0
    price_tolerance: float = 0.01
    #: No new bets at or after this minute (books close in-play markets shortly before the end).
    last_bet_minute: int = 89

    def __post_init__(self) -> None:
        if not 0.0 <= self.margin < 0.5:
            raise ValueError(f"margin must be in [0, 0.5), got {self.margin}")
        if self.suspend_minutes < 1:
            raise ValueError("suspend_minutes must be ≥ 1 (the minute of the event itself)")
        if not 0.0 <= self.acceptance_delay_seconds < 60.0:
            raise ValueError("acceptance_delay_seconds must be in [0, 60)")
        if self.price_tolerance < 0:
            raise ValueError("price_tolerance must be ≥ 0")
        if not 1 <= self.last_bet_minute <= 90:
            raise ValueError("last_bet_minute must be within 1…90")


def accept_bets(
    requested: np.ndarray,
    price_now: np.ndarray,
    price_next: np.ndarray,
    next_event_second: np.ndarray,
    stale: np.ndarray,
    book: BookConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """Fill price (NaN when rejected) and :class:`BetReject` code for bets requested at ``requested`` odds.

    ``price_now``/``price_next`` are the book's true prices for the selection this minute and the next (NaN =
    not offered), ``next_event_second`` the second of the next minute at which the first goal/red card falls
    (≥ 60 when none), ``stale`` whether the agent's view lagged the book.
    """
    frac = book.acceptance_delay_seconds / 60.0
    code = np.zeros(requested.shape, dtype=np.int8)
    suspended = (next_event_second < book.acceptance_delay_seconds) | ~np.isfinite(price_now)
    nxt = np.where(np.isfinite(price_next), price_next, price_now)
    at_accept = price_now + (nxt - price_now) * frac
    with np.errstate(invalid="ignore"):
        moved = ~suspended & ~(at_accept * (1.0 + book.price_tolerance) >= requested)
    code[moved] = np.where(stale[moved], BetReject.STALE_PRICE, BetReject.PRICE_MOVED)
    code[suspended] = BetReject.SUSPENDED_DURING_DELAY
    fill = np.where(code == 0, np.minimum(requested, at_accept), np.nan)
    return fill, code
