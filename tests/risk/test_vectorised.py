from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from betfolio.risk import Bankroll, BatchedBankroll, RejectReason, RiskLimits, StakeOrder, clip_stakes


def test_clip_stakes_codes() -> None:
    limits = RiskLimits()
    stake, code = clip_stakes(
        [0.0, 10.0, 100.0, 10.0, 10.0, -1.0, 10.0],
        [2.0, 2.0, 2.0, 1.0, 2.0, 2.0, 2.0],
        cash=[1000, 1000, 1000, 1000, 0.0, 1000, 1000],
        equity=1000.0,
        limits=limits,
        halted=[False, False, False, False, False, False, True],
    )
    assert stake.tolist() == [0.0, 10.0, 50.0, 0.0, 0.0, 0.0, 0.0]
    assert code.tolist() == [
        RejectReason.ACCEPTED,
        RejectReason.ACCEPTED,
        RejectReason.STAKE_CAP,
        RejectReason.INVALID_ODDS,
        RejectReason.NO_FUNDS,
        RejectReason.INVALID_STAKE,
        RejectReason.HALTED,
    ]


@settings(max_examples=80, deadline=None)
@given(
    st.floats(0.01, 1e4),
    st.floats(1.001, 30.0),
    st.floats(0.0, 500.0),
    st.floats(0.0, 500.0),
    st.floats(1.0, 1000.0),
)
def test_vectorised_matches_the_scalar_chain(
    stake: float, odds: float, m_exp: float, d_exp: float, cash: float
) -> None:
    """The batched rule and the Bankroll chain agree on stake and reason for the same state."""
    limits = RiskLimits()
    bank = Bankroll(cash + m_exp + d_exp, limits)
    # Put the bankroll in the state: open stake on match 1 (m_exp) and on another match the same day (d_exp).
    bank.cash = cash
    from betfolio.risk.bankroll import OpenBet

    if m_exp:
        bank.open_bets[900] = OpenBet(900, 1, "d", m_exp, 2.0)
        bank._match_exposure[1] += m_exp
        bank._day_exposure["d"] += m_exp
    if d_exp:
        bank.open_bets[901] = OpenBet(901, 2, "d", d_exp, 2.0)
        bank._match_exposure[2] += d_exp
        bank._day_exposure["d"] += d_exp
    scalar = bank.validate(StakeOrder(1, "d", stake, odds))
    vstake, vcode = clip_stakes(
        [stake], [odds], [cash], [bank.equity], limits=limits, match_exposure=[m_exp], daily_exposure=[m_exp + d_exp]
    )
    assert vstake[0] == pytest.approx(scalar.stake, abs=1e-9)
    assert RejectReason(int(vcode[0])) is scalar.reason


def test_batched_bankroll_place_settle_halt_reset() -> None:
    limits = RiskLimits(
        max_stake_fraction=1.0, max_match_exposure_fraction=1.0, max_daily_exposure_fraction=1.0, max_drawdown=0.5
    )
    bb = BatchedBankroll(3, 100.0, limits)
    stake, code = bb.place([60.0, 10.0, 0.0], [2.0, 3.0, 2.0])
    assert stake.tolist() == [60.0, 10.0, 0.0]
    bb.settle([0.0, 30.0, 0.0])
    assert bb.cash.tolist() == [40.0, 120.0, 100.0]
    assert bb.halted.tolist() == [True, False, False]
    stake, code = bb.place([1.0, 1.0, 1.0], 2.0)
    assert code[0] == RejectReason.HALTED and stake[0] == 0.0
    bb.reset(np.array([True, False, False]))
    assert bb.cash[0] == 100.0 and not bb.halted[0]
    with pytest.raises(ValueError):
        bb.settle([-1.0, 0.0, 0.0])


def test_batched_bankroll_never_goes_negative() -> None:
    rng = np.random.default_rng(0)
    bb = BatchedBankroll(256, 10.0, RiskLimits(max_drawdown=None))
    for _ in range(200):
        odds = rng.uniform(1.2, 8.0, 256)
        stake, _ = bb.place(rng.uniform(0, 50, 256), odds)
        won = rng.random(256) < 1 / odds
        bb.settle(np.where(won, stake * odds, 0.0))
        bb.new_day()
        assert (bb.cash >= 0).all()
