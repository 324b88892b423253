"""Provider league identifiers → Betfolio's canonical league codes (football-data.co.uk's ``E0``, ``D1``…).

Shipped as code rather than a data file because the mapping is part of each adapter's contract; a league an
adapter does not know keeps a provider-prefixed code (``AF-2`` for the Champions League) so no fixture is
dropped, and its league row is created with the provider's name.
"""

from __future__ import annotations

#: API-Football league id → canonical code.
API_FOOTBALL_LEAGUES: dict[int, str] = {
    39: "E0",
    40: "E1",
    41: "E2",
    42: "E3",
    43: "EC",
    179: "SC0",
    180: "SC1",
    78: "D1",
    79: "D2",
    140: "SP1",
    141: "SP2",
    135: "I1",
    136: "I2",
    61: "F1",
    62: "F2",
    88: "N1",
    144: "B1",
    94: "P1",
    203: "T1",
    197: "G1",
}

#: The Odds API sport key → canonical code.
ODDS_API_SPORTS: dict[str, str] = {
    "soccer_epl": "E0",
    "soccer_efl_champ": "E1",
    "soccer_england_league1": "E2",
    "soccer_england_league2": "E3",
    "soccer_spl": "SC0",
    "soccer_germany_bundesliga": "D1",
    "soccer_germany_bundesliga2": "D2",
    "soccer_spain_la_liga": "SP1",
    "soccer_spain_segunda_division": "SP2",
    "soccer_italy_serie_a": "I1",
    "soccer_italy_serie_b": "I2",
    "soccer_france_ligue_one": "F1",
    "soccer_france_ligue_two": "F2",
    "soccer_netherlands_eredivisie": "N1",
    "soccer_belgium_first_div": "B1",
    "soccer_portugal_primeira_liga": "P1",
    "soccer_turkey_super_league": "T1",
    "soccer_greece_super_league": "G1",
}

#: Countries whose leagues run within a calendar year (season "2023", not "2023-24").
CALENDAR_YEAR_COUNTRIES = frozenset(
    {
        "Argentina",
        "Brazil",
        "Chile",
        "China",
        "Colombia",
        "Ecuador",
        "Finland",
        "Iceland",
        "Ireland",
        "Japan",
        "Norway",
        "Paraguay",
        "Peru",
        "South-Korea",
        "Sweden",
        "USA",
        "Uruguay",
    }
)


def api_football_league_code(league_id: int) -> str:
    return API_FOOTBALL_LEAGUES.get(league_id, f"AF-{league_id}")


def api_football_league_id(code: str) -> int | None:
    """Inverse lookup for ``--league``: a canonical code, ``AF-<id>`` or a bare API-Football id."""
    if code.isdigit():
        return int(code)
    if code.upper().startswith("AF-") and code[3:].isdigit():
        return int(code[3:])
    for league_id, known in API_FOOTBALL_LEAGUES.items():
        if known == code:
            return league_id
    return None


def odds_api_league_code(sport_key: str) -> str:
    return ODDS_API_SPORTS.get(sport_key, f"OA-{sport_key}"[:16])


def odds_api_sport_key(code: str) -> str | None:
    if code.startswith("soccer_"):
        return code
    return next((key for key, known in ODDS_API_SPORTS.items() if known == code), None)


def season_label(start_year: int, country: str | None) -> str:
    """API-Football names a season by its start year; Betfolio's labels are '2023-24' or '2023'."""
    if country in CALENDAR_YEAR_COUNTRIES:
        return str(start_year)
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def season_of_kickoff(year: int, month: int) -> str:
    """Split season containing a date (July starts a new season), for providers that send no season."""
    start = year if month >= 7 else year - 1
    return f"{start}-{(start + 1) % 100:02d}"
