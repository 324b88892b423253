"""Every provider's payloads take one write path (``ingest.payload.open_payload``): football-data's streamed
files and the JSON providers' payloads share its rules — archived bytes, run record, corrections, identity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from betfolio.canonical import Match, MatchStatus
from betfolio.ingest.football_data import ingest_paths
from betfolio.ingest.payload import store_parse_result
from betfolio.listing import MAX_LISTED
from betfolio.providers.base import ParseResult
from betfolio.store.identity import find_fixtures
from betfolio.store.tables import corrections, ingest_runs, matches_master, raw_payloads, team_aliases, teams
from tests.ingest.test_corrections_and_plausibility import FULHAM, HEADER, PALACE, write


def scalar(engine, stmt):
    with engine.connect() as conn:
        return conn.execute(stmt).scalar_one()


def test_football_data_file_is_archived_and_recorded_like_any_payload(engine, tmp_path):
    summary = ingest_paths(engine, [write(tmp_path, "a", HEADER + PALACE + FULHAM)])
    assert summary.errors == [] and summary.matches_added == 2
    with engine.connect() as conn:
        archived = conn.execute(select(raw_payloads.c.provider, raw_payloads.c.endpoint, raw_payloads.c.params)).one()
        run = conn.execute(select(ingest_runs)).mappings().one()
    assert tuple(archived) == ("football-data", "csv", {"league": "E0", "season": "2022-23"})
    assert (run["league"], run["season"], run["matches"], run["quotes"]) == ("E0", "2022-23", 2, 24)


def test_unresolvable_team_names_keep_the_report_bounded_and_all_counted(engine, tmp_path):
    day = datetime(2022, 8, 5)
    bad = "".join(
        f"E0,{(day + timedelta(days=i)).strftime('%d/%m/%Y')},15:00,???,Team {i},1,0,H,0,0,2.0,3.4,3.9\n"
        for i in range(1, MAX_LISTED + 31)
    )
    summary = ingest_paths(
        engine,
        [
            write(
                tmp_path,
                "a",
                HEADER.replace(",BWH,BWD,BWA,IWH,IWD,IWA,WHH,WHD,WHA", "") + PALACE.rsplit(",", 9)[0] + "\n" + bad,
            )
        ],
    )
    [result] = summary.files
    assert summary.errors == [] and result.matches_added == 1  # Palace–Arsenal stored, the others not placed
    unresolved = [w for w in result.warnings if "???" in w]
    assert len(unresolved) == MAX_LISTED
    assert any(w.startswith("30 more team names that match no team") for w in result.warnings)
    assert scalar(engine, select(ingest_runs.c.rejected)) == MAX_LISTED + 30
    assert scalar(engine, select(func.count()).select_from(matches_master)) == 1


def test_football_data_names_are_matched_exactly_never_fuzzily(engine, tmp_path):
    ingest_paths(engine, [write(tmp_path, "a", HEADER + PALACE)])
    typo = PALACE.replace("Crystal Palace", "Crystal Palacee").replace("05/08/2022", "05/09/2022")
    ingest_paths(engine, [write(tmp_path, "b", HEADER + typo)])
    with engine.connect() as conn:
        names = set(conn.execute(select(teams.c.name)).scalars())
        methods = set(conn.execute(select(team_aliases.c.method)).scalars())
    assert {"Crystal Palace", "Crystal Palacee"} <= names  # a new team, as before: football-data defines teams
    assert "fuzzy" not in methods


def _fixture(status: MatchStatus, goals: int | None) -> Match:
    return Match(
        provider="api-football",
        provider_match_id="9001",
        league="E0",
        season="2022-23",
        kickoff=datetime(2022, 8, 6, 11, 30, tzinfo=UTC),
        home_team="Fulham",
        away_team="Liverpool",
        status=status,
        home_goals=goals,
        away_goals=goals,
    )


def test_a_providers_older_capture_of_a_finished_match_is_refused_and_logged(engine):
    final = ParseResult("api-football", "fixtures", records=[_fixture(MatchStatus.FINISHED, 2)])
    store_parse_result(engine, final, b'{"final": 1}', source="final.json")
    older = ParseResult("api-football", "fixtures", records=[_fixture(MatchStatus.SCHEDULED, None)])
    summary = store_parse_result(engine, older, b'{"older": 1}', source="older.json")
    with engine.connect() as conn:
        status = conn.execute(select(matches_master.c.status)).scalar_one()
        refused = conn.execute(select(corrections.c.field, corrections.c.rule, corrections.c.applied)).all()
    assert status == "finished" and summary.corrected == 1
    assert [tuple(r) for r in refused] == [("status", "final_kept", False)]
    assert any("change refused" in p for p in summary.problems)


def test_fixtures_of_a_batch_are_found_in_one_lookup(engine, tmp_path):
    ingest_paths(engine, [write(tmp_path, "a", HEADER + PALACE + FULHAM)])
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                matches_master.c.match_id,
                matches_master.c.league,
                matches_master.c.home_team_id,
                matches_master.c.away_team_id,
                matches_master.c.kickoff_utc,
            ).order_by(matches_master.c.match_id)
        ).all()
        wanted = [(r.league, r.home_team_id, r.away_team_id, r.kickoff_utc + timedelta(hours=30)) for r in rows]
        wanted.append(
            (rows[0].league, rows[0].home_team_id, rows[0].away_team_id, rows[0].kickoff_utc + timedelta(days=2))
        )
        found = find_fixtures(conn, wanted)
    assert [f.match_id if f else None for f in found] == [rows[0].match_id, rows[1].match_id, None]


def test_rejected_rows_beyond_the_listed_ones_are_still_counted(engine, tmp_path):
    bad = "".join(f"E0,31/02/2022,15:00,Home {i},Away {i},1,0,H,0,0,2.0,3.4,3.9\n" for i in range(MAX_LISTED + 30))
    header = HEADER.replace(",BWH,BWD,BWA,IWH,IWD,IWA,WHH,WHD,WHA", "")
    summary = ingest_paths(engine, [write(tmp_path, "a", header + PALACE.rsplit(",", 9)[0] + "\n" + bad)])
    assert summary.errors == [] and summary.matches_added == 1
    assert len(summary.rejects) == MAX_LISTED  # the report lists a bounded number of lines…
    assert summary.rejected == MAX_LISTED + 30  # …and counts every rejected row (what the CLI and demo print)
