"""Reads of the run registry and the bet ledger (``runs``, ``bet_ledger``): what the portfolio views show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from betfolio.store.tables import bet_ledger, runs

#: Keys a run's config may use for its starting bankroll (first match wins).
BANKROLL_KEYS = ("initial_bankroll", "bankroll", "starting_bankroll")


@dataclass(frozen=True, slots=True)
class RunInfo:
    run_id: int
    kind: str
    name: str
    status: str
    started_at: datetime
    bets: int
    initial_bankroll: float | None
    report_path: str | None
    metrics: dict[str, Any]

    @property
    def label(self) -> str:
        return f"#{self.run_id} {self.kind} · {self.name} · {self.started_at:%Y-%m-%d %H:%M} · {self.bets} bets"


def list_runs(conn: Connection) -> list[RunInfo]:
    """Every recorded run, newest first, with its bet count and starting bankroll (when its config has one)."""
    counts = dict(
        conn.execute(select(bet_ledger.c.run_id, func.count()).group_by(bet_ledger.c.run_id)).all()  # type: ignore[arg-type]
    )
    out = []
    for row in conn.execute(select(runs).order_by(runs.c.started_at.desc(), runs.c.run_id.desc())).mappings():
        config = row["config"] or {}
        bankroll = next((config[k] for k in BANKROLL_KEYS if isinstance(config.get(k), int | float)), None)
        out.append(
            RunInfo(
                row["run_id"],
                row["kind"],
                row["name"],
                row["status"],
                row["started_at"],
                int(counts.get(row["run_id"], 0)),
                float(bankroll) if bankroll is not None else None,
                row["report_path"],
                dict(row["metrics"] or {}),
            )
        )
    return out


def run_agent_counts(conn: Connection, run_id: int) -> list[tuple[str, int]]:
    """Agents (strategies) that bet in a run, with their bet counts."""
    stmt = (
        select(bet_ledger.c.agent, func.count())
        .where(bet_ledger.c.run_id == run_id)
        .group_by(bet_ledger.c.agent)
        .order_by(bet_ledger.c.agent)
    )
    return [(a, int(n)) for a, n in conn.execute(stmt)]


def ledger_bets(conn: Connection, run_id: int | None = None, agent: str | None = None) -> list[dict[str, Any]]:
    """Bets in placement order: of one run (optionally one agent of it), or of every run."""
    stmt = select(bet_ledger).order_by(bet_ledger.c.placed_at, bet_ledger.c.bet_id)
    if run_id is not None:
        stmt = stmt.where(bet_ledger.c.run_id == run_id)
    if agent is not None:
        stmt = stmt.where(bet_ledger.c.agent == agent)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def in_play_bets(conn: Connection, match_id: int) -> list[dict[str, Any]]:
    """In-play bets placed on a match (what a live agent decided, with its reasons in ``detail``)."""
    stmt = (
        select(bet_ledger)
        .where(bet_ledger.c.match_id == match_id, bet_ledger.c.in_play.is_(True))
        .order_by(bet_ledger.c.placed_at)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]
