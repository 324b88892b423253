"""API-Football v3 mapping on the real recorded payloads, with hand-checked values."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from betfolio.canonical import Market, MatchStatus, Selection
from betfolio.ingest.api_football import detect_endpoint
from betfolio.providers.api_football.adapter import ApiFootball
from betfolio.providers.base import PayloadError
from tests.providers.conftest import load

ADAPTER = ApiFootball()


def parse(payload: object, endpoint: str | None = None):
    endpoint = endpoint or detect_endpoint(payload)
    return ADAPTER.parse(endpoint, json.dumps(payload).encode())


def test_every_recorded_payload_of_a_mapped_endpoint_parses(af_dir: Path) -> None:
    parsed = 0
    for path in sorted(af_dir.rglob("*.json")):
        payload = json.loads(path.read_bytes())
        endpoint = detect_endpoint(payload)
        if endpoint not in ADAPTER.endpoints:
            continue
        if isinstance(payload, dict) and payload.get("errors"):
            with pytest.raises(PayloadError, match="provider reported errors"):
                ADAPTER.parse(endpoint, path.read_bytes())
            continue
        result = ADAPTER.parse(endpoint, path.read_bytes())
        assert result.records, path.name
        # The one real bad record in the samples: a live fixture recorded without its league.
        assert all("league: expected an object" in r.reason for r in result.rejects), (path.name, result.rejects)
        parsed += 1
    assert parsed >= 25


def test_penalty_shootout_scores_and_expected_goals(af_dir: Path) -> None:
    result = parse(load(af_dir, "syurchen93/fixtures-cl-penalties.json"))
    match = {m.provider_match_id: m for m in result.of_kind("match")}["1149519"]  # Atletico v Inter, 2024-03-13
    assert match.status is MatchStatus.FINISHED and match.detail["status_code"] == "PEN"
    assert (match.home_goals, match.away_goals) == (2, 1)  # after 90 minutes: what 1X2 settles on
    assert (match.ht_home_goals, match.ht_away_goals) == (1, 1)
    assert (match.et_home_goals, match.et_away_goals) == (0, 0)
    assert (match.pen_home_goals, match.pen_away_goals) == (3, 2)
    assert match.league == "AF-2" and match.season == "2023-24"
    assert match.kickoff == datetime(2024, 3, 13, 20, 0, tzinfo=UTC)
    assert match.statistics["home"]["xg"] == pytest.approx(2.73)
    assert match.statistics["away"]["xg"] == pytest.approx(1.57)
    assert match.statistics["home"]["possession"] == 47.0
    assert "offsides" not in match.statistics["home"]  # null = not reported, never 0
    assert match.lineups["home"]["formation"] == "3-5-2"
    goals = [e for e in match.detail["events"] if e["type"] == "goal"]
    assert goals[0]["player"] == "F. Dimarco" and goals[0]["side"] == "away" and goals[0]["minute"] == 33
    players = [p for p in result.of_kind("fixture_player_statistics") if p.provider_match_id == "1149519"]
    oblak = next(p for p in players if p.name == "Jan Oblak")
    assert oblak.performance["games.rating"] == 8.0 and oblak.performance["goals.saves"] == 4


def test_expected_goals_absent_in_an_older_payload(af_dir: Path) -> None:
    result = parse(load(af_dir, "badkaktus/fixtures_statistics.json"))
    (stats,) = result.of_kind("fixture_statistics")
    assert stats.provider_match_id == "215662" and stats.team == "Aldosivi"
    assert "xg" not in stats.statistics
    assert stats.statistics["possession"] == 32.0 and stats.statistics["red_cards"] == 1.0
    assert "saves" not in stats.statistics  # "Goalkeeper Saves": null


def test_postponed_fixture(af_dir: Path) -> None:
    payload = load(af_dir, "syurchen93/fixtures-bundes-ns-pst.json")
    first = payload["response"][0]
    postponed = copy.deepcopy(first)
    postponed["fixture"]["status"] = {"long": "Match Postponed", "short": "PST", "elapsed": None}
    payload["response"] = [postponed]
    (match,) = parse(payload).of_kind("match")
    assert match.status is MatchStatus.POSTPONED and match.status.voids_bets
    assert match.home_goals is None and match.league == "D1" and match.season == "2023-24"


def test_scheduled_bundesliga_fixtures(af_dir: Path) -> None:
    result = parse(load(af_dir, "syurchen93/fixtures-bundes-ns-pst.json"))
    matches = result.of_kind("match")
    assert len(matches) == 71 and not result.rejects
    assert {m.status for m in matches} == {MatchStatus.SCHEDULED}
    assert all(m.home_goals is None for m in matches)


def test_live_odds_at_minute_62(af_dir: Path) -> None:
    result = parse(load(af_dir, "badkaktus/odds_live.json"), "odds/live")
    (state,) = result.of_kind("live_state")
    assert (state.provider_match_id, state.minute, state.home_goals, state.away_goals) == ("721238", 62, 1, 0)
    assert state.observed_at == datetime(2022, 1, 27, 16, 21, 1, tzinfo=UTC)
    quotes = result.of_kind("odds_quote")
    assert all(q.in_play and q.quoted_at == state.observed_at for q in quotes)
    by_key = {(q.market, q.selection, q.line): q.odds for q in quotes}
    assert by_key[(Market.MATCH_ODDS, Selection.HOME, None)] == 1.3
    assert by_key[(Market.ASIAN_HANDICAP, Selection.HOME, -1.0)] == 2.05  # the main line wins over alternatives
    assert by_key[(Market.ASIAN_HANDICAP, Selection.AWAY, 1.0)] == 1.8
    assert by_key[(Market.TOTAL_GOALS, Selection.OVER, 2.0)] == 1.975
    assert by_key[(Market.DOUBLE_CHANCE, Selection.HOME_OR_DRAW, None)] == 1.025
    assert not result.rejects


def test_live_fixture_embeds_state_and_prematch_odds(af_dir: Path) -> None:
    result = parse(load(af_dir, "lucasnopc/live_fixtures_with_pinnacle_odds_2021-04-22.json"), "fixtures")
    porto = next(s for s in result.of_kind("live_state") if s.provider_match_id == "601269")
    assert porto.minute == 39 and (porto.home_goals, porto.away_goals) == (0, 0)
    assert porto.home_red_cards == 0  # events were delivered (empty): zero is then a fact
    quotes = [q for q in result.of_kind("odds_quote") if q.provider_match_id == "601269"]
    assert {(q.selection, q.odds) for q in quotes} == {
        (Selection.HOME, 1.38),
        (Selection.DRAW, 5.22),
        (Selection.AWAY, 8.59),
    }
    assert all(q.bookmaker == "pinnacle" and not q.in_play for q in quotes)
    (reject,) = result.rejects
    assert reject.provider == "api-football" and reject.path == "response[14]" and "league" in reject.reason


def _prematch_envelope(af_dir: Path) -> dict:
    envelope = load(af_dir, "lucasnopc/odds_prematch_pinnacle_matchwinner_envelopes_2021-04-22.json")[0]
    bets = envelope["response"][0]["bookmakers"][0]["bets"]
    bets.append(
        {
            "id": 4,
            "name": "Asian Handicap",
            "values": [{"value": "Home -0.75", "odd": "1.95"}, {"value": "Away +0.75", "odd": "1.9"}],
        }
    )
    bets.append(
        {"id": 5, "name": "Goals Over/Under", "values": [{"value": "Over 2.5", "odd": "1.8"}, {"value": 3, "odd": "2"}]}
    )
    bets.append({"id": 10, "name": "Exact Score", "values": [{"value": "1:0", "odd": "7"}]})
    return envelope


def test_prematch_lines_parsed_from_values(af_dir: Path) -> None:
    result = parse(_prematch_envelope(af_dir), "odds")
    by_key = {(q.market, q.selection, q.line): q.odds for q in result.of_kind("odds_quote")}
    assert by_key[(Market.ASIAN_HANDICAP, Selection.HOME, -0.75)] == 1.95
    assert by_key[(Market.ASIAN_HANDICAP, Selection.AWAY, 0.75)] == 1.9
    assert by_key[(Market.TOTAL_GOALS, Selection.OVER, 2.5)] == 1.8
    assert by_key[(Market.MATCH_ODDS, Selection.HOME, None)] == 1.38
    # an int value (3) is not an over/under selection: that price alone is rejected, with its path
    (reject,) = result.rejects
    assert reject.path.endswith("bets[2].values[1]")
    assert "no line in '3'" in reject.reason
    assert any("Exact Score" in s.reason for s in result.skipped)


def test_zero_odds_rejected_unless_suspended(af_dir: Path) -> None:
    envelope = _prematch_envelope(af_dir)
    values = envelope["response"][0]["bookmakers"][0]["bets"][0]["values"]
    values[1]["odd"] = "0"
    result = parse(envelope, "odds")
    assert any(r.path.endswith("bets[0].values[1]") and "not a price" in r.reason for r in result.rejects)
    assert {q.selection for q in result.of_kind("odds_quote") if q.market is Market.MATCH_ODDS} == {
        Selection.HOME,
        Selection.AWAY,
    }
    # A suspended live outcome shows odd "0": not a price, and not an error either.
    live = load(af_dir, "badkaktus/odds_live.json")
    result_bet = next(b for b in live["response"][0]["odds"] if b["name"] == "Fulltime Result")
    result_bet["values"][2].update(odd="0", suspended=True)
    outcome = parse(live, "odds/live")
    assert not outcome.rejects
    assert any(s.path.endswith("values[2]") and "suspended" in s.reason for s in outcome.skipped)
    assert Selection.AWAY not in {q.selection for q in outcome.of_kind("odds_quote") if q.market is Market.MATCH_ODDS}


def test_bad_records_rejected_with_path_and_the_rest_kept(af_dir: Path) -> None:
    payload = load(af_dir, "syurchen93/fixtures-bundes-ns-pst.json")
    items = payload["response"]
    items[0]["fixture"]["status"]["short"] = "XYZ"  # unknown status code
    del items[1]["teams"]  # missing key
    items[2]["fixture"]["date"] = 20240101  # int where a string is usual
    items[3]["fixture"]["id"] = items[4]["fixture"]["id"]  # duplicate fixture
    result = parse(payload)
    reasons = {r.path: r.reason for r in result.rejects}
    assert "unknown status code 'XYZ'" in reasons["response[0]"]
    assert "teams" in reasons["response[1]"]
    assert "ISO timestamp" in reasons["response[2]"]
    assert any("duplicate fixture" in r.reason for r in result.rejects)
    assert len(result.of_kind("match")) == 71 - 4
    assert all(r.provider == "api-football" and r.endpoint == "fixtures" for r in result.rejects)


def test_truncated_and_malformed_payloads(af_dir: Path) -> None:
    content = (af_dir / "syurchen93/fixtures-cl-penalties.json").read_bytes()
    with pytest.raises(PayloadError, match="malformed JSON at line"):
        ADAPTER.parse("fixtures", content[: len(content) // 2])
    with pytest.raises(PayloadError, match="not 'odds'"):
        ADAPTER.parse("odds", content)
    with pytest.raises(PayloadError, match="request limit for the day"):
        ADAPTER.parse(
            "fixtures",
            b'{"get":"fixtures","errors":{"requests":"You have reached the request limit for the day"},"response":[]}',
        )


def test_leagues_declare_coverage_per_season(af_dir: Path) -> None:
    result = parse(load(af_dir, "badkaktus/leagues.json"))
    (league,) = result.of_kind("league")
    assert (league.code, league.name, league.provider_league_id) == ("E0", "Premier League", "39")
    coverage = {c.season: c for c in result.of_kind("coverage")}
    assert set(coverage) == {"2010-11", "2011-12"}
    assert coverage["2010-11"].has("events") and coverage["2010-11"].has("lineups")
    assert not coverage["2010-11"].has("statistics") and coverage["2010-11"].statistics == ()
    assert not coverage["2010-11"].has("odds_prematch")


def test_injuries_players_status(af_dir: Path) -> None:
    injuries = parse(load(af_dir, "syurchen93/injuries-date-bundes.json")).of_kind("injury")
    first = injuries[0]
    assert (first.player_name, first.team, first.injury_type, first.reason) == (
        "E. Demirovic",
        "FC Augsburg",
        "Missing Fixture",
        "Yellow Cards",
    )
    assert first.league == "D1" and first.season == "2023-24" and first.provider_match_id == "1049122"
    players = parse(load(af_dir, "syurchen93/player-info-bundes-2022.json"))
    diallo = players.of_kind("player")[0]
    assert diallo.name == "A. Diallo" and str(diallo.birth_date) == "1996-05-04"
    season = players.of_kind("player_season")[0]
    assert season.season == "2022-23" and season.performance["games.rating"] == pytest.approx(6.8625)
    assert season.performance["games.appearences"] == 8  # the provider's spelling, kept
    (status,) = parse(load(af_dir, "badkaktus/status.json")).of_kind("account_status")
    assert (status.plan, status.requests_today, status.requests_limit_day) == ("Free", 29, 100)


@pytest.mark.parametrize(
    ("code", "status", "live"),
    [
        ("TBD", MatchStatus.SCHEDULED, False),
        ("NS", MatchStatus.SCHEDULED, False),
        ("1H", MatchStatus.IN_PLAY, True),
        ("HT", MatchStatus.IN_PLAY, True),
        ("2H", MatchStatus.IN_PLAY, True),
        ("ET", MatchStatus.IN_PLAY, True),
        ("BT", MatchStatus.IN_PLAY, True),
        ("P", MatchStatus.IN_PLAY, True),
        ("LIVE", MatchStatus.IN_PLAY, True),
        ("SUSP", MatchStatus.SUSPENDED, True),
        ("INT", MatchStatus.SUSPENDED, True),
        ("FT", MatchStatus.FINISHED, False),
        ("AET", MatchStatus.FINISHED, False),
        ("PEN", MatchStatus.FINISHED, False),
        ("PST", MatchStatus.POSTPONED, False),
        ("CANC", MatchStatus.CANCELLED, False),
        ("ABD", MatchStatus.ABANDONED, False),
        ("AWD", MatchStatus.AWARDED, False),
        ("WO", MatchStatus.AWARDED, False),
    ],
)
def test_every_status_code(af_dir: Path, code: str, status: MatchStatus, live: bool) -> None:
    payload = load(af_dir, "syurchen93/head-to-head-mu-mc-2021.json")
    item = payload["response"][2]  # Manchester United 2-1 Manchester City, 2023-01-14
    item["fixture"]["status"] = {"long": code, "short": code, "elapsed": 70 if live else None}
    payload["response"] = [item]
    result = parse(payload, "fixtures")
    (match,) = result.of_kind("match")
    assert match.status is status and not result.rejects
    assert bool(result.of_kind("live_state")) is live
    if status in (MatchStatus.SCHEDULED, MatchStatus.POSTPONED, MatchStatus.CANCELLED):
        assert match.home_goals is None
    if code == "FT":
        assert (match.home_goals, match.away_goals, match.et_home_goals) == (2, 1, None)
