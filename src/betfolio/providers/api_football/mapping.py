"""API-Football v3 payloads → canonical records.

One function per endpoint, all with the same shape: ``(envelope, result)``; each response item is mapped under
``ParseResult.guarded`` so a bad item is rejected with its path (``response[3].fixture.date``) and the good ones
still land. The rules that matter for money:

* **Scores.** ``goals`` is the total after extra time (no shoot-out); ``score.fulltime`` is the 90-minute
  score, ``score.extratime`` the extra-time goals only, ``score.penalty`` the shoot-out. Canonical
  ``home_goals`` is the 90-minute score, because every standard market settles on it.
* **Statuses.** TBD/NS scheduled; 1H HT 2H ET BT P LIVE in play; SUSP/INT suspended; FT AET PEN finished;
  PST postponed; CANC cancelled; ABD abandoned; AWD/WO awarded. Anything else is rejected, never guessed.
* **Odds** are strings; a price of "0" on a suspended outcome is not a price (skipped, reported); "0" on an
  outcome *not* flagged suspended is bad data (rejected). Asian handicap and totals lines come from values
  like "Home -0.75" / "Over 2.5" (pre-match) or the ``handicap`` field (live) and are read from the selection's
  own side.
* **Statistics** values are ints, null or strings ("47%", "2.73"); null means the provider did not say, so the
  statistic is absent (masked), never 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from betfolio.canonical import (
    Coverage,
    Injury,
    League,
    LiveMatchState,
    Market,
    Match,
    MatchStatus,
    OddsQuote,
    Player,
    PlayerSeason,
    Selection,
    Team,
)
from betfolio.canonical import statistics as st
from betfolio.providers.api_football import PROVIDER
from betfolio.providers.api_football.values import (
    count,
    day,
    ident,
    number,
    obj,
    opt_obj,
    season_year,
    text,
    timestamp,
)
from betfolio.providers.base import MappingError, ParseResult, PayloadError, describe_error, enumerate_list
from betfolio.providers.leagues import api_football_league_code, season_label
from betfolio.providers.records import (
    AccountStatus,
    FixturePlayerStatistics,
    FixtureStatistics,
    Lineup,
    MatchEvent,
)

STATUSES: dict[str, MatchStatus] = {
    "TBD": MatchStatus.SCHEDULED,
    "NS": MatchStatus.SCHEDULED,
    "1H": MatchStatus.IN_PLAY,
    "HT": MatchStatus.IN_PLAY,
    "2H": MatchStatus.IN_PLAY,
    "ET": MatchStatus.IN_PLAY,
    "BT": MatchStatus.IN_PLAY,
    "P": MatchStatus.IN_PLAY,
    "LIVE": MatchStatus.IN_PLAY,
    "SUSP": MatchStatus.SUSPENDED,
    "INT": MatchStatus.SUSPENDED,
    "FT": MatchStatus.FINISHED,
    "AET": MatchStatus.FINISHED,
    "PEN": MatchStatus.FINISHED,
    "PST": MatchStatus.POSTPONED,
    "CANC": MatchStatus.CANCELLED,
    "ABD": MatchStatus.ABANDONED,
    "AWD": MatchStatus.AWARDED,
    "WO": MatchStatus.AWARDED,
}
#: Statuses in which extra time has started, so ``goals`` ≠ the 90-minute score.
EXTRA_TIME_STATUSES = frozenset({"ET", "BT", "P", "AET", "PEN"})

#: API-Football statistic type → canonical statistic ("extra:" names are kept but not canonical features).
STATISTICS: dict[str, str] = {
    "Shots on Goal": st.SHOTS_ON_TARGET,
    "Shots off Goal": st.SHOTS_OFF_TARGET,
    "Total Shots": st.SHOTS,
    "Blocked Shots": st.BLOCKED_SHOTS,
    "Shots insidebox": "extra:shots_inside_box",
    "Shots outsidebox": "extra:shots_outside_box",
    "Fouls": st.FOULS,
    "Corner Kicks": st.CORNERS,
    "Offsides": st.OFFSIDES,
    "Ball Possession": st.POSSESSION,
    "Yellow Cards": st.YELLOW_CARDS,
    "Red Cards": st.RED_CARDS,
    "Goalkeeper Saves": st.SAVES,
    "Total passes": st.PASSES,
    "Passes accurate": st.PASSES_ACCURATE,
    "Passes %": "extra:passes_pct",
    "expected_goals": st.EXPECTED_GOALS,
    "goals_prevented": "extra:goals_prevented",
}
#: Canonical statistics a league season with ``statistics_fixtures`` coverage can deliver.
COVERED_STATISTICS: tuple[str, ...] = tuple(sorted({v for v in STATISTICS.values() if not v.startswith("extra:")}))

# --------------------------------------------------------------------------------------------------- odds
_SIDE = {"home": Selection.HOME, "draw": Selection.DRAW, "away": Selection.AWAY}
_DOUBLE = {
    "home/draw": Selection.HOME_OR_DRAW,
    "home or draw": Selection.HOME_OR_DRAW,
    "draw/home": Selection.HOME_OR_DRAW,
    "home/away": Selection.HOME_OR_AWAY,
    "home or away": Selection.HOME_OR_AWAY,
    "away/home": Selection.HOME_OR_AWAY,
    "draw/away": Selection.DRAW_OR_AWAY,
    "away or draw": Selection.DRAW_OR_AWAY,
    "away/draw": Selection.DRAW_OR_AWAY,
    "draw or away": Selection.DRAW_OR_AWAY,
}
_YES_NO = {"yes": Selection.YES, "no": Selection.NO}
_OVER_UNDER = {"over": Selection.OVER, "under": Selection.UNDER}
_LINE_VALUE = re.compile(r"^\s*(home|away|over|under)\s*([+-]?\d+(?:\.\d+)?)\s*$", re.IGNORECASE)

#: Bet name (pre-match and live use different ids for the same market, so names are matched) → market.
BET_MARKETS: dict[str, Market] = {
    "match winner": Market.MATCH_ODDS,
    "fulltime result": Market.MATCH_ODDS,
    "asian handicap": Market.ASIAN_HANDICAP,
    "goals over/under": Market.TOTAL_GOALS,
    "over/under line": Market.TOTAL_GOALS,
    "match goals": Market.TOTAL_GOALS,
    "both teams score": Market.BOTH_TEAMS_TO_SCORE,
    "both teams to score": Market.BOTH_TEAMS_TO_SCORE,
    "double chance": Market.DOUBLE_CHANCE,
    "draw no bet": Market.DRAW_NO_BET,
    "home/away": Market.DRAW_NO_BET,
}

LIVE_BOOKMAKER = "api-football-live"


def bookmaker_id(name: str) -> str:
    """'William Hill' → 'william_hill', the same ids football-data's columns map to where they overlap."""
    return re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_")[:32] or "unknown"


