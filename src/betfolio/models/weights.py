"""Time-decay weights: recent matches tell more about a team's current strength than old ones.

Dixon & Coles (1997) weight each past match by ``exp(-xi * t)`` where ``t`` is how long before the decision
time it was played. ``xi`` is per day here; 0.0018/day (a half-life of about 13 months) is the commonly used
value, close to the 0.0065 per half-week of the original paper.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

DEFAULT_XI = 0.0018


def to_utc_naive(values: ArrayLike) -> np.ndarray:
    """Dates/datetimes (naive = UTC, or tz-aware) as ``datetime64[ns]`` in UTC, so they compare consistently."""
    arr = np.atleast_1d(np.asarray(values))
    if arr.dtype.kind == "M":  # already datetime64: naive by construction, taken as UTC
        if np.isnat(arr).any():
            raise ValueError(f"missing date at position {int(np.flatnonzero(np.isnat(arr))[0])}")
        return arr.astype("datetime64[ns]")
    try:
        index = pd.to_datetime(pd.Index(arr.astype(object)), utc=True, format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"cannot read dates: {exc}") from None
    if index.isna().any():
        raise ValueError(f"missing date at position {int(np.flatnonzero(index.isna())[0])}")
    return index.tz_convert(None).to_numpy(dtype="datetime64[ns]")


def days_before(dates: ArrayLike, as_of: object) -> np.ndarray:
    """Days (fractional) from each date to ``as_of``; positive for the past."""
    when = to_utc_naive(dates)
    ref = to_utc_naive([as_of])[0]
    return (ref - when) / np.timedelta64(1, "D")


def time_decay_weights(dates: ArrayLike, as_of: object, xi: float = DEFAULT_XI) -> np.ndarray:
    """``exp(-xi * days_before_as_of)``; dates after ``as_of`` are an error (they must be filtered out first)."""
    if not np.isfinite(xi) or xi < 0:
        raise ValueError(f"xi must be a non-negative number, got {xi}")
    days = days_before(dates, as_of)
    if np.any(days < 0):
        raise ValueError("time-decay weights asked for matches after as_of: that would use the future")
    return np.exp(-xi * days)
