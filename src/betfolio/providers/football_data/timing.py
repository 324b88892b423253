"""Honest timestamps for football-data prices, which carry no time of their own.

football-data.co.uk collects its (non-closing) odds on **Friday afternoons for weekend matches and on Tuesday
afternoons for midweek matches**; the closing columns (``…C…``) are the last prices before kick-off. The
rule used here:

* a match played Friday–Monday gets pre-match prices stamped **Friday 17:00 Europe/London** of that week,
  a match played Tuesday–Thursday **Tuesday 17:00 Europe/London**;
* the stamp is never later than one hour before kick-off (a Friday 17:30 kick-off gets 16:30);
* closing prices are stamped at kick-off.

17:00 is the *end* of the afternoon: stamping later than the real capture is harmless (a decision merely
waits), stamping earlier would let a backtest use prices before they existed.

Seasons before 2019-20 have no ``Time`` column: kick-off is then assumed at 15:00 local on Saturday/Sunday
and 20:00 local on other days, and the match is flagged ``kickoff_time_known = False``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
CAPTURE_TIME = time(17, 0)
MIN_LEAD = timedelta(hours=1)


def assumed_kickoff(day: date) -> datetime:
    local = time(15, 0) if day.weekday() >= 5 else time(20, 0)
    return datetime.combine(day, local, LONDON).astimezone(UTC)


def kickoff_from_local(day: date, local_time: time) -> datetime:
    return datetime.combine(day, local_time, LONDON).astimezone(UTC)


def capture_day(match_day: date) -> date:
    """Friday for Friday–Monday matches, Tuesday for Tuesday–Thursday matches (same week, on or before)."""
    weekday = match_day.weekday()  # Monday = 0
    if weekday in (1, 2, 3):
        return match_day - timedelta(days=weekday - 1)
    return match_day - timedelta(days=(weekday - 4) % 7)


def prematch_quote_time(match_day: date, kickoff: datetime) -> datetime:
    stamp = datetime.combine(capture_day(match_day), CAPTURE_TIME, LONDON).astimezone(UTC)
    return min(stamp, kickoff - MIN_LEAD)
