"""The one as-of rule: which pre-match prices a decision may use, for training and evaluation alike.

A decision on a match is taken at its **decision time**: the latest pre-match (non-closing, non-in-play) quote
stamped at least ``min_lead`` before kick-off. The prices it may use are, per bookmaker, market, selection and
line, the latest non-closing quote stamped at or before that time. The backtest, the simulator's match set and
the Gymnasium environments all read prices through this rule, so an agent is trained on the prices it is judged
on. Closing quotes are evaluation only (closing line value) and never pass it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class AsOfRule:
    """Decide ``min_lead`` before kick-off at the latest, on the last quotes stamped by then."""

    min_lead: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if self.min_lead < timedelta(0):
            raise ValueError(f"min_lead must not be negative, got {self.min_lead}")

    def latest_usable(self, kickoff: datetime) -> datetime:
        """The last moment a pre-match price may be stamped and still be used for this match."""
        return kickoff - self.min_lead

    def decision_time(self, kickoff: datetime, quote_times: Iterable[datetime]) -> datetime | None:
        """When the decision is taken: the latest usable quote time (None when no quote is usable)."""
        limit = self.latest_usable(kickoff)
        usable = [t for t in quote_times if t <= limit]
        return max(usable) if usable else None

    def usable(self, quoted_at: datetime, decision_at: datetime | None, *, is_closing: bool = False) -> bool:
        """Whether a quote may enter a decision taken at ``decision_at``."""
        return not is_closing and decision_at is not None and quoted_at <= decision_at


#: The rule every caller uses unless it is configured otherwise.
DEFAULT_AS_OF = AsOfRule()
