"""The football-data parser on real rows from every season format in ../shared/data."""

from datetime import UTC, date, datetime

import pytest

from betfolio.canonical import Market, MatchStatus, Selection
from betfolio.providers.football_data.columns import classify
from betfolio.providers.football_data.parser import FormatError, parse_csv, season_from_dates
from betfolio.providers.football_data.timing import capture_day, prematch_quote_time
from tests.conftest import shared_file


def parse(season: str, div: str):
    path = shared_file("football-data", season, f"{div}.csv")
    return parse_csv(path.read_bytes(), f"{season}/{div}.csv")


def find(parsed, home, away):
    return next(m for m in parsed.matches if m.home_team == home and m.away_team == away)


def quotes_of(parsed, match, **filters):
    return [
        q
        for q in parsed.quotes
        if q.provider_match_id == match.provider_match_id and all(getattr(q, k) == v for k, v in filters.items())
    ]


def test_2005_two_digit_year_no_time_betbrain_columns():
    parsed = parse("2005-06", "E0")
    assert (parsed.league, parsed.season, len(parsed.matches), parsed.rejects) == ("E0", "2005-06", 380, [])
    m = find(parsed, "Aston Villa", "Bolton")  # 13/08/05, 2-2, HT 2-2, referee M Riley
    assert m.kickoff.date() == date(2005, 8, 13) and not m.kickoff_time_known
    assert m.kickoff == datetime(2005, 8, 13, 14, 0, tzinfo=UTC)  # assumed 15:00 London (BST)
    assert (m.home_goals, m.away_goals, m.ht_home_goals, m.ht_away_goals) == (2, 2, 2, 2)
    assert m.status is MatchStatus.FINISHED and m.referee == "M Riley"
    assert m.statistics["home"]["shots"] == 3 and m.statistics["away"]["shots"] == 13
    assert m.statistics["home"]["corners"] == 7 and m.statistics["away"]["yellow_cards"] == 2
    assert "xg" not in m.statistics["home"]  # never invented
    b365 = {q.selection: q.odds for q in quotes_of(parsed, m, bookmaker="bet365", market=Market.MATCH_ODDS)}
    assert b365 == {Selection.HOME: 2.3, Selection.DRAW: 3.25, Selection.AWAY: 3.0}
    best = {q.selection: q.odds for q in quotes_of(parsed, m, bookmaker="market_max", market=Market.MATCH_ODDS)}
    assert best[Selection.HOME] == 2.4
    over = quotes_of(parsed, m, bookmaker="market_max", market=Market.TOTAL_GOALS, selection=Selection.OVER)
    assert [(q.line, q.odds) for q in over] == [(2.5, 2.2)]
    ah_home = quotes_of(parsed, m, bookmaker="market_max", market=Market.ASIAN_HANDICAP, selection=Selection.HOME)
    ah_away = quotes_of(parsed, m, bookmaker="market_avg", market=Market.ASIAN_HANDICAP, selection=Selection.AWAY)
    assert [(q.line, q.odds) for q in ah_home] == [(-0.25, 2.1)]  # BbAHh -0.25 is the home line
    assert [(q.line, q.odds) for q in ah_away] == [(0.25, 1.84)]
    assert not any(q.is_closing for q in parsed.quotes)
    assert m.detail["bookmakers_1x2"] == 56


def test_2022_four_digit_year_time_and_closing_columns():
    parsed = parse("2022-23", "E0")
    m = find(parsed, "Crystal Palace", "Arsenal")
    assert m.kickoff == datetime(2022, 8, 5, 19, 0, tzinfo=UTC) and m.kickoff_time_known
    pin = quotes_of(parsed, m, bookmaker="pinnacle", market=Market.MATCH_ODDS, selection=Selection.HOME)
    assert sorted((q.is_closing, q.odds) for q in pin) == [(False, 4.5), (True, 4.58)]
    closing = next(q for q in pin if q.is_closing)
    opening = next(q for q in pin if not q.is_closing)
    assert closing.quoted_at == m.kickoff
    assert opening.quoted_at == datetime(2022, 8, 5, 16, 0, tzinfo=UTC)  # Friday 17:00 London
    over_close = quotes_of(parsed, m, bookmaker="pinnacle", market=Market.TOTAL_GOALS, is_closing=True)
    assert {(q.selection, q.line, q.odds) for q in over_close} == {
        (Selection.OVER, 2.5, 2.14),
        (Selection.UNDER, 2.5, 1.78),
    }
    ah_close = quotes_of(parsed, m, bookmaker="bet365", market=Market.ASIAN_HANDICAP, is_closing=True)
    assert {(q.selection, q.line, q.odds) for q in ah_close} == {
        (Selection.HOME, 0.5, 2.09),
        (Selection.AWAY, -0.5, 1.84),
    }
    books = {q.bookmaker for q in parsed.quotes if q.is_closing}
    assert {
        "bet365",
        "bwin",
        "interwetten",
        "pinnacle",
        "william_hill",
        "betvictor",
        "market_max",
        "market_avg",
    } <= books
    assert parsed.coverage.has("odds_closing") and not parsed.coverage.has("xg")


def test_2018_four_digit_year_without_time():
    parsed = parse("2018-19", "I1")
    m = find(parsed, "Chievo", "Juventus")
    assert m.kickoff.date() == date(2018, 8, 18) and not m.kickoff_time_known
    assert (m.home_goals, m.away_goals) == (2, 3)
    assert any(q.bookmaker == "pinnacle" and q.is_closing for q in quotes_of(parsed, m))


def test_exported_workbook_format():
    parsed = parse("2017-18", "E1")
    assert len(parsed.matches) == 552
    m = find(parsed, "Nott'm Forest", "Millwall")
    assert (m.home_goals, m.away_goals) == (1, 0)


