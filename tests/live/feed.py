"""A scripted live feed over real fixtures of the test store (for the trader's tests)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select

from betfolio.canonical import LiveMatchState
from betfolio.providers.live_bus import LiveStateBus
from betfolio.store.identity import link_external
from betfolio.store.tables import matches_master as mm
from betfolio.store.writer import FIXTURE

PROVIDER = "feed"


def link_matches(engine: Engine, n: int) -> list[tuple[int, int, int]]:
    """Link the first ``n`` fixtures to feed ids ``f<match_id>``; returns (match_id, home goals, away goals)."""
    with engine.begin() as conn:
        rows = conn.execute(
            select(mm.c.match_id, mm.c.home_goals, mm.c.away_goals).order_by(mm.c.match_id).limit(n)
        ).all()
        link_external(conn, PROVIDER, FIXTURE, {f"f{r[0]}": r[0] for r in rows})
    return [tuple(r) for r in rows]  # type: ignore[misc]


def match_states(matches: list[tuple[int, int, int]], *, staleness: float = 0.0) -> list[LiveMatchState]:
    """Minutes 1…90 of every match (goals arrive at minutes 30 and 60 up to the real score), then full time."""
    now = datetime.now(UTC)
    states = []
    for minute in range(1, 91):
        for match_id, hg, ag in matches:
            states.append(
                LiveMatchState(
                    provider=PROVIDER, provider_match_id=f"f{match_id}", minute=minute,
                    home_goals=min(hg, minute // 30), away_goals=min(ag, minute // 30),
                    observed_at=now, data_staleness=staleness,
                )
            )  # fmt: skip
    for match_id, hg, ag in matches:
        states.append(
            LiveMatchState(provider=PROVIDER, provider_match_id=f"f{match_id}", minute=90, status="finished",
                           home_goals=hg, away_goals=ag, observed_at=now)
        )  # fmt: skip
    return states


def publish(client: object, states: list[LiveMatchState]) -> int:
    return LiveStateBus(client).publish(states)
