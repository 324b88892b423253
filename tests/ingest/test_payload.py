"""Ingesting recorded API-Football and Odds API payloads into SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from betfolio.canonical import Coverage
from betfolio.ingest.api_football import ingest_recorded
from betfolio.ingest.coverage import live_features
from betfolio.ingest.payload import store_parse_result
from betfolio.providers.api_football.adapter import ApiFootball
from betfolio.providers.api_football.mapping import COVERED_STATISTICS
from betfolio.store.tables import (
    coverage,
    daily_betting_lines,
    ingest_runs,
    leagues,
    live_states,
    matches_master,
    players,
    players_db,
    raw_payloads,
    teams,
)
from betfolio.store.writer import upsert_coverage
from tests.providers.conftest import load


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_recorded_api_football_folder(engine, af_dir: Path) -> None:
    report = ingest_recorded(engine, af_dir)
    data = report.as_dict()
    assert len(report.errors) == 3 and all("provider reported errors" in e for e in report.errors)
    assert data["matches_added"] == count(engine, matches_master) > 90
    assert data["live_states_added"] == count(engine, live_states) == 15  # 14 in-play on 2021-04-22 + 1 at HT
    assert data["quotes_added"] == count(engine, daily_betting_lines) > 30
    assert data["coverage"] >= 35 and count(engine, coverage) >= 35
    assert data["injuries"] == 31 and count(engine, players_db) > 40
    with engine.connect() as conn:
        derby = (
            conn.execute(select(matches_master).where(matches_master.c.detail["status_code"].as_string() == "PEN"))
            .mappings()
            .all()
        )
        champions_league = conn.execute(select(leagues).where(leagues.c.code == "AF-2")).mappings().one()
        premier_league = conn.execute(select(leagues).where(leagues.c.code == "E0")).mappings().one()
    assert (champions_league["name"], champions_league["country"]) == ("UEFA Champions League", "World")
    assert (premier_league["name"], premier_league["country"]) == ("Premier League", "England")
    (madrid,) = [m for m in derby if m["home_goals"] == 2]
    assert (madrid["pen_home_goals"], madrid["pen_away_goals"], madrid["et_home_goals"]) == (3, 2, 0)
    assert madrid["statistics"]["home"]["xg"] == pytest.approx(2.73)
    assert madrid["lineups"]["away"]["formation"] and len(madrid["detail"]["events"]) > 10

    payloads, runs = count(engine, raw_payloads), count(engine, ingest_runs)
    again = ingest_recorded(engine, af_dir).as_dict()
    assert (again["matches_added"], again["quotes_added"], again["live_states_added"]) == (0, 0, 0)
    assert count(engine, raw_payloads) == payloads and count(engine, ingest_runs) == 2 * runs


def test_league_and_season_filter(sqlite_engine, af_dir: Path) -> None:
    report = ingest_recorded(sqlite_engine, af_dir, league="D1", season="2023").as_dict()
    with sqlite_engine.connect() as conn:
        leagues_seasons = set(conn.execute(select(matches_master.c.league, matches_master.c.season).distinct()))
    assert leagues_seasons == {("D1", "2023-24")} and report["filtered_out"] > 0


def test_a_failing_payload_leaves_nothing_half_written(sqlite_engine, af_dir: Path) -> None:
    payload = load(af_dir, "syurchen93/fixtures-bundes-ns-pst.json")
    content = json.dumps(payload).encode()
    result = ApiFootball().parse("fixtures", content)
    broken = copy.copy(result)
    # a record that only fails deep inside the store step, after the payload, league and teams were written
    unplaceable = result.records[0].model_construct(**{**dict(result.records[0]), "kickoff": None})
    broken.records = [*result.records, unplaceable]
    with pytest.raises(TypeError):
        store_parse_result(sqlite_engine, broken, content, source="broken")
    for table in (matches_master, raw_payloads, teams, ingest_runs):
        assert count(sqlite_engine, table) == 0
    store_parse_result(sqlite_engine, result, content, source="ok")
    assert count(sqlite_engine, matches_master) == 71


def _live_fixture(af_dir: Path, *, drop_xg: bool = False):
    payload = load(af_dir, "syurchen93/fixtures-cl-penalties.json")
    item = payload["response"][0]
    item["fixture"]["status"] = {"long": "Second Half", "short": "2H", "elapsed": 62}
    if drop_xg:
        for team in item["statistics"]:
            team["statistics"] = [s for s in team["statistics"] if s["type"] != "expected_goals"]
    payload["response"] = [item]
    return ApiFootball().parse("fixtures", json.dumps(payload).encode()).of_kind("live_state")[0]


def test_live_feature_mask_combines_coverage_and_payload(sqlite_engine, af_dir: Path) -> None:
    state = _live_fixture(af_dir)
    assert state.minute == 62 and state.statistics["home"]["red_cards"] == 0.0  # counted from events
    covered = Coverage(provider="api-football", league="AF-2", season="2023-24", statistics=COVERED_STATISTICS)
    with sqlite_engine.begin() as conn:
        no_record = live_features(conn, state, league="AF-2", season="2023-24")
        upsert_coverage(conn, covered)
        full = live_features(conn, state, league="AF-2", season="2023-24")
        without_xg = live_features(conn, _live_fixture(af_dir, drop_xg=True), league="AF-2", season="2023-24")
        upsert_coverage(conn, covered.model_copy(update={"statistics": ()}))
        not_covered = live_features(conn, state, league="AF-2", season="2023-24")
    assert full.get("home_xg") == pytest.approx(2.73) and full.get("away_red_cards") == 0.0
    assert full.get("home_dangerous_attacks") is None  # API-Football never sends it
    assert without_xg.get("home_xg") is None and without_xg.get("home_shots") == 23.0  # payload lacked it
    assert not_covered.get("home_shots") is None and not_covered.get("minute") == pytest.approx(62 / 90)
    assert no_record.get("home_xg") == pytest.approx(2.73)
    names = list(full.names)
    assert full.mask[names.index("home_xg")] == 1.0 and without_xg.mask[names.index("home_xg")] == 0.0


def test_players_seasons_and_injuries_land_in_players_db(sqlite_engine, af_dir: Path) -> None:
    for name, endpoint in (
        ("syurchen93/player-info-bundes-2022.json", "players"),
        ("syurchen93/injuries-date-bundes.json", "injuries"),
    ):
        content = (af_dir / name).read_bytes()
        store_parse_result(sqlite_engine, ApiFootball().parse(endpoint, content), content, source=name)
    with sqlite_engine.connect() as conn:
        rows = conn.execute(select(players_db)).mappings().all()
        diallo = conn.execute(select(players.c.player_id).where(players.c.name == "A. Diallo")).scalar_one()
    by_player = {(r["player_id"], r["season"]): r for r in rows}
    performance = by_player[(diallo, "2022-23")]["performance"]
    assert performance["D1/RB Leipzig"]["games.minutes"] == 476
    injured = [r for r in rows if r["season"] == "2023-24" and r["injuries"]]
    assert len(injured) == 31 and injured[0]["injuries"][0]["fixture"] is not None


def test_declared_coverage_from_store_or_adapter(sqlite_engine) -> None:
    from betfolio.ingest.coverage import declared_coverage

    with sqlite_engine.connect() as conn:
        odds_feed = declared_coverage(conn, "odds-api", "E0", "2023-24")
        unknown = declared_coverage(conn, "api-football", "E0", "2023-24")
    assert odds_feed is not None and odds_feed.has("odds_prematch") and not odds_feed.has("results")
    assert odds_feed.statistics == () and unknown is None  # API-Football's comes from /leagues, once ingested