# ----------------------------------------------------------------------------------------------- envelope
def check_envelope(payload: Any, endpoint: str) -> list[Any] | dict[str, Any]:
    """Validate the envelope and return ``response``.

    ``errors`` is ``[]`` when empty and an object otherwise — and arrives with HTTP 200, so a non-empty
    ``errors`` makes the whole payload a PayloadError (e.g. the daily quota message).
    """
    if not isinstance(payload, dict):
        raise PayloadError(f"{PROVIDER} {endpoint}: expected a JSON object envelope, got {type(payload).__name__}")
    errors = payload.get("errors")
    if errors:
        if isinstance(errors, dict):
            detail = "; ".join(f"{k}: {v}" for k, v in errors.items())
        else:
            detail = "; ".join(str(e) for e in errors) if isinstance(errors, list) else str(errors)
        raise PayloadError(f"{PROVIDER} {endpoint}: provider reported errors: {detail}")
    if "response" not in payload:
        raise PayloadError(f"{PROVIDER} {endpoint}: envelope has no 'response'")
    response = payload["response"]
    if not isinstance(response, (list, dict)):
        raise PayloadError(f"{PROVIDER} {endpoint}: 'response' is {type(response).__name__}, not a list")
    return response


def _parameters(payload: Any) -> dict[str, Any]:
    params = payload.get("parameters") if isinstance(payload, dict) else None
    return params if isinstance(params, dict) else {}


def _items(response: Any) -> list[tuple[str, Any]]:
    if not isinstance(response, list):
        raise PayloadError(f"{PROVIDER}: 'response' is an object where a list was expected")
    return [(f"response[{i}]", item) for i, item in enumerate(response)]


# ------------------------------------------------------------------------------------------------ fixtures
def _score_pair(score: dict[str, Any], key: str, path: str) -> tuple[int | None, int | None]:
    part = opt_obj(score.get(key), f"{path}.score.{key}")
    return count(part.get("home"), f"{path}.score.{key}.home"), count(part.get("away"), f"{path}.score.{key}.away")


def _league(item: dict[str, Any], path: str) -> tuple[str, str, dict[str, Any]]:
    league = obj(item.get("league"), f"{path}.league")
    league_id = count(league.get("id"), path, ".league.id")
    if league_id is None:
        raise MappingError(f"{path}.league.id: missing")
    year = season_year(league.get("season"), f"{path}.league.season")
    country = league.get("country") if isinstance(league.get("country"), str) else None
    return api_football_league_code(league_id), season_label(year, country), league


