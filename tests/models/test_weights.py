"""Dates in every common form are read as UTC instants before weighting."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from betfolio.models.weights import days_before, time_decay_weights, to_utc_naive


def test_date_forms_agree() -> None:
    as_of = dt.datetime(2020, 1, 10, tzinfo=dt.UTC)
    forms = [
        ["2020-01-01"],
        [dt.date(2020, 1, 1)],
        [dt.datetime(2020, 1, 1)],
        [dt.datetime(2020, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))],
        np.array(["2020-01-01"], dtype="datetime64[D]"),
        pd.Series(pd.to_datetime(["2020-01-01"])),
    ]
    for dates in forms:
        assert days_before(dates, as_of)[0] == pytest.approx(9.0)
    assert days_before(["2020-01-05 12:00"], "2020-01-10")[0] == pytest.approx(4.5)
    assert days_before(["2020-01-01"], pd.Timestamp("2020-01-10 01:00", tz="Europe/Paris"))[0] == pytest.approx(9.0)


def test_weights_and_errors() -> None:
    np.testing.assert_allclose(
        time_decay_weights(["2020-01-01", "2020-01-10"], "2020-01-11", 0.1), np.exp([-1.0, -0.1])
    )
    np.testing.assert_allclose(time_decay_weights(["2019-01-01"], "2020-01-11", 0.0), [1.0])
    with pytest.raises(ValueError, match="missing date at position 1"):
        to_utc_naive(["2020-01-01", None])
    with pytest.raises(ValueError, match="missing date at position 0"):
        to_utc_naive(np.array(["NaT"], dtype="datetime64[ns]"))
    with pytest.raises(ValueError, match="cannot read dates"):
        to_utc_naive(["not a date"])
    with pytest.raises(ValueError, match="xi"):
        time_decay_weights(["2020-01-01"], "2020-01-11", -0.1)
