"""Identity across providers: one canonical team/fixture/player whichever provider named it."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from betfolio.ingest.football_data import ingest_paths
from betfolio.ingest.odds_api import ingest_recorded as ingest_odds_api
from betfolio.ingest.payload import store_parse_result
from betfolio.providers.api_football.adapter import ApiFootball
from betfolio.providers.odds_api.adapter import OddsApi
from betfolio.store.identity import (
    PlayerResolver,
    TeamResolver,
    UnresolvedTeamError,
    find_fixtures,
    fixture_ids,
    link_external,
)
from betfolio.store.tables import identity_map, matches_master, team_aliases, teams
from tests.conftest import shared_file


@pytest.fixture
def english_2022(sqlite_engine, tmp_path: Path):
    """football-data's Premier League and Championship 2022-23 (every 2023-24 EPL team plays in one of them)."""
    for div in ("E0", "E1"):
        (tmp_path / "2022-23").mkdir(exist_ok=True)
        shutil.copy(shared_file("football-data", "2022-23", f"{div}.csv"), tmp_path / "2022-23" / f"{div}.csv")
    summary = ingest_paths(sqlite_engine, [tmp_path])
    assert summary.errors == []
    return sqlite_engine


def _team_id(engine, provider: str, name: str) -> int:
    with engine.begin() as conn:
        return TeamResolver(conn).resolve(provider, name, create=False)


def _ingest_af(engine, af_dir: Path, name: str, endpoint: str):
    content = (af_dir / name).read_bytes()
    result = ApiFootball().parse(endpoint, content)
    return store_parse_result(engine, result, content, source=name)


def test_same_epl_teams_across_all_three_providers(english_2022, af_dir: Path, oa_dir: Path) -> None:
    engine = english_2022
    with engine.connect() as conn:
        teams_before = conn.execute(select(func.count()).select_from(teams)).scalar_one()
    standings = _ingest_af(engine, af_dir, "syurchen93/standings-epl-2022.json", "standings")
    assert standings.rejects == []
    report = ingest_odds_api(engine, oa_dir)
    assert report.rejects == []
    pairs = {
        "Man United": ("Manchester United", "Manchester United"),
        "Brighton": ("Brighton", "Brighton and Hove Albion"),
        "Wolves": ("Wolves", "Wolverhampton Wanderers"),
        "Tottenham": ("Tottenham", "Tottenham Hotspur"),
        "Newcastle": ("Newcastle", "Newcastle United"),
        "Nott'm Forest": ("Nottingham Forest", "Nottingham Forest"),
        "West Ham": ("West Ham", "West Ham United"),
        "Leicester": ("Leicester", "Leicester City"),
        "Man City": ("Manchester City", "Manchester City"),
    }
    for fd_name, (af_name, oa_name) in pairs.items():
        canonical = _team_id(engine, "football-data", fd_name)
        assert _team_id(engine, "api-football", af_name) == canonical, af_name
        assert _team_id(engine, "odds-api", oa_name) == canonical, oa_name
    for fd_name, oa_name in (("Luton", "Luton"), ("Sheffield United", "Sheffield United"), ("Burnley", "Burnley")):
        assert _team_id(engine, "odds-api", oa_name) == _team_id(engine, "football-data", fd_name)
    with engine.connect() as conn:
        af_ids = dict(
            conn.execute(
                select(identity_map.c.external_id, identity_map.c.canonical_id).where(
                    identity_map.c.provider == "api-football", identity_map.c.entity == "team"
                )
            ).all()
        )
        added = conn.execute(select(func.count()).select_from(teams)).scalar_one() - teams_before
        created = set(
            conn.execute(
                select(team_aliases.c.alias).where(
                    team_aliases.c.provider == "odds-api", team_aliases.c.method == "created"
                )
            ).scalars()
        )
    assert int(af_ids["33"]) == _team_id(engine, "football-data", "Man United")  # API-Football's id 33
    events = json.loads((oa_dir / "masterpiecesvk_bundesliga_odds.json").read_bytes())
    bundesliga = {e[side] for e in events for side in ("home_team", "away_team")}
    # new to a store holding only English football: the Bundesliga clubs, and Ipswich (League One in 2022-23)
    assert created == bundesliga | {"Ipswich Town"} and added == len(created)


def test_fixtures_link_across_providers_by_teams_and_kickoff(english_2022, af_dir: Path) -> None:
    engine = english_2022
    with engine.connect() as conn:
        before = conn.execute(
            select(func.count()).select_from(matches_master).where(matches_master.c.season == "2022-23")
        ).scalar_one()
    summary = _ingest_af(engine, af_dir, "syurchen93/head-to-head-mu-mc-2021.json", "fixtures")
    assert summary.matches_linked == 2  # the two 2022-23 derbies football-data already holds
    with engine.connect() as conn:
        links = dict(
            conn.execute(
                select(identity_map.c.external_id, identity_map.c.canonical_id).where(
                    identity_map.c.provider == "api-football", identity_map.c.entity == "fixture"
                )
            ).all()
        )
        derby = (
            conn.execute(select(matches_master).where(matches_master.c.match_id == int(links["868141"])))
            .mappings()
            .one()
        )
        fd_rows = conn.execute(
            select(func.count()).select_from(matches_master).where(matches_master.c.season == "2022-23")
        ).scalar_one()
    assert derby["source_provider"] == "football-data" and (derby["home_goals"], derby["away_goals"]) == (2, 1)
    assert fd_rows == before + 1  # only the 2022-23 FA Cup final (league AF-45) is new


