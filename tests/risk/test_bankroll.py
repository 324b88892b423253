from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from betfolio.risk import Bankroll, RejectReason, RiskLimits, StakeOrder


def order(stake: float, odds: float = 2.0, match: int = 1, day: str = "d1") -> StakeOrder:
    return StakeOrder(match_key=match, day=day, stake=stake, odds=odds)


def test_stake_is_capped_at_five_percent_of_equity() -> None:
    bank = Bankroll(1000.0)
    decision = bank.place(order(200.0))
    assert decision.accepted and decision.stake == pytest.approx(50.0)
    assert decision.reason is RejectReason.STAKE_CAP and decision.clipped
    assert bank.cash == pytest.approx(950.0) and bank.equity == pytest.approx(1000.0)


def test_match_and_daily_exposure_limits_cut_then_refuse() -> None:
    bank = Bankroll(
        1000.0, RiskLimits(max_stake_fraction=0.05, max_match_exposure_fraction=0.08, max_daily_exposure_fraction=0.12)
    )
    assert bank.place(order(50.0, match=1)).stake == pytest.approx(50.0)
    second = bank.place(order(50.0, match=1))
    assert second.reason is RejectReason.MATCH_EXPOSURE and second.stake == pytest.approx(30.0)
    third = bank.place(order(50.0, match=1))
    assert not third.accepted and third.reason is RejectReason.MATCH_EXPOSURE
    fourth = bank.place(order(50.0, match=2))
    assert fourth.reason is RejectReason.DAILY_EXPOSURE and fourth.stake == pytest.approx(40.0)
    assert not bank.place(order(10.0, match=3)).accepted
    assert bank.place(order(10.0, match=3, day="d2")).accepted
    assert bank.rejections[RejectReason.MATCH_EXPOSURE] == 1
    assert bank.rejections[RejectReason.DAILY_EXPOSURE] == 1


@pytest.mark.parametrize("odds", [1.0, 0.5, math.nan, math.inf, -2.0])
def test_bad_odds_are_refused_with_a_reason(odds: float) -> None:
    decision = Bankroll(100.0).place(order(1.0, odds=odds))
    assert not decision.accepted and decision.reason is RejectReason.INVALID_ODDS
    assert "invalid_odds" in decision.describe()


@pytest.mark.parametrize("stake", [0.0, -1.0, math.nan])
def test_bad_stakes_are_refused(stake: float) -> None:
    decision = Bankroll(100.0).place(order(stake))
    assert not decision.accepted and decision.reason is RejectReason.INVALID_STAKE


def test_settlement_updates_cash_peak_and_drawdown() -> None:
    bank = Bankroll(100.0)
    win = bank.place(order(5.0, odds=3.0))
    bank.settle(win.bet_id, 15.0)
    assert bank.cash == pytest.approx(110.0) and bank.peak == pytest.approx(110.0)
    loss = bank.place(order(5.0, match=2))
    bank.settle(loss.bet_id, 0.0)
    assert bank.drawdown == pytest.approx(5.0 / 110.0)
    push = bank.place(order(5.0, match=3))
    bank.void(push.bet_id)
    assert bank.equity == pytest.approx(105.0)
    with pytest.raises(KeyError):
        bank.settle(push.bet_id, 0.0)


def test_payout_beyond_stake_times_odds_or_negative_is_an_error() -> None:
    bank = Bankroll(100.0)
    bet = bank.place(order(5.0, odds=2.0))
    with pytest.raises(ValueError, match="exceeds"):
        bank.settle(bet.bet_id, 10.5)
    with pytest.raises(ValueError, match="≥ 0"):
        bank.settle(bet.bet_id, -1.0)
    assert bet.bet_id in bank.open_bets  # nothing half-written


