"""Writing canonical records: idempotent upserts inside the caller's transaction.

The caller owns the transaction (one per provider payload / file, opened with ``write_transaction``), so a
failure anywhere leaves nothing half-written, and a re-run adds nothing that is already there.

Corrections are explicit: when a later capture changes a stored value (a price, a score, a status), the newer
capture wins and the change is logged in ``corrections`` with the old and the new value and its source — except
that a finished match never goes back to scheduled or in play (that change is logged as refused). Every quote is
written with its plausibility flag (:mod:`betfolio.markets.plausibility`).
"""

from __future__ import annotations

import csv
import hashlib
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import Connection, String, Table, and_, bindparam, func, insert, select, tuple_, type_coerce, update

from betfolio.canonical import Coverage, Match, MatchStatus, OddsQuote
from betfolio.listing import extend_capped
from betfolio.markets.plausibility import flag_quotes
from betfolio.store.bulk import insert_ignore
from betfolio.store.identity import TeamResolver, UnresolvedTeamError
from betfolio.store.tables import (
    LINE_KEY_NULL,
    corrections,
    coverage,
    daily_betting_lines,
    identity_map,
    ingest_runs,
    leagues,
    matches_master,
    raw_payloads,
)

FIXTURE = "fixture"


@cache
def league_catalogue() -> dict[str, tuple[str, str]]:
    ref = resources.files("betfolio.data").joinpath("leagues.csv")
    with ref.open(newline="", encoding="utf-8") as fh:
        return {r["code"]: (r["name"], r["country"]) for r in csv.DictReader(fh)}


@dataclass
class WriteResult:
    matches: int = 0
    matches_added: int = 0
    matches_updated: int = 0
    quotes: int = 0
    quotes_added: int = 0
    unresolved: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    corrected: int = 0  # stored values a newer capture changed (prices, scores, statuses)
    refused: int = 0  # changes refused by a rule (a finished match going back to scheduled)
    corrections: list[str] = field(default_factory=list)  # the first MAX_LISTED of both, with old and new values
    flagged: Counter[str] = field(default_factory=Counter)  # implausible quotes written, by reason

    def note(self, line: str) -> None:
        extend_capped(self.corrections, [line])

    def absorb(self, other: WriteResult) -> None:
        """Add another write's counts and (capped) lists to this one's."""
        self.matches += other.matches
        self.matches_added += other.matches_added
        self.matches_updated += other.matches_updated
        self.quotes += other.quotes
        self.quotes_added += other.quotes_added
        extend_capped(self.unresolved, other.unresolved)
        extend_capped(self.duplicates, other.duplicates)
        self.corrected += other.corrected
        self.refused += other.refused
        extend_capped(self.corrections, other.corrections)
        self.flagged.update(other.flagged)


def ensure_leagues(
    conn: Connection, codes: Iterable[str], *, provider_names: Mapping[str, tuple[str, str | None]] | None = None
) -> None:
    """Add missing league rows. Catalogue leagues keep their catalogue name; leagues outside it (``AF-2``) take
    the name their provider gives in ``provider_names``, else their code."""
    wanted = set(codes)
    if not wanted:
        return
    present = set(conn.execute(select(leagues.c.code).where(leagues.c.code.in_(wanted))).scalars())
    catalogue = league_catalogue()
    rows = []
    for code in sorted(wanted - present):
        name, country = catalogue.get(code) or (provider_names or {}).get(code) or (code, None)
        rows.append({"code": code, "name": name[:128], "country": country or None})
    insert_ignore(conn, leagues, rows)  # a concurrent writer may add the same league: not an error


