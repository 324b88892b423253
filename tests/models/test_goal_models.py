"""Dixon-Coles and Poisson: exact gradient, parameter recovery, no look-ahead, penaltyblog as an oracle."""

from __future__ import annotations

import numpy as np
import penaltyblog as pb
import pytest
from scipy.optimize import check_grad
from scipy.special import gammaln
from scipy.stats import poisson

from betfolio.models import DixonColes, PoissonModel
from betfolio.models.goal_model import _Data
from betfolio.models.weights import time_decay_weights
from tests.models.conftest import Results

TEAMS = [f"T{i:02d}" for i in range(12)]


def _simulate(seed: int, n_rounds: int, rho: float = -0.1, home: float = 0.3) -> tuple[Results, np.ndarray, np.ndarray]:
    """Double round-robins from known strengths, sampled exactly from the Dixon-Coles score distribution."""
    rng = np.random.default_rng(seed)
    attack = rng.normal(0, 0.3, len(TEAMS))
    attack -= attack.mean()
    defence = rng.normal(0.0, 0.25, len(TEAMS))
    pairs = [(h, a) for h in range(len(TEAMS)) for a in range(len(TEAMS)) if h != a]
    rows = []
    day = np.datetime64("2020-01-01T15:00", "ns")
    goals = np.arange(11)
    for _r in range(n_rounds):
        for h, a in pairs:
            lam = np.exp(attack[h] + defence[a] + home)
            mu = np.exp(attack[a] + defence[h])
            grid = np.outer(poisson.pmf(goals, lam), poisson.pmf(goals, mu))
            grid[0, 0] *= 1 - lam * mu * rho
            grid[0, 1] *= 1 + lam * rho
            grid[1, 0] *= 1 + mu * rho
            grid[1, 1] *= 1 - rho
            cell = rng.choice(grid.size, p=(grid / grid.sum()).ravel())
            rows.append((TEAMS[h], TEAMS[a], cell // 11, cell % 11, day + np.timedelta64(len(rows) * 6, "h")))
    home_t, away_t, hg, ag, dates = zip(*rows, strict=True)
    data = Results(np.array(home_t), np.array(away_t), np.array(hg, float), np.array(ag, float), np.array(dates))
    return data, attack, defence


def _fit(model, data: Results, as_of=None):
    as_of = data.dates.max() + np.timedelta64(1, "D") if as_of is None else as_of
    return model.fit(data.home, data.away, data.home_goals, data.away_goals, data.dates, as_of)


@pytest.mark.parametrize("cls", [DixonColes, PoissonModel])
def test_gradient_is_exact(cls) -> None:
    data, _, _ = _simulate(1, 1)
    model = _fit(cls(), data)
    idx = {t: i for i, t in enumerate(model.teams)}
    x, y = data.home_goals, data.away_goals
    w = np.linspace(0.2, 1.0, len(data))
    packed = _Data(
        np.array([idx[t] for t in data.home]),
        np.array([idx[t] for t in data.away]),
        x,
        y,
        w / w.sum(),
        gammaln(x + 1) + gammaln(y + 1),
    )
    n = len(model.teams)
    rng = np.random.default_rng(0)
    for _ in range(3):
        theta = np.concatenate([rng.normal(0, 0.3, 2 * n - 1), [0.2], [-0.08] if cls is DixonColes else []])
        err = check_grad(
            lambda t: model._objective(t, packed, n)[0], lambda t: model._objective(t, packed, n)[1], theta
        )
        assert err < 1e-6


def test_recovers_known_parameters() -> None:
    data, attack, defence = _simulate(42, 12, rho=-0.12, home=0.3)
    model = _fit(DixonColes(xi=0.0), data)
    order = [model.teams.index(t) for t in TEAMS]
    assert np.abs(model.attack[order] - attack).max() < 0.15
    assert np.corrcoef(model.defence[order], defence)[0, 1] > 0.9
    assert model.home_advantage == pytest.approx(0.3, abs=0.06)
    assert model.rho == pytest.approx(-0.12, abs=0.06)
    assert model.attack.sum() == pytest.approx(0.0, abs=1e-12)  # identifiability constraint
    assert model.fit_info.converged and model.fit_info.n_matches == len(data)


def test_fit_uses_only_matches_strictly_before_as_of(epl_two_seasons: Results) -> None:
    data = epl_two_seasons
    as_of = data.dates[500]
    reference = _fit(DixonColes(), data, as_of)
    assert reference.fit_info.n_matches == int((data.dates < as_of).sum())
    assert reference.fit_info.n_future_ignored == len(data) - reference.fit_info.n_matches
    # Scramble every result at or after as_of: the fit cannot change.
    future = data.dates >= as_of
    rng = np.random.default_rng(9)
    hg, ag = data.home_goals.copy(), data.away_goals.copy()
    hg[future] = rng.integers(0, 9, future.sum())
    ag[future] = np.nan
    scrambled = DixonColes().fit(data.home, data.away, hg, ag, data.dates, as_of)
    # ... nor can deleting them.
    past = ~future
    deleted = DixonColes().fit(
        data.home[past], data.away[past], data.home_goals[past], data.away_goals[past], data.dates[past], as_of
    )
    for other in (scrambled, deleted):
        assert other.teams == reference.teams
        np.testing.assert_array_equal(other.attack, reference.attack)
        np.testing.assert_array_equal(other.defence, reference.defence)
        assert other.rho == reference.rho


def test_matches_penaltyblog(epl_two_seasons: Results) -> None:
    data = epl_two_seasons
    as_of = data.dates.max() + np.timedelta64(1, "D")
    ours = _fit(DixonColes(xi=0.0018), data, as_of)
    weights = time_decay_weights(data.dates, as_of, 0.0018)
    theirs = pb.models.DixonColesGoalModel(data.home_goals, data.away_goals, data.home, data.away, weights=weights)
    theirs.fit(minimizer_options={"maxiter": 5000})
    params = theirs.get_params()
    # Same model: our optimum must be at least as good as theirs under our likelihood.
    attack = np.array([params[f"attack_{t}"] for t in ours.teams])
    defence = np.array([params[f"defence_{t}"] for t in ours.teams]) + attack.mean()
    attack -= attack.mean()
    theirs_theta = np.concatenate([attack[:-1], defence, [params["home_advantage"], params["rho"]]])
    ours_theta = np.concatenate([ours.attack[:-1], ours.defence, [ours.home_advantage, ours.rho]])
    idx = {t: i for i, t in enumerate(ours.teams)}
    x, y = data.home_goals, data.away_goals
    packed = _Data(
        np.array([idx[t] for t in data.home]),
        np.array([idx[t] for t in data.away]),
        x,
        y,
        weights / weights.sum(),
        gammaln(x + 1) + gammaln(y + 1),
    )
    n = len(ours.teams)
    assert ours._objective(ours_theta, packed, n)[0] <= ours._objective(theirs_theta, packed, n)[0] + 1e-9
    assert ours.rho == pytest.approx(params["rho"], abs=0.01)
    assert ours.home_advantage == pytest.approx(params["home_advantage"], abs=0.01)
    # And the prices agree to well within a bookmaker's tick.
    fixtures = [(h, a) for h in ours.teams[:8] for a in ours.teams[-8:] if h != a]
    mine = ours.match_probabilities([h for h, _ in fixtures], [a for _, a in fixtures])
    ref = np.array([theirs.predict(h, a, max_goals=ours.max_goals + 1).home_draw_away for h, a in fixtures])
    np.testing.assert_allclose(mine, ref, atol=0.006)


def test_warm_start_reaches_the_same_optimum(epl_two_seasons: Results) -> None:
    data = epl_two_seasons
    as_of = data.dates[600]
    model = _fit(DixonColes(), data, data.dates[560])
    assert not model.fit_info.warm_started
    warm = _fit(model, data, as_of)
    assert warm.fit_info.warm_started
    cold = _fit(DixonColes(), data, as_of)
    np.testing.assert_allclose(warm.attack, cold.attack, atol=2e-4)
    np.testing.assert_allclose(warm.defence, cold.defence, atol=2e-4)
    assert warm.fit_info.neg_log_likelihood == pytest.approx(cold.fit_info.neg_log_likelihood, rel=1e-8)
    no_warm = _fit(model, data, as_of)  # a new team set still works (teams are remapped by name)
    assert no_warm.teams == cold.teams


def test_both_solvers_agree(epl_two_seasons: Results) -> None:
    data = epl_two_seasons
    a = _fit(DixonColes(solver="TNC"), data)
    b = _fit(DixonColes(solver="L-BFGS-B"), data)
    assert a.fit_info.neg_log_likelihood == pytest.approx(b.fit_info.neg_log_likelihood, rel=1e-8)
    np.testing.assert_allclose(
        a.match_probabilities(["Arsenal"], ["Chelsea"]), b.match_probabilities(["Arsenal"], ["Chelsea"]), atol=1e-4
    )


def test_time_decay_follows_recent_form() -> None:
    data, _, _ = _simulate(3, 4)
    # T00 scores freely in old matches and never in the last 60 days.
    recent = data.dates > data.dates.max() - np.timedelta64(60, "D")
    hg, ag = data.home_goals.copy(), data.away_goals.copy()
    hg[(data.home == "T00") & ~recent] += 3
    ag[(data.away == "T00") & ~recent] += 3
    hg[(data.home == "T00") & recent] = 0
    ag[(data.away == "T00") & recent] = 0
    as_of = data.dates.max() + np.timedelta64(1, "D")
    flat = DixonColes(xi=0.0).fit(data.home, data.away, hg, ag, data.dates, as_of)
    decayed = DixonColes(xi=0.02).fit(data.home, data.away, hg, ag, data.dates, as_of)
    assert flat.params["attack"]["T00"] > decayed.params["attack"]["T00"] + 0.5
    np.testing.assert_allclose(time_decay_weights(["2020-01-01"], "2020-01-11", 0.1), [np.exp(-1.0)])
    with pytest.raises(ValueError, match="future"):
        time_decay_weights(["2020-01-12"], "2020-01-11")


def test_predictions(epl_two_seasons: Results) -> None:
    model = _fit(DixonColes(max_goals=10), epl_two_seasons)
    grid = model.predict("Man City", "Southampton")
    assert grid.probabilities.shape == (11, 11)
    assert grid.probabilities.sum() == pytest.approx(1.0)
    home, _draw, away = grid.match_odds()
    assert home > 0.7 and away < 0.1
    np.testing.assert_allclose(model.match_probabilities(["Man City"], ["Southampton"])[0], grid.match_odds())
    lam, mu = model.rates(["Man City"], ["Southampton"])
    assert grid.home_rate == pytest.approx(lam[0]) and lam[0] > 2 * mu[0]
    # The Poisson baseline's grid is exactly the product of two Poisson distributions.
    base = _fit(PoissonModel(max_goals=10), epl_two_seasons)
    lam, mu = base.rates(["Arsenal"], ["Everton"])
    expected = np.outer(poisson.pmf(np.arange(11), lam[0]), poisson.pmf(np.arange(11), mu[0]))
    np.testing.assert_allclose(base.predict("Arsenal", "Everton").probabilities, expected / expected.sum())
    assert set(base.params) == {"attack", "defence", "home_advantage"}


def test_unknown_teams(epl_two_seasons: Results) -> None:
    data = epl_two_seasons
    with pytest.raises(ValueError, match="'Luton' is not in the fitted model"):
        _fit(DixonColes(), data).predict("Luton", "Arsenal")
    average = _fit(DixonColes(unknown_team="average"), data)
    weakest = _fit(DixonColes(unknown_team="weakest"), data)
    p_avg = average.predict("Luton", "Arsenal").match_odds()
    p_weak = weakest.predict("Luton", "Arsenal").match_odds()
    assert p_weak[0] < p_avg[0]  # a promoted-side prior is weaker than an average team


def test_bad_input(epl_two_seasons: Results) -> None:
    data = epl_two_seasons
    with pytest.raises(ValueError, match="not fitted"):
        DixonColes().predict("Arsenal", "Chelsea")
    with pytest.raises(ValueError, match="no played matches before as_of"):
        _fit(DixonColes(), data, data.dates.min())
    with pytest.raises(ValueError, match="differ in length"):
        DixonColes().fit(data.home, data.away[:-1], data.home_goals, data.away_goals, data.dates, "2030-01-01")
    hg = data.home_goals.copy()
    hg[3] = -1
    with pytest.raises(ValueError, match="match 3"):
        DixonColes().fit(data.home, data.away, hg, data.away_goals, data.dates, "2030-01-01")
    away = data.away.astype(object)
    away[7] = None
    with pytest.raises(ValueError, match="away team missing at position 7"):
        DixonColes().fit(data.home, away, data.home_goals, data.away_goals, data.dates, "2030-01-01")
    with pytest.raises(ValueError, match="xi"):
        DixonColes(xi=-1.0)
    with pytest.raises(ValueError, match="solver"):
        DixonColes(solver="Nelder-Mead")  # type: ignore[arg-type]
    # Unplayed matches before as_of are skipped and counted, not treated as 0-0.
    hg = data.home_goals.copy()
    hg[:5] = np.nan
    model = DixonColes().fit(data.home, data.away, hg, data.away_goals, data.dates, "2030-01-01")
    assert model.fit_info.n_missing_score == 5 and model.fit_info.n_matches == len(data) - 5


def test_separate_leagues_are_not_compared() -> None:
    first, _, _ = _simulate(5, 1)
    second = Results(
        np.char.add("B-", first.home), np.char.add("B-", first.away), first.away_goals, first.home_goals, first.dates
    )
    both = Results(
        *(
            np.concatenate([getattr(first, f), getattr(second, f)])
            for f in ("home", "away", "home_goals", "away_goals", "dates")
        )
    )
    model = _fit(DixonColes(), both)
    assert model.fit_info.n_groups == 2
    assert 0 < model.predict("T00", "T01").match_odds()[0] < 1
    with pytest.raises(ValueError, match="never linked"):
        model.predict("T00", "B-T01")
    assert _fit(DixonColes(), first).fit_info.n_groups == 1
