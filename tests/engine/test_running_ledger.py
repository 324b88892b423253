"""The ledger writer's running-run API (paper trading) on both backends: ids derived from decisions, adds and
settlements that a restarted writer can repeat without changing anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from betfolio.engine import ledger
from betfolio.engine.bets import BetRecord
from betfolio.store.tables import runs
from tests.store.test_live_momentum import _match

KICKOFF = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)


def _bet(match_id: int, selection: str, minute: int) -> BetRecord:
    return BetRecord(
        strategy="hrl-live", match_id=match_id, league="E0", season="2026-27", market="1x2", selection=selection,
        line=None, odds=2.0, stake=10.0, requested_stake=12.0, bookmaker="in-play model",
        placed_at=KICKOFF + timedelta(minutes=minute), kickoff=KICKOFF, in_play=True, cut_by="max_stake",
    )  # fmt: skip


def test_a_running_run_is_recorded_exactly_once(engine: Engine) -> None:
    match_id = _match(engine)
    key = "paper run-a · paper"
    run_id = ledger.open_run(engine, kind="paper", name=key, config={"initial_bankroll": 1000.0})
    assert ledger.open_run(engine, kind="paper", name=key, config={}) == run_id  # resumed, not a second run
    bets = [
        (ledger.decision_bet_id(key, match_id, m, sel), _bet(match_id, sel, m)) for m, sel in ((3, "home"), (9, "draw"))
    ]
    assert ledger.decision_bet_id(key, match_id, 3, "home") == bets[0][0] >= 1 << 62  # stable, above sequences
    assert ledger.decision_bet_id("paper run-b · paper", match_id, 3, "home") != bets[0][0]
    with engine.begin() as conn:
        assert ledger.add_bets(conn, run_id, bets, lambda b: {"minute": b.placed_at.minute}) == 2
    with engine.begin() as conn:  # a restarted writer adds the same decisions again: nothing changes
        assert ledger.add_bets(conn, run_id, bets) == 0

    home, draw = bets[0][1], bets[1][1]
    home.status, home.payout, home.settled_at = "won", 20.0, KICKOFF + timedelta(minutes=112)
    draw.status, draw.payout, draw.settled_at = "lost", 0.0, KICKOFF + timedelta(minutes=112)
    with engine.begin() as conn:
        ledger.settle_bets(conn, bets, lambda b: {"reward": 0.5})
    home.payout = 999.0  # a second settlement of a settled row is ignored
    with engine.begin() as conn:
        ledger.settle_bets(conn, bets[:1])
    rows = ledger.run_bets(engine, run_id)
    assert [(r["selection"], r["status"], r["payout"]) for r in rows] == [("home", "won", 20.0), ("draw", "lost", 0.0)]
    assert rows[0]["detail"]["reward"] == 0.5 and rows[0]["detail"]["cut_by"] == "max_stake"
    assert rows[0]["detail"]["requested_stake"] == 12.0 and rows[0]["in_play"] is True

    ledger.finish_run(engine, run_id, {"bets": 2, "nan": float("nan")})
    with engine.connect() as conn:
        run = conn.execute(select(runs).where(runs.c.run_id == run_id)).mappings().one()
    assert (run["status"], run["metrics"]) == ("finished", {"bets": 2, "nan": None})
