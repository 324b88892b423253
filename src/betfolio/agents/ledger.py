"""Recording an HRL evaluation in the store: the run, and every worker's bet at the money the manager gave it.

The portfolio then reads like any other run (the desktop app's Portfolio page): one shared bankroll, each bet
under its worker's name, so the capital allocation per agent over time — the manager's decisions — is visible.
The rows are written by the engine's one ledger writer (:func:`betfolio.engine.ledger.record_run`): the stake is
what the shared bankroll's risk chain let through, and ``settled_at`` is the end of the bet's own match.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Engine

from betfolio.agents.evaluation import Sleeve, money_bets
from betfolio.engine.bets import BetRecord
from betfolio.engine.ledger import record_run
from betfolio.risk import RiskLimits

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
    limits: RiskLimits | None = None,
) -> int:
    """Store the run (``kind='evaluate'``) and its bets in one transaction; returns the ``run_id``.

    ``sleeves`` are keyed by role (``prematch``/``live``) as the manager saw them; bets are stored under the
    sleeve's own name. Bets without a ledger entry (no store match id) or without money (share 0) are left out.
    """
    bets: list[BetRecord] = []
    roles: dict[int, tuple[str, float]] = {}
    for _day, placed, _equity in money_bets(sleeves, shares, initial, days, limits):
        for role, bet, stake, payout in placed:
            entry = bet.entry
            if entry is None or stake <= 0:
                continue
            record = BetRecord(
                strategy=sleeves[role].name,
                match_id=entry.match_id,
                league="",
                season="",
                market=entry.market,
                selection=entry.selection,
                line=entry.line,
                odds=bet.odds,
                stake=stake,
                requested_stake=stake,
                bookmaker=entry.bookmaker or "",
                placed_at=entry.placed_at,
                kickoff=entry.placed_at,
                status=entry.status,
                payout=payout,
                settled_at=entry.settled_at,
                closing_odds=entry.closing_odds,
                clv=None if bet.clv != bet.clv else bet.clv,  # NaN (no closing line) → NULL
                in_play=entry.in_play,
            )
            roles[id(record)] = (role, bet.stake)
            bets.append(record)
    return record_run(
        engine,
        bets,
        kind=RUN_KIND,
        name=name,
        config={"initial_bankroll": initial, **config},
        metrics=metrics,
        detail=lambda b: {"role": roles[id(b)][0], "fraction_of_worker_capital": roles[id(b)][1]},
    )
