"""The momentum views of migration 0003 on the real PostgreSQL server (materialised views) and on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert, select, text

from betfolio.store import queries
from betfolio.store.migrate import upgrade
from betfolio.store.tables import leagues, live_states, matches_master, teams


def _match(engine: Engine) -> int:
    now = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(leagues).values(code="E0", name="Premier League", country="England"))
        for i, name in enumerate(("Home FC", "Away FC"), start=1):
            conn.execute(insert(teams).values(team_id=i, name=name, name_key=name.lower(), created_at=now))
        return conn.execute(
            insert(matches_master).values(
                league="E0", season="2026-27", match_date=now.date(), kickoff_utc=now, kickoff_time_known=True,
                home_team_id=1, away_team_id=2, status="in_play", statistics={}, detail={}, source_provider="test",
                updated_at=now,
            ).returning(matches_master.c.match_id)
        ).scalar_one()  # fmt: skip


def test_momentum_views(engine: Engine) -> None:
    upgrade(engine)  # idempotent: already at head
    match_id = _match(engine)
    kickoff = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
    rows = []
    for minute in range(0, 30):  # home presses from minute 10: one shot on target a minute; away does nothing
        on_target = max(0, minute - 9)
        stats = {"home": {"shots_on_target": on_target, "shots": on_target, "xg": None},
                 "away": {"shots_on_target": 0, "corners": "n/a"}}  # fmt: skip
        rows.append({
            "match_id": match_id, "provider": "feed", "observed_at": kickoff + timedelta(minutes=minute, seconds=5),
            "minute": minute, "status": "in_play", "home_goals": 0, "away_goals": 0, "statistics": stats,
            "data_staleness": 0.0, "ingested_at": kickoff,
        })  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(live_states), rows)
        queries.refresh_momentum(conn)
    with engine.connect() as conn:
        five = queries.momentum_series(conn, match_id, "5m")
        one = queries.momentum_series(conn, match_id, "1m")
        fifteen = queries.momentum_series(conn, match_id, "15m")
    assert [r["states"] for r in five] == [5] * 6 and len(one) == 30 and [r["states"] for r in fifteen] == [15, 15]
    assert [r["bucket"] for r in five] == [kickoff + timedelta(minutes=5 * i) for i in range(6)]
    assert [r["momentum"] for r in five[:2]] == [0.0, 0.0]  # nothing before minute 10
    # minutes 10-14: on target 1..5 → pressure 1.4 × 5 at the bucket's end; later buckets gain 1.4 × 5 each
    assert [round(r["momentum"], 6) for r in five[2:]] == [7.0, 7.0, 7.0, 7.0]
    assert five[-1]["minute"] == 29
    with pytest.raises(ValueError, match="unknown momentum bucket"):
        queries.momentum_series(engine.connect(), match_id, "2m")


def test_plain_postgresql_gets_materialised_views(pg_engine: Engine) -> None:
    with pg_engine.connect() as conn:
        query = "SELECT matviewname, 'matview' FROM pg_matviews WHERE matviewname LIKE 'live_momentum_%'"
        kinds = dict(conn.execute(text(query)).all())
        timescale = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")).first()
    if timescale is None:
        assert set(kinds) == {"live_momentum_1m", "live_momentum_5m", "live_momentum_15m"}
    with pg_engine.connect() as conn:
        assert conn.execute(select(live_states.c.match_id).limit(1)).first() is None