def archive_payload(
    conn: Connection, *, provider: str, endpoint: str, source: str, content: bytes, params: dict[str, Any] | None = None
) -> tuple[str, bool]:
    """Keep the raw bytes (zlib-compressed), so a better mapper can replay history. Returns (sha256, is_new)."""
    digest = hashlib.sha256(content).hexdigest()
    exists = conn.execute(select(raw_payloads.c.payload_id).where(raw_payloads.c.sha256 == digest)).first()
    if exists is not None:
        return digest, False
    row = {
        "provider": provider,
        "endpoint": endpoint,
        "source": source,
        "sha256": digest,
        "content": zlib.compress(content, 6),
        "encoding": "zlib",
        "params": params or {},
        "fetched_at": datetime.now(UTC),
    }
    # Insert-or-ignore: a concurrent writer archiving the same bytes is not an error.
    return digest, insert_ignore(conn, raw_payloads, [row]) == 1


def record_ingest_run(
    conn: Connection,
    *,
    provider: str,
    source: str,
    sha256: str,
    parser_version: str,
    league: str | None,
    season: str | None,
    started_at: datetime,
    matches: int,
    matches_added: int,
    quotes: int,
    quotes_added: int,
    rejected: int,
    rejects: Sequence[str],
) -> None:
    """The ``ingest_runs`` row written in the same transaction as the payload it describes: its presence proves
    the payload is completely stored (which is what lets an unchanged file be skipped on re-ingest)."""
    conn.execute(
        insert(ingest_runs).values(
            provider=provider,
            source=source,
            sha256=sha256,
            parser_version=parser_version,
            league=league,
            season=season,
            started_at=started_at,
            finished_at=datetime.now(UTC),
            matches=matches,
            matches_added=matches_added,
            quotes=quotes,
            quotes_added=quotes_added,
            rejected=rejected,
            rejects=list(rejects),
        )
    )


def _insert_or_update(conn: Connection, table: Table, identity: dict[str, Any], values: dict[str, Any]) -> None:
    """Set ``values`` on the row of ``table`` that ``identity`` (its key columns) names, adding it if missing."""
    key = and_(*(table.c[name] == value for name, value in identity.items()))
    if conn.execute(select(*(table.c[name] for name in identity)).where(key)).first() is None:
        conn.execute(insert(table).values(**identity, **values))
    else:
        conn.execute(update(table).where(key).values(**values))


def upsert_coverage(conn: Connection, record: Coverage) -> None:
    identity = {"provider": record.provider, "league": record.league, "season": record.season}
    values = {"flags": record.flags, "statistics": list(record.statistics), "updated_at": datetime.now(UTC)}
    _insert_or_update(conn, coverage, identity, values)


_MATCH_FIELDS = (
    "status",
    "home_goals",
    "away_goals",
    "ht_home_goals",
    "ht_away_goals",
    "et_home_goals",
    "et_away_goals",
    "pen_home_goals",
    "pen_away_goals",
    "referee",
    "venue",
)


def _merged_statistics(old: dict[str, dict[str, float]], new: dict[str, dict[str, float]]) -> dict[str, Any]:
    return {side: {**(old or {}).get(side, {}), **new.get(side, {})} for side in ("home", "away")}


_RESULT_FIELDS = frozenset(_MATCH_FIELDS) - {"referee", "venue"}


def _match_changes(
    conn: Connection, row: Mapping[str, Any], values: dict[str, Any], record: Match, source: str, result: WriteResult
) -> dict[str, Any]:
    """What of ``values`` may change the stored ``row``, logging every corrected or refused value."""
    changes = {k: v for k, v in values.items() if v is not None and row[k] != v}
    if not changes:
        return changes
    now = datetime.now(UTC)
    label = f"{record.provider_match_id}"
    log: list[dict[str, Any]] = []
    if MatchStatus(row["status"]).is_final and not record.status.is_final:
        # A finished match never regresses: an older snapshot (or a file cut after the team names) keeps nothing.
        refused = {k: changes.pop(k) for k in list(changes) if k in _RESULT_FIELDS}
        for name, new in refused.items():
            log.append(_correction(row["match_id"], name, row[name], new, source, "final_kept", False, now))
        result.refused += 1
        result.note(f"{label}: stays {row['status']} (this capture says {record.status.value}): change refused")
    corrected = {k: v for k, v in changes.items() if row[k] is not None}
    for name, new in corrected.items():
        log.append(_correction(row["match_id"], name, row[name], new, source, "newer_capture", True, now))
    if corrected:
        result.corrected += 1
        what = ", ".join(f"{k} {row[k]} -> {v}" for k, v in corrected.items())
        result.note(f"{label}: corrected by {source or record.provider}: {what}")
    if log:
        conn.execute(insert(corrections), log)
    return changes


