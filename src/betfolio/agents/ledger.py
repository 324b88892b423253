"""Recording an HRL evaluation in the store: the run, and every worker's bet at the money the manager gave it.

The portfolio then reads like any other run (the desktop app's Portfolio page): one shared bankroll, each bet
under its worker's name, so the capital allocation per agent over time — the manager's decisions — is visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert

from betfolio.agents.evaluation import Sleeve, money_bets
from betfolio.backtest.report import json_ready
from betfolio.store.tables import bet_ledger, runs

RUN_KIND = "evaluate"


def record_hrl_run(
    engine: Engine,
    sleeves: dict[str, Sleeve],
    shares: dict[str, dict[date, float]],
    initial: float,
    days: Sequence[date],
    *,
    name: str,
    config: dict[str, Any],
    metrics: dict[str, Any],
) -> int:
    """Store the run (``kind='evaluate'``) and its bets in one transaction; returns the ``run_id``.

    ``sleeves`` are keyed by role (``prematch``/``live``) as the manager saw them; bets are stored under the
    sleeve's own name. Bets without a ledger entry (no store match id) or without money (share 0) are left out.
    """
    rows = []
    for _day, placed, _equity in money_bets(sleeves, shares, initial, days):
        for role, bet, stake, payout in placed:
            entry = bet.entry
            if entry is None or stake <= 0:
                continue
            rows.append(
                {
                    "agent": sleeves[role].name[:64],
                    "match_id": entry.match_id,
                    "market": entry.market,
                    "selection": entry.selection,
                    "line": entry.line,
                    "odds": bet.odds,
                    "stake": stake,
                    "bookmaker": entry.bookmaker,
                    "placed_at": entry.placed_at,
                    "in_play": entry.in_play,
                    "status": entry.status,
                    "payout": payout,
                    "settled_at": entry.placed_at,
                    "closing_odds": entry.closing_odds,
                    "clv": None if bet.clv != bet.clv else bet.clv,  # NaN (no closing line) → NULL
                    "detail": {"role": role, "fraction_of_worker_capital": bet.stake},
                }
            )
    now = datetime.now(UTC)
    with engine.begin() as conn:
        run_id = conn.execute(
            insert(runs)
            .values(
                kind=RUN_KIND,
                name=name,
                status="finished",
                config=json_ready({"initial_bankroll": initial, **config}),
                metrics=json_ready(metrics),
                started_at=now,
                finished_at=now,
            )
            .returning(runs.c.run_id)
        ).scalar_one()
        if rows:
            conn.execute(insert(bet_ledger), [{"run_id": run_id, **r} for r in rows])
    return run_id
