"""`betfolio predict` on fixtures ingested from recorded Odds API payloads, with football-data history.

History: the shared Premier League and Championship 2022-23 files (so the promoted sides of 2023-24 are carried
in from the lower division). Fixtures: the recorded Odds API EPL and Bundesliga payloads of March 2024.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select
from typer.testing import CliRunner

from betfolio.backtest.anchored import NO_MARKET
from betfolio.backtest.data import ingest_directory
from betfolio.backtest.predict import UNKNOWN_TEAM, match_picks, predict_upcoming
from betfolio.ingest.odds_api import ingest_recorded
from betfolio.store.engine import make_engine
from betfolio.store.migrate import upgrade
from betfolio.store.tables import daily_betting_lines as dbl
from betfolio.store.tables import matches_master as mm
from tests.conftest import shared_file

AS_OF = datetime(2024, 3, 28, tzinfo=UTC)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, str]:
    path = tmp_path_factory.mktemp("predict") / "store.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    ingest_directory(shared_file("football-data"), ["E0", "E1"], ["2022-23"], engine=engine)
    ingest_recorded(engine, shared_file("providers", "the_odds_api"))
    with engine.begin() as conn:
        first = conn.execute(
            select(mm.c.match_id, dbl.c.provider)
            .join(dbl, dbl.c.match_id == mm.c.match_id)
            .where(mm.c.status == "scheduled", mm.c.league == "E0")
            .order_by(mm.c.kickoff_utc, mm.c.match_id)
            .limit(1)
        ).one()
        stamp = datetime(2024, 3, 27, 18, tzinfo=UTC)
        base = {"match_id": first.match_id, "provider": first.provider, "quoted_at": stamp, "ingested_at": stamp}
        base |= {"is_closing": False, "in_play": False}
        rows = [
            # A totals line with only one side quoted, and a handicap with an impossible price.
            {**base, "bookmaker": "testbook", "market": "total_goals", "selection": "over", "line": 2.5, "odds": 1.9},
            {**base, "bookmaker": "testbook", "market": "asian_handicap", "selection": "home", "line": -0.5,
             "odds": 1.0},
            {**base, "bookmaker": "testbook", "market": "asian_handicap", "selection": "away", "line": 0.5,
             "odds": 1.9},
        ]  # fmt: skip
        conn.execute(insert(dbl), rows)
    return engine, f"sqlite:///{path}"


@pytest.fixture(scope="module")
def report(store: tuple[Engine, str]):  # type: ignore[no-untyped-def]
    return predict_upcoming(store[0], as_of=AS_OF)


def test_every_known_fixture_is_forecast_and_priced(report) -> None:  # type: ignore[no-untyped-def]
    # 30 EPL events of March 2024, 18 Bundesliga events, 11 EPL events of August 2024 (priced only later).
    assert report.fixtures == 59
    assert report.forecast["market_anchored"] == 30  # promoted sides carried in from the Championship
    # Dixon-Coles is fitted on the league alone, so the promoted sides are unknown to it.
    assert report.skipped_fixtures["dixon_coles: unknown team (no results in the fit window)"] > 0
    rows = [r for r in report.rows if r.model == "market_anchored" and r.market == "1x2"]
    assert len(rows) == 3 * report.forecast["market_anchored"]
    for r in rows:
        assert r.kickoff > AS_OF and r.bookmaker and r.best_odds > 1.0
        assert r.edge == pytest.approx(r.probability * r.best_odds - 1.0)
        assert r.stake >= 0 and (r.stake == 0 or r.edge > 0)
    by_match: dict[int, float] = {}
    for r in rows:
        by_match[r.match_id] = by_match.get(r.match_id, 0.0) + r.probability
    assert all(total == pytest.approx(1.0) for total in by_match.values())


def test_unknown_teams_and_bad_markets_are_counted_not_priced(report) -> None:  # type: ignore[no-untyped-def]
    # No Bundesliga history, and Ipswich (promoted in 2024) never played in the stored seasons.
    assert report.skipped_fixtures[f"market_anchored: {UNKNOWN_TEAM}"] == 19
    # The August fixtures have no price stamped before the decision time: no market to anchor on.
    assert report.skipped_fixtures[f"market_anchored: {NO_MARKET}"] == 10
    assert report.skipped_markets["asian_handicap -0.5: impossible price"] == 1
    assert report.skipped_markets["total_goals +2.5: missing side (under)"] == 1
    assert not any(r.market != "1x2" for r in report.rows)


def test_one_match_for_the_app(store: tuple[Engine, str], report) -> None:  # type: ignore[no-untyped-def]
    match_id = report.rows[0].match_id
    one = match_picks(store[0], match_id, as_of=AS_OF)
    assert one.fixtures == 1 and {r.match_id for r in one.rows} == {match_id}


def test_cli_json_and_csv(store: tuple[Engine, str], tmp_path: Path) -> None:
    from betfolio.cli import app

    out = tmp_path / "picks.csv"
    result = CliRunner().invoke(
        app, ["predict", "--db", store[1], "--as-of", "2024-03-28T00:00:00", "--json", "--csv", str(out),
              "--leagues", "E0", "--models", "market_anchored"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["fixtures"] == 41 and payload["rows"]
    with out.open() as fh:
        assert len(list(csv.DictReader(fh))) == len(payload["rows"])
    bad = CliRunner().invoke(app, ["predict", "--db", store[1], "--models", "nonsense"])
    assert bad.exit_code == 2 and "unknown model" in bad.output
