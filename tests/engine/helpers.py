"""Hand-built matches for engine tests: every price and result known in advance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from betfolio.engine.quotes import MarketQuotes, MatchRecord

T0 = datetime(2022, 8, 5, 16, 0, tzinfo=UTC)


def record(
    mid: int,
    score: tuple[int, int] | None,
    *,
    day: int = 0,
    hour: int = 22,
    status: str = "finished",
    decided: bool = True,
) -> MatchRecord:
    """An EPL 2022-23 fixture ``H<mid>`` v ``A<mid>`` kicking off on day ``day`` after T0, without prices yet
    (decided at the start of its day when ``decided``)."""
    kickoff = T0 + timedelta(days=day, hours=hour)
    return MatchRecord(
        match_id=mid,
        league="E0",
        season="2022-23",
        match_date=kickoff.date(),
        kickoff=kickoff,
        home=f"H{mid}",
        away=f"A{mid}",
        status=status,
        home_goals=None if score is None else score[0],
        away_goals=None if score is None else score[1],
        decision_at=T0 + timedelta(days=day) if decided else None,
    )


def match(
    mid: int,
    score: tuple[int, int] | None,
    *,
    day: int = 0,
    hour: int = 22,
    odds: tuple[float, float, float] = (1.8, 3.6, 4.5),
    status: str = "finished",
) -> MatchRecord:
    m = record(mid, score, day=day, hour=hour, status=status)
    m.prematch[("1x2", None)] = MarketQuotes(
        "1x2", None, ("bet365", "market_max"), np.array([odds, np.array(odds) + 1.0])
    )
    return m