def map_fixture(item: Any, path: str, result: ParseResult, *, observed_at: datetime) -> Match:
    """One ``/fixtures`` item → Match (plus, when embedded, its live state, events, lineups, players)."""
    item = obj(item, path)
    fixture = obj(item.get("fixture"), f"{path}.fixture")
    fixture_id = ident(fixture.get("id"), f"{path}.fixture.id")
    code, season, league = _league(item, path)
    teams = obj(item.get("teams"), f"{path}.teams")
    home = obj(teams.get("home"), f"{path}.teams.home")
    away = obj(teams.get("away"), f"{path}.teams.away")
    home_name = text(home.get("name"), path, ".teams.home.name")
    away_name = text(away.get("name"), path, ".teams.away.name")
    if not home_name or not away_name:
        raise MappingError(f"{path}.teams: missing team name")
    status_obj = obj(fixture.get("status"), f"{path}.fixture.status")
    short = text(status_obj.get("short"), path, ".fixture.status.short")
    if short not in STATUSES:
        raise MappingError(f"{path}.fixture.status.short: unknown status code {short!r}")
    status = STATUSES[short]
    elapsed = count(status_obj.get("elapsed"), path, ".fixture.status.elapsed")
    extra = count(status_obj.get("extra"), path, ".fixture.status.extra")

    goals = opt_obj(item.get("goals"), f"{path}.goals")
    goals_home = count(goals.get("home"), path, ".goals.home")
    goals_away = count(goals.get("away"), path, ".goals.away")
    score = opt_obj(item.get("score"), f"{path}.score")
    ht = _score_pair(score, "halftime", path)
    ft = _score_pair(score, "fulltime", path)
    et = _score_pair(score, "extratime", path)
    pen = _score_pair(score, "penalty", path)

    home_goals, away_goals = ft
    if home_goals is None and short not in EXTRA_TIME_STATUSES:
        home_goals, away_goals = goals_home, goals_away  # in play, or a payload without score.fulltime
    if short in EXTRA_TIME_STATUSES and home_goals is not None and et[0] is None and goals_home is not None:
        et = (goals_home - home_goals, (goals_away or 0) - (away_goals or 0))
    if status in (MatchStatus.SCHEDULED, MatchStatus.POSTPONED, MatchStatus.CANCELLED):
        home_goals = away_goals = None
        ht = (None, None)

    venue = opt_obj(fixture.get("venue"), f"{path}.fixture.venue")
    kickoff = timestamp(fixture.get("date"), f"{path}.fixture.date")
    detail: dict[str, Any] = {
        "status_code": short,
        "round": league.get("round") if isinstance(league.get("round"), str) else None,
        "league_id": league.get("id"),
        "league_name": league.get("name"),
        "league_country": league.get("country"),
        "home_team_id": home.get("id"),
        "away_team_id": away.get("id"),
    }
    if goals_home is not None and goals_away is not None:
        detail["goals_total"] = [goals_home, goals_away]
    events = _embedded_events(item, path, fixture_id, home, result)
    if events is not None:
        detail["events"] = [e.model_dump(exclude={"provider", "provider_match_id"}) for e in events]
    match = Match(
        provider=PROVIDER,
        provider_match_id=fixture_id,
        league=code,
        season=season,
        kickoff=kickoff,
        home_team=home_name,
        away_team=away_name,
        status=status,
        home_goals=home_goals,
        away_goals=away_goals,
        ht_home_goals=ht[0],
        ht_away_goals=ht[1],
        et_home_goals=et[0] if short in EXTRA_TIME_STATUSES else None,
        et_away_goals=et[1] if short in EXTRA_TIME_STATUSES else None,
        pen_home_goals=pen[0],
        pen_away_goals=pen[1],
        minute=min(elapsed, 130) if elapsed is not None and status is MatchStatus.IN_PLAY else None,
        statistics=_embedded_statistics(item, path, fixture_id, home, result),
        lineups=_embedded_lineups(item, path, fixture_id, home, result),
        referee=text(fixture.get("referee"), path, ".fixture.referee"),
        venue=text(venue.get("name"), path, ".fixture.venue.name"),
        detail=detail,
    )
    if "players" in item and item["players"] is not None:
        for ppath, block in enumerate_list(item["players"], f"{path}.players"):
            result.guarded(ppath, lambda b=block, p=ppath: _fixture_players(b, p, fixture_id, result))
    if status is MatchStatus.IN_PLAY or short in ("SUSP", "INT"):
        result.guarded(
            f"{path}.fixture.status",
            lambda: _live_state_from_fixture(match, elapsed, extra, events, observed_at),
        )
    return match


def _team_id(team: dict[str, Any]) -> str | None:
    """The provider's id of the team a fixture part (statistics, event, lineup, player) belongs to, if given."""
    return str(team["id"]) if team.get("id") is not None else None


def _side_of(team: Any, home: dict[str, Any]) -> str | None:
    if not isinstance(team, dict):
        return None
    if team.get("id") is not None and team.get("id") == home.get("id"):
        return "home"
    return "away" if team.get("id") is not None else None


def _embedded_statistics(
    item: dict[str, Any], path: str, fixture_id: str, home: dict[str, Any], result: ParseResult
) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {"home": {}, "away": {}}
    if not item.get("statistics"):
        return out
    for spath, block in enumerate_list(item["statistics"], f"{path}.statistics"):
        try:  # embedded statistics belong to the match record itself, not a separate record
            record = team_statistics(block, spath, fixture_id, home, result)
        except (MappingError, ValueError) as exc:
            result.reject(spath, describe_error(exc))
            continue
        if record.side in out:
            out[record.side].update(record.statistics)  # type: ignore[index]
    return out


def team_statistics(
    block: Any, path: str, fixture_id: str, home: dict[str, Any] | None, result: ParseResult
) -> FixtureStatistics:
    block = obj(block, path)
    team = obj(block.get("team"), f"{path}.team")
    stats: dict[str, float] = {}
    for ipath, entry in enumerate_list(block.get("statistics"), f"{path}.statistics"):
        try:
            entry = obj(entry, ipath)
            name = entry.get("type")
            canonical = STATISTICS.get(name) if isinstance(name, str) else None
            if canonical is None:
                result.skip(ipath, f"statistic type {name!r} is not mapped")
                continue
            value = number(entry.get("value"), ipath, ".value")
        except MappingError as exc:
            result.reject(ipath, str(exc))
            continue
        if value is not None:
            stats[canonical] = value
    return FixtureStatistics(
        provider=PROVIDER,
        provider_match_id=fixture_id,
        team=text(team.get("name"), path, ".team.name") or "",
        provider_team_id=_team_id(team),
        side=_side_of(team, home) if home else None,
        statistics=stats,
    )


def _embedded_events(
    item: dict[str, Any], path: str, fixture_id: str, home: dict[str, Any], result: ParseResult
) -> list[MatchEvent] | None:
    if "events" not in item or item["events"] is None:
        return None
    events: list[MatchEvent] = []
    for epath, raw in enumerate_list(item["events"], f"{path}.events"):
        try:
            events.append(map_event(raw, epath, fixture_id, home))
        except (MappingError, ValueError) as exc:
            result.reject(epath, str(exc))
    return events


