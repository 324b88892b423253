"""Ingestion into real SQLite and PostgreSQL: counts, idempotency, atomicity, as-of queries, kill-and-rerun."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from betfolio.ingest import payload as payload_writer
from betfolio.ingest.football_data import ingest_paths
from betfolio.store import queries
from betfolio.store.tables import daily_betting_lines, ingest_runs, matches_master, raw_payloads, team_aliases, teams
from tests.conftest import shared_file


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


@pytest.fixture
def two_seasons(tmp_path: Path) -> Path:
    """A small <season>/<Div>.csv tree of real files (one old format, one new)."""
    for season in ("2005-06", "2022-23"):
        (tmp_path / season).mkdir()
        shutil.copy(shared_file("football-data", season, "E0.csv"), tmp_path / season / "E0.csv")
    return tmp_path


def test_ingest_counts_and_idempotency(engine, two_seasons):
    first = ingest_paths(engine, [two_seasons])
    assert first.errors == []
    assert first.matches == first.matches_added == 760
    assert first.quotes == first.quotes_added == count(engine, daily_betting_lines)
    assert first.quotes > 40_000
    assert count(engine, raw_payloads) == 2

    again = ingest_paths(engine, [two_seasons])
    assert (again.matches_added, again.quotes_added) == (0, 0)
    forced = ingest_paths(engine, [two_seasons], force=True)
    assert forced.matches == 760 and (forced.matches_added, forced.quotes_added) == (0, 0)
    assert count(engine, matches_master) == 760
    assert count(engine, daily_betting_lines) == first.quotes
    assert count(engine, raw_payloads) == 2


def test_teams_resolve_through_identity_map(engine, two_seasons):
    ingest_paths(engine, [two_seasons])
    with engine.connect() as conn:
        names = set(conn.execute(select(teams.c.name)).scalars())
        aliases = dict(conn.execute(select(team_aliases.c.alias, team_aliases.c.method)).all())
    assert "Manchester United" in names and "Man United" not in names  # canonical name from the alias file
    assert aliases["Man United"] == "created"
    from betfolio.store.identity import TeamResolver, UnresolvedTeamError

    with engine.begin() as conn:
        resolver = TeamResolver(conn)
        united = resolver.resolve("football-data", "Man United", create=False)
        assert resolver.resolve("api-football", "Manchester United", create=False) == united
        assert resolver.resolve("odds-api", "Man Utd", create=False) == united
        with pytest.raises(UnresolvedTeamError):
            resolver.resolve("odds-api", "Manchester Rovers", create=False)
    with engine.connect() as conn:
        m = queries.find_match(conn, "E0", "2022-23", "Manchester United", "Brighton & Hove Albion")
    assert m is not None and (m["home_goals"], m["away_goals"]) == (1, 2)


def test_as_of_returns_latest_quote_at_or_before_t(engine, two_seasons):
    ingest_paths(engine, [two_seasons])
    with engine.connect() as conn:
        m = queries.find_match(conn, "E0", "2022-23", "Crystal Palace", "Arsenal")
        kickoff = m["kickoff_utc"]
        assert kickoff == datetime(2022, 8, 5, 19, 0, tzinfo=UTC)
        before = queries.odds_as_of(conn, m["match_id"], datetime(2022, 8, 5, 15, 59, tzinfo=UTC))
        assert before == []  # nothing was quoted yet (pre-match prices stamped 16:00 UTC)
        at_kickoff = queries.odds_as_of(conn, m["match_id"], kickoff, market="1x2", bookmakers=["pinnacle"])
        assert {(q.selection, q.odds, q.is_closing) for q in at_kickoff} == {
            ("home", 4.5, False),
            ("draw", 3.65, False),
            ("away", 1.89, False),
        }
        with_closing = queries.odds_as_of(
            conn, m["match_id"], kickoff, market="1x2", bookmakers=["pinnacle"], include_closing=True
        )
        assert {(q.selection, q.odds) for q in with_closing} == {("home", 4.58), ("draw", 3.63), ("away", 1.88)}
        ah = queries.odds_as_of(conn, m["match_id"], kickoff, market="asian_handicap", bookmakers=["bet365"])
        assert {(q.selection, q.line, q.odds) for q in ah} == {("home", 0.5, 2.04), ("away", -0.5, 1.89)}
        movement = queries.line_movement(conn, m["match_id"], market="1x2", selection="home", bookmakers=["pinnacle"])
        assert [(q.odds, q.is_closing) for q in movement] == [(4.5, False), (4.58, True)]


def test_matches_by_league_season_and_dates(engine, two_seasons):
    ingest_paths(engine, [two_seasons])
    with engine.connect() as conn:
        aug = queries.matches(
            conn,
            leagues=["E0"],
            seasons=["2022-23"],
            date_from=datetime(2022, 8, 5).date(),
            date_to=datetime(2022, 8, 7).date(),
        )
        assert len(aug) == 10
        assert [r["kickoff_utc"] for r in aug] == sorted(r["kickoff_utc"] for r in aug)
        assert len(queries.matches(conn, seasons=["2005-06"])) == 380


def test_failed_file_leaves_nothing_half_written(engine, two_seasons, monkeypatch):
    """A crash while writing a file's quotes rolls back its matches, teams and raw payload too."""
    ingest_paths(engine, [two_seasons / "2005-06"])
    before = {t.name: count(engine, t) for t in (matches_master, daily_betting_lines, teams, raw_payloads, ingest_runs)}

    def explode(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(payload_writer, "insert_quotes", explode)  # the write path every provider shares
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_paths(engine, [two_seasons / "2022-23"])
    after = {t.name: count(engine, t) for t in (matches_master, daily_betting_lines, teams, raw_payloads, ingest_runs)}
    assert after == before


def test_bad_paths_are_reported(engine, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    summary = ingest_paths(engine, [tmp_path / "missing", tmp_path / "notes.txt"])
    assert any("no such file" in e for e in summary.errors)
    assert any("unknown file format" in e for e in summary.errors)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    summary = ingest_paths(engine, [bad])
    assert summary.files == [] and "not a football-data.co.uk file" in summary.errors[0]


def test_kill_mid_ingest_and_rerun_is_consistent_and_complete(tmp_path):
    """SIGKILL an ingest of many files part-way, re-run, and compare with a clean ingest."""
    data = tmp_path / "data"
    for season in ("2016-17", "2017-18", "2018-19", "2019-20"):
        for div in ("E0", "D1", "SP1", "I1", "F1"):
            (data / season).mkdir(parents=True, exist_ok=True)
            shutil.copy(shared_file("football-data", season, f"{div}.csv"), data / season / f"{div}.csv")
    db = tmp_path / "killed.sqlite"
    env = {**os.environ, "BETFOLIO_DATABASE_URL": f"sqlite:///{db}"}
    cmd = [sys.executable, "-m", "betfolio.cli", "ingest", "football-data", str(data)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from betfolio.store.engine import make_engine

    killed = make_engine(f"sqlite:///{db}")
    deadline = time.monotonic() + 120
    runs = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        try:
            runs = count(killed, ingest_runs)
        except Exception:
            continue
        if runs >= 3:
            break
    assert proc.poll() is None, "ingest finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial_runs = count(killed, ingest_runs)
    assert 3 <= partial_runs < 20
    # every recorded file is complete; no quotes without their match
    with killed.connect() as conn:
        orphans = conn.execute(
            select(func.count())
            .select_from(daily_betting_lines)
            .where(~daily_betting_lines.c.match_id.in_(select(matches_master.c.match_id)))
        ).scalar_one()
    assert orphans == 0
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr

    clean = make_engine(f"sqlite:///{tmp_path / 'clean.sqlite'}")
    from betfolio.store.migrate import upgrade

    upgrade(clean)
    ingest_paths(clean, [data])
    for table in (matches_master, daily_betting_lines, raw_payloads, teams):
        assert count(killed, table) == count(clean, table), table.name
    assert count(killed, ingest_runs) == 20


def test_match_listed_twice_is_stored_once_and_reported(engine, tmp_path):
    header = "Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HTHG,HTAG,B365H,B365D,B365A\n"
    row = "E0,05/08/2022,20:00,Crystal Palace,Arsenal,0,2,A,0,1,4.2,3.6,1.85\n"
    other = "E0,06/08/2022,15:00,Leeds,Wolves,2,1,H,1,1,2.1,3.3,3.2\n"
    (tmp_path / "2022-23").mkdir()
    path = tmp_path / "2022-23" / "E0.csv"
    path.write_text(header + row + other + row)
    summary = ingest_paths(engine, [path])
    assert summary.matches_added == 2
    assert summary.quotes_added == 6
    assert any("1 rows list a match already listed" in w for w in summary.warnings)
    assert count(engine, matches_master) == 2
