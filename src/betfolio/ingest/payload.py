"""Writing a mapped provider payload into the store: one payload, one transaction, raw bytes archived.

The one write path of every provider: the JSON providers hand over a whole parsed payload
(``store_parse_result``), football-data streams a file's chunks into the same writer (``open_payload``), so
archiving, fixture linking, corrections, plausibility flags and the run record follow one set of rules. Only the
team-name policy differs, by design of the identity layer: football-data defines teams and is matched exactly,
the other feeds are matched fuzzily against it.

The order inside the transaction matters: leagues and coverage, then teams (with their provider ids), fixtures
(linked across providers by resolved teams and kick-off time), then what hangs off a fixture — odds, live
states, statistics/events/lineups delivered on their own, players and injuries. A record that cannot be placed
(unknown team, fixture never seen) is reported with the reason; everything else in the payload still lands,
and a failure of the store itself rolls the payload back whole.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from betfolio.canonical import (
    Coverage,
    Injury,
    League,
    LiveMatchState,
    Match,
    MatchStatus,
    OddsQuote,
    Player,
    PlayerSeason,
    Team,
)
from betfolio.canonical.base import MAX_COUNTRY_LENGTH, MAX_NAME_LENGTH
from betfolio.listing import extend_capped
from betfolio.providers.base import ParseResult
from betfolio.providers.records import AccountStatus, FixturePlayerStatistics, FixtureStatistics, Lineup, MatchEvent
from betfolio.store.engine import write_transaction
from betfolio.store.identity import (
    PlayerResolver,
    StoredFixture,
    TeamResolver,
    UnresolvedTeamError,
    find_fixtures,
    link_external,
)
from betfolio.store.tables import matches_master
from betfolio.store.writer import (
    WriteResult,
    archive_payload,
    ensure_leagues,
    fixture_ids,
    insert_live_states,
    insert_quotes,
    link_fixtures,
    record_ingest_run,
    record_provider_status,
    update_match_parts,
    upsert_coverage,
    upsert_matches,
    upsert_player_season,
)


@dataclass
class PayloadSummary:
    provider: str
    endpoint: str
    source: str
    records: int = 0
    matches: int = 0
    matches_added: int = 0
    matches_linked: int = 0
    quotes: int = 0
    quotes_added: int = 0
    live_states_added: int = 0
    fixture_parts: int = 0
    players: int = 0
    injuries: int = 0
    coverage: int = 0
    filtered_out: int = 0
    new_payload: bool = True
    rejects: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    skipped: int = 0
    quotes_flagged: dict[str, int] = field(default_factory=dict)  # implausible quotes written, by reason
    corrected: int = 0  # stored prices/scores this payload changed (listed in ``problems``)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _keep(record: Any, league: str | None, season: str | None) -> bool:
    rec_league = getattr(record, "league", None)
    rec_season = getattr(record, "season", None)
    if league is not None and rec_league is not None and rec_league != league:
        return False
    if season is None or rec_season is None:
        return True
    # "2023" selects a calendar-year season and the split season starting that year ("2023-24").
    return rec_season == season or (len(season) == 4 and rec_season.startswith(f"{season}-"))


@contextmanager
def open_payload(
    engine: Engine,
    *,
    provider: str,
    endpoint: str,
    source: str,
    content: bytes,
    params: dict[str, Any] | None = None,
    league: str | None = None,
    season: str | None = None,
    parser_version: str = "1",
    started_at: datetime | None = None,
    create_teams: bool = True,
    results_authority: bool = True,
    fuzzy: bool = True,
    max_listed: int | None = None,
) -> Iterator[PayloadWriter]:
    """The one write path of every provider: a transaction holding the payload's raw bytes, what the caller
    writes through the yielded :class:`PayloadWriter` (in one call or chunk by chunk), and the ``ingest_runs``
    record proving it all landed. An exception inside rolls everything back, run record included.

    ``fuzzy`` is the provider's team-name policy (:class:`TeamResolver`): exact names only for a provider that
    defines the teams (football-data), fuzzy matching for feeds that spell them their own way. ``max_listed``
    caps the report's lists of a streamed payload (its size is unbounded; a JSON payload is in memory whole)."""
    summary = PayloadSummary(provider, endpoint, source)
    started = started_at or datetime.now(UTC)
    with write_transaction(engine) as conn:
        digest, summary.new_payload = archive_payload(
            conn, provider=provider, endpoint=endpoint, source=source, content=content, params=params
        )
        writer = PayloadWriter(
            conn,
            summary,
            create_teams=create_teams,
            results_authority=results_authority,
            fuzzy=fuzzy,
            max_listed=max_listed,
        )
        yield writer
        writer.finish()
        record_ingest_run(
            conn,
            provider=provider,
            source=source,
            sha256=digest,
            parser_version=parser_version,
            league=league,
            season=season,
            started_at=started,
            matches=summary.matches,
            matches_added=summary.matches_added,
            quotes=summary.quotes,
            quotes_added=summary.quotes_added,
            rejected=writer.input_rejected + len(summary.rejects) + writer.unlisted_rejects,
            rejects=writer.input_rejects + summary.rejects + summary.problems,
        )