def map_event(raw: Any, path: str, fixture_id: str, home: dict[str, Any] | None) -> MatchEvent:
    raw = obj(raw, path)
    when = opt_obj(raw.get("time"), f"{path}.time")
    team = opt_obj(raw.get("team"), f"{path}.team")
    player = opt_obj(raw.get("player"), f"{path}.player")
    assist = opt_obj(raw.get("assist"), f"{path}.assist")
    kind = text(raw.get("type"), path, ".type")
    if not kind:
        raise MappingError(f"{path}.type: missing event type")
    return MatchEvent(
        provider=PROVIDER,
        provider_match_id=fixture_id,
        minute=count(when.get("elapsed"), path, ".time.elapsed"),
        extra_minute=count(when.get("extra"), path, ".time.extra"),
        team=text(team.get("name"), path, ".team.name"),
        provider_team_id=_team_id(team),
        side=_side_of(team, home) if home else None,
        type=kind.casefold(),
        detail=text(raw.get("detail"), path, ".detail"),
        player=text(player.get("name"), path, ".player.name"),
        provider_player_id=str(player["id"]) if player.get("id") is not None else None,
        assist=text(assist.get("name"), path, ".assist.name"),
        comments=text(raw.get("comments"), path, ".comments"),
    )


def _lineup_players(value: Any, path: str) -> list[dict[str, Any]]:
    players = []
    for ppath, entry in enumerate_list(value or [], path):
        p = obj(obj(entry, ppath).get("player"), f"{ppath}.player")
        players.append(
            {
                "id": p.get("id"),
                "name": text(p.get("name"), ppath, ".player.name"),
                "number": count(p.get("number"), ppath, ".player.number"),
                "pos": text(p.get("pos"), ppath, ".player.pos"),
                "grid": text(p.get("grid"), ppath, ".player.grid"),
            }
        )
    return players


def map_lineup(block: Any, path: str, fixture_id: str, home: dict[str, Any] | None) -> Lineup:
    block = obj(block, path)
    team = obj(block.get("team"), f"{path}.team")
    coach = opt_obj(block.get("coach"), f"{path}.coach")
    return Lineup(
        provider=PROVIDER,
        provider_match_id=fixture_id,
        team=text(team.get("name"), path, ".team.name") or "",
        provider_team_id=_team_id(team),
        side=_side_of(team, home) if home else None,
        formation=text(block.get("formation"), path, ".formation"),
        coach=text(coach.get("name"), path, ".coach.name"),
        start_xi=_lineup_players(block.get("startXI"), f"{path}.startXI"),
        substitutes=_lineup_players(block.get("substitutes"), f"{path}.substitutes"),
    )


def _embedded_lineups(
    item: dict[str, Any], path: str, fixture_id: str, home: dict[str, Any], result: ParseResult
) -> dict[str, Any] | None:
    if not item.get("lineups"):
        return None
    out: dict[str, Any] = {}
    for lpath, block in enumerate_list(item["lineups"], f"{path}.lineups"):
        try:
            lineup = map_lineup(block, lpath, fixture_id, home)
        except (MappingError, ValueError) as exc:
            result.reject(lpath, str(exc))
            continue
        if lineup.side:
            out[lineup.side] = lineup.model_dump(exclude={"provider", "provider_match_id", "side"})
    return out or None


_PERFORMANCE_NUMBERS = {"rating"}


def _performance(stats: dict[str, Any], path: str) -> dict[str, Any]:
    """Flatten {"games": {"minutes": 90, "rating": "8.2"}} → {"games.minutes": 90, "games.rating": 8.2}.

    Every leaf becomes a number (or stays text when it is a label such as the position); the provider's
    misspelt keys (``appearences``, ``commited``) are kept as sent so a replay stays faithful.
    """
    flat: dict[str, Any] = {}
    for group, values in stats.items():
        if isinstance(values, dict):
            for key, value in values.items():
                name = f"{group}.{key}"
                if isinstance(value, str) and key not in ("position",):
                    try:
                        flat[name] = number(value, f"{path}.{name}")
                    except MappingError:
                        flat[name] = value
                elif isinstance(value, (int, float, str, bool)) or value is None:
                    flat[name] = value
        elif isinstance(values, (int, float, str, bool)) or values is None:
            flat[group] = values
    return flat


def _fixture_players(block: Any, path: str, fixture_id: str, result: ParseResult) -> None:
    block = obj(block, path)
    team = opt_obj(block.get("team"), f"{path}.team")
    for ppath, entry in enumerate_list(block.get("players"), f"{path}.players"):
        result.guarded(ppath, lambda e=entry, p=ppath: _fixture_player(e, p, fixture_id, team))


def _fixture_player(entry: Any, path: str, fixture_id: str, team: dict[str, Any]) -> FixturePlayerStatistics:
    entry = obj(entry, path)
    player = obj(entry.get("player"), f"{path}.player")
    stats = entry.get("statistics") or [{}]
    if not isinstance(stats, list) or not stats:
        raise MappingError(f"{path}.statistics: expected a list")
    return FixturePlayerStatistics(
        provider=PROVIDER,
        provider_match_id=fixture_id,
        provider_player_id=ident(player.get("id"), f"{path}.player.id"),
        name=text(player.get("name"), path, ".player.name") or "",
        team=text(team.get("name"), path, ".team.name"),
        provider_team_id=_team_id(team),
        performance=_performance(obj(stats[0], f"{path}.statistics[0]"), f"{path}.statistics[0]"),
    )