def test_every_shared_file_parses_with_few_rejects():
    root = shared_file("football-data")
    total = 0
    for path in sorted(root.glob("*/*.csv")):
        parsed = parse_csv(path.read_bytes(), f"{path.parent.name}/{path.name}")
        whole_rows = [r for r in parsed.rejects if not r.reason.startswith("quote refused")]
        assert whole_rows == [], path
        total += len(parsed.matches)
    assert total > 33_000


def test_real_bad_quotes_are_refused_individually():
    parsed = parse("2021-22", "E0")
    # Line 168 of the real file has "0.0" in B365C>2.5 and B365C<2.5: only those prices are refused.
    assert [(r.line, r.reason.split(":")[0]) for r in parsed.rejects] == [
        (168, "quote refused, column B365C>2.5"),
        (168, "quote refused, column B365C<2.5"),
    ]
    assert all("> 1.0" in r.reason for r in parsed.rejects)
    assert len(parsed.matches) == 380  # the match itself is kept


HEADER = "Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HTHG,HTAG,B365H,B365D,B365A,PSCH,PSCD,PSCA\n"


def test_malformed_rows_are_rejected_with_line_and_reason():
    body = (
        "E0,05/08/2022,20:00,Crystal Palace,Arsenal,0,2,A,0,1,4.2,3.6,1.85,4.58,3.63,1.88\n"
        "E0,31/02/2022,20:00,Fulham,Liverpool,2,2,D,1,0,11,6,1.25,,,\n"
        "E0,06/08/2022,12:30,,Liverpool,2,2,D,1,0,11,6,1.25,,,\n"
        "E0,06/08/2022,15:00,Bournemouth,Aston Villa,2,0,H,1,0,abc,3.4,2.5,,,\n"
        "E0,06/08/2022,15:00,Leeds,Wolves,2,1,H,1,1,2.1,0.95,3.2,,,\n"
        "E0,06/08/2022,15:00,Newcastle,Nott'm Forest,2,0,A,0,0,1.5,4,7,,,\n"
        ",,,,,,,,,,,,,,,\n"
    )
    parsed = parse_csv(HEADER + body, "2022-23/E0.csv")
    reasons = {r.line: r.reason for r in parsed.rejects}
    assert "bad date" in reasons[3]
    assert "missing team" in reasons[4]
    assert "non-numeric" in reasons[5] and "B365H" in reasons[5]
    assert "quote refused" in reasons[6] and "B365D" in reasons[6]
    assert "result column" in reasons[7]
    assert {m.home_team for m in parsed.matches} == {"Crystal Palace", "Leeds"}
    assert parsed.blank_rows == 1
    leeds = [q for q in parsed.quotes if "Leeds" in q.provider_match_id]
    assert {q.selection for q in leeds} == {Selection.HOME, Selection.AWAY}


def test_unknown_format_fails_clearly():
    with pytest.raises(FormatError, match="missing column"):
        parse_csv("a,b,c\n1,2,3\n", "x.csv")
    with pytest.raises(FormatError, match="empty"):
        parse_csv("", "x.csv")


def test_header_classification():
    specs, unreadable = classify(
        ["PSCH", "BFECA", "1XBD", "P>2.5", "PC<2.5", "MaxCAHH", "AHCh", "BbAH", "HTHG", "HS", "BbAvAHA", "BbAHh"]
    )
    got = {(s.column, s.bookmaker, s.market.value, s.selection.value, s.is_closing) for s in specs}
    assert ("PSCH", "pinnacle", "1x2", "home", True) in got
    assert ("BFECA", "betfair_exchange", "1x2", "away", True) in got
    assert ("1XBD", "1xbet", "1x2", "draw", False) in got
    assert ("P>2.5", "pinnacle", "total_goals", "over", False) in got
    assert ("PC<2.5", "pinnacle", "total_goals", "under", True) in got
    assert ("MaxCAHH", "market_max", "asian_handicap", "home", True) in got
    assert not any(s.column in ("BbAH", "HTHG", "HS") for s in specs)
    line_of = {s.column: s.line_column for s in specs}
    assert line_of["MaxCAHH"] == "AHCh" and line_of["BbAvAHA"] == "BbAHh"
    assert unreadable == []


@pytest.mark.parametrize(
    ("match_day", "capture"),
    [
        (date(2022, 8, 6), date(2022, 8, 5)),
        (date(2022, 8, 7), date(2022, 8, 5)),
        (date(2022, 8, 8), date(2022, 8, 5)),
        (date(2022, 8, 5), date(2022, 8, 5)),
        (date(2022, 8, 9), date(2022, 8, 9)),
        (date(2022, 8, 10), date(2022, 8, 9)),
        (date(2022, 8, 11), date(2022, 8, 9)),
    ],
)
def test_capture_day_rule(match_day, capture):
    assert capture_day(match_day) == capture


def test_prematch_stamp_is_before_kickoff():
    kickoff = datetime(2022, 8, 5, 16, 30, tzinfo=UTC)  # Friday 17:30 London
    assert prematch_quote_time(date(2022, 8, 5), kickoff) == datetime(2022, 8, 5, 15, 30, tzinfo=UTC)


def test_season_inferred_from_dates_for_loose_files():
    assert season_from_dates(date(2019, 8, 9)) == "2019-20"
    assert season_from_dates(date(2020, 6, 20)) == "2019-20"
    parsed = parse_csv(HEADER + "E0,05/08/2022,20:00,Crystal Palace,Arsenal,0,2,A,0,1,4.2,3.6,1.85,,,\n", "E0.csv")
    assert parsed.season == "2022-23"
