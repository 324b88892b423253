"""Team identity across providers.

"Man United", "Manchester United" and "Man Utd" must be one team, or odds from one provider will never meet
results from another. Resolution order: this provider's known alias → the shipped alias file → an exact
normalised name any provider already uses → (when the resolver is built with ``fuzzy=True``) a fuzzy match
that is both confident and unambiguous → (for providers allowed to create teams) a new team. A name that
matches nothing — or resembles several teams, or one team only vaguely — is reported, never silently guessed.

Fixtures link across providers by their resolved teams and kick-off time (``find_fixtures``); players by the
provider's id, then name plus birth date (``PlayerResolver``).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from importlib import resources

from rapidfuzz import fuzz, process
from sqlalchemy import Connection, insert, select

from betfolio.store.bulk import insert_ignore
from betfolio.store.tables import identity_map, matches_master, players, team_aliases, teams

#: A fuzzy match scoring at least this (token sort ratio 0–100, club affixes removed) is accepted when
#: no other team comes close.
FUZZY_THRESHOLD = 90.0
#: The runner-up must trail the best match by at least this much, or the name is ambiguous.
FUZZY_MARGIN = 5.0
#: Below the threshold but at or above this score, a name is "close to something": reported, never created.
FUZZY_FLOOR = 80.0

_NON_WORD = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")


def name_key(name: str) -> str:
    """Case-, accent- and punctuation-insensitive key: "Nott'm Forest" → "nottm forest", "Köln" → "koln"."""
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    lowered = ascii_only.casefold().replace("&", " and ").replace("'", "")
    return _SPACES.sub(" ", _NON_WORD.sub(" ", lowered)).strip()


#: Club-name affixes that carry no identity ("FC Augsburg" = "Augsburg", "TSG Hoffenheim" = "1899 Hoffenheim").
CLUB_AFFIXES = frozenset(
    [
        "fc",
        "afc",
        "cf",
        "sc",
        "sv",
        "tsg",
        "vfb",
        "vfl",
        "fsv",
        "ssc",
        "ac",
        "as",
        "us",
        "cd",
        "ud",
        "rc",
        "rcd",
        "sd",
        "ca",
        "club",
        "de",
        "cfc",
        "bk",
        "fk",
        "if",
        "sk",
        "nk",
        "hsc",
        "ssv",
        "spvgg",
        "calcio",
        "the",
    ]
)


_QUALIFIER = re.compile(r"^(?:u\d{2}|w|women|ladies|femenino|feminine|ii|iii|b|c|reserves?|youth|academy)$")


@lru_cache(maxsize=65536)
def qualifiers(key: str) -> frozenset[str]:
    """Tokens that make a different team of the same club: "W", "U21", "II", "Reserves"."""
    return frozenset(t for t in key.split() if _QUALIFIER.match(t))


@lru_cache(maxsize=65536)
def fuzzy_key(key: str) -> str:
    """The normalised key without club affixes and founding years, for fuzzy comparison only."""
    tokens = [t for t in key.split() if t not in CLUB_AFFIXES and not t.isdigit()]
    return " ".join(tokens) or key


class UnresolvedTeamError(LookupError):
    def __init__(self, provider: str, name: str, suggestions: list[str] | None = None, why: str = "unknown") -> None:
        self.provider, self.name, self.suggestions = provider, name, suggestions or []
        hint = f" (closest: {', '.join(self.suggestions)})" if self.suggestions else ""
        super().__init__(f"{why} team {name!r} from provider {provider!r}{hint}")


@dataclass(frozen=True)
class AliasFile:
    """The user-editable alias table: normalised alias → canonical display name."""

    canonical_by_key: dict[str, str]

    @classmethod
    def from_rows(cls, rows: list[tuple[str, str]]) -> AliasFile:
        mapping: dict[str, str] = {}
        for canonical, alias in rows:
            mapping[name_key(canonical)] = canonical
            mapping[name_key(alias)] = canonical
        return cls(mapping)

    @classmethod
    def read(cls, path: str) -> AliasFile:
        with open(path, newline="", encoding="utf-8") as fh:
            return cls.from_rows([(r["canonical"], r["alias"]) for r in csv.DictReader(fh)])

    def canonical(self, name: str) -> str | None:
        return self.canonical_by_key.get(name_key(name))


@cache
def shipped_aliases() -> AliasFile:
    ref = resources.files("betfolio.data").joinpath("team_aliases.csv")
    with ref.open(newline="", encoding="utf-8") as fh:
        return AliasFile.from_rows([(r["canonical"], r["alias"]) for r in csv.DictReader(fh)])


@dataclass
class TeamResolver:
    """Resolves provider team names to team ids inside one transaction.

    Create one per transaction: its cache mirrors rows written in that transaction, which a rollback undoes.
    """

    conn: Connection
    aliases: AliasFile = field(default_factory=shipped_aliases)
    fuzzy: bool = False
    fuzzy_threshold: float = FUZZY_THRESHOLD
    fuzzy_margin: float = FUZZY_MARGIN
    fuzzy_floor: float = FUZZY_FLOOR
    _by_alias: dict[tuple[str, str], int] = field(default_factory=dict, init=False)
    _any_alias: dict[str, int] = field(default_factory=dict, init=False)
    _by_name: dict[str, int] = field(default_factory=dict, init=False)
    _names: dict[int, str] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for provider, key, team_id in self.conn.execute(
            select(team_aliases.c.provider, team_aliases.c.alias_key, team_aliases.c.team_id)
        ):
            self._by_alias[(provider, key)] = team_id
            self._any_alias.setdefault(key, team_id)
        for team_id, key, name in self.conn.execute(select(teams.c.team_id, teams.c.name_key, teams.c.name)):
            self._by_name[key] = team_id
            self._names[team_id] = name

    def known_names(self) -> dict[int, str]:
        return dict(self._names)

    def lookup(self, provider: str, name: str) -> int | None:
        """Exact resolution only (no writes except remembering a newly proven alias)."""
        key = name_key(name)
        if not key:
            return None
        if (found := self._by_alias.get((provider, key))) is not None:
            return found
        canonical = self.aliases.canonical(name)
        if canonical is not None and (found := self._by_name.get(name_key(canonical))) is not None:
            self._remember(provider, name, found, "alias_file", 1.0)
            return found
        if (found := self._by_name.get(key)) is not None or (found := self._any_alias.get(key)) is not None:
            self._remember(provider, name, found, "exact", 1.0)
            return found
        return None

    def candidates(self, name: str, limit: int = 3) -> list[tuple[str, int, float]]:
        """Closest known teams as (display name, team id, score 0–100), best first, one entry per team."""
        key = name_key(name)
        by_key: dict[str, int] = {**self._any_alias, **self._by_name}
        if not key or not by_key:
            return []
        # Fuzzy matching is for spelling variants only: a name with a different number of words ("Manchester
        # City W", "Chelsea U21", "FC United of Manchester") is another team unless an alias says otherwise.
        query = fuzzy_key(key)
        width = len(query.split())
        marks = qualifiers(key)
        keys = [k for k in by_key if len(fuzzy_key(k).split()) == width and qualifiers(k) == marks]
        if not keys:
            return []
        stripped = [fuzzy_key(k) for k in keys]
        best: dict[int, float] = {}
        for _choice, score, index in process.extract(
            query, stripped, scorer=fuzz.token_sort_ratio, limit=limit * 4, score_cutoff=50
        ):
            team_id = by_key[keys[index]]
            best[team_id] = max(best.get(team_id, 0.0), float(score))
        ranked = sorted(best.items(), key=lambda kv: -kv[1])[:limit]
        return [(self._names.get(team_id, str(team_id)), team_id, score) for team_id, score in ranked]

    def fuzzy_lookup(self, provider: str, name: str) -> int | None:
        """A confident, unambiguous fuzzy match (recorded as alias, method "fuzzy"); raises when the name is
        close to known teams without being clearly one of them."""
        ranked = self.candidates(name)
        if not ranked:
            return None
        (_, best_id, best_score), runner_up = ranked[0], (ranked[1][2] if len(ranked) > 1 else 0.0)
        if best_score >= self.fuzzy_threshold and best_score - runner_up >= self.fuzzy_margin:
            self._remember(provider, name, best_id, "fuzzy", round(best_score / 100.0, 3))
            return best_id
        if best_score >= self.fuzzy_floor:
            why = "ambiguous" if best_score - runner_up < self.fuzzy_margin else "unconfirmed"
            raise UnresolvedTeamError(provider, name, [f"{n} ({s:.0f})" for n, _, s in ranked], why=why)
        return None

    def resolve(self, provider: str, name: str, *, create: bool) -> int:
        """Team id for ``name``; creates the team when ``create`` (a provider trusted to define teams)."""
        found = self.lookup(provider, name)
        if found is not None:
            return found
        if self.fuzzy and name_key(name) and (found := self.fuzzy_lookup(provider, name)) is not None:
            return found
        if not create or not name_key(name):
            suggestions = [f"{n} ({s:.0f})" for n, _, s in self.candidates(name)] if name_key(name) else []
            raise UnresolvedTeamError(provider, name, suggestions)
        canonical = self.aliases.canonical(name) or name.strip()
        key = name_key(canonical)
        # Insert-or-ignore, then read back: a concurrent writer creating the same team is not an error.
        insert_ignore(self.conn, teams, [{"name": canonical, "name_key": key, "created_at": datetime.now(UTC)}])
        team_id = self.conn.execute(select(teams.c.team_id).where(teams.c.name_key == key)).scalar_one()
        self._by_name[key] = team_id
        self._names[team_id] = canonical
        self._remember(provider, name, team_id, "created", 1.0)
        return team_id

    def link(self, provider: str, name: str, team_id: int, method: str, confidence: float) -> None:
        """Record a resolution made elsewhere (fuzzy match, manual edit)."""
        self._remember(provider, name, team_id, method, confidence)

    def _remember(self, provider: str, name: str, team_id: int, method: str, confidence: float) -> None:
        key = name_key(name)
        if (provider, key) in self._by_alias:
            return
        row = {"provider": provider, "alias_key": key, "alias": name, "team_id": team_id, "method": method}
        insert_ignore(self.conn, team_aliases, [row | {"confidence": confidence}])
        self._by_alias[(provider, key)] = team_id
        self._any_alias.setdefault(key, team_id)


def link_external(conn: Connection, provider: str, entity: str, links: dict[str, int | str]) -> None:
    """Remember provider ids (teams, players, leagues…) → canonical ids in ``identity_map`` (idempotent)."""
    if not links:
        return
    rows = [
        {"provider": provider, "entity": entity, "external_id": str(ext), "canonical_id": str(cid)}
        for ext, cid in links.items()
    ]
    insert_ignore(conn, identity_map, rows)


def external_ids(conn: Connection, provider: str, entity: str) -> dict[str, str]:
    stmt = select(identity_map.c.external_id, identity_map.c.canonical_id).where(
        identity_map.c.provider == provider, identity_map.c.entity == entity
    )
    return {key: value for key, value in conn.execute(stmt)}


def fixture_ids(conn: Connection, provider: str) -> dict[str, int]:
    """A provider's fixture ids → the store's match ids: how a live state finds its match (every live reader —
    trader, adapter service, app — resolves them the same way; a link to a non-numeric id is no match)."""
    from betfolio.store.writer import FIXTURE

    return {k: int(v) for k, v in external_ids(conn, provider, FIXTURE).items() if str(v).isdigit()}


#: How far apart two providers' kick-off times may be and still be the same fixture. Providers disagree by
#: minutes to hours (time zones, rescheduling announced late); a league's fixture between the same two teams
#: never repeats within days.
FIXTURE_WINDOW = timedelta(hours=36)


@dataclass(frozen=True)
class StoredFixture:
    """A stored match as fixture linking sees it: enough to decide between linking and updating."""

    match_id: int
    kickoff_utc: datetime
    match_date: date
    status: str
    source_provider: str


def find_fixtures(
    conn: Connection,
    wanted: Sequence[tuple[str, int, int, datetime]],
    window: timedelta = FIXTURE_WINDOW,
) -> list[StoredFixture | None]:
    """For each (league, home team id, away team id, kick-off): the stored match with these resolved teams
    kicking off within ``window`` of it (the closest), else None.

    One query for the whole batch (a 500-row chunk of a season file, a payload of fixtures) rather than one
    per fixture: candidates are the batch's leagues and home teams within the batch's time span."""
    if not wanted:
        return []
    lo = min(k for _, _, _, k in wanted) - window
    hi = max(k for _, _, _, k in wanted) + window
    c = matches_master.c
    rows = conn.execute(
        select(
            c.match_id,
            c.kickoff_utc,
            c.match_date,
            c.status,
            c.source_provider,
            c.league,
            c.home_team_id,
            c.away_team_id,
        ).where(
            c.league.in_(sorted({league for league, _, _, _ in wanted})),
            c.home_team_id.in_(sorted({home for _, home, _, _ in wanted})),
            c.kickoff_utc >= lo,
            c.kickoff_utc <= hi,
        )
    ).all()
    by_pair: dict[tuple[str, int, int], list[StoredFixture]] = defaultdict(list)
    for r in rows:
        by_pair[(r.league, r.home_team_id, r.away_team_id)].append(
            StoredFixture(r.match_id, r.kickoff_utc, r.match_date, r.status, r.source_provider)
        )
    found: list[StoredFixture | None] = []
    for league, home, away, kickoff in wanted:
        near = [f for f in by_pair.get((league, home, away), []) if abs(f.kickoff_utc - kickoff) <= window]
        found.append(min(near, key=lambda f: abs((f.kickoff_utc - kickoff).total_seconds())) if near else None)
    return found


@dataclass
class PlayerResolver:
    """Player identity: the provider's id first, then the same name with the same birth date, then a very
    close name with the same birth date; otherwise a new player. Birth date is required for any name-based
    link — two "J. Rodríguez" without one are never merged."""

    conn: Connection
    threshold: float = 92.0
    _by_external: dict[tuple[str, str], int] = field(default_factory=dict, init=False)
    _by_birth: dict[date, list[tuple[str, int]]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        stmt = select(identity_map.c.provider, identity_map.c.external_id, identity_map.c.canonical_id).where(
            identity_map.c.entity == "player"
        )
        for provider, ext, cid in self.conn.execute(stmt):
            self._by_external[(provider, ext)] = int(cid)
        for player_id, name, birth in self.conn.execute(
            select(players.c.player_id, players.c.name, players.c.birth_date)
        ):
            if birth is not None:
                self._by_birth.setdefault(birth, []).append((name_key(name), player_id))

    def resolve(
        self,
        provider: str,
        provider_player_id: str,
        name: str,
        *,
        birth_date: date | None = None,
        nationality: str | None = None,
        position: str | None = None,
    ) -> int:
        if (found := self._by_external.get((provider, provider_player_id))) is not None:
            return found
        player_id = self._match_by_name(name, birth_date)
        if player_id is None:
            player_id = self.conn.execute(
                insert(players).values(name=name, birth_date=birth_date, nationality=nationality, position=position)
            ).inserted_primary_key[0]
            if birth_date is not None:
                self._by_birth.setdefault(birth_date, []).append((name_key(name), player_id))
        link_external(self.conn, provider, "player", {provider_player_id: player_id})
        self._by_external[(provider, provider_player_id)] = player_id
        return player_id

    def _match_by_name(self, name: str, birth_date: date | None) -> int | None:
        if birth_date is None:
            return None
        same_day = self._by_birth.get(birth_date, [])
        key = name_key(name)
        for known, player_id in same_day:
            if known == key:
                return player_id
        scored = [(fuzz.token_sort_ratio(key, known), player_id) for known, player_id in same_day]
        scored.sort(reverse=True)
        if scored and scored[0][0] >= self.threshold and (len(scored) == 1 or scored[1][0] < scored[0][0]):
            return scored[0][1]
        return None