def test_kickoff_on_another_day_still_links(english_2022, oa_dir: Path, tmp_path: Path) -> None:
    engine = english_2022
    events = json.loads((oa_dir / "karuma46_soccer_epl_odds_h2h_2024-08-19.json").read_bytes())[:1]
    content = json.dumps(events).encode()
    first = store_parse_result(engine, OddsApi().parse("odds", content), content, source="a")
    assert first.matches_added == 1
    moved = json.loads(content)
    moved[0]["id"] = "another-id"
    moved[0]["commence_time"] = "2024-08-20T01:30:00Z"  # announced later, past midnight UTC
    moved_content = json.dumps(moved).encode()
    second = store_parse_result(engine, OddsApi().parse("odds", moved_content), moved_content, source="b")
    # the same prices at the same times, now reached through the linked fixture: nothing new to store
    assert (second.matches_added, second.quotes, second.quotes_added) == (0, 3, 0)
    assert not second.problems
    with engine.connect() as conn:
        fixture_links = dict(
            conn.execute(
                select(identity_map.c.external_id, identity_map.c.canonical_id).where(
                    identity_map.c.provider == "odds-api", identity_map.c.entity == "fixture"
                )
            ).all()
        )
    assert fixture_links["another-id"] == fixture_links[events[0]["id"]]
    with engine.connect() as conn:
        home = TeamResolver(conn).lookup("odds-api", "Leicester City")
        away = TeamResolver(conn).lookup("odds-api", "Tottenham Hotspur")
        kickoff = datetime(2024, 8, 19, 19, 0, tzinfo=UTC)
        near, far = find_fixtures(conn, [("E0", home, away, kickoff), ("E0", home, away, kickoff + timedelta(days=3))])
    assert near is not None and near.match_id == int(fixture_links["another-id"])
    assert far is None


def test_fuzzy_matching_confident_ambiguous_and_unknown(sqlite_engine) -> None:
    with sqlite_engine.begin() as conn:
        plain = TeamResolver(conn)
        spurs = plain.resolve("football-data", "Tottenham Hotspur", create=True)
        plain.resolve("football-data", "Dynamo Kyiv", create=True)
        plain.resolve("football-data", "Dinamo Kiev", create=True)
        plain.resolve("football-data", "Manchester City", create=True)
        fuzzy = TeamResolver(conn, fuzzy=True)
        assert fuzzy.resolve("odds-api", "Tottenham Hotspurs", create=False) == spurs  # a typo
        with pytest.raises(UnresolvedTeamError, match="ambiguous team 'Dynamo Kiev'") as info:
            fuzzy.resolve("odds-api", "Dynamo Kiev", create=True)  # close to two teams: never guessed
        assert len(info.value.suggestions) == 2
        with pytest.raises(UnresolvedTeamError, match="unknown team 'Manchester City W'"):
            fuzzy.resolve("odds-api", "Manchester City W", create=False)  # a different team, not a typo
        assert fuzzy.resolve("api-football", "Manchester City W", create=True) != fuzzy.lookup("x", "Manchester City")
        with pytest.raises(UnresolvedTeamError):
            plain.resolve("odds-api", "Tottenham Hotspurs", create=False)  # fuzzy is opt-in


def test_player_identity_by_provider_id_then_name_and_birth_date(sqlite_engine) -> None:
    with sqlite_engine.begin() as conn:
        players = PlayerResolver(conn)
        musiala = players.resolve("api-football", "181812", "Jamal Musiala", birth_date=date(2003, 2, 26))
        assert players.resolve("api-football", "181812", "J. Musiala") == musiala  # provider id wins
        assert players.resolve("other", "jm42", "Jamal Musiala", birth_date=date(2003, 2, 26)) == musiala
        assert players.resolve("other", "x1", "Jamal Musialla", birth_date=date(2003, 2, 26)) == musiala  # typo
        assert players.resolve("other", "x2", "Jamal Musiala", birth_date=date(1990, 1, 1)) != musiala
        assert players.resolve("other", "x3", "Jamal Musiala") != musiala  # no birth date: never merged by name


def test_odds_feed_links_a_finished_match_without_touching_its_result(english_2022, oa_dir: Path) -> None:
    engine = english_2022
    event = json.loads((oa_dir / "karuma46_soccer_epl_odds_h2h_2024-08-19.json").read_bytes())[0]
    event.update(home_team="Crystal Palace", away_team="Arsenal", commence_time="2022-08-05T19:00:00Z")
    for outcome in event["bookmakers"][0]["markets"][0]["outcomes"]:
        outcome["name"] = {"Leicester City": "Crystal Palace", "Tottenham Hotspur": "Arsenal"}.get(
            outcome["name"], outcome["name"]
        )
    content = json.dumps([event]).encode()
    summary = store_parse_result(
        engine, OddsApi().parse("odds", content), content, source="palace", results_authority=False
    )
    assert (summary.matches_added, summary.matches_linked, summary.quotes_added) == (0, 1, 3)
    with engine.connect() as conn:
        match = (
            conn.execute(
                select(matches_master).where(matches_master.c.kickoff_utc == datetime(2022, 8, 5, 19, 0, tzinfo=UTC))
            )
            .mappings()
            .one()
        )
    assert match["status"] == "finished" and (match["home_goals"], match["away_goals"]) == (0, 2)
    assert match["source_provider"] == "football-data"


def test_fixture_ids_map_a_providers_fixtures_to_store_matches(sqlite_engine) -> None:
    with sqlite_engine.begin() as conn:
        link_external(conn, "api-football", "fixture", {"101": 5, "102": "not-a-match"})
        link_external(conn, "api-football", "team", {"33": 7})
        link_external(conn, "odds-api", "fixture", {"e1": 9})
        assert fixture_ids(conn, "api-football") == {"101": 5}
        assert fixture_ids(conn, "odds-api") == {"e1": 9}
        assert fixture_ids(conn, "nobody") == {}
