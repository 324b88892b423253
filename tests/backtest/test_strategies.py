from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from betfolio.backtest.strategies import FavouriteFlat, MarketConsensus, ModelValue, make_strategy
from betfolio.backtest.strategy import DecisionContext, MatchView, Prediction, Strategy
from betfolio.engine.quotes import MarketQuotes
from betfolio.models.grid import ScorelineGrid

AS_OF = datetime(2022, 8, 5, 16, tzinfo=UTC)


def context(tables: dict, preds: dict | None = None, equity: float = 1000.0) -> tuple[DecisionContext, list]:
    skips: list = []
    ctx = DecisionContext(
        as_of=AS_OF,
        matches=[MatchView(1, "E0", "2022-23", AS_OF, "H", "A")],
        odds={1: tables},
        predictions={"dixon_coles": preds or {}},
        skipped={"dixon_coles": {}},
        history=lambda: [],
        equity=equity,
        cash=equity,
        initial_bankroll=1000.0,
        max_stake=lambda _mid: 50.0,
        skip=lambda mid, why: skips.append((mid, why)),
    )
    return ctx, skips


def x12(rows: dict[str, tuple[float, float, float]]) -> MarketQuotes:
    names = tuple(sorted(rows))
    return MarketQuotes("1x2", None, names, np.array([rows[n] for n in names], dtype=float))


def test_strategies_satisfy_the_protocol() -> None:
    for s in (FavouriteFlat(), MarketConsensus(), ModelValue()):
        assert isinstance(s, Strategy)


def test_consensus_rule_of_kaunitz_et_al() -> None:
    table = x12(
        {
            "bet365": (2.00, 3.4, 4.0),
            "bwin": (2.05, 3.5, 4.1),
            "pinnacle": (2.40, 3.5, 4.2),  # threshold 1/(1/2.15 − 0.05) ≈ 2.409: just short
            "market_avg": (2.15, 3.45, 4.1),
        }
    )
    ctx, _ = context({("1x2", None): table})
    assert MarketConsensus(alpha=0.05).decide(ctx) == []
    table.odds[table.bookmakers.index("pinnacle"), 0] = 2.45
    (order,) = MarketConsensus(alpha=0.05, stake_fraction=0.02).decide(ctx)
    assert (order.selection, order.odds, order.bookmaker, order.stake) == ("home", 2.45, "pinnacle", 20.0)


def test_consensus_needs_enough_bookmakers() -> None:
    ctx, skips = context({("1x2", None): x12({"bet365": (2.0, 3.4, 4.0), "market_avg": (1.5, 3.0, 3.0)})})
    assert MarketConsensus().decide(ctx) == [] and skips == [(1, "too few bookmakers for a consensus")]


def test_favourite_uses_the_average_and_the_best_real_price() -> None:
    table = x12({"bet365": (2.5, 3.3, 2.7), "bwin": (2.6, 3.2, 2.6), "market_max": (3.0, 3.5, 3.0)})
    ctx, _ = context({("1x2", None): table})
    (order,) = FavouriteFlat().decide(ctx)
    assert (order.selection, order.odds, order.bookmaker) == ("home", 2.6, "bwin")


def test_model_value_bets_the_edge_with_fractional_kelly() -> None:
    p = np.array([0.55, 0.25, 0.20])
    table = x12({"bet365": (2.0, 3.6, 4.5)})  # home: 0.55 × 2.0 = 1.10 → 10 % edge
    ctx, _ = context({("1x2", None): table}, {1: Prediction(p)})
    (order,) = ModelValue(kelly=0.5, markets=("1x2",)).decide(ctx)
    assert order.selection == "home"
    # Single positive-edge outcome: simultaneous Kelly reduces to (p·o − 1)/(o − 1) = 0.10, halved.
    assert order.stake == pytest.approx(0.5 * 0.10 * 1000)
    assert order.model_probability == pytest.approx(0.55)
    # No edge above min_edge, or an implausible one: no bet.
    assert ModelValue(min_edge=0.2, markets=("1x2",)).decide(ctx) == []
    assert ModelValue(max_edge=0.05, markets=("1x2",)).decide(ctx) == []