def store_parse_result(
    engine: Engine,
    result: ParseResult,
    content: bytes,
    *,
    source: str,
    params: dict[str, Any] | None = None,
    league: str | None = None,
    season: str | None = None,
    parser_version: str = "1",
    create_teams: bool = True,
    results_authority: bool = True,
) -> PayloadSummary:
    """Store everything ``result`` holds, atomically, with the raw payload. ``league``/``season`` filter.

    ``results_authority=False`` (odds feeds) links fixtures other providers already stored without touching
    their status or score."""
    records = [r for r in result.records if _keep(r, league, season)]
    with open_payload(
        engine,
        provider=result.provider,
        endpoint=result.endpoint,
        source=source,
        content=content,
        params=params,
        league=league,
        season=season,
        parser_version=parser_version,
        create_teams=create_teams,
        results_authority=results_authority,
    ) as writer:
        summary = writer.summary
        summary.rejects = [str(r) for r in result.rejects]
        summary.skipped = len(result.skipped)
        summary.filtered_out = len(result.records) - len(records)
        summary.records = len(records)
        writer.write(records)
    return summary


class PayloadWriter:
    """Writes canonical records of one payload inside :func:`open_payload`'s transaction.

    ``write`` may be called once with everything (a JSON payload) or once per chunk (a streamed file): counts
    and reports accumulate in ``summary``, resolved teams and fixture ids are remembered across calls."""

    def __init__(
        self,
        conn: Connection,
        summary: PayloadSummary,
        *,
        create_teams: bool,
        results_authority: bool,
        fuzzy: bool,
        max_listed: int | None = None,
    ) -> None:
        self.max_listed = max_listed
        self.unlisted_rejects = 0
        self.conn, self.summary, self.create_teams = conn, summary, create_teams
        self.provider, self.source = summary.provider, summary.source
        self.results_authority = results_authority
        self.teams = TeamResolver(conn, fuzzy=fuzzy)
        self._players: PlayerResolver | None = None
        self.match_ids: dict[str, int] = {}
        self.written = WriteResult()  # corrections and plausibility flags of this payload
        self.input_rejects: list[str] = []  # what the parser refused, as recorded in the run (capped)
        self.input_rejected = 0  # …and how many there were in all

    def reject(self, lines: Sequence[str], count: int) -> None:
        """Count parser rejections of a streamed payload (listed up to ``MAX_LISTED``) for the run record."""
        self.input_rejected += count
        extend_capped(self.input_rejects, lines)

    def _list(self, target: list[str], lines: Sequence[str]) -> None:
        """Add report lines, at most ``max_listed`` per list when set (a streamed file of any size keeps a
        report of bounded size); rejected lines left out are counted in the run record."""
        left_out = extend_capped(target, lines, self.max_listed)
        if target is self.summary.rejects:
            self.unlisted_rejects += left_out

    def finish(self) -> None:
        """Move the payload's corrections and flags into the summary (once, after the last ``write``)."""
        self.summary.quotes_flagged = dict(sorted(self.written.flagged.items()))
        self.summary.corrected = self.written.corrected + self.written.refused
        self.summary.problems.extend(self.written.corrections)

    @property
    def players(self) -> PlayerResolver:
        if self._players is None:
            self._players = PlayerResolver(self.conn)
        return self._players

    def write(self, records: list[Any]) -> None:
        by_kind: dict[type, list[Any]] = defaultdict(list)
        for record in records:
            by_kind[type(record)].append(record)
        for league in by_kind[League]:
            self._league(league.code, league.name, league.country)
        for cov in by_kind[Coverage]:
            self._league(cov.league, cov.league, None)
            upsert_coverage(self.conn, cov)
            self.summary.coverage += 1
        self._teams(by_kind[Team])
        self._matches(by_kind[Match])
        self._quotes(by_kind[OddsQuote])
        self._live(by_kind[LiveMatchState])
        self._parts(by_kind[FixtureStatistics], by_kind[MatchEvent], by_kind[Lineup], by_kind[FixturePlayerStatistics])
        self._people(by_kind[Player], by_kind[PlayerSeason], by_kind[Injury])
        for status in by_kind[AccountStatus]:
            remaining = None
            if status.requests_limit_day is not None and status.requests_today is not None:
                remaining = max(0, status.requests_limit_day - status.requests_today)
            record_provider_status(
                self.conn, self.provider, circuit_state="closed", succeeded=True, quota_remaining_day=remaining
            )

    def _league(self, code: str, name: str, country: str | None) -> None:
        """Catalogue leagues keep their catalogue name; provider-only leagues (``AF-2``) get the provider's."""
        ensure_leagues(self.conn, [code], provider_names={code: (name, country)})

    # ---------------------------------------------------------------------------------------- teams
    def _resolve_team(self, name: str) -> int | None:
        try:
            return self.teams.resolve(self.provider, name, create=self.create_teams)
        except UnresolvedTeamError as exc:
            self._list(self.summary.rejects, [f"{self.provider}: {exc}"])
            return None

    def _teams(self, teams: list[Team]) -> None:
        links: dict[str, int] = {}
        for team in teams:
            team_id = self._resolve_team(team.name)
            if team_id is not None and team.provider_team_id:
                links[team.provider_team_id] = team_id
        link_external(self.conn, self.provider, "team", links)

    # -------------------------------------------------------------------------------------- fixtures
    def _matches(self, matches: list[Match]) -> None:
        if not matches:
            return
        self.summary.matches += len(matches)
        names: dict[str, tuple[str, str | None]] = {}
        for m in matches:
            name, country = m.detail.get("league_name"), m.detail.get("league_country")
            # A league name or country too long for the store is a broken payload: the code stands in for it.
            names.setdefault(
                m.league,
                (
                    name if isinstance(name, str) and 0 < len(name) <= MAX_NAME_LENGTH else m.league,
                    country if isinstance(country, str) and len(country) <= MAX_COUNTRY_LENGTH else None,
                ),
            )
        ensure_leagues(self.conn, names, provider_names=names)
        resolved: list[tuple[Match, int, int]] = []
        team_links: dict[str, int] = {}
        for m in matches:
            home, away = self._resolve_team(m.home_team), self._resolve_team(m.away_team)
            if home is None or away is None:
                continue
            for key, team_id in (("home_team_id", home), ("away_team_id", away)):
                if m.detail.get(key) is not None:
                    team_links[str(m.detail[key])] = team_id
            resolved.append((m, home, away))
        stored = find_fixtures(self.conn, [(m.league, home, away, m.kickoff) for m, home, away in resolved])
        to_upsert: list[Match] = []
        links: dict[tuple[str, str], int] = {}
        for (m, _, _), existing in zip(resolved, stored, strict=True):
            if existing is not None and self._keep_existing(existing, m):
                self.match_ids[m.provider_match_id] = existing.match_id
                links[(m.provider, m.provider_match_id)] = existing.match_id
                continue
            to_upsert.append(m)
        link_fixtures(self.conn, links)
        link_external(self.conn, self.provider, "team", team_links)
        if to_upsert:
            ids, written = upsert_matches(
                self.conn, to_upsert, self.teams, create_teams=self.create_teams, source=self.source
            )
            self.written.absorb(written)
            self.match_ids.update(ids)
            self.summary.matches_added += written.matches_added
            self._list(self.summary.rejects, [f"{self.provider}: {u}" for u in written.unresolved])
            self._list(self.summary.problems, written.duplicates)

    def _keep_existing(self, existing: StoredFixture, m: Match) -> bool:
        """Whether a fixture already stored (by any provider) must only be linked, not updated.

        Linked, not updated, when: it sits under another calendar day (providers disagree on kick-off time;
        the natural key is by day), this provider is not an authority on results (odds feeds), or another
        provider's stored match is final and this record is not (an older snapshot must never un-finish a
        match). The same provider's older capture of a finished match goes to ``upsert_matches``, which keeps
        the result and logs the refused change like any other correction.
        """
        other_provider = existing.source_provider != self.provider
        if other_provider:
            self.summary.matches_linked += 1
        if existing.match_date != m.kickoff.date():
            return True
        if other_provider and not self.results_authority:
            return True
        return other_provider and MatchStatus(existing.status).is_final and not m.status.is_final

    def _ids_for(self, provider_ids: set[str]) -> dict[str, int]:
        missing = provider_ids - self.match_ids.keys()
        if missing:
            self.match_ids.update(fixture_ids(self.conn, self.provider, missing))
        return self.match_ids

    # ------------------------------------------------------------------------------ odds, live states
    def _quotes(self, quotes: list[OddsQuote]) -> None:
        if not quotes:
            return
        self.summary.quotes += len(quotes)
        ids = self._ids_for({q.provider_match_id for q in quotes})
        added, problems = insert_quotes(self.conn, quotes, ids, source=self.source, result=self.written)
        self.summary.quotes_added += added
        self._list(self.summary.problems, problems)

    def _live(self, states: list[LiveMatchState]) -> None:
        if not states:
            return
        ids = self._ids_for({s.provider_match_id for s in states})
        added, problems = insert_live_states(self.conn, states, ids)
        self.summary.live_states_added += added
        self._list(self.summary.problems, problems)

    # ------------------------------------------------------------------------ separately sent parts
    def _parts(
        self,
        stats: list[FixtureStatistics],
        events: list[MatchEvent],
        lineups: list[Lineup],
        player_stats: list[FixturePlayerStatistics],
    ) -> None:
        pieces: dict[str, dict[str, Any]] = defaultdict(
            lambda: {"statistics": [], "lineups": [], "events": [], "players": []}
        )
        for s in stats:
            pieces[s.provider_match_id]["statistics"].append(s)
        for e in events:
            pieces[e.provider_match_id]["events"].append(e)
        for lineup in lineups:
            pieces[lineup.provider_match_id]["lineups"].append(lineup)
        for p in player_stats:
            pieces[p.provider_match_id]["players"].append(p)
        if not pieces:
            return
        ids = self._ids_for(set(pieces))
        for pid, part in pieces.items():
            match_id = ids.get(pid)
            if match_id is None:
                self.summary.problems.append(f"fixture {pid!r} not in the store: its statistics/events/lineups skipped")
                continue
            detail = self.conn.execute(
                select(matches_master.c.detail).where(matches_master.c.match_id == match_id)
            ).scalar_one()
            home_id = str((detail or {}).get("home_team_id"))
            away_id = str((detail or {}).get("away_team_id"))

            def side(record: Any, home_id: str = home_id, away_id: str = away_id) -> str | None:
                if record.side:
                    return record.side
                if record.provider_team_id == home_id:
                    return "home"
                return "away" if record.provider_team_id == away_id else None

            statistics: dict[str, dict[str, float]] = {}
            for s in part["statistics"]:
                if (where := side(s)) is not None:
                    statistics[where] = s.statistics
            lineup_map = {
                where: lu.model_dump(exclude={"provider", "provider_match_id", "side"})
                for lu in part["lineups"]
                if (where := side(lu)) is not None
            }
            extra: dict[str, Any] = {}
            if part["events"]:
                extra["events"] = [
                    {**e.model_dump(exclude={"provider", "provider_match_id"}), "side": side(e)} for e in part["events"]
                ]
            if part["players"]:
                extra["player_statistics"] = [p.model_dump(exclude={"provider"}) for p in part["players"]]
            if update_match_parts(self.conn, match_id, statistics=statistics, lineups=lineup_map, detail=extra):
                self.summary.fixture_parts += 1

    # --------------------------------------------------------------------------------------- people
    def _people(self, players: list[Player], seasons: list[PlayerSeason], injuries: list[Injury]) -> None:
        if not (players or seasons or injuries):
            return
        known: dict[str, int] = {}
        for p in players:
            known[p.provider_player_id] = self.players.resolve(
                self.provider,
                p.provider_player_id,
                p.name,
                birth_date=p.birth_date,
                nationality=p.nationality,
                position=p.position,
            )
            self.summary.players += 1
        for ps in seasons:
            player_id = known.get(ps.provider_player_id) or self.players.resolve(
                self.provider, ps.provider_player_id, ps.name
            )
            team_id = self.teams.lookup(self.provider, ps.team) if ps.team else None
            # A season can span several competitions and clubs (cups, a January move): one block each, keyed
            # "<league>/<team>" so one never overwrites another.
            block = f"{ps.league or '?'}/{ps.team or '?'}"
            upsert_player_season(
                self.conn,
                player_id,
                ps.season,
                team_id=team_id,
                league=ps.league,
                performance={block: {"provider": ps.provider, **ps.performance}},
            )
        for inj in injuries:
            if inj.season is None:
                self.summary.problems.append(f"injury of {inj.player_name!r} has no season: skipped")
                continue
            player_id = self.players.resolve(self.provider, inj.provider_player_id, inj.player_name)
            team_id = self.teams.lookup(self.provider, inj.team) if inj.team else None
            report = {
                "type": inj.injury_type,
                "reason": inj.reason,
                "date": inj.on_date.isoformat() if inj.on_date else None,
                "fixture": inj.provider_match_id,
                "provider": inj.provider,
            }
            upsert_player_season(
                self.conn, player_id, inj.season, team_id=team_id, league=inj.league, injuries=[report]
            )
            self.summary.injuries += 1
