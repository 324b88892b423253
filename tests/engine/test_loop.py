"""The engine's loop on hand-built matches: own-match settlement, reasons for every refusal, the ledger rows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from betfolio.engine import BetOrder, DecisionContext, Engine, Portfolio
from betfolio.engine.events import RESULT_DELAY
from betfolio.engine.sources.prematch import PreMatchReplay
from betfolio.risk import Bankroll, RiskLimits
from tests.engine.helpers import match


class Scripted:
    """Places the orders it is given, whatever the context (a strategy that cannot be clever)."""

    def __init__(self, orders: list[BetOrder], name: str = "scripted", *, only_open: bool = True) -> None:
        self.name = name
        self.orders = orders
        self.only_open = only_open
        self.seen: list[DecisionContext] = []

    def decide(self, context: DecisionContext) -> list[BetOrder]:
        self.seen.append(context)
        open_ids = {m.match_id for m in context.matches}
        return [o for o in self.orders if o.match_id in open_ids or not self.only_open]


def run(matches, orders, limits: RiskLimits | None = None, *, only_open: bool = True) -> Portfolio:
    strategy = Scripted(orders, only_open=only_open)
    portfolio = Portfolio("scripted", Bankroll(1000.0, limits or RiskLimits()))
    source = PreMatchReplay(matches)
    engine = Engine([strategy], {"scripted": portfolio})
    engine.run(source)
    engine.finish(source.end)
    return portfolio


def test_two_matches_sharing_a_kickoff_settle_on_their_own_results() -> None:
    a, b = match(1, (2, 0)), match(2, (0, 3))  # same kick-off; home wins in one, away in the other
    portfolio = run(
        [a, b],
        [BetOrder(1, "1x2", "home", None, 1.8, 10.0, "bet365"), BetOrder(2, "1x2", "home", None, 1.8, 10.0, "bet365")],
    )
    won, lost = portfolio.bets
    assert (won.match_id, won.status, won.payout) == (1, "won", pytest.approx(18.0))
    assert (lost.match_id, lost.status, lost.payout) == (2, "lost", 0.0)
    assert won.settled_at == a.kickoff + RESULT_DELAY and lost.settled_at == b.kickoff + RESULT_DELAY
    assert portfolio.bankroll.equity == pytest.approx(1000.0 + 8.0 - 10.0)


def test_a_later_decision_sees_an_earlier_result_but_never_a_concurrent_one() -> None:
    early, late = match(1, (2, 0), day=0), match(2, (0, 0), day=7)
    strategy = Scripted([BetOrder(1, "1x2", "home", None, 1.8, 10.0, "bet365")])
    portfolio = Portfolio("scripted", Bankroll(1000.0))
    Engine([strategy], {"scripted": portfolio}).run(PreMatchReplay([early, late]))
    assert [c.equity for c in strategy.seen] == [pytest.approx(1000.0), pytest.approx(1008.0)]
    assert strategy.seen[0].cash == pytest.approx(1000.0)


def test_every_refused_or_cut_order_keeps_its_reason() -> None:
    m = match(1, (1, 0))
    orders = [
        BetOrder(1, "1x2", "home", None, 1.9, 10.0, "bet365"),  # better than offered: not on offer
        BetOrder(1, "1x2", "home", None, 2.8, 10.0, "market_max"),  # an aggregate, no bookmaker offers it
        BetOrder(1, "total_goals", "over", 2.5, 1.9, 10.0, "bet365"),  # market not quoted
        BetOrder(9, "1x2", "home", None, 1.8, 10.0, "bet365"),  # match not open in this round
        BetOrder(1, "1x2", "draw", None, 3.6, 500.0, "bet365"),  # cut by the stake cap
        BetOrder(1, "1x2", "away", None, 4.5, 0.01, "bet365"),  # below the minimum stake
    ]
    p = run(
        [m],
        orders,
        RiskLimits(max_stake_fraction=0.05, max_match_exposure_fraction=0.5, min_stake=1.0),
        only_open=False,
    )
    reasons = [r.reason for r in p.refusals]
    assert reasons == [
        "price not on offer",
        "aggregate price (no bookmaker offers it)",
        "price not on offer",
        "match not open for decisions in this round",
        "below_min_stake",
    ]
    assert p.rejections["price not on offer"] == 2
    (cut,) = p.bets
    assert (cut.selection, cut.stake, cut.requested_stake, cut.cut_by) == (
        "draw",
        pytest.approx(50.0),
        500.0,
        "stake_cap",
    )


def test_a_finished_match_without_a_score_returns_the_stake_as_unsettled() -> None:
    m = match(1, None, status="finished")
    p = run([m], [BetOrder(1, "1x2", "home", None, 1.8, 10.0, "bet365")])
    (bet,) = p.bets
    assert (bet.status, bet.payout, p.unsettled) == ("unsettled", 10.0, 1)
    assert p.bankroll.equity == pytest.approx(1000.0)


def test_a_postponed_match_voids_its_bets() -> None:
    p = run([match(1, None, status="postponed")], [BetOrder(1, "1x2", "home", None, 1.8, 10.0, "bet365")])
    assert (p.bets[0].status, p.bets[0].payout) == ("void", 10.0)


def test_strategies_sharing_a_portfolio_share_one_bankroll() -> None:
    m1, m2 = match(1, (1, 0)), match(2, (0, 1))
    shared = Portfolio(
        "fund",
        Bankroll(
            100.0, RiskLimits(max_stake_fraction=1.0, max_match_exposure_fraction=1.0, max_daily_exposure_fraction=0.3)
        ),
    )
    a = Scripted([BetOrder(1, "1x2", "home", None, 1.8, 20.0, "bet365")], name="a")
    b = Scripted([BetOrder(2, "1x2", "away", None, 4.5, 20.0, "bet365")], name="b")
    Engine([a, b], {"a": shared, "b": shared}).run(PreMatchReplay([m1, m2]))
    assert [(x.strategy, x.stake) for x in shared.bets] == [("a", 20.0), ("b", pytest.approx(10.0))]  # daily cap 30
    assert shared.bets[1].cut_by == "daily_exposure"
    assert shared.bankroll.equity == pytest.approx(100 + 0.8 * 20 + 3.5 * 10)


def test_pending_orders_wait_for_the_acceptance_delay_and_recheck_the_price() -> None:
    from betfolio.engine import Execution

    m = match(1, (1, 0))
    strategy = Scripted([BetOrder(1, "1x2", "home", None, 1.8, 10.0, "bet365")])
    p = Portfolio("scripted", Bankroll(1000.0))
    engine = Engine([strategy], {"scripted": p}, execution=Execution(delay=timedelta(seconds=8)))
    source = PreMatchReplay([m])
    engine.run(source)
    engine.finish(source.end)
    (bet,) = p.bets  # placed when the match's result event moved the clock past the delay
    assert bet.placed_at == m.decision_at + timedelta(seconds=8)
    assert bet.status == "won"
