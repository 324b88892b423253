"""The Odds API v4 mapping on the real recorded responses."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from betfolio.canonical import Market, MatchStatus, Selection
from betfolio.providers.base import PayloadError
from betfolio.providers.odds_api.adapter import OddsApi
from tests.providers.conftest import load

ADAPTER = OddsApi()


def parse(payload: object):
    return ADAPTER.parse("odds", json.dumps(payload).encode())


@pytest.mark.parametrize(
    ("name", "events", "quotes", "skipped"),
    [
        ("masterpiecesvk_epl_odds.json", 30, 1149, 44),
        ("masterpiecesvk_bundesliga_odds.json", 18, 759, 27),
        ("karuma46_soccer_epl_odds_h2h_2024-08-19.json", 11, 33, 0),
    ],
)
def test_every_sample_parses(oa_dir: Path, name: str, events: int, quotes: int, skipped: int) -> None:
    result = ADAPTER.parse("odds", (oa_dir / name).read_bytes())
    assert len(result.of_kind("match")) == events and len(result.of_kind("odds_quote")) == quotes
    assert len(result.skipped) == skipped and all("h2h_lay" in s.reason for s in result.skipped)
    assert not result.rejects


def test_h2h_selections_and_bookmaker_timestamp(oa_dir: Path) -> None:
    result = parse(load(oa_dir, "karuma46_soccer_epl_odds_h2h_2024-08-19.json"))
    match = result.of_kind("match")[0]
    assert (match.home_team, match.away_team, match.league, match.season) == (
        "Leicester City",
        "Tottenham Hotspur",
        "E0",
        "2024-25",
    )
    assert match.status is MatchStatus.SCHEDULED and match.kickoff == datetime(2024, 8, 19, 19, 0, tzinfo=UTC)
    quotes = {q.selection: q for q in result.of_kind("odds_quote") if q.provider_match_id == match.provider_match_id}
    assert (quotes[Selection.HOME].odds, quotes[Selection.DRAW].odds, quotes[Selection.AWAY].odds) == (5.0, 4.2, 1.6)
    assert quotes[Selection.HOME].bookmaker == "betway"
    assert quotes[Selection.HOME].quoted_at == datetime(2024, 8, 19, 8, 26, 2, tzinfo=UTC)
    assert not quotes[Selection.HOME].in_play


def test_totals_and_spreads_carry_their_point(oa_dir: Path) -> None:
    payload = load(oa_dir, "karuma46_soccer_epl_odds_h2h_2024-08-19.json")[:1]
    book = payload[0]["bookmakers"][0]
    book["markets"] += [
        {
            "key": "totals",
            "outcomes": [
                {"name": "Over", "price": 1.9, "point": 2.5},
                {"name": "Under", "price": 1.95, "point": 2.5},
            ],
        },
        {
            "key": "spreads",
            "outcomes": [
                {"name": "Leicester City", "price": 1.88, "point": 0.75},
                {"name": "Tottenham Hotspur", "price": 2.0, "point": -0.75},
            ],
        },
    ]
    result = parse(payload)
    by_key = {(q.market, q.selection, q.line): q.odds for q in result.of_kind("odds_quote")}
    assert by_key[(Market.TOTAL_GOALS, Selection.OVER, 2.5)] == 1.9
    assert by_key[(Market.TOTAL_GOALS, Selection.UNDER, 2.5)] == 1.95
    assert by_key[(Market.ASIAN_HANDICAP, Selection.HOME, 0.75)] == 1.88
    assert by_key[(Market.ASIAN_HANDICAP, Selection.AWAY, -0.75)] == 2.0


def test_bad_outcomes_rejected_others_kept(oa_dir: Path) -> None:
    payload = load(oa_dir, "karuma46_soccer_epl_odds_h2h_2024-08-19.json")
    outcomes = payload[0]["bookmakers"][0]["markets"][0]["outcomes"]
    outcomes[0]["name"] = "Leicester"  # not the event's team name: never guessed
    outcomes[1]["price"] = "fast"
    payload[1]["commence_time"] = "tomorrow"
    payload.append(copy.deepcopy(payload[2]))  # duplicate event
    result = parse(payload)
    reasons = {r.path: r.reason for r in result.rejects}
    assert "is not a 1x2 outcome" in reasons["events[0].bookmakers[0].markets[0].outcomes[0]"]
    assert "not a number" in reasons["events[0].bookmakers[0].markets[0].outcomes[1]"]
    assert "bad timestamp" in reasons["events[1]"]
    assert "duplicate event" in reasons["events[11]"]
    assert len(result.of_kind("match")) == 10
    assert len([q for q in result.of_kind("odds_quote") if q.provider_match_id == payload[0]["id"]]) == 1


def test_error_object_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="API key is not valid"):
        ADAPTER.parse("odds", b'{"message": "API key is not valid"}')