def _live_state_from_fixture(
    match: Match, elapsed: int | None, extra: int | None, events: list[MatchEvent] | None, observed_at: datetime
) -> LiveMatchState | None:
    goals = match.detail.get("goals_total")
    if goals is None:
        raise MappingError("live fixture without a current score")
    reds: dict[str, int | None] = {"home": None, "away": None}
    if events is not None:  # events present: zero red cards is then a fact, not a gap
        reds = {"home": 0, "away": 0}
        for e in events:
            if e.type == "card" and e.side in reds and e.detail and "red" in e.detail.casefold():
                reds[e.side] = (reds[e.side] or 0) + 1
    statistics = {side: dict(values) for side, values in match.statistics.items()}
    for side, reds_seen in reds.items():
        if reds_seen is not None:  # counted from the delivered events: payload content, so present
            statistics.setdefault(side, {}).setdefault("red_cards", float(reds_seen))  # type: ignore[index]
    return LiveMatchState(
        provider=PROVIDER,
        provider_match_id=match.provider_match_id,
        minute=min(elapsed or 0, 130),
        added_time=extra,
        status=match.status,
        home_goals=goals[0],
        away_goals=goals[1],
        home_red_cards=reds["home"],
        away_red_cards=reds["away"],
        statistics=statistics,
        observed_at=observed_at,
    )


def parse_fixtures(payload: Any, result: ParseResult, *, observed_at: datetime | None = None) -> None:
    now = observed_at or datetime.now(UTC)
    for path, item in _items(check_envelope(payload, result.endpoint)):
        result.guarded(path, lambda i=item, p=path: map_fixture(i, p, result, observed_at=now))
    _reject_duplicates(result)


def _reject_duplicates(result: ParseResult) -> None:
    """The same fixture twice in one payload: keep the first, reject the repeats (by id)."""
    seen: set[str] = set()
    kept = []
    for i, record in enumerate(result.records):
        if isinstance(record, Match):
            if record.provider_match_id in seen:
                result.reject(f"response[fixture.id={record.provider_match_id}]", f"duplicate fixture (#{i})")
                continue
            seen.add(record.provider_match_id)
        kept.append(record)
    result.records[:] = kept


def _fixture_param(payload: Any) -> str:
    fixture = _parameters(payload).get("fixture")
    if fixture is None:
        raise PayloadError(f"{PROVIDER}: payload has no 'parameters.fixture' to tie it to a fixture")
    return str(fixture)


def parse_statistics(payload: Any, result: ParseResult, **_: Any) -> None:
    response = check_envelope(payload, result.endpoint)
    fixture_id = _fixture_param(payload)
    for path, block in _items(response):
        result.guarded(path, lambda b=block, p=path: team_statistics(b, p, fixture_id, None, result))


def parse_events(payload: Any, result: ParseResult, **_: Any) -> None:
    response = check_envelope(payload, result.endpoint)
    fixture_id = _fixture_param(payload)
    for path, raw in _items(response):
        result.guarded(path, lambda r=raw, p=path: map_event(r, p, fixture_id, None))


def parse_lineups(payload: Any, result: ParseResult, **_: Any) -> None:
    response = check_envelope(payload, result.endpoint)
    fixture_id = _fixture_param(payload)
    for path, block in _items(response):
        result.guarded(path, lambda b=block, p=path: map_lineup(b, p, fixture_id, None))


def parse_fixture_players(payload: Any, result: ParseResult, **_: Any) -> None:
    response = check_envelope(payload, result.endpoint)
    fixture_id = _fixture_param(payload)
    for path, block in _items(response):
        try:
            _fixture_players(block, path, fixture_id, result)
        except MappingError as exc:
            result.reject(path, str(exc))


