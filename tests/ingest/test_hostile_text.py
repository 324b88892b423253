"""Over-long names and NUL bytes in provider JSON are refused per record on PostgreSQL, the rest is stored.

PostgreSQL refuses a NUL in text or JSONB and a name longer than its column; before these checks either one
failed the COPY of the whole payload (a traceback, nothing of the file stored). Run on the real PostgreSQL
(``pg_engine``), where the failure happened, and on SQLite, which would have stored them silently.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from betfolio.ingest import api_football, odds_api
from betfolio.store.tables import daily_betting_lines, leagues, matches_master, teams
from tests.conftest import shared_file


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_api_football_long_names_and_nul_bytes_reject_only_their_fixture(pg_engine, tmp_path: Path) -> None:
    source = shared_file("providers", "api_football", "syurchen93", "fixtures-bundes-ns-pst.json")
    payload = json.loads(source.read_text())
    total = len(payload["response"])
    payload["response"][0]["teams"]["home"]["name"] = "X" * 5000
    payload["response"][1]["teams"]["away"]["name"] = "Nul\u0000 Team"
    payload["response"][2]["fixture"]["referee"] = "Referee\u0000"
    payload["response"][3]["league"]["name"] = "L" * 300  # league name too long: the code stands in for it
    folder = tmp_path / "af"
    folder.mkdir()
    (folder / "fixtures.json").write_text(json.dumps(payload))

    report = api_football.ingest_recorded(pg_engine, folder)

    assert report.errors == []
    assert sorted(report.rejects) == [
        "api-football fixtures response[0]: invalid home_team: String should have at most 128 characters",
        "api-football fixtures response[1]: away_team contains a NUL character",
        "api-football fixtures response[2]: referee contains a NUL character",
    ]
    assert report.as_dict()["matches_added"] == _count(pg_engine, matches_master) == total - 3
    with pg_engine.connect() as conn:
        longest = conn.execute(select(func.max(func.length(teams.c.name)))).scalar_one()
        league_names = conn.execute(select(leagues.c.name)).scalars().all()
    assert longest < 128 and all(len(name) <= 128 for name in league_names)


def test_odds_api_long_names_and_nul_bytes_reject_only_their_records(
    pg_engine, sqlite_engine, tmp_path: Path
) -> None:
    source = shared_file("providers", "the_odds_api", "masterpiecesvk_epl_odds.json")
    events = json.loads(source.read_text())
    # The reference: a clean ingest of exactly the valid part (the two broken events and the broken book dropped).
    valid = [dict(event) for event in events[2:]]
    valid[0]["bookmakers"] = valid[0]["bookmakers"][1:]
    hostile = json.loads(source.read_text())
    hostile[0]["home_team"] = "Y" * 5000
    hostile[1]["away_team"] = "Nul\u0000 FC"
    hostile[2]["bookmakers"][0]["key"] = "book\u0000"
    for name, content in (("valid", valid), ("hostile", hostile)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "odds.json").write_text(json.dumps(content))

    reference = odds_api.ingest_recorded(sqlite_engine, tmp_path / "valid", league="E0")
    report = odds_api.ingest_recorded(pg_engine, tmp_path / "hostile", league="E0")

    assert report.errors == [] and reference.rejects == []
    assert report.rejects[:2] == [
        "odds-api odds events[0]: invalid home_team: String should have at most 128 characters",
        "odds-api odds events[1]: away_team contains a NUL character",
    ]
    book_rejects = report.rejects[2:]
    assert book_rejects and all(
        r.startswith("odds-api odds events[2].bookmakers[0].markets[")
        and r.endswith("bookmaker contains a NUL character")
        for r in book_rejects
    )
    assert _count(pg_engine, matches_master) == _count(sqlite_engine, matches_master) == len(events) - 2
    assert _count(pg_engine, daily_betting_lines) == _count(sqlite_engine, daily_betting_lines) > 500