def test_model_value_prices_line_markets_on_the_grid() -> None:
    goals = np.arange(11)
    from scipy.stats import poisson

    grid = ScorelineGrid(np.outer(poisson.pmf(goals, 1.8), poisson.pmf(goals, 1.2)))
    over, _under = grid.totals(2.5)
    table = MarketQuotes("total_goals", 2.5, ("bet365",), np.array([[1.0 / over.win * 1.1, 1.5]]))
    ctx, _ = context({("total_goals", 2.5): table}, {1: Prediction(np.array(grid.match_odds()), grid)})
    (order,) = ModelValue(kelly=1.0).decide(ctx)
    assert (order.market, order.selection, order.line) == ("total_goals", "over", 2.5)
    assert order.note == "edge +0.100"


def test_model_value_skips_without_prediction() -> None:
    ctx, skips = context({("1x2", None): x12({"bet365": (2.0, 3.6, 4.5)})})
    assert ModelValue().decide(ctx) == [] and skips == [(1, "no model prediction")]


def test_make_strategy_parses_parameters() -> None:
    s = make_strategy("model_value:kelly=0.1,model=poisson,markets=1x2+total_goals")
    assert isinstance(s, ModelValue)
    assert (s.kelly, s.model, tuple(s.markets), s.models) == (0.1, "poisson", ("1x2", "total_goals"), ("poisson",))
    assert s.name == "model_value[kelly=0.1,model=poisson,markets=1x2+total_goals]"
    assert make_strategy("consensus").name == "consensus"
    with pytest.raises(ValueError, match="unknown strategy"):
        make_strategy("martingale")
    with pytest.raises(ValueError, match="unknown parameter"):
        make_strategy("favourite:size=3")


def test_model_value_takes_one_bet_per_match_by_default() -> None:
    from scipy.stats import poisson

    goals = np.arange(11)
    grid = ScorelineGrid(np.outer(poisson.pmf(goals, 1.8), poisson.pmf(goals, 1.0)))
    p = np.array(grid.match_odds())
    over, _ = grid.totals(2.5)
    tables = {
        ("1x2", None): x12({"bet365": (1.08 / p[0], 3.0, 5.0)}),  # 8 % edge on home
        ("total_goals", 2.5): MarketQuotes("total_goals", 2.5, ("bet365",), np.array([[1.12 / over.win, 1.5]])),
    }
    ctx, _ = context(tables, {1: Prediction(p, grid)})
    (order,) = ModelValue().decide(ctx)
    assert order.market == "total_goals"  # the larger edge (12 %)
    assert len(ModelValue(max_bets_per_match=2).decide(ctx)) == 2


def test_quarter_line_stake_is_the_exact_line_kelly() -> None:
    from scipy.stats import poisson

    from betfolio.markets.kelly import kelly_line
    from betfolio.models.grid import outcome_distribution

    goals = np.arange(11)
    grid = ScorelineGrid(np.outer(poisson.pmf(goals, 1.9), poisson.pmf(goals, 0.9)))
    table = MarketQuotes("asian_handicap", -0.75, ("pinnacle",), np.array([[2.2, 1.7]]))
    ctx, _ = context({("asian_handicap", -0.75): table}, {1: Prediction(np.array(grid.match_odds()), grid)})
    (order,) = ModelValue(kelly=0.5, max_edge=1.0).decide(ctx)
    assert (order.selection, order.line) == ("home", -0.75)
    q = outcome_distribution(grid.probabilities, "asian_handicap", "home", -0.75)[0]
    assert q[1] > 0 and q[3] == 0  # a quarter line: half wins happen
    assert order.stake == pytest.approx(0.5 * kelly_line(q, 2.2) * 1000)
