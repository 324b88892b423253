"""Team identity across providers.

"Man United", "Manchester United" and "Man Utd" must be one team, or odds from one provider will never meet
results from another. Resolution order: this provider's known alias → the shipped alias file → an exact
normalised name any provider already uses → (for providers allowed to create teams) a new team. A name that
matches nothing is reported, never silently guessed.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources

from sqlalchemy import Connection, insert, select

from betfolio.store.tables import team_aliases, teams

_NON_WORD = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")


def name_key(name: str) -> str:
    """Case-, accent- and punctuation-insensitive key: "Nott'm Forest" → "nottm forest", "Köln" → "koln"."""
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    lowered = ascii_only.casefold().replace("&", " and ").replace("'", "")
    return _SPACES.sub(" ", _NON_WORD.sub(" ", lowered)).strip()


class UnresolvedTeamError(LookupError):
    def __init__(self, provider: str, name: str, suggestions: list[str] | None = None) -> None:
        self.provider, self.name, self.suggestions = provider, name, suggestions or []
        hint = f" (closest: {', '.join(self.suggestions)})" if self.suggestions else ""
        super().__init__(f"unknown team {name!r} from provider {provider!r}{hint}")


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

    def resolve(self, provider: str, name: str, *, create: bool) -> int:
        """Team id for ``name``; creates the team when ``create`` (a provider trusted to define teams)."""
        found = self.lookup(provider, name)
        if found is not None:
            return found
        if not create or not name_key(name):
            raise UnresolvedTeamError(provider, name)
        canonical = self.aliases.canonical(name) or name.strip()
        team_id = self.conn.execute(
            insert(teams).values(name=canonical, name_key=name_key(canonical), created_at=datetime.now(UTC))
        ).inserted_primary_key[0]
        self._by_name[name_key(canonical)] = team_id
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
        self.conn.execute(
            insert(team_aliases).values(
                provider=provider, alias_key=key, alias=name, team_id=team_id, method=method, confidence=confidence
            )
        )
        self._by_alias[(provider, key)] = team_id
        self._any_alias.setdefault(key, team_id)
