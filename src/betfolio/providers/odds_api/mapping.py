"""The Odds API v4 ``/v4/sports/{sport}/odds`` → canonical fixtures and odds quotes.

* ``h2h`` outcomes are named after the teams (plus "Draw"); the name decides the selection, so a payload whose
  outcome names match neither team is rejected rather than guessed.
* ``totals`` (Over/Under) and ``spreads`` (a team name) carry the line in ``point``; spreads are Asian
  handicaps read from the selection's own side, the canonical convention.
* ``h2h_lay`` is an exchange *lay* price: not a price a bettor can back, so it is skipped (reported).
* The quote time is the bookmaker's ``last_update`` (falling back to the market's); a price stamped at or after
  ``commence_time`` is in-play.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from betfolio.canonical import Market, Match, MatchStatus, OddsQuote, Selection
from betfolio.providers.api_football.values import ident, number, obj, text, timestamp
from betfolio.providers.base import MappingError, ParseResult, PayloadError, describe_error, enumerate_list
from betfolio.providers.leagues import odds_api_league_code, season_of_kickoff
from betfolio.providers.odds_api import PROVIDER

MARKETS: dict[str, Market] = {
    "h2h": Market.MATCH_ODDS,
    "totals": Market.TOTAL_GOALS,
    "spreads": Market.ASIAN_HANDICAP,
    "draw_no_bet": Market.DRAW_NO_BET,
    "btts": Market.BOTH_TEAMS_TO_SCORE,
    "double_chance": Market.DOUBLE_CHANCE,
}


def check_payload(payload: Any) -> list[Any]:
    if isinstance(payload, dict):
        message = payload.get("message") or payload.get("error_code") or "object instead of a list of events"
        raise PayloadError(f"{PROVIDER} odds: provider reported an error: {message}")
    if not isinstance(payload, list):
        raise PayloadError(f"{PROVIDER} odds: expected a list of events, got {type(payload).__name__}")
    return payload


def _selection(market: Market, name: str, home: str, away: str, path: str) -> Selection:
    key = name.casefold()
    if market in (Market.MATCH_ODDS, Market.ASIAN_HANDICAP, Market.DRAW_NO_BET):
        if key == home.casefold():
            return Selection.HOME
        if key == away.casefold():
            return Selection.AWAY
        if key == "draw" and market is Market.MATCH_ODDS:
            return Selection.DRAW
    elif market is Market.TOTAL_GOALS and key in ("over", "under"):
        return Selection.OVER if key == "over" else Selection.UNDER
    elif market is Market.BOTH_TEAMS_TO_SCORE and key in ("yes", "no"):
        return Selection.YES if key == "yes" else Selection.NO
    elif market is Market.DOUBLE_CHANCE:
        parts = {p.strip().casefold() for p in name.replace(" or ", "/").split("/")}
        sides = {"home" if p == home.casefold() else "away" if p == away.casefold() else p for p in parts}
        table = {
            frozenset({"home", "draw"}): Selection.HOME_OR_DRAW,
            frozenset({"home", "away"}): Selection.HOME_OR_AWAY,
            frozenset({"draw", "away"}): Selection.DRAW_OR_AWAY,
        }
        if (found := table.get(frozenset(sides))) is not None:
            return found
    raise MappingError(f"{path}.name: {name!r} is not a {market.value} outcome of {home} v {away}")


def map_event(event: Any, path: str) -> Match:
    event = obj(event, path)
    event_id = ident(event.get("id"), f"{path}.id")
    sport = text(event.get("sport_key"), path, ".sport_key")
    if not sport:
        raise MappingError(f"{path}.sport_key: missing")
    home = text(event.get("home_team"), path, ".home_team")
    away = text(event.get("away_team"), path, ".away_team")
    if not home or not away:
        raise MappingError(f"{path}: missing home_team/away_team")
    kickoff = timestamp(event.get("commence_time"), f"{path}.commence_time")
    match = Match(
        provider=PROVIDER,
        provider_match_id=event_id,
        league=odds_api_league_code(sport),
        season=season_of_kickoff(kickoff.year, kickoff.month),
        kickoff=kickoff,
        home_team=home,
        away_team=away,
        status=MatchStatus.SCHEDULED,
        detail={"sport_key": sport},
    )
    return match


def _bookmakers(event: dict[str, Any], path: str, match: Match, result: ParseResult, now: datetime) -> None:
    try:
        books = list(enumerate_list(event.get("bookmakers") or [], f"{path}.bookmakers"))
    except MappingError as exc:
        result.reject(f"{path}.bookmakers", str(exc))
        return
    for bpath, book in books:
        try:
            _bookmaker(
                book, bpath, match.provider_match_id, match.home_team, match.away_team, match.kickoff, now, result
            )
        except MappingError as exc:
            result.reject(bpath, str(exc))


def _bookmaker(
    book: Any, path: str, event_id: str, home: str, away: str, kickoff: datetime, now: datetime, result: ParseResult
) -> None:
    book = obj(book, path)
    key = text(book.get("key"), path, ".key")
    if not key:
        raise MappingError(f"{path}.key: missing bookmaker key")
    book_update = book.get("last_update")
    for mpath, market in enumerate_list(book.get("markets") or [], f"{path}.markets"):
        try:
            market = obj(market, mpath)
            mkey = market.get("key")
            canonical = MARKETS.get(mkey) if isinstance(mkey, str) else None
            if canonical is None:
                result.skip(mpath, f"market {mkey!r} is not a backable traded market")
                continue
            stamp = book_update if book_update is not None else market.get("last_update")
            quoted_at = timestamp(stamp, f"{path}.last_update")
            outcomes = list(enumerate_list(market.get("outcomes"), f"{mpath}.outcomes"))
        except MappingError as exc:
            result.reject(mpath, str(exc))
            continue
        for opath, outcome in outcomes:
            try:
                outcome = obj(outcome, opath)
                name = text(outcome.get("name"), opath, ".name")
                if not name:
                    raise MappingError(f"{opath}.name: missing outcome name")
                selection = _selection(canonical, name, home, away, opath)
                price = number(outcome.get("price"), opath, ".price")
                if price is None:
                    raise MappingError(f"{opath}.price: missing")
                line = number(outcome.get("point"), opath, ".point")
                result.records.append(
                    OddsQuote(
                        provider=PROVIDER,
                        provider_match_id=event_id,
                        bookmaker=key[:32],
                        market=canonical,
                        selection=selection,
                        line=None if line is None else line + 0.0,
                        odds=price,
                        quoted_at=quoted_at,
                        ingested_at=now,
                        in_play=quoted_at >= kickoff,
                    )
                )
            except Exception as exc:
                result.reject(opath, describe_error(exc))


def parse_odds(payload: Any, result: ParseResult, *, observed_at: datetime | None = None) -> None:
    now = observed_at or datetime.now(UTC)
    seen: set[str] = set()
    for path, event in enumerate_list(check_payload(payload), "events"):
        if isinstance(event, dict) and isinstance(event.get("id"), str):
            if event["id"] in seen:
                result.reject(path, f"duplicate event {event['id']!r}")
                continue
            seen.add(event["id"])
        match = result.guarded(path, lambda e=event, p=path: map_event(e, p))
        if isinstance(match, Match):
            _bookmakers(event, path, match, result, now)
