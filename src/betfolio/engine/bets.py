"""A bet as the engine records it from placement to settlement, and an order it refused (with the reason)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class BetRecord:
    """One placed bet. ``placed_at`` is the decision time, ``settled_at`` its own match's end."""

    strategy: str
    match_id: int
    league: str
    season: str
    market: str
    selection: str
    line: float | None
    odds: float
    stake: float
    requested_stake: float
    bookmaker: str
    placed_at: datetime
    kickoff: datetime
    note: str = ""
    model_probability: float | None = None
    status: str = "open"
    payout: float | None = None
    settled_at: datetime | None = None
    closing_odds: float | None = None  # margin-free closing odds of the selection
    clv: float | None = None
    cut_by: str | None = None
    bank_id: int = 0
    in_play: bool = False

    @property
    def profit(self) -> float:
        return (self.payout or 0.0) - self.stake


@dataclass(frozen=True, slots=True)
class Refusal:
    """An order the engine did not place: what was asked, when, and why (a price check or a risk check)."""

    strategy: str
    match_id: int
    market: str
    selection: str
    odds: float
    stake: float
    at: datetime
    reason: str