def _correction(
    match_id: int,
    name: str,
    old: Any,
    new: Any,
    source: str,
    rule: str,
    applied: bool,
    now: datetime,
    *,
    entity: str = "match",
    key: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One ``corrections`` row: a match field, or (``entity="quote"`` with the quote's ``key``) a stored price."""
    return {
        "entity": entity,
        "match_id": match_id,
        "key": key or {},
        "field": name,
        "old_value": old,
        "new_value": new,
        "source": source,
        "rule": rule,
        "applied": applied,
        "corrected_at": now,
    }


def upsert_matches(
    conn: Connection, records: Sequence[Match], resolver: TeamResolver, *, create_teams: bool, source: str = ""
) -> tuple[dict[str, int], WriteResult]:
    """Insert new matches, fill in what changed on known ones (logging corrections); returns provider_match_id →
    match_id."""
    result = WriteResult(matches=len(records))
    ensure_leagues(conn, {m.league for m in records})
    resolved: list[tuple[Match, int, int]] = []
    for record in records:
        try:
            home = resolver.resolve(record.provider, record.home_team, create=create_teams)
            away = resolver.resolve(record.provider, record.away_team, create=create_teams)
        except UnresolvedTeamError as exc:
            result.unresolved.append(str(exc))
            continue
        resolved.append((record, home, away))

    keys = {(m.league, m.season) for m, _, _ in resolved}
    existing: dict[tuple[Any, ...], Any] = {}
    if keys:
        rows = conn.execute(
            select(matches_master).where(tuple_(matches_master.c.league, matches_master.c.season).in_(list(keys)))
        ).mappings()
        for row in rows:
            natural = (row["league"], row["season"], row["home_team_id"], row["away_team_id"], row["match_date"])
            existing[natural] = row

    now = datetime.now(UTC)
    ids: dict[str, int] = {}
    new_rows: list[dict[str, Any]] = []
    new_ids: dict[tuple[Any, ...], list[str]] = {}  # natural key → provider ids waiting for the new match id
    for record, home, away in resolved:
        natural = (record.league, record.season, home, away, record.kickoff.date())
        row = existing.get(natural)
        values = {f: getattr(record, f) for f in _MATCH_FIELDS}
        values["status"] = record.status.value
        if row is None:
            if natural in new_ids:
                result.duplicates.append(f"{record.provider_match_id}: listed twice, first occurrence kept")
                new_ids[natural].append(record.provider_match_id)
                continue
            new_ids[natural] = [record.provider_match_id]
            new_rows.append(
                dict(
                    league=record.league,
                    season=record.season,
                    match_date=record.kickoff.date(),
                    kickoff_utc=record.kickoff,
                    kickoff_time_known=record.kickoff_time_known,
                    home_team_id=home,
                    away_team_id=away,
                    statistics=record.statistics,
                    lineups=record.lineups,
                    detail=record.detail,
                    source_provider=record.provider,
                    updated_at=now,
                    **values,
                )
            )
        else:
            match_id = row["match_id"]
            changes = _match_changes(conn, row, values, record, source, result)
            stats = _merged_statistics(row["statistics"], record.statistics)
            if stats != row["statistics"]:
                changes["statistics"] = stats
            if record.lineups and record.lineups != row.get("lineups"):
                changes["lineups"] = record.lineups
            if changes:
                conn.execute(
                    update(matches_master)
                    .where(matches_master.c.match_id == match_id)
                    .values(**changes, updated_at=now)
                )
                result.matches_updated += 1
            ids[record.provider_match_id] = match_id
    if new_rows:
        # One multi-row INSERT … RETURNING, ids in parameter order.
        inserted = conn.execute(
            insert(matches_master).returning(matches_master.c.match_id, sort_by_parameter_order=True), new_rows
        ).scalars()
        for provider_ids, match_id in zip(new_ids.values(), inserted, strict=True):
            ids.update(dict.fromkeys(provider_ids, match_id))
        result.matches_added += len(new_rows)
    link_fixtures(conn, {(r.provider, r.provider_match_id): ids[r.provider_match_id] for r, _, _ in resolved})
    return ids, result


def link_fixtures(conn: Connection, links: dict[tuple[str, str], int]) -> None:
    """Remember which canonical match a provider's fixture id is (idempotent)."""
    if not links:
        return
    rows = [
        {"provider": p, "entity": FIXTURE, "external_id": ext, "canonical_id": str(mid)}
        for (p, ext), mid in links.items()
    ]
    insert_ignore(conn, identity_map, rows)


def fixture_ids(conn: Connection, provider: str, external_ids: Iterable[str]) -> dict[str, int]:
    wanted = list(set(external_ids))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        stmt = select(identity_map.c.external_id, identity_map.c.canonical_id).where(
            identity_map.c.provider == provider,
            identity_map.c.entity == FIXTURE,
            identity_map.c.external_id.in_(chunk),
        )
        found.update({ext: int(cid) for ext, cid in conn.execute(stmt)})
    return found


QUOTE_COLUMNS = (
    "match_id",
    "provider",
    "bookmaker",
    "market",
    "selection",
    "line",
    "odds",
    "quoted_at",
    "ingested_at",
    "is_closing",
    "in_play",
    "flag",
)


_QUOTE_KEY = ("match_id", "provider", "bookmaker", "market", "selection", "line", "is_closing", "quoted_at")


def insert_quotes(
    conn: Connection,
    records: Sequence[OddsQuote],
    match_ids: dict[str, int],
    *,
    source: str = "",
    result: WriteResult | None = None,
) -> tuple[int, list[str]]:
    """Write quotes whose match is known, each with its plausibility flag. A quote already stored is left alone
    when its price is unchanged, and corrected (newer capture wins, logged) when it differs. Returns (rows added,
    problems); corrections and flag counts accumulate in ``result`` when given."""
    result = result if result is not None else WriteResult()
    rows: list[tuple[Any, ...]] = []
    missing: set[str] = set()
    flags = flag_quotes(records)
    for q, flag in zip(records, flags, strict=True):
        match_id = match_ids.get(q.provider_match_id)
        if match_id is None:
            missing.add(q.provider_match_id)
            continue
        rows.append(
            (
                match_id,
                q.provider,
                q.bookmaker,
                q.market.value,
                q.selection.value,
                q.line,
                q.odds,
                q.quoted_at,
                q.ingested_at,
                q.is_closing,
                q.in_play,
                flag,
            )
        )
        if flag is not None:
            result.flagged[flag] += 1
    added = insert_ignore(conn, daily_betting_lines, rows, columns=QUOTE_COLUMNS)
    if added < len(rows):
        _correct_quotes(conn, rows, source, result)
    problems = [f"quotes for unknown fixture {pid!r} skipped" for pid in sorted(missing)]
    return added, problems


def _correct_quotes(conn: Connection, rows: list[tuple[Any, ...]], source: str, result: WriteResult) -> None:
    """Update stored quotes whose price (or flag) the new rows change, logging each changed price."""
    dbl = daily_betting_lines
    index = {c: i for i, c in enumerate(QUOTE_COLUMNS)}
    key_at = [index[c] for c in _QUOTE_KEY]
    match_ids = sorted({r[0] for r in rows})
    providers = sorted({r[1] for r in rows})
    # Timestamps are compared in their stored form: converting every stored one back to a datetime would cost
    # more than the rest of a forced re-ingest (new rows share a few timestamps, so theirs are memoised).
    dialect = conn.dialect
    to_stored = dbl.c.quoted_at.type.dialect_impl(dialect).bind_processor(dialect) or (lambda value: value)
    stored_time: dict[datetime, Any] = {}
    raw_time = type_coerce(dbl.c.quoted_at, String) if dialect.name == "sqlite" else dbl.c.quoted_at
    stored: dict[tuple[Any, ...], tuple[float, str | None]] = {}
    for start in range(0, len(match_ids), 500):
        stmt = select(*(dbl.c[c] for c in _QUOTE_KEY[:7]), raw_time, dbl.c.odds, dbl.c.flag).where(
            dbl.c.match_id.in_(match_ids[start : start + 500]), dbl.c.provider.in_(providers)
        )
        for r in conn.execute(stmt):
            stored[(*r[:6], bool(r[6]), r[7])] = (r[8], r[9])
    updates: list[dict[str, Any]] = []
    log: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    for row in rows:
        key = tuple(row[i] for i in key_at)
        if (when := stored_time.get(key[7])) is None:
            when = stored_time[key[7]] = to_stored(key[7])
        old = stored.get((*key[:6], bool(key[6]), when))
        key = (*key[:6], bool(key[6]), key[7])
        odds, flag = row[index["odds"]], row[index["flag"]]
        if old is None or (old[0] == odds and old[1] == flag):
            continue
        update_row = {f"k_{c}": v for c, v in zip(_QUOTE_KEY, key, strict=True)}
        updates.append(update_row | {"v_odds": odds, "v_flag": flag, "v_ingested_at": row[index["ingested_at"]]})
        if old[0] == odds:
            continue  # only the flag changed (its context did): not a correction of the price
        match_id, provider, bookmaker, market, selection, line, is_closing, quoted_at = key
        detail = {
            "provider": provider,
            "bookmaker": bookmaker,
            "market": market,
            "selection": selection,
            "line": line,
            "is_closing": is_closing,
            "quoted_at": quoted_at.isoformat(),
        }
        log.append(
            _correction(match_id, "odds", old[0], odds, source, "newer_capture", True, now, entity="quote", key=detail)
        )
        result.corrected += 1
        line_text = "" if line is None else f" {line:+g}"
        where = f"{bookmaker} {market} {selection}{line_text}{' closing' if is_closing else ''}"
        result.note(f"match {match_id} {where}: price corrected {old[0]:g} -> {odds:g} by {source or provider}")
    if updates:
        stmt = (
            update(dbl)
            .where(
                dbl.c.match_id == bindparam("k_match_id"),
                dbl.c.provider == bindparam("k_provider"),
                dbl.c.bookmaker == bindparam("k_bookmaker"),
                dbl.c.market == bindparam("k_market"),
                dbl.c.selection == bindparam("k_selection"),
                func.coalesce(dbl.c.line, LINE_KEY_NULL) == func.coalesce(bindparam("k_line"), LINE_KEY_NULL),
                dbl.c.is_closing == bindparam("k_is_closing"),
                dbl.c.quoted_at == bindparam("k_quoted_at"),
            )
            .values(odds=bindparam("v_odds"), flag=bindparam("v_flag"), ingested_at=bindparam("v_ingested_at"))
        )
        conn.execute(stmt, updates)
    if log:
        conn.execute(insert(corrections), log)


# --------------------------------------------------------------------------- provider adapters (HTTP feeds)
def mark_payload_fetched(conn: Connection, sha256: str, fetched_at: datetime) -> None:
    """The same bytes fetched again are fresh again: move ``fetched_at`` forward (never back)."""
    conn.execute(
        update(raw_payloads)
        .where(raw_payloads.c.sha256 == sha256, raw_payloads.c.fetched_at < fetched_at)
        .values(fetched_at=fetched_at)
    )


def record_provider_status(
    conn: Connection,
    provider: str,
    *,
    circuit_state: str,
    succeeded: bool | None = None,
    error: str | None = None,
    quota_remaining_day: int | None = None,
    quota_remaining_minute: int | None = None,
    at: datetime | None = None,
) -> None:
    """Upsert the provider's health row (circuit state, last success/failure, quota) for the app and metrics."""
    from betfolio.store.tables import provider_status

    now = at or datetime.now(UTC)
    values: dict[str, Any] = {"circuit_state": circuit_state, "updated_at": now}
    if succeeded is True:
        values["last_success_at"] = now
    elif succeeded is False:
        values["last_failure_at"] = now
        values["last_error"] = (error or "")[:2000]
    if quota_remaining_day is not None:
        values["quota_remaining_day"] = quota_remaining_day
    if quota_remaining_minute is not None:
        values["quota_remaining_minute"] = quota_remaining_minute
    _insert_or_update(conn, provider_status, {"provider": provider}, values)


def update_match_parts(
    conn: Connection,
    match_id: int,
    *,
    statistics: dict[str, dict[str, float]] | None = None,
    lineups: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
) -> bool:
    """Merge separately delivered statistics / lineups / detail (events, player statistics) into a match."""
    row = conn.execute(
        select(matches_master.c.statistics, matches_master.c.lineups, matches_master.c.detail).where(
            matches_master.c.match_id == match_id
        )
    ).first()
    if row is None:
        return False
    changes: dict[str, Any] = {}
    if statistics:
        merged = _merged_statistics(row.statistics, statistics)
        if merged != row.statistics:
            changes["statistics"] = merged
    if lineups:
        merged_lineups = {**(row.lineups or {}), **lineups}
        if merged_lineups != row.lineups:
            changes["lineups"] = merged_lineups
    if detail:
        merged_detail = {**(row.detail or {}), **detail}
        if merged_detail != row.detail:
            changes["detail"] = merged_detail
    if changes:
        conn.execute(
            update(matches_master)
            .where(matches_master.c.match_id == match_id)
            .values(**changes, updated_at=datetime.now(UTC))
        )
    return bool(changes)


def insert_live_states(conn: Connection, states: Sequence[Any], match_ids: dict[str, int]) -> tuple[int, list[str]]:
    """Store LiveMatchState snapshots of known fixtures (idempotent on match, provider, observed_at)."""
    from betfolio.store.tables import live_states

    now = datetime.now(UTC)
    rows, missing = [], set()
    for s in states:
        match_id = match_ids.get(s.provider_match_id)
        if match_id is None:
            missing.add(s.provider_match_id)
            continue
        rows.append(
            {
                "match_id": match_id,
                "provider": s.provider,
                "observed_at": s.observed_at,
                "minute": s.minute,
                "status": s.status.value,
                "home_goals": s.home_goals,
                "away_goals": s.away_goals,
                "statistics": {
                    **s.statistics,
                    "red_cards": {"home": s.home_red_cards, "away": s.away_red_cards},
                },
                "data_staleness": s.data_staleness,
                "ingested_at": now,
            }
        )
    added = insert_ignore(conn, live_states, rows)
    return added, [f"live state for unknown fixture {pid!r} skipped" for pid in sorted(missing)]


def upsert_player_season(
    conn: Connection,
    player_id: int,
    season: str,
    *,
    team_id: int | None = None,
    league: str | None = None,
    performance: dict[str, Any] | None = None,
    injuries: list[dict[str, Any]] | None = None,
) -> None:
    """Merge one player's season performance and injury reports into ``players_db`` (injuries de-duplicated)."""
    from betfolio.store.tables import players_db

    key = and_(players_db.c.player_id == player_id, players_db.c.season == season)
    row = conn.execute(select(players_db).where(key)).mappings().first()
    now = datetime.now(UTC)
    if row is None:
        conn.execute(
            insert(players_db).values(
                player_id=player_id,
                season=season,
                team_id=team_id,
                league=league,
                performance=performance or {},
                injuries=injuries or [],
                updated_at=now,
            )
        )
        return
    known = list(row["injuries"] or [])
    merged_injuries = known + [i for i in injuries or [] if i not in known]
    values: dict[str, Any] = {"injuries": merged_injuries, "updated_at": now}
    if performance:
        values["performance"] = {**(row["performance"] or {}), **performance}
    if team_id is not None:
        values["team_id"] = team_id
    if league is not None:
        values["league"] = league
    conn.execute(update(players_db).where(key).values(**values))
