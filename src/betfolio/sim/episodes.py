"""Matches → compact numpy arrays the simulator replays.

Built once per run from the store (``matches_master`` + ``daily_betting_lines`` + ``coverage`` + ``live_states``)
with :func:`load_matchset`; :func:`load_sample_matchset` does the same on the bundled football-data sample
(ingested into an in-memory store; used by tests, benchmarks and the demo).

What a decision may use: the pre-match prices the engine's as-of rule allows (:mod:`betfolio.engine.asof`);
closing prices are kept separately for evaluation (closing line value) and never enter an observation.
A match without a regular-time result, or without a complete pre-match 1X2 price, is excluded and counted with
its reason (:attr:`MatchSet.exclusions`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from betfolio.canonical import TOTALS_LINE, is_aggregate_bookmaker
from betfolio.engine.asof import DEFAULT_AS_OF, AsOfRule
from betfolio.features.live import MATCH_STATS
from betfolio.features.prematch import BOOKMAKER_PREFERENCE
from betfolio.markets.margin import remove_margin_multiplicative
from betfolio.store.queries import (
    QUOTE_COLUMNS,
    coverage_statistics,
    live_state_rows,
    matches_query,
    quotes_for_matches,
)

SELECTIONS_1X2 = ("home", "draw", "away")


@dataclass(frozen=True, slots=True)
class Exclusion:
    match_id: int | str
    reason: str


@dataclass(slots=True)
class LiveTrack:
    """Real minute-level states of one match (from ``live_states``), in minute order."""

    minutes: np.ndarray  # int [n]
    goals: np.ndarray  # int [n, 2]
    stats: np.ndarray  # float [n, len(MATCH_STATS), 2], NaN = not delivered
    staleness: np.ndarray  # float [n] seconds
    finished: bool


_ARRAY_FIELDS = (
    "match_id",
    "league",
    "season",
    "kickoff",
    "decision_at",
    "home_team",
    "away_team",
    "prematch_fair",
    "prematch_odds",
    "bet_bookmaker",
    "fair_over",
    "closing_odds",
    "full_time",
    "half_time",
    "stat_totals",
)
#: Market arrays a match set may lack (built by hand or before they existed): the features mask them then.
_OPTIONAL_ARRAYS = ("n_books", "best_odds", "opening_fair")


@dataclass(slots=True)
class EventMinutes:
    """Regular-time minutes (1…90) of a match's real goals and cards, per side: counts ``[2, 90]``.

    ``goals`` is None when the events do not reproduce the stored score (then the timeline places goals
    itself); cards are kept when events were delivered at all (zero cards is then a fact).
    """

    goals: np.ndarray | None
    red_cards: np.ndarray
    yellow_cards: np.ndarray


def _regular_minute(event: dict[str, Any]) -> int | None:
    """Minute 1…90 of an event in regular time (stoppage folds into 45/90); None in extra time or unknown."""
    minute = event.get("minute")
    if minute is None or minute > 90:
        return None
    return min(max(int(minute), 1), 90)


def event_minutes(events: Any, full_time: tuple[int, int], half_time: tuple[int, int] | None) -> EventMinutes | None:
    """Goals and cards by minute from provider events (``detail["events"]``), checked against the stored score.

    Own goals are tried both ways (providers differ on whether the event's team is the scorer's or the
    beneficiary's); the reading that reproduces the full-time (and half-time) score wins, else goals are unused.
    """
    if not isinstance(events, list) or not events:
        return None
    side_index = {"home": 0, "away": 1}
    goals: list[tuple[int, int, bool]] = []
    red = np.zeros((2, 90), np.int64)
    yellow = np.zeros((2, 90), np.int64)
    for event in events:
        if not isinstance(event, dict) or event.get("side") not in side_index:
            continue
        minute = _regular_minute(event)
        if minute is None:
            continue
        side = side_index[event["side"]]
        kind = str(event.get("type") or "").casefold()
        detail = str(event.get("detail") or "").casefold()
        if kind == "goal" and "missed" not in detail:
            goals.append((minute, side, "own" in detail))
        elif kind == "card" and ("red" in detail or "second yellow" in detail):
            red[side, minute - 1] += 1
        elif kind == "card" and "yellow" in detail:
            yellow[side, minute - 1] += 1
    chosen = None
    for flip_own in (False, True):
        counts = np.zeros((2, 90), np.int64)
        for minute, side, own in goals:
            counts[1 - side if (own and flip_own) else side, minute - 1] += 1
        if tuple(counts.sum(1)) != tuple(full_time):
            continue
        if half_time is not None and tuple(counts[:, :45].sum(1)) != tuple(half_time):
            continue
        chosen = counts
        break
    return EventMinutes(chosen, red, yellow)


@dataclass
class MatchSet:
    """One row per replayable match; arrays share the first axis."""

    match_id: np.ndarray  # int64 (store id) or running index for the sample
    league: np.ndarray  # object
    season: np.ndarray  # object
    kickoff: np.ndarray  # datetime64[s], UTC
    decision_at: np.ndarray  # datetime64[s], UTC: when the as-of rule decides (the latest usable quote)
    home_team: np.ndarray  # object
    away_team: np.ndarray  # object
    prematch_fair: np.ndarray  # [n, 3] margin-free 1X2 probabilities at decision time
    prematch_odds: np.ndarray  # [n, 3] price a pre-match bet is struck at (bet_bookmaker, non-closing)
    bet_bookmaker: np.ndarray  # object
    fair_over: np.ndarray  # [n] margin-free P(over 2.5), NaN when no totals price
    closing_odds: np.ndarray  # [n, 3] closing 1X2 of bet_bookmaker (evaluation only), NaN when absent
    full_time: np.ndarray  # int [n, 2]
    half_time: np.ndarray  # int [n, 2], -1 when unknown
    stat_totals: np.ndarray  # float [n, len(MATCH_STATS), 2], NaN when missing or not covered
    n_books: np.ndarray | None = None  # [n] real bookmakers with a complete 1X2 book at decision time
    best_odds: np.ndarray | None = None  # [n, 3] best 1X2 price of any real bookmaker at decision time
    opening_fair: np.ndarray | None = None  # [n, 3] consensus at the earliest snapshot; NaN if only one snapshot
    live: dict[int, LiveTrack] = field(default_factory=dict)  # row index → real minute-level data
    events: dict[int, EventMinutes] = field(default_factory=dict)  # row index → real goal/card minutes
    exclusions: list[Exclusion] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.match_id)

    @property
    def exclusion_counts(self) -> dict[str, int]:
        return dict(Counter(e.reason for e in self.exclusions))

    def subset(self, rows: np.ndarray | Sequence[int]) -> MatchSet:
        """The matches at ``rows`` (boolean mask or indices), exclusions kept."""
        idx = np.arange(len(self))[np.asarray(rows)] if np.asarray(rows).dtype == bool else np.asarray(rows, int)
        remap = {int(old): new for new, old in enumerate(idx)}
        arrays = {name: getattr(self, name)[idx] for name in _ARRAY_FIELDS}
        for name in _OPTIONAL_ARRAYS:
            value = getattr(self, name)
            arrays[name] = None if value is None else value[idx]
        live = {remap[i]: track for i, track in self.live.items() if i in remap}
        events = {remap[i]: ev for i, ev in self.events.items() if i in remap}
        return MatchSet(**arrays, live=live, events=events, exclusions=list(self.exclusions))

    def rows_between(self, date_from: Any = None, date_to: Any = None) -> np.ndarray:
        """Row indices of matches kicking off in ``[date_from, date_to)`` (either end open when None).

        For walk-forward splits: train on ``rows_between(None, cutoff)``, evaluate on ``rows_between(cutoff)``
        (pass them as ``BatchedLiveSim(matches=…)``); dates or datetimes, read as UTC.
        """

        def utc(value: Any) -> np.datetime64:
            ts = pd.Timestamp(value)
            return np.datetime64(ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo else ts, "s")

        keep = np.ones(len(self), bool)
        if date_from is not None:
            keep &= self.kickoff >= utc(date_from)
        if date_to is not None:
            keep &= self.kickoff < utc(date_to)
        return np.nonzero(keep)[0]

    def summary(self) -> dict[str, Any]:
        return {
            "matches": len(self),
            "with_live_data": len(self.live),
            "with_event_minutes": sum(ev.goals is not None for ev in self.events.values()),
            "with_totals_price": int(np.isfinite(self.fair_over).sum()),
            "excluded": len(self.exclusions),
            "excluded_by_reason": self.exclusion_counts,
            "leagues": sorted(set(self.league.tolist())),
            "seasons": sorted(set(self.season.tolist())),
        }


def _usable_prematch(quotes: pd.DataFrame, kickoff: pd.Series, rule: AsOfRule = DEFAULT_AS_OF) -> pd.DataFrame:
    """Every non-closing pre-match quote usable at the decision time, oldest first (deduplicated with
    ``keep="last"`` it gives the latest usable quote per match, bookmaker, market, selection and line).

    The same rule as the backtest (:class:`betfolio.engine.asof.AsOfRule`): the decision time is the latest
    non-closing quote stamped ``min_lead`` before kick-off, and only quotes stamped by then are used.
    """
    q = quotes[~quotes["is_closing"] & ~quotes["in_play"]].copy()
    q = q[q["quoted_at"] <= q["match_id"].map(kickoff) - rule.min_lead]
    decision_at = q.groupby("match_id")["quoted_at"].transform("max")
    q = q[q["quoted_at"] <= decision_at]
    return q.sort_values("quoted_at", kind="stable")


def _opening_fair(usable: pd.DataFrame, ids: np.ndarray) -> np.ndarray:
    """Consensus margin-free 1X2 at each match's earliest usable snapshot, NaN where every usable quote of the
    match carries one time stamp (one snapshot: no movement to see)."""
    first = usable.drop_duplicates(["match_id", "bookmaker", "market", "selection", "line"], keep="first")
    books = _book_prices(first, "1x2", SELECTIONS_1X2, None)
    books = books[~books.index.get_level_values("bookmaker").map(is_aggregate_bookmaker)]
    out = np.full((len(ids), 3), np.nan)
    if not len(books):
        return out
    fair = pd.DataFrame(remove_margin_multiplicative(books.to_numpy()), index=books.index, columns=SELECTIONS_1X2)
    opening = fair.groupby(level="match_id").mean().reindex(ids)
    one_x_two = usable[usable["market"] == "1x2"].groupby("match_id")["quoted_at"]
    moved = (one_x_two.max() > one_x_two.min()).reindex(ids, fill_value=False).to_numpy()
    out[moved] = opening.to_numpy(dtype=float)[moved]
    return out


def _book_prices(q: pd.DataFrame, market: str, selections: Sequence[str], line: float | None) -> pd.DataFrame:
    """Wide table (match_id, bookmaker) × selections of complete, valid prices."""
    part = q[q["market"] == market]
    part = part[part["line"].isna()] if line is None else part[np.isclose(part["line"].astype(float), line)]
    if part.empty:
        index = pd.MultiIndex.from_arrays([[], []], names=["match_id", "bookmaker"])
        return pd.DataFrame(np.empty((0, len(selections))), index=index, columns=list(selections))
    wide = part.pivot_table(index=["match_id", "bookmaker"], columns="selection", values="odds", aggfunc="last")
    for sel in selections:
        if sel not in wide.columns:
            wide[sel] = np.nan
    wide = wide[list(selections)]
    return wide[(wide > 1.0).all(axis=1)]


def build_matchset(
    matches: pd.DataFrame,
    quotes: pd.DataFrame,
    coverage: dict[tuple[str, str], set[str]] | None = None,
    *,
    bookmaker: str | None = None,
    live: dict[Any, LiveTrack] | None = None,
) -> MatchSet:
    """The common builder. ``matches`` has one row per match (columns as ``matches_master`` plus team names),
    ``quotes`` one row per stored price. ``bookmaker=None`` means consensus probabilities (mean of every real
    bookmaker's margin-free probabilities) with bets struck at the first of :data:`BOOKMAKER_PREFERENCE`."""
    exclusions: list[Exclusion] = []
    m = matches.copy()
    final = m["status"].isin(["finished", "awarded"]) & m["home_goals"].notna() & m["away_goals"].notna()
    exclusions += [Exclusion(i, "no result") for i in m.loc[~final, "match_id"]]
    m = m[final]
    if m.empty:
        raise ValueError(f"no finished match with a result in the selection ({len(exclusions)} without a result)")
    kickoff_utc = pd.Series(pd.to_datetime(m["kickoff_utc"], utc=True).to_numpy(), index=m["match_id"].to_numpy())
    q = quotes[quotes["match_id"].isin(m["match_id"])].copy()
    q["quoted_at"] = pd.to_datetime(q["quoted_at"], utc=True)
    usable = _usable_prematch(q, kickoff_utc)
    pre = usable.drop_duplicates(["match_id", "bookmaker", "market", "selection", "line"], keep="last")
    decided = pre.groupby("match_id")["quoted_at"].max()
    books_1x2 = _book_prices(pre, "1x2", SELECTIONS_1X2, None)
    if bookmaker is not None:
        books_1x2 = books_1x2[books_1x2.index.get_level_values("bookmaker") == bookmaker]
    books_1x2 = books_1x2[~books_1x2.index.get_level_values("bookmaker").map(is_aggregate_bookmaker)]
    fair_rows = pd.DataFrame(
        remove_margin_multiplicative(books_1x2.to_numpy()) if len(books_1x2) else np.empty((0, 3)),
        index=books_1x2.index,
        columns=SELECTIONS_1X2,
    )
    fair = fair_rows.groupby(level="match_id").mean()
    # The price a bet is struck at: the named bookmaker, else the first preferred one quoting the match
    # (any other real bookmaker, alphabetically, when none of the preferred ones does).
    order = (bookmaker,) if bookmaker else BOOKMAKER_PREFERENCE
    ranked = books_1x2.reset_index()
    ranked["rank"] = ranked["bookmaker"].map({b: i for i, b in enumerate(order)}).fillna(len(order))
    best = ranked.sort_values(["match_id", "rank", "bookmaker"]).drop_duplicates("match_id").set_index("match_id")
    missing = ~m["match_id"].isin(fair.index)
    reason = f"no pre-match 1x2 odds from {bookmaker}" if bookmaker else "no pre-match 1x2 odds"
    exclusions += [Exclusion(i, reason) for i in m.loc[missing, "match_id"]]
    m = m[~missing].sort_values(["kickoff_utc", "match_id"]).reset_index(drop=True)
    if m.empty:
        counts = dict(Counter(e.reason for e in exclusions))
        raise ValueError(f"no replayable match in the selection (excluded: {counts})")
    ids = m["match_id"].to_numpy()

    totals = _book_prices(pre, "total_goals", ("over", "under"), TOTALS_LINE)
    totals = totals[~totals.index.get_level_values("bookmaker").map(is_aggregate_bookmaker)]
    if bookmaker is not None:
        totals = totals[totals.index.get_level_values("bookmaker") == bookmaker]
    fair_over = pd.Series(dtype=float)
    if len(totals):
        fair_over = (
            pd.Series(remove_margin_multiplicative(totals.to_numpy())[:, 0], index=totals.index)
            .groupby(level="match_id")
            .mean()
        )
    closing_q = q[q["is_closing"] & ~q["in_play"]].sort_values("quoted_at")
    closing = _book_prices(
        closing_q.drop_duplicates(["match_id", "bookmaker", "market", "selection", "line"], keep="last"),
        "1x2",
        SELECTIONS_1X2,
        None,
    )
    chosen_books = best.loc[ids, "bookmaker"].to_numpy()
    closing_odds = closing.reindex(pd.MultiIndex.from_arrays([ids, chosen_books])).to_numpy(dtype=float)

    stat_totals = np.full((len(m), len(MATCH_STATS), 2), np.nan)
    for r, (stats, league, season) in enumerate(zip(m["statistics"], m["league"], m["season"], strict=True)):
        allowed = None if coverage is None else coverage.get((league, season))
        for s, name in enumerate(MATCH_STATS):
            if allowed is not None and name not in allowed:
                continue
            for k, side in enumerate(("home", "away")):
                value = (stats or {}).get(side, {}).get(name)
                if value is not None and np.isfinite(float(value)) and float(value) >= 0:
                    stat_totals[r, s, k] = float(value)
    ht = m[["ht_home_goals", "ht_away_goals"]].to_numpy(dtype=float)
    ht = np.where(np.isfinite(ht).all(axis=1, keepdims=True), ht, -1).astype(np.int64)
    ft = m[["home_goals", "away_goals"]].to_numpy(dtype=np.int64)
    events: dict[int, EventMinutes] = {}
    if "detail" in m.columns:
        for r, detail in enumerate(m["detail"]):
            found = event_minutes(
                (detail or {}).get("events") if isinstance(detail, dict) else None,
                (int(ft[r, 0]), int(ft[r, 1])),
                (int(ht[r, 0]), int(ht[r, 1])) if ht[r, 0] >= 0 else None,
            )
            if found is not None:
                events[r] = found
    rows_by_id = {mid: r for r, mid in enumerate(ids)}
    return MatchSet(
        match_id=ids,
        league=m["league"].to_numpy(dtype=object),
        season=m["season"].to_numpy(dtype=object),
        kickoff=pd.to_datetime(m["kickoff_utc"], utc=True).dt.tz_convert(None).to_numpy(dtype="datetime64[s]"),
        decision_at=pd.to_datetime(decided.loc[ids], utc=True).dt.tz_convert(None).to_numpy(dtype="datetime64[s]"),
        home_team=m["home_team"].to_numpy(dtype=object),
        away_team=m["away_team"].to_numpy(dtype=object),
        prematch_fair=fair.loc[ids, list(SELECTIONS_1X2)].to_numpy(dtype=float),
        prematch_odds=best.loc[ids, list(SELECTIONS_1X2)].to_numpy(dtype=float),
        n_books=books_1x2.groupby(level="match_id").size().reindex(ids, fill_value=0).to_numpy(dtype=np.int64),
        best_odds=books_1x2.groupby(level="match_id").max().reindex(ids)[list(SELECTIONS_1X2)].to_numpy(dtype=float),
        opening_fair=_opening_fair(usable, ids),
        bet_bookmaker=chosen_books.astype(object),
        fair_over=fair_over.reindex(ids).to_numpy(dtype=float),
        closing_odds=closing_odds,
        full_time=ft,
        half_time=ht,
        stat_totals=stat_totals,
        live={rows_by_id[k]: v for k, v in (live or {}).items() if k in rows_by_id},
        events=events,
        exclusions=exclusions,
    )


def _live_tracks(engine: Engine, match_ids: Iterable[int]) -> dict[int, LiveTrack]:
    """Real minute-level states per match (one provider per match: the one with most rows)."""
    ids = list(match_ids)
    with engine.connect() as conn:
        rows = live_state_rows(conn, ids)
    if not rows:
        return {}
    frame = pd.DataFrame(rows)
    tracks: dict[int, LiveTrack] = {}
    for match_id, group in frame.groupby("match_id"):
        provider = group["provider"].value_counts().idxmax()
        g = group[group["provider"] == provider].sort_values(["minute", "observed_at"])
        g = g.drop_duplicates("minute", keep="last")
        stats = np.full((len(g), len(MATCH_STATS), 2), np.nan)
        for r, payload in enumerate(g["statistics"]):
            payload = payload or {}
            for s, name in enumerate(MATCH_STATS):
                for k, side in enumerate(("home", "away")):
                    value = (payload.get(side) or {}).get(name)
                    if value is None and name == "red_cards":  # LiveMatchState keeps red cards beside the stats
                        value = (payload.get("red_cards") or {}).get(side)
                    if value is not None:
                        stats[r, s, k] = float(value)
        tracks[int(match_id)] = LiveTrack(
            minutes=g["minute"].to_numpy(dtype=np.int64),
            goals=g[["home_goals", "away_goals"]].to_numpy(dtype=np.int64),
            stats=stats,
            staleness=g["data_staleness"].to_numpy(dtype=float),
            finished=bool(g["status"].iloc[-1] == "finished"),
        )
    return tracks


def load_matchset(
    engine: Engine,
    *,
    leagues: Sequence[str] | None = None,
    seasons: Sequence[str] | None = None,
    bookmaker: str | None = None,
    date_from: Any = None,
    date_to: Any = None,
) -> MatchSet:
    """Replayable matches from the store (see the module docstring for what is used and what is excluded)."""
    with engine.connect() as conn:
        stmt = matches_query(leagues=leagues, seasons=seasons, date_from=date_from, date_to=date_to)
        matches = pd.DataFrame(list(conn.execute(stmt).mappings()))
        if matches.empty:
            raise ValueError(f"no matches in the store for leagues={leagues} seasons={seasons}")
        ids = matches["match_id"].tolist()
        quote_rows = quotes_for_matches(conn, ids, ["1x2", "total_goals"])
        cov = coverage_statistics(conn)
    quotes = pd.DataFrame(quote_rows, columns=list(QUOTE_COLUMNS))  # plain tuples: pandas is slow on Rows
    live = _live_tracks(engine, ids)
    keys = {(lg, s) for lg, s in zip(matches["league"], matches["season"], strict=True)}
    return build_matchset(
        matches, quotes, {k: v for k, v in cov.items() if k in keys} or None, bookmaker=bookmaker, live=live
    )


def load_sample_matchset(
    leagues: Sequence[str] = ("E0",), seasons: Sequence[str] = ("2022-23",), *, bookmaker: str | None = None
) -> MatchSet:
    """Replayable matches of the bundled football-data sample, read through the store like any other data.

    The sample is ingested once per process into an in-memory store (``betfolio.ingest.sample``).
    """
    from betfolio.ingest.sample import sample_store

    return load_matchset(sample_store(leagues, seasons), leagues=leagues, seasons=seasons, bookmaker=bookmaker)