# --------------------------------------------------------------------------------------------------- odds
def _selection(market: Market, value: Any, handicap: Any, path: str) -> tuple[Selection, float | None]:
    """(selection, line from the selection's own side) for one odds value."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise MappingError(f"{path}.value: unexpected {type(value).__name__}")
    raw = str(value).strip()
    key = raw.casefold()
    if market in (Market.MATCH_ODDS,) and key in _SIDE:
        return _SIDE[key], None
    if market is Market.DRAW_NO_BET and key in ("home", "away", "1", "2"):
        return (Selection.HOME if key in ("home", "1") else Selection.AWAY), None
    if market is Market.BOTH_TEAMS_TO_SCORE and key in _YES_NO:
        return _YES_NO[key], None
    if market is Market.DOUBLE_CHANCE and key in _DOUBLE:
        return _DOUBLE[key], None
    if market in (Market.ASIAN_HANDICAP, Market.TOTAL_GOALS):
        if (m := _LINE_VALUE.match(raw)) is not None:
            word, line = m[1].casefold(), float(m[2])
        elif handicap is not None:
            word, line = key, number(handicap, path, ".handicap")
        else:
            raise MappingError(f"{path}.value: no line in {raw!r}")
        table = _SIDE if market is Market.ASIAN_HANDICAP else _OVER_UNDER
        if word not in table or table[word] is Selection.DRAW or line is None:
            raise MappingError(f"{path}.value: {raw!r} is not a {market.value} selection")
        return table[word], line + 0.0
    raise MappingError(f"{path}.value: {raw!r} is not a {market.value} selection")


def _quote(
    bet_market: Market,
    raw: Any,
    bpath: str,
    index: int,
    fixture_id: str,
    bookmaker: str,
    quoted_at: datetime,
    ingested_at: datetime,
    in_play: bool,
    result: ParseResult,
    seen: set[tuple[Any, ...]],
) -> OddsQuote | None:
    """One odds value → a quote (or None when skipped). The value's payload path is only formatted when it is
    reported: this is the innermost loop of every odds payload."""
    if not isinstance(raw, dict):
        raise MappingError(f"{bpath}.values[{index}]: expected an object, got {type(raw).__name__}")
    try:
        selection, line = _selection(bet_market, raw.get("value"), raw.get("handicap"), "")
        odd = number(raw.get("odd"), "", ".odd")
    except MappingError as exc:
        raise MappingError(f"{bpath}.values[{index}]{exc}") from exc
    if odd is None:
        raise MappingError(f"{bpath}.values[{index}].odd: missing price")
    if raw.get("suspended") is True:
        result.skip(f"{bpath}.values[{index}]", f"outcome suspended (odd {raw.get('odd')!r})")
        return None
    if odd <= 1.0:
        raise MappingError(
            f"{bpath}.values[{index}].odd: {raw.get('odd')!r} is not a price (decimal odds must exceed 1.0)"
        )
    key = (selection, line)
    if key in seen:  # checked before building the record: live markets repeat lines a lot
        result.skip(
            f"{bpath}.values[{index}]",
            f"alternative price for {bet_market.value} {selection.value} {line}; kept the main one",
        )
        return None
    seen.add(key)
    return OddsQuote(
        provider=PROVIDER,
        provider_match_id=fixture_id,
        bookmaker=bookmaker,
        market=bet_market,
        selection=selection,
        line=line,
        odds=odd,
        quoted_at=quoted_at,
        ingested_at=ingested_at,
        in_play=in_play,
    )


def _main_first(value: Any) -> int:
    return 0 if isinstance(value, dict) and value.get("main") is True else 1


def _bets(
    bets: Any,
    path: str,
    fixture_id: str,
    bookmaker: str,
    quoted_at: datetime,
    ingested_at: datetime,
    in_play: bool,
    result: ParseResult,
) -> None:
    seen: dict[Market, set[tuple[Any, ...]]] = {}
    for bpath, bet in enumerate_list(bets, path):
        if not isinstance(bet, dict):
            result.reject(bpath, f"{bpath}: expected an object, got {type(bet).__name__}")
            continue
        name = bet.get("name")
        market = BET_MARKETS.get(name.casefold()) if isinstance(name, str) else None
        if market is None:
            result.skip(bpath, f"bet {name!r} is not a traded market")
            continue
        values = bet.get("values")
        if not isinstance(values, list):
            result.reject(f"{bpath}.values", f"{bpath}.values should be a list, got {type(values).__name__}")
            continue
        # Live markets list alternative prices for one line; the provider's "main" one goes first.
        order = range(len(values))
        if any(isinstance(v, dict) and "main" in v for v in values):
            order = sorted(order, key=lambda i: _main_first(values[i]))
        keys = seen.setdefault(market, set())
        for i in order:
            try:
                quote = _quote(
                    market, values[i], bpath, i, fixture_id, bookmaker, quoted_at, ingested_at, in_play, result, keys
                )
            except Exception as exc:
                result.reject(f"{bpath}.values[{i}]", describe_error(exc))
                continue
            if quote is not None:
                result.records.append(quote)


def _odds_item(item: Any, path: str) -> tuple[dict[str, Any], dict[str, Any], str, datetime]:
    """The head of an ``/odds`` or ``/odds/live`` item: the item, its fixture, the fixture id and the ``update``
    time its prices were quoted at (MappingError when any is unusable)."""
    item = obj(item, path)
    fixture = obj(item.get("fixture"), f"{path}.fixture")
    fixture_id = ident(fixture.get("id"), f"{path}.fixture.id")
    return item, fixture, fixture_id, timestamp(item.get("update"), f"{path}.update")


def parse_odds(payload: Any, result: ParseResult, *, observed_at: datetime | None = None) -> None:
    """``/odds``: every bookmaker, every traded bet; quoted at the item's ``update`` time."""
    now = observed_at or datetime.now(UTC)
    for path, item in _items(check_envelope(payload, result.endpoint)):
        try:
            item, fixture, fixture_id, quoted_at = _odds_item(item, path)
            kickoff = timestamp(fixture["date"], f"{path}.fixture.date") if fixture.get("date") else None
            books = list(enumerate_list(item.get("bookmakers"), f"{path}.bookmakers"))
        except (MappingError, KeyError) as exc:
            result.reject(path, str(exc))
            continue
        in_play = kickoff is not None and quoted_at >= kickoff
        for kpath, book in books:
            try:
                book = obj(book, kpath)
                name = text(book.get("name"), kpath, ".name")
                if not name:
                    raise MappingError(f"{kpath}.name: missing bookmaker name")
                _bets(
                    book.get("bets"), f"{kpath}.bets", fixture_id, bookmaker_id(name), quoted_at, now, in_play, result
                )
            except MappingError as exc:
                result.reject(kpath, str(exc))


def parse_live_odds(payload: Any, result: ParseResult, *, observed_at: datetime | None = None) -> None:
    """``/odds/live``: in-play prices plus the match clock and score they were quoted at."""
    now = observed_at or datetime.now(UTC)
    for path, item in _items(check_envelope(payload, result.endpoint)):
        try:
            item, _fixture, fixture_id, quoted_at = _odds_item(item, path)
        except MappingError as exc:
            result.reject(path, str(exc))
            continue
        result.guarded(
            f"{path}.fixture", lambda i=item, p=path, f=fixture_id, q=quoted_at: _live_odds_state(i, p, f, q)
        )
        flags = item.get("status") if isinstance(item.get("status"), dict) else {}
        if flags.get("blocked") is True or flags.get("stopped") is True:
            result.skip(f"{path}.status", "betting blocked/stopped: no price in this snapshot is available")
            continue
        try:
            _bets(item.get("odds"), f"{path}.odds", fixture_id, LIVE_BOOKMAKER, quoted_at, now, True, result)
        except MappingError as exc:
            result.reject(f"{path}.odds", str(exc))


