from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import Engine, insert, select

from betfolio.app.portfolio_data import list_runs, load_portfolio, run_agents, separate_bankrolls
from betfolio.store.tables import bet_ledger, runs
from betfolio.store.tables import matches_master as mm


def _shared_bankroll_run(engine: Engine) -> int:
    """A run whose two agents share one bankroll of 100 (as a manager allocating between workers does)."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        matches = conn.execute(select(mm.c.match_id, mm.c.kickoff_utc).order_by(mm.c.kickoff_utc).limit(6)).all()
        run_id = conn.execute(
            insert(runs)
            .values(
                kind="evaluate",
                name="hrl",
                status="finished",
                config={"initial_bankroll": 100.0},
                metrics={},
                started_at=now,
            )
            .returning(runs.c.run_id)
        ).scalar_one()
        plan = [("prematch", 10.0, 2.0, 20.0), ("prematch", 10.0, 2.0, 0.0), ("live", 5.0, 3.0, 15.0),
                ("live", 5.0, 3.0, 0.0), ("prematch", 10.0, 1.5, None), ("live", 30.0, 2.0, 0.0)]  # fmt: skip
        for (match_id, kickoff), (agent, stake, odds, payout) in zip(matches, plan, strict=True):
            conn.execute(insert(bet_ledger).values(
                run_id=run_id, agent=agent, match_id=match_id, market="1x2", selection="home", odds=odds,
                stake=stake, placed_at=kickoff - timedelta(hours=2), in_play=agent == "live",
                status="open" if payout is None else ("won" if payout else "lost"), payout=payout,
                settled_at=None if payout is None else kickoff + timedelta(hours=2),
                clv=0.02 if agent == "prematch" else None, detail={},
            ))  # fmt: skip
    return int(run_id)


def test_agents_sharing_a_bankroll_form_one_portfolio(writable_engine: Engine) -> None:
    run_id = _shared_bankroll_run(writable_engine)
    with writable_engine.connect() as conn:
        run = next(r for r in list_runs(conn) if r.run_id == run_id)
        assert run.initial_bankroll == 100.0 and run.bets == 6 and not separate_bankrolls(run)
        assert run_agents(conn, run) == [("live", 3), ("prematch", 3)]
        portfolio = load_portfolio(conn, run)
    assert portfolio.initial_bankroll == 100.0
    assert len(portfolio.settled) == 5 and len(portfolio.open) == 1
    # Settled in kick-off order: +10, -10, +10, -5, -30 from 100.
    assert np.allclose(portfolio.equity, [110, 100, 110, 105, 75])
    assert np.isclose(portfolio.drawdown.min(), 75 / 110 - 1)
    summary = portfolio.summary()
    assert summary["bets"] == 5 and summary["open"] == 1 and summary["open_stake"] == 10.0
    assert np.isclose(summary["roi"], -25 / 60)
    assert np.isclose(summary["clv_mean"], 0.02) and summary["clv_bets"] == 2
    assert np.isclose(summary["max_drawdown"], 1 - 75 / 110)
    _times, shares, totals = portfolio.allocation()
    assert set(shares) == {"live", "prematch"}
    assert np.allclose(sum(shares.values()), 1.0) and np.isclose(totals.sum(), 70.0)


def test_one_agent_of_a_backtest_without_bankroll_is_plain_pnl(writable_engine: Engine) -> None:
    run_id = _shared_bankroll_run(writable_engine)
    with writable_engine.begin() as conn:
        conn.execute(runs.update().where(runs.c.run_id == run_id).values(kind="backtest", config={}))
    with writable_engine.connect() as conn:
        run = next(r for r in list_runs(conn) if r.run_id == run_id)
        assert separate_bankrolls(run) and run.initial_bankroll is None
        portfolio = load_portfolio(conn, run, "live")
    summary = portfolio.summary()
    assert np.allclose(portfolio.equity, [10, 5, -25])  # P&L only: no starting bankroll was recorded
    assert summary["final_equity"] is None and summary["max_drawdown_amount"] == 35.0
