"""Ratings: hand-checked updates, masks for missing data, newcomers, and the as-of rule (no leakage)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from betfolio.engine.quotes import MatchRecord
from betfolio.models.ratings import FEATURE_NAMES, RatingParams, Ratings, features_as_of_decisions, match_shots

T0 = datetime(2020, 8, 1, 15, tzinfo=UTC)


def test_elo_is_zero_sum_and_rewards_the_winner() -> None:
    r = Ratings()
    r.update("E0", "2020-21", T0, "A", "B", 3, 0)
    assert r.teams["A"].elo > 1500 > r.teams["B"].elo
    assert r.teams["A"].elo + r.teams["B"].elo == pytest.approx(3000)
    big = r.teams["A"].elo - 1500
    r2 = Ratings()
    r2.update("E0", "2020-21", T0, "A", "B", 1, 0)
    assert r2.teams["A"].elo - 1500 < big  # a 3-0 moves more than a 1-0


def test_pi_rating_update_by_hand() -> None:
    p = RatingParams()
    r = Ratings(p)
    r.update("E0", "2020-21", T0, "A", "B", 2, 0)
    step = p.pi_c * math.log10(1 + 2) * p.pi_lambda  # expected goal difference 0, error 2
    assert r.teams["A"].pi_home == pytest.approx(step)
    assert r.teams["A"].pi_away == pytest.approx(step * p.pi_gamma)
    assert r.teams["B"].pi_away == pytest.approx(-step)
    assert r.teams["B"].pi_home == pytest.approx(-step * p.pi_gamma)


def test_missing_statistics_and_first_match_are_masked_not_zero() -> None:
    r = Ratings()
    for i in range(3):
        r.update("E0", "2020-21", T0 + timedelta(days=7 * i), "A", "B", 1, 1)  # no shots
    values, mask = r.features("E0", "2020-21", T0 + timedelta(days=30), "A", "B")
    shots = FEATURE_NAMES.index("shots_xg_diff")
    assert mask[shots] == 0 and values[shots] == 0
    for i in range(3):
        r.update("E0", "2020-21", T0 + timedelta(days=40 + 7 * i), "A", "B", 1, 1, (15.0, 6.0, 5.0, 1.0))
    values, mask = r.features("E0", "2020-21", T0 + timedelta(days=80), "A", "B")
    assert mask[shots] == 1 and values[shots] > 0
    rest = FEATURE_NAMES.index("rest_diff")
    _, mask = r.features("E0", "2020-21", T0 + timedelta(days=80), "A", "New")
    assert mask[rest] == 0


def test_match_shots_needs_shots_on_target() -> None:
    assert match_shots({"home": {"shots": 10.0}, "away": {"shots": 8.0}}) is None
    assert match_shots({}) is None
    assert match_shots({"home": {"shots_on_target": 4.0}, "away": {"shots_on_target": 2.0}}) == (4.0, 4.0, 2.0, 2.0)


def test_newcomer_starts_from_the_league_prior_or_carries_a_shrunk_rating() -> None:
    r = Ratings()
    teams = ["A", "B", "C", "D", "E"]
    for i, h in enumerate(teams):
        for j, a in enumerate(teams):
            if h != a:
                r.update("E0", "2020-21", T0, h, a, 3 if i < j else 0, 0)
    weakest = sorted(t.elo for t in r.teams.values())[:3]
    values, _ = r.features("E0", "2021-22", T0 + timedelta(days=365), "Fresh", "A")
    fresh_elo = 400 * values[0] - r.params.elo_home + r.teams["A"].elo
    assert fresh_elo == pytest.approx(np.mean(weakest))
    assert values[FEATURE_NAMES.index("home_newcomer")] == 1
    # A team with a record in another league carries it in, shrunk halfway toward the prior.
    r.update("E1", "2020-21", T0, "Up", "Down", 5, 0)
    up = r.teams["Up"].elo
    values, _ = r.features("E0", "2021-22", T0 + timedelta(days=365), "Up", "A")
    carried = 400 * values[0] - r.params.elo_home + r.teams["A"].elo
    assert carried == pytest.approx(0.5 * up + 0.5 * np.mean(weakest))


def _season(seed: int) -> list[MatchRecord]:
    rng = np.random.default_rng(seed)
    teams = [f"T{i}" for i in range(6)]
    out = []
    for week in range(30):
        order = rng.permutation(teams)
        for k in range(3):
            stats = {
                "home": {"shots": 12.0, "shots_on_target": float(rng.integers(0, 8))},
                "away": {"shots": 9.0, "shots_on_target": float(rng.integers(0, 6))},
            }
            out.append(
                MatchRecord(
                    match_id=len(out) + 1,
                    league="E0",
                    season="2020-21",
                    match_date=(T0 + timedelta(days=7 * week)).date(),
                    kickoff=T0 + timedelta(days=7 * week),
                    home=order[2 * k],
                    away=order[2 * k + 1],
                    status="finished",
                    home_goals=int(rng.poisson(1.5)),
                    away_goals=int(rng.poisson(1.1)),
                    decision_at=T0 + timedelta(days=7 * week, hours=-3),
                    statistics=stats,
                )
            )
    return out


@pytest.mark.parametrize("rewrite", ["delete", "shuffle"])
def test_features_up_to_t_ignore_everything_after_t(rewrite: str) -> None:
    fixtures = _season(0)
    base = features_as_of_decisions(fixtures)
    t = fixtures[len(fixtures) // 2].decision_at
    altered = [replace(f) for f in fixtures]
    later = [f for f in altered if f.kickoff > t]
    rng = np.random.default_rng(5)
    for f, g in zip(later, rng.permutation(later), strict=True):
        if rewrite == "delete":
            f.home_goals = f.away_goals = None
            f.statistics = {}
        else:
            f.home_goals, f.away_goals = g.away_goals, g.home_goals
            f.statistics = {"home": {"shots_on_target": 20.0}, "away": {"shots_on_target": 0.0}}
    again = features_as_of_decisions(altered)
    before = [f.match_id for f in fixtures if f.decision_at <= t and f.match_id in base.values]
    assert before
    assert {i for i in base.unrated} == {i for i in again.unrated}
    for i in before:
        np.testing.assert_array_equal(base.values[i], again.values[i])
        np.testing.assert_array_equal(base.masks[i], again.masks[i])
    after = [f.match_id for f in fixtures if f.decision_at > t + timedelta(days=7)]
    assert any(not np.array_equal(base.values[i], again.values[i]) for i in after)


def test_first_round_of_an_unknown_league_is_unrated() -> None:
    fixtures = _season(1)
    table = features_as_of_decisions(fixtures)
    first = {f.match_id for f in fixtures if f.kickoff == T0}
    assert table.unrated == first
    assert table.updates == len(fixtures)
