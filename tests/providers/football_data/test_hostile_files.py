"""Hostile football-data files: every reproduction is a clear row or file rejection, never a traceback."""

from __future__ import annotations

import pytest

from betfolio.canonical import MatchStatus
from betfolio.providers.football_data.parser import CsvFile, FormatError, parse_csv

HEADER = "Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HTHG,HTAG,HS,AS,B365H,B365D,B365A\n"
GOOD = "E0,05/08/2022,20:00,Crystal Palace,Arsenal,0,2,A,0,1,10,12,4.2,3.6,1.85\n"
ROW2 = "E0,06/08/2022,12:30,Fulham,Liverpool,2,2,D,1,0,9,20,11,6,1.25\n"


def reasons(parsed) -> dict[int, str]:
    return {r.line: r.reason for r in parsed.rejects}


def test_row_cut_mid_price_is_refused_not_stored_as_a_wrong_price():
    cut = (HEADER + GOOD + ROW2)[:-4]  # "...,6,1.2": the file ends inside the away price
    parsed = parse_csv(cut, "2022-23/E0.csv")
    assert [m.home_team for m in parsed.matches] == ["Crystal Palace"]
    assert "ends mid-row" in reasons(parsed)[3]


def test_row_cut_after_the_team_names_is_refused_not_stored_as_scheduled():
    parsed = parse_csv(HEADER + GOOD + "E0,06/08/2022,12:30,Fulham,Liverpool\n", "2022-23/E0.csv")
    assert [m.status for m in parsed.matches] == [MatchStatus.FINISHED]
    assert "cut short" in reasons(parsed)[3] and "5 of the header's 15 columns" in reasons(parsed)[3]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("E0,31/12/9999,20:00,Fulham,Liverpool,2,2,D,1,0,9,20,11,6,1.25\n", "outside football's calendar"),
        ("E0,01/01/0001,20:00,Fulham,Liverpool,2,2,D,1,0,9,20,11,6,1.25\n", "outside football's calendar"),
        ("E0,06/08/2099,20:00,Fulham,Liverpool,2,2,D,1,0,9,20,11,6,1.25\n", "outside football's calendar"),
        ("E0,06/08/2022,20:00,Fulham,Liverpool,12345678901234567890,2,H,1,0,9,20,11,6,1.25\n", "implausible"),
        ("E0,06/08/2022,20:00,Fulham,Liverpool,2,2,D,1,0,-3,20,11,6,1.25\n", "HS = -3 is implausible"),
        ("E0,06/08/2022,20:00,Fulham,Liverpool,2,2,D,1,0,1e308,20,11,6,1.25\n", "HS = 1e308 is implausible"),
        ("E0,06/08/2022,20:00," + "F" * 5000 + ",Liverpool,2,2,D,1,0,9,20,11,6,1.25\n", "5000 characters"),
        ("E0,06/08/2022,20:00,Ful\x00ham,Liverpool,2,2,D,1,0,9,20,11,6,1.25\n", "control characters"),
        ("E0,06/08/2022,20:00,Fulham,Liverpool,2,,D,1,0,9,20,11,6,1.25\n", "only one of FTHG/FTAG"),
    ],
)
def test_impossible_values_refuse_the_row_with_the_reason(row: str, reason: str):
    parsed = parse_csv(HEADER + GOOD + row, "2022-23/E0.csv")
    assert len(parsed.matches) == 1
    assert reason in reasons(parsed)[3]


def test_finished_match_dated_in_the_future_is_refused():
    parsed = parse_csv(HEADER + GOOD + ROW2.replace("06/08/2022", "06/08/2027"), "2026-27/E0.csv")
    assert "in the future" in reasons(parsed)[3]


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.replace("\n", "\r").encode(),  # classic Mac line ends
        lambda text: text.replace("\n", "\r\n").encode("utf-16"),  # spreadsheet "Unicode text" export
        lambda text: text.replace("\n", "\r\n").encode("utf-8-sig"),
    ],
)
def test_line_endings_and_encodings(encode):
    parsed = parse_csv(encode(HEADER + GOOD + ROW2), "2022-23/E0.csv")
    assert [m.home_team for m in parsed.matches] == ["Crystal Palace", "Fulham"]
    assert parsed.rejects == []


def test_unreadable_csv_is_a_format_error_with_the_line():
    with pytest.raises(FormatError, match=r"E0.csv:3: unreadable CSV"):
        parse_csv(HEADER + GOOD + 'E0,"' + "x" * 200_000 + '"\n', "2022-23/E0.csv")


def test_header_that_does_not_match_the_data_refuses_the_file():
    shifted = HEADER.replace("Div,Date,", "Date,Div,")
    with pytest.raises(FormatError, match="all 2 rows were rejected"):
        parse_csv(shifted + GOOD + ROW2, "2022-23/E0.csv")


def test_repeated_rows_are_counted_once_and_conflicts_name_both_lines():
    changed = GOOD.replace(",0,2,A,", ",1,2,A,")
    parsed = parse_csv(HEADER + GOOD + ROW2 + GOOD + changed, "2022-23/E0.csv")
    assert len(parsed.matches) == 2 and parsed.duplicates == 2
    assert parsed.conflicts == [
        "2022-23/E0.csv:5: Crystal Palace v Arsenal on 05/08/2022 is also listed on line 2 with different values "
        "(score 0-2 vs 1-2): line 2 kept"
    ]


def test_chunks_cover_the_file_in_order():
    reader = CsvFile(HEADER + GOOD + ROW2 + GOOD.replace("Crystal Palace", "Brentford"), "2022-23/E0.csv")
    chunks = list(reader.chunks(size=2))
    assert [len(c.matches) for c in chunks] == [2, 1]
    assert reader.matches == 3 and reader.coverage().flags["statistics"] is True