_CLOCK = re.compile(r"^(\d+):(\d{2})$")


def _live_odds_state(item: dict[str, Any], path: str, fixture_id: str, observed_at: datetime) -> LiveMatchState:
    fixture = obj(item.get("fixture"), f"{path}.fixture")
    status = opt_obj(fixture.get("status"), f"{path}.fixture.status")
    teams = obj(item.get("teams"), f"{path}.teams")
    home_goals = count(obj(teams.get("home"), f"{path}.teams.home").get("goals"), f"{path}.teams.home.goals")
    away_goals = count(obj(teams.get("away"), f"{path}.teams.away").get("goals"), f"{path}.teams.away.goals")
    if home_goals is None or away_goals is None:
        raise MappingError(f"{path}.teams: live odds without the current score")
    minute = count(status.get("elapsed"), path, ".fixture.status.elapsed")
    seconds = status.get("seconds")
    if minute is None and isinstance(seconds, str) and (m := _CLOCK.match(seconds)):
        minute = int(m[1])
    flags = opt_obj(item.get("status"), f"{path}.status")
    return LiveMatchState(
        provider=PROVIDER,
        provider_match_id=fixture_id,
        minute=min(minute or 0, 130),
        status=MatchStatus.FINISHED if flags.get("finished") is True else MatchStatus.IN_PLAY,
        home_goals=home_goals,
        away_goals=away_goals,
        observed_at=observed_at,
    )


# ------------------------------------------------------------------------------------ people and leagues
def parse_injuries(payload: Any, result: ParseResult, **_: Any) -> None:
    for path, item in _items(check_envelope(payload, result.endpoint)):
        result.guarded(path, lambda i=item, p=path: _injury(i, p))


def _injury(item: Any, path: str) -> Injury:
    item = obj(item, path)
    player = obj(item.get("player"), f"{path}.player")
    team = opt_obj(item.get("team"), f"{path}.team")
    fixture = opt_obj(item.get("fixture"), f"{path}.fixture")
    code = season = None
    if item.get("league") is not None:
        code, season, _ = _league(item, path)
    when = timestamp(fixture["date"], f"{path}.fixture.date") if fixture.get("date") else None
    return Injury(
        provider=PROVIDER,
        provider_player_id=ident(player.get("id"), f"{path}.player.id"),
        player_name=text(player.get("name"), path, ".player.name") or "",
        team=text(team.get("name"), path, ".team.name"),
        league=code,
        season=season,
        provider_match_id=str(fixture["id"]) if fixture.get("id") is not None else None,
        injury_type=text(player.get("type"), path, ".player.type"),
        reason=text(player.get("reason"), path, ".player.reason"),
        on_date=when.date() if when else None,
    )


def parse_players(payload: Any, result: ParseResult, **_: Any) -> None:
    """``/players``: the player, then one PlayerSeason per (team, league) statistics block."""
    for path, item in _items(check_envelope(payload, result.endpoint)):
        player = result.guarded(path, lambda i=item, p=path: _player(i, p))
        if not isinstance(player, Player):
            continue
        blocks = item.get("statistics") or []
        try:
            entries = list(enumerate_list(blocks, f"{path}.statistics"))
        except MappingError as exc:
            result.reject(f"{path}.statistics", str(exc))
            continue
        for spath, block in entries:
            result.guarded(spath, lambda b=block, p=spath, pl=player: _player_season(b, p, pl))


def _player(item: Any, path: str) -> Player:
    item = obj(item, path)
    player = obj(item.get("player"), f"{path}.player")
    birth = opt_obj(player.get("birth"), f"{path}.player.birth")
    stats = item.get("statistics") if isinstance(item.get("statistics"), list) else []
    first = stats[0] if stats and isinstance(stats[0], dict) else {}
    games = first.get("games") if isinstance(first.get("games"), dict) else {}
    team = first.get("team") if isinstance(first.get("team"), dict) else {}
    return Player(
        provider=PROVIDER,
        provider_player_id=ident(player.get("id"), f"{path}.player.id"),
        name=text(player.get("name"), path, ".player.name") or "",
        team=text(team.get("name"), path, ".statistics[0].team.name"),
        birth_date=day(birth.get("date"), f"{path}.player.birth.date"),
        nationality=text(player.get("nationality"), path, ".player.nationality"),
        position=text(games.get("position"), path, ".statistics[0].games.position"),
    )


def _player_season(block: Any, path: str, player: Player) -> PlayerSeason:
    block = obj(block, path)
    code, season, _ = _league(block, path)
    team = opt_obj(block.get("team"), f"{path}.team")
    stats = {k: v for k, v in block.items() if k not in ("team", "league")}
    return PlayerSeason(
        provider=PROVIDER,
        provider_player_id=player.provider_player_id,
        name=player.name,
        season=season,
        league=code,
        team=text(team.get("name"), path, ".team.name"),
        performance=_performance(stats, path),
    )


def parse_teams(payload: Any, result: ParseResult, **_: Any) -> None:
    for path, item in _items(check_envelope(payload, result.endpoint)):
        result.guarded(path, lambda i=item, p=path: _team(i, p))


def _team(item: Any, path: str) -> Team:
    team = obj(obj(item, path).get("team"), f"{path}.team")
    return Team(
        provider=PROVIDER,
        name=text(team.get("name"), path, ".team.name") or "",
        provider_team_id=ident(team.get("id"), f"{path}.team.id"),
        country=text(team.get("country"), path, ".team.country"),
    )


