"""Re-ingested and conflicting files, implausible prices: explicit corrections, flags kept out of decisions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from betfolio.ingest.football_data import ingest_paths
from betfolio.store import queries
from betfolio.store.tables import corrections, daily_betting_lines, ingest_runs, matches_master

HEADER = (
    "Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HTHG,HTAG,B365H,B365D,B365A,BWH,BWD,BWA,IWH,IWD,IWA,WHH,WHD,WHA\n"
)
PALACE = "E0,05/08/2022,20:00,Crystal Palace,Arsenal,0,2,A,0,1,4.2,3.6,1.85,4.3,3.5,1.83,4.1,3.5,1.87,4.2,3.5,1.85\n"
FULHAM = "E0,06/08/2022,12:30,Fulham,Liverpool,0,0,D,0,0,1.6,4.2,5.25,1.62,4.1,5.0,1.6,4.0,5.2,1.62,4.2,5.25\n"


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name / "2022-23" / "E0.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def match_row(engine, home: str) -> dict:
    with engine.connect() as conn:
        away = {"Crystal Palace": "Arsenal"}.get(home, "Liverpool")
        return dict(queries.find_match(conn, "E0", "2022-23", home, away))


def odds_of(engine, match_id: int, bookmaker: str, selection: str, *, include_flagged: bool = False) -> float | None:
    with engine.connect() as conn:
        rows = queries.odds_as_of(
            conn, match_id, datetime(2030, 1, 1, tzinfo=UTC), market="1x2", include_flagged=include_flagged
        )
    return next((r.odds for r in rows if r.bookmaker == bookmaker and r.selection == selection), None)


def logged(engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(corrections).order_by(corrections.c.correction_id)).mappings()]


def test_cut_file_then_full_file_then_cut_again(engine, tmp_path):
    full = HEADER + PALACE + FULHAM
    cut_mid_price = write(tmp_path, "cut", full[:-3])  # "...,5": William Hill's away price cut from 5.25
    cut_after_teams = write(tmp_path, "teams", HEADER + PALACE + "E0,06/08/2022,12:30,Fulham,Liverpool\n")
    complete = write(tmp_path, "full", full)

    first = ingest_paths(engine, [cut_mid_price])
    assert first.matches_added == 1 and any("ends mid-row" in str(r) for r in first.rejects)
    ingest_paths(engine, [complete])
    fulham = match_row(engine, "Fulham")
    assert (fulham["status"], fulham["home_goals"]) == ("finished", 0)
    assert odds_of(engine, fulham["match_id"], "william_hill", "away") == 5.25
    again = ingest_paths(engine, [cut_after_teams])
    assert any("cut short" in str(r) for r in again.rejects)
    assert match_row(engine, "Fulham")["status"] == "finished"  # never back to scheduled


def test_corrected_price_replaces_the_stored_one_and_is_logged(engine, tmp_path):
    wrong = write(tmp_path, "wrong", HEADER + PALACE + FULHAM.replace(",5.25\n", ",5.0\n"))
    right = write(tmp_path, "right", HEADER + PALACE + FULHAM)
    ingest_paths(engine, [wrong])
    summary = ingest_paths(engine, [right])
    fulham = match_row(engine, "Fulham")
    assert odds_of(engine, fulham["match_id"], "william_hill", "away") == 5.25
    assert summary.as_dict()["corrected"] == 1
    assert any("price corrected 5 -> 5.25" in c for c in summary.as_dict()["corrections"])
    [entry] = logged(engine)
    assert (entry["entity"], entry["field"], entry["old_value"], entry["new_value"]) == ("quote", "odds", 5.0, 5.25)
    assert entry["key"]["bookmaker"] == "william_hill" and entry["applied"] is True
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(daily_betting_lines)).scalar_one()
    assert total == 24  # no second row for the corrected price


def test_two_files_scoring_a_match_differently_end_consistent_and_reported(engine, tmp_path):
    first = write(tmp_path, "a", HEADER + PALACE + FULHAM)
    second = write(tmp_path, "b", HEADER + PALACE + FULHAM.replace(",0,0,D,0,0,1.6,4.2,", ",1,0,H,0,0,1.65,4.2,"))
    ingest_paths(engine, [first])
    summary = ingest_paths(engine, [second])
    fulham = match_row(engine, "Fulham")
    assert (fulham["home_goals"], fulham["away_goals"]) == (1, 0)  # the newer capture's score…
    assert odds_of(engine, fulham["match_id"], "bet365", "home") == 1.65  # …with the same capture's prices
    fields = {(e["field"], e["old_value"], e["new_value"]) for e in logged(engine) if e["entity"] == "match"}
    assert fields == {("home_goals", 0, 1)}
    assert any("home_goals 0 -> 1" in c for c in summary.as_dict()["corrections"])


def test_finished_match_does_not_regress_to_scheduled(engine, tmp_path):
    finished = write(tmp_path, "done", HEADER + PALACE + FULHAM)
    blank_score = FULHAM.replace(",0,0,D,0,0,", ",,,,,,")
    scheduled = write(tmp_path, "fixtures", HEADER + PALACE + blank_score)
    ingest_paths(engine, [finished])
    summary = ingest_paths(engine, [scheduled])
    assert match_row(engine, "Fulham")["status"] == "finished"
    refused = [e for e in logged(engine) if not e["applied"]]
    assert {(e["field"], e["old_value"], e["new_value"], e["rule"]) for e in refused} == {
        ("status", "finished", "scheduled", "final_kept")
    }
    assert any("change refused" in c for c in summary.as_dict()["corrections"])


def test_typo_price_is_flagged_and_kept_out_of_decisions(engine, tmp_path):
    typo = write(tmp_path, "typo", HEADER + PALACE.replace(",4.2,3.6,1.85,", ",175,3.6,1.85,") + FULHAM)
    summary = ingest_paths(engine, [typo])
    flags = summary.as_dict()["quotes_flagged"]
    assert flags == {"consensus": 1, "overround": 2}  # 175 is the outlier; its two book-mates share the bad book
    palace = match_row(engine, "Crystal Palace")["match_id"]
    assert odds_of(engine, palace, "bet365", "home") is None
    assert odds_of(engine, palace, "bet365", "home", include_flagged=True) == 175
    assert odds_of(engine, palace, "bwin", "home") == 4.3


def test_absurd_finite_price_is_flagged_not_fatal(engine, tmp_path):
    absurd = write(tmp_path, "absurd", HEADER + PALACE.replace(",1.85,4.3,", ",1e308,4.3,") + FULHAM)
    summary = ingest_paths(engine, [absurd])
    assert summary.errors == [] and summary.as_dict()["quotes_flagged"].get("odds_range") == 1
    palace = match_row(engine, "Crystal Palace")["match_id"]
    assert odds_of(engine, palace, "bet365", "away") is None


def test_header_that_does_not_match_is_an_error_and_not_recorded(engine, tmp_path):
    shifted = write(tmp_path, "shifted", HEADER.replace("Div,Date,", "Date,Div,") + PALACE + FULHAM)
    summary = ingest_paths(engine, [shifted])
    assert summary.files == [] and "all 2 rows were rejected" in summary.errors[0]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ingest_runs)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(matches_master)).scalar_one() == 0


@pytest.mark.parametrize(
    "encode", [lambda t: t.replace("\n", "\r").encode(), lambda t: t.replace("\n", "\r\n").encode("utf-16")]
)
def test_odd_encodings_do_not_abort_the_folder(engine, tmp_path, encode):
    write(tmp_path, "data", encode(HEADER + PALACE))
    other = tmp_path / "data" / "2021-22" / "E0.csv"
    other.parent.mkdir()
    other.write_text(HEADER + FULHAM.replace("06/08/2022", "06/08/2021"))
    summary = ingest_paths(engine, [tmp_path / "data"])
    assert summary.errors == [] and summary.matches_added == 2


def test_symlinked_season_folder_is_ingested(engine, tmp_path):
    elsewhere = write(tmp_path, "elsewhere", HEADER + PALACE).parent
    data = tmp_path / "data"
    data.mkdir()
    (data / "2022-23").symlink_to(elsewhere, target_is_directory=True)
    (data / "loop").symlink_to(data, target_is_directory=True)  # a link back up is visited once
    summary = ingest_paths(engine, [data])
    assert summary.errors == [] and summary.matches_added == 1
