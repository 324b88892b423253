"""Reads about players: injury reports that concern a match (``players_db`` with the fixture identity map)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from betfolio.store.tables import identity_map, players, players_db

#: ``identity_map.entity`` of a provider's fixture id (as written by ``store.writer.link_fixtures``).
FIXTURE_ENTITY = "fixture"


def match_injuries(conn: Connection, match: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Injury reports of both teams' players that concern ``match`` (a ``matches_master`` row).

    A report concerns the match when it names one of the match's fixture ids at its provider, or, without a
    fixture, when it is dated on the match day. Returned in (side, player) order with ``side`` home | away.
    """
    sides = {match["home_team_id"]: "home", match["away_team_id"]: "away"}
    fixtures = {
        (provider, external)
        for provider, external in conn.execute(
            select(identity_map.c.provider, identity_map.c.external_id).where(
                identity_map.c.entity == FIXTURE_ENTITY, identity_map.c.canonical_id == str(match["match_id"])
            )
        )
    }
    day = match["match_date"].isoformat()
    stmt = (
        select(players.c.name, players_db.c.team_id, players_db.c.injuries)
        .join(players, players.c.player_id == players_db.c.player_id)
        .where(players_db.c.season == match["season"], players_db.c.team_id.in_(list(sides)))
    )
    out = []
    for name, team_id, reports in conn.execute(stmt):
        for report in reports or []:
            fixture = report.get("fixture")
            if (report.get("provider"), fixture) in fixtures or (fixture is None and report.get("date") == day):
                out.append({"side": sides[team_id], "player": name, **report})
    out.sort(key=lambda r: (r["side"] != "home", r["player"]))
    return out