def parse_standings(payload: Any, result: ParseResult, **_: Any) -> None:
    """``/standings`` → the league's teams (identity resolution uses them; the table itself is derivable)."""
    for path, item in _items(check_envelope(payload, result.endpoint)):
        try:
            league = obj(obj(item, path).get("league"), f"{path}.league")
            groups = list(enumerate_list(league.get("standings"), f"{path}.league.standings"))
        except MappingError as exc:
            result.reject(path, str(exc))
            continue
        country = text(league.get("country"), path, ".league.country")
        for gpath, group in groups:
            try:
                rows = list(enumerate_list(group, gpath))
            except MappingError as exc:
                result.reject(gpath, str(exc))
                continue
            for rpath, row in rows:
                result.guarded(rpath, lambda r=row, p=rpath, c=country: _standing_team(r, p, c))


def _standing_team(row: Any, path: str, country: str | None) -> Team:
    team = obj(obj(row, path).get("team"), f"{path}.team")
    return Team(
        provider=PROVIDER,
        name=text(team.get("name"), path, ".team.name") or "",
        provider_team_id=ident(team.get("id"), f"{path}.team.id"),
        country=country,
    )


def coverage_flags(raw: dict[str, Any], path: str) -> dict[str, bool]:
    """API-Football's per-season coverage object → canonical coverage flags (plus the provider's own keys)."""
    fixtures = opt_obj(raw.get("fixtures"), f"{path}.fixtures")

    def flag(source: dict[str, Any], key: str) -> bool:
        value = source.get(key, False)
        if not isinstance(value, bool):
            raise MappingError(f"{path}.{key}: coverage flag is {type(value).__name__}, not a boolean")
        return value

    stats = flag(fixtures, "statistics_fixtures")
    events = flag(fixtures, "events")
    return {
        "fixtures": True,
        "results": True,
        "half_time": True,
        "statistics": stats,
        # xG is delivered inside fixture statistics for covered seasons; each payload then says whether it came.
        "xg": stats,
        "events": events,
        "lineups": flag(fixtures, "lineups"),
        "player_statistics": flag(fixtures, "statistics_players"),
        "injuries": flag(raw, "injuries"),
        "odds_prematch": flag(raw, "odds"),
        "odds_closing": False,
        "odds_live": flag(raw, "odds"),
        "live_state": events,
        "standings": flag(raw, "standings"),
        "players": flag(raw, "players"),
        "predictions": flag(raw, "predictions"),
    }


def parse_leagues(payload: Any, result: ParseResult, **_: Any) -> None:
    """``/leagues`` → League records and one Coverage per season."""
    for path, item in _items(check_envelope(payload, result.endpoint)):
        try:
            item = obj(item, path)
            league = obj(item.get("league"), f"{path}.league")
            league_id = count(league.get("id"), path, ".league.id")
            if league_id is None:
                raise MappingError(f"{path}.league.id: missing")
            country = text(opt_obj(item.get("country"), f"{path}.country").get("name"), f"{path}.country.name")
            code = api_football_league_code(league_id)
            result.records.append(
                League(
                    code=code,
                    name=text(league.get("name"), path, ".league.name") or code,
                    country=country,
                    provider=PROVIDER,
                    provider_league_id=str(league_id),
                )
            )
            seasons = list(enumerate_list(item.get("seasons") or [], f"{path}.seasons"))
        except (MappingError, ValueError) as exc:
            result.reject(path, str(exc))
            continue
        for spath, season in seasons:
            result.guarded(spath, lambda s=season, p=spath, c=code, k=country: _coverage(s, p, c, k))


def _coverage(season: Any, path: str, code: str, country: str | None) -> Coverage:
    season = obj(season, path)
    year = season_year(season.get("year"), f"{path}.year")
    flags = coverage_flags(obj(season.get("coverage"), f"{path}.coverage"), f"{path}.coverage")
    return Coverage(
        provider=PROVIDER,
        league=code,
        season=season_label(year, country),
        flags=flags,
        statistics=COVERED_STATISTICS if flags["statistics"] else (),
    )


def parse_status(payload: Any, result: ParseResult, *, observed_at: datetime | None = None) -> None:
    response = check_envelope(payload, result.endpoint)
    if not isinstance(response, dict):
        raise PayloadError(f"{PROVIDER} status: 'response' should be an object")

    def build() -> AccountStatus:
        sub = opt_obj(response.get("subscription"), "response.subscription")
        req = opt_obj(response.get("requests"), "response.requests")
        end = sub.get("end")
        return AccountStatus(
            provider=PROVIDER,
            plan=text(sub.get("plan"), "response.subscription.plan"),
            active=sub.get("active") if isinstance(sub.get("active"), bool) else None,
            subscription_end=timestamp(end, "response.subscription.end") if end else None,
            requests_today=count(req.get("current"), "response.requests.current"),
            requests_limit_day=count(req.get("limit_day"), "response.requests.limit_day"),
        )

    result.guarded("response", build)


Parser = Callable[..., None]

#: Endpoint (as in the URL path after /v3/) → mapper.
PARSERS: dict[str, Parser] = {
    "fixtures": parse_fixtures,
    "fixtures/headtohead": parse_fixtures,
    "fixtures/statistics": parse_statistics,
    "fixtures/events": parse_events,
    "fixtures/lineups": parse_lineups,
    "fixtures/players": parse_fixture_players,
    "odds": parse_odds,
    "odds/live": parse_live_odds,
    "injuries": parse_injuries,
    "players": parse_players,
    "players/topscorers": parse_players,
    "players/topassists": parse_players,
    "players/topyellowcards": parse_players,
    "players/topredcards": parse_players,
    "teams": parse_teams,
    "standings": parse_standings,
    "leagues": parse_leagues,
    "status": parse_status,
}
