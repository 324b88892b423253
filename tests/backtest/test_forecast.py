from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from betfolio.backtest.forecast import _Fixture, _predict
from betfolio.models import DixonColes

T0 = datetime(2013, 8, 1, 14, tzinfo=UTC)


def _fit(pairs: list[tuple[str, str]]) -> DixonColes:
    rng = np.random.default_rng(0)
    home = np.array([h for h, _ in pairs])
    away = np.array([a for _, a in pairs])
    dates = np.array([np.datetime64("2013-08-01") + np.timedelta64(i, "D") for i in range(len(pairs))])
    return DixonColes().fit(
        home, away, rng.poisson(1.5, len(pairs)), rng.poisson(1.1, len(pairs)), dates, np.datetime64("2014-01-01")
    )


def fixture(mid: int, home: str, away: str) -> _Fixture:
    return _Fixture(mid, home, away, T0 + timedelta(days=200), T0 + timedelta(days=199), None, None, False)


def test_unpriceable_fixture_is_skipped_and_the_rest_still_priced() -> None:
    teams = ["A", "B", "C", "D"]
    pairs = [(h, a) for h in teams for a in teams if h != a] * 3 + [("X", "Y"), ("Y", "X")]  # X, Y: separate group
    model = _fit(pairs)
    done, failed = _predict(model, True, [fixture(1, "A", "B"), fixture(2, "A", "X"), fixture(3, "Z", "B")])
    assert set(done) == {1}
    assert failed[2].startswith("model cannot price it: were never linked")
    assert failed[3] == "unknown team (no results in the fit window)"
    np.testing.assert_allclose(done[1].match_odds.sum(), 1.0)


def test_not_fitted_yet() -> None:
    done, failed = _predict(DixonColes(), False, [fixture(1, "A", "B")])
    assert done == {} and failed == {1: "model not fitted yet (too few past results)"}
