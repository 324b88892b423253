"""Settlement and bankroll integration on hand-built matches, where every payout is known in advance."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from betfolio.backtest.data import BacktestData
from betfolio.backtest.engine import BacktestConfig, BacktestResult, WalkForward
from betfolio.backtest.strategies import FavouriteFlat, NoBet
from betfolio.backtest.strategy import BetOrder, DecisionContext
from betfolio.engine.quotes import MarketQuotes, MatchRecord
from betfolio.risk import RiskLimits
from tests.engine.helpers import record


def match(
    mid: int,
    day: int,
    score: tuple[int, int] | None,
    odds: tuple[float, float, float] | None = (1.8, 3.6, 4.5),
    *,
    status: str = "finished",
    ah: tuple[float, float, float] | None = None,
    closing: tuple[float, float, float] | None = None,
) -> MatchRecord:
    status = status if score is not None or status != "finished" else "scheduled"
    m = record(mid, score, day=day, status=status, decided=odds is not None)
    if odds is not None:
        m.prematch[("1x2", None)] = MarketQuotes(
            "1x2", None, ("bet365", "market_avg", "market_max"), np.array([odds, odds, np.array(odds) + 1.0])
        )
    if ah is not None:
        line, home, away = ah
        m.prematch[("asian_handicap", line)] = MarketQuotes(
            "asian_handicap", line, ("pinnacle",), np.array([[home, away]])
        )
    if closing is not None:
        m.closing[("1x2", None)] = MarketQuotes("1x2", None, ("pinnacle",), np.array([closing]))
    return m


def run(matches: list[MatchRecord], strategies: list, **config: object) -> BacktestResult:
    data = BacktestData(matches=matches, leagues=["E0"], seasons=["2022-23"])
    cfg = BacktestConfig(evaluate_models=(), **config)  # type: ignore[arg-type]
    return WalkForward(data, strategies, cfg, model_factories={}).run()


def test_flat_favourite_settles_to_the_hand_computed_bankroll() -> None:
    matches = [
        match(1, 0, (2, 0), closing=(1.7, 3.8, 5.0)),  # favourite (home 1.8) wins: +8
        match(2, 7, (0, 1)),  # loses: −10
        match(3, 14, (1, 1)),  # loses: −10
    ]
    result = run(matches, [FavouriteFlat(stake_fraction=0.01)])
    r = result.strategies["favourite"]
    assert [b.status for b in r.bets] == ["won", "lost", "lost"]
    assert [b.payout for b in r.bets] == pytest.approx([18.0, 0.0, 0.0])
    assert r.bankroll.equity == pytest.approx(1000 + 8 - 10 - 10)
    assert r.equity[-1][1] == pytest.approx(988.0)
    assert all(b.bookmaker == "bet365" for b in r.bets)  # never the market_max aggregate, though it is higher
    # CLV against the margin-free Pinnacle close: 1.8 × p_close(home) − 1.
    implied = 1 / np.array([1.7, 3.8, 5.0])
    assert r.bets[0].clv == pytest.approx(1.8 * implied[0] / implied.sum() - 1)
    assert r.bets[1].clv is None  # no closing price: not evaluated, not zero


def test_missing_odds_and_missing_results_are_counted_not_guessed() -> None:
    matches = [
        match(1, 0, (1, 0), odds=None),  # no pre-match prices
        match(2, 7, None),  # scheduled, never played in the data
        match(3, 14, (3, 0)),
    ]
    result = run(matches, [FavouriteFlat()])
    r = result.strategies["favourite"]
    assert r.skips["no pre-match odds"] == 1
    statuses = {b.match_id: b.status for b in r.bets}
    assert statuses == {2: "unsettled", 3: "won"}
    assert r.unsettled == 1
    assert r.bankroll.equity == pytest.approx(1000 + 8)  # the unsettled stake came back, untouched


def test_postponed_match_voids_the_bet() -> None:
    result = run([match(1, 0, None, status="postponed"), match(2, 7, (0, 0))], [FavouriteFlat()])
    bets = result.strategies["favourite"].bets
    assert bets[0].status == "void" and bets[0].payout == pytest.approx(bets[0].stake)


class _Scripted:
    """Places exactly the orders it is given (to exercise the engine's order checks)."""

    def __init__(self, name: str, orders: list[BetOrder]) -> None:
        self.name = name
        self.orders = orders

    def decide(self, context: DecisionContext) -> list[BetOrder]:
        ids = {m.match_id for m in context.matches}
        return [o for o in self.orders if o.match_id in ids]


def test_quarter_line_bet_settles_half_won_through_the_engine() -> None:
    m = match(1, 0, (1, 0), ah=(-0.75, 1.9, 2.0))
    order = BetOrder(1, "asian_handicap", "home", -0.75, 1.9, 40.0, "pinnacle")
    bet = run([m], [_Scripted("s", [order])]).strategies["s"].bets[0]
    assert bet.status == "half_won"
    assert bet.payout == pytest.approx(40 * (0.5 * 1.9 + 0.5))


def test_orders_at_prices_not_on_offer_are_refused() -> None:
    m = match(1, 0, (1, 0))
    orders = [
        BetOrder(1, "1x2", "home", None, 1.9, 10.0, "bet365"),  # better than offered (1.8)
        BetOrder(1, "1x2", "home", None, 2.8, 10.0, "market_max"),  # an aggregate, not a bookmaker
        BetOrder(1, "1x2", "home", None, 1.8, 10.0, "nobody"),
        BetOrder(1, "total_goals", "over", 2.5, 1.9, 10.0, "bet365"),  # market not quoted
        BetOrder(99, "1x2", "home", None, 1.8, 10.0, "bet365"),  # another match
        BetOrder(1, "1x2", "home", None, 1.0, 10.0, "bet365"),
    ]
    r = run([m], [_Scripted("s", orders)]).strategies["s"]
    assert r.bets == []
    assert r.rejections["price not on offer"] == 3
    assert r.rejections["aggregate price (no bookmaker offers it)"] == 1
    assert r.rejections["invalid_odds"] == 1


def test_risk_limits_cut_and_stop() -> None:
    matches = [match(i, 7 * i, (0, 1)) for i in range(1, 6)]  # every favourite loses
    orders = [BetOrder(i, "1x2", "home", None, 1.8, 500.0, "bet365") for i in range(1, 6)]
    limits = RiskLimits(max_stake_fraction=0.2, max_match_exposure_fraction=0.2, max_drawdown=0.3)
    r = run(matches, [_Scripted("s", orders)], limits=limits).strategies["s"]
    assert [round(b.stake, 2) for b in r.bets] == [200.0, 160.0]  # 20 % of 1000, then of 800; then halted
    assert all(b.cut_by == "stake_cap" for b in r.bets)
    assert r.rejections["halted"] == 3
    assert r.halted_at is not None
    assert r.bankroll.cash >= 0


def test_no_bet_keeps_the_bankroll_flat() -> None:
    r = run([match(1, 0, (1, 0))], [NoBet()]).strategies["no_bet"]
    assert r.bets == [] and r.bankroll.equity == 1000.0


def test_strategy_names_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        WalkForward(BacktestData([]), [NoBet(), NoBet()], BacktestConfig(evaluate_models=()), model_factories={})


def test_match_date_is_the_exposure_day() -> None:
    m = match(1, 0, (1, 0))
    assert m.match_date == date(2022, 8, 6)


def test_result_history_reads_the_results_known_at_a_moment_in_the_order_they_became_known() -> None:
    from betfolio.backtest.engine import ResultHistory

    # match 3 kicks off earlier the same day as match 2 but has a larger id; match 4 has no result
    matches = [record(2, (1, 0), day=1), record(3, (2, 2), day=1, hour=12), record(1, (0, 3), day=0)]
    matches.append(record(4, None, day=0, status="scheduled"))
    history = ResultHistory(matches)
    known = sorted((m for m in matches if m.has_result), key=lambda m: (m.result_at, m.match_id))
    for m in [*known, record(9, None, day=-1), record(9, None, day=5)]:
        for as_of in (m.result_at - timedelta(seconds=1), m.result_at):
            expected = [(k.match_id, k.home_goals, k.away_goals) for k in known if k.result_at <= as_of]
            assert [(r.match_id, r.home_goals, r.away_goals) for r in history.upto(as_of)] == expected
    assert [r.match_id for r in history.upto(known[-1].result_at)] == [1, 3, 2]
    read = history.reader(known[1].result_at)
    assert read() is read() and [r.match_id for r in read()] == [1, 3]
