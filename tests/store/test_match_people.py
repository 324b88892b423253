"""The match detail's people: lineups and injury reports from the store, masked (None) where not covered."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from betfolio.ingest.api_football import ingest_recorded
from betfolio.store.queries import match_people
from betfolio.store.tables import matches_master as mm


def test_injuries_and_lineups_of_a_match_and_masks_where_not_covered(sqlite_engine, af_dir: Path) -> None:
    ingest_recorded(sqlite_engine, af_dir)
    with sqlite_engine.connect() as conn:
        ids = [i for (i,) in conn.execute(select(mm.c.match_id))]
        people = {i: match_people(conn, i) for i in ids}
        with pytest.raises(LookupError, match="no match"):
            match_people(conn, max(ids) + 1)
    injured = {i: p.injuries for i, p in people.items() if p.injuries}
    assert injured, "the recorded Bundesliga injuries name fixtures of the recorded season"
    for reports in injured.values():
        for r in reports:
            assert r["player"] and r["team"] and r["provider"] == "api-football" and (r["fixture"] or r["date"])
    assert any(p.lineups for p in people.values())
    # A league season no provider reported injuries for is masked, not shown as "nobody injured".
    assert any(p.injuries is None for p in people.values())
    assert any(p.injuries == [] for p in people.values())