def test_drawdown_stop_halts_new_orders_until_resumed() -> None:
    bank = Bankroll(
        100.0,
        RiskLimits(
            max_stake_fraction=1.0, max_match_exposure_fraction=1.0, max_daily_exposure_fraction=1.0, max_drawdown=0.3
        ),
    )
    bet = bank.place(order(40.0))
    bank.settle(bet.bet_id, 0.0)
    assert bank.halted
    refused = bank.place(order(1.0, match=2))
    assert not refused.accepted and refused.reason is RejectReason.HALTED
    assert bank.max_stake(2, "d1") == 0.0
    bank.resume()
    assert bank.place(order(1.0, match=2)).accepted


def test_min_stake_refuses_dust() -> None:
    bank = Bankroll(100.0, RiskLimits(min_stake=2.0))
    assert bank.place(order(1.0)).reason is RejectReason.BELOW_MIN_STAKE


def test_max_stake_reports_headroom() -> None:
    bank = Bankroll(1000.0)
    assert bank.max_stake(1, "d") == pytest.approx(50.0)
    bank.place(order(50.0))
    assert bank.max_stake(1, "d") == pytest.approx(50.0)  # match limit 100 − 50 open
    bank.place(order(50.0))
    assert bank.max_stake(1, "d") == 0.0


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="max_stake_fraction"):
        RiskLimits(max_stake_fraction=0.0)
    with pytest.raises(ValueError, match="max_drawdown"):
        RiskLimits(max_drawdown=1.5)
    with pytest.raises(ValueError, match="initial"):
        Bankroll(0.0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0.0, 1e6, allow_nan=False),
            st.floats(1.01, 50.0),
            st.integers(0, 5),
            st.sampled_from(["lost", "won", "push"]),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_ruin_is_impossible_and_limits_always_hold(bets: list[tuple[float, float, int, str]]) -> None:
    bank = Bankroll(100.0, RiskLimits(max_drawdown=None))
    for stake, odds, match, outcome in bets:
        equity = bank.equity
        decision = bank.place(order(stake, odds=odds, match=match))
        if decision.accepted:
            assert decision.stake <= 0.05 * equity + 1e-9
            assert bank.cash >= -1e-9
            payout = {"lost": 0.0, "won": decision.stake * odds, "push": decision.stake}[outcome]
            bank.settle(decision.bet_id, payout)
        assert bank.cash >= 0.0 and bank.equity > 0.0
    assert np.isfinite(bank.equity)


def test_settle_many_marks_once_so_batch_order_cannot_fire_the_stop() -> None:
    """A win and a loss settling together: marking after each would invent a peak (win first) and stop."""
    limits = RiskLimits(
        max_stake_fraction=0.5, max_match_exposure_fraction=1.0, max_daily_exposure_fraction=1.0, max_drawdown=0.2
    )
    bank = Bankroll(100.0, limits)
    win = bank.place(order(40.0, odds=3.0, match=1))
    loss = bank.place(order(40.0, match=2))
    bank.settle_many([(win.bet_id, 120.0), (loss.bet_id, 0.0)])
    assert bank.equity == pytest.approx(140.0) and not bank.halted and bank.max_drawdown_seen == 0.0
    # The same bets settled one by one, win first, pass through a peak of 180 and a 22 % "drawdown".
    again = Bankroll(100.0, limits)
    w, lo = again.place(order(40.0, odds=3.0, match=1)), again.place(order(40.0, match=2))
    again.settle(w.bet_id, 120.0)
    again.settle(lo.bet_id, 0.0)
    assert again.halted


def test_settle_many_is_all_or_nothing() -> None:
    bank = Bankroll(100.0)
    a = bank.place(order(5.0, match=1))
    b = bank.place(order(5.0, match=2))
    with pytest.raises(ValueError, match="exceeds"):
        bank.settle_many([(a.bet_id, 10.0), (b.bet_id, 99.0)])
    assert set(bank.open_bets) == {a.bet_id, b.bet_id} and bank.cash == pytest.approx(90.0)
    with pytest.raises(ValueError, match="twice"):
        bank.settle_many([(a.bet_id, 0.0), (a.bet_id, 0.0)])
