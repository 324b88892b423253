"""`betfolio parse` and `betfolio ingest api-football|odds-api` end to end, including a live ingest against the
stand-in server over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from betfolio.cli import app
from betfolio.store.engine import make_engine
from betfolio.store.tables import matches_master, provider_status
from tests.conftest import shared_file

runner = CliRunner()


def _lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_parse_prints_kinded_json_lines(af_dir: Path) -> None:
    result = runner.invoke(
        app, ["parse", "api-football", "fixtures", str(af_dir / "syurchen93/fixtures-cl-penalties.json")]
    )
    assert result.exit_code == 0, result.output
    records = _lines(result.stdout)
    kinds = {r["kind"] for r in records}
    assert kinds == {"match", "fixture_player_statistics"}  # statistics, events, lineups sit inside the match
    match = next(r for r in records if r["kind"] == "match" and r["provider_match_id"] == "1149519")
    assert (match["home_goals"], match["pen_home_goals"], match["status"]) == (2, 3, "finished")


def test_parse_reports_rejects_and_exits_1(af_dir: Path) -> None:
    path = af_dir / "lucasnopc/live_fixtures_with_pinnacle_odds_2021-04-22.json"
    result = runner.invoke(app, ["parse", "api-football", "fixtures", str(path)])
    assert result.exit_code == 1
    assert "rejected: api-football fixtures response[14]:" in result.stderr
    assert len([r for r in _lines(result.stdout) if r["kind"] == "match"]) == 14  # the good ones still printed


def test_parse_odds_api_and_football_data(oa_dir: Path) -> None:
    odds = runner.invoke(
        app, ["parse", "odds-api", "odds", str(oa_dir / "karuma46_soccer_epl_odds_h2h_2024-08-19.json")]
    )
    assert odds.exit_code == 0 and len([r for r in _lines(odds.stdout) if r["kind"] == "odds_quote"]) == 33
    csv = runner.invoke(app, ["parse", "football-data", "csv", str(shared_file("football-data", "2022-23", "E0.csv"))])
    assert csv.exit_code == 0
    kinds = [r["kind"] for r in _lines(csv.stdout)]
    assert kinds.count("match") == 380 and kinds[-1] == "coverage"


def test_parse_unusable_payload_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"get": "fixtures", "response": [')
    result = runner.invoke(app, ["parse", "api-football", "fixtures", str(bad)])
    assert result.exit_code == 2 and "malformed JSON" in result.stderr
    unknown = runner.invoke(app, ["parse", "api-football", "nowhere", str(bad)])
    assert unknown.exit_code == 2 and "unknown endpoint" in unknown.stderr


def test_ingest_from_recorded_folders(tmp_path: Path, af_dir: Path, oa_dir: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"
    af = runner.invoke(
        app,
        [
            "ingest",
            "api-football",
            "--from-dir",
            str(af_dir),
            "--league",
            "D1",
            "--season",
            "2023-24",
            "--db",
            db,
            "--json",
        ],
    )
    # the folder holds three recorded error responses: reported, and the exit code says so
    assert af.exit_code == 1, af.output
    summary = json.loads(af.stdout[af.stdout.index("{") :])
    assert len(summary["errors"]) == 3 and all("provider reported errors" in e for e in summary["errors"])
    assert summary["matches_added"] == 71 and summary["injuries"] == 31
    oa = runner.invoke(app, ["ingest", "odds-api", "--from-dir", str(oa_dir), "--league", "D1", "--db", db, "--json"])
    assert oa.exit_code == 0, oa.output
    odds = json.loads(oa.stdout[oa.stdout.index("{") :])
    assert odds["matches_linked"] > 0 and odds["quotes_added"] == 759  # Bundesliga odds meet API-Football's fixtures


def test_live_ingest_against_the_stand_in(tmp_path: Path, standin, monkeypatch) -> None:
    db = f"sqlite:///{tmp_path / 'live.sqlite'}"
    monkeypatch.setenv("BETFOLIO_API_FOOTBALL_KEY", "test-key")
    result = runner.invoke(
        app,
        [
            "ingest",
            "api-football",
            "--league",
            "D1",
            "--season",
            "2023",
            "--db",
            db,
            "--base-url",
            standin.api_football_url,
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    assert summary["matches_added"] == 71
    endpoints = [r["endpoint"] for r in standin.state.requests]
    assert endpoints[:3] == ["status", "leagues", "fixtures"] and "odds" in endpoints and "injuries" in endpoints
    engine = make_engine(db)
    with engine.connect() as conn:
        status = conn.execute(select(provider_status)).mappings().one()
        assert conn.execute(select(matches_master.c.league).distinct()).scalars().all() == ["D1"]
    assert status["circuit_state"] == "closed" and status["quota_remaining_day"] is not None
    engine.dispose()


def test_live_ingest_without_a_key_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    for name in ("BETFOLIO_ODDS_API_KEY", "ODDS_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    result = runner.invoke(app, ["ingest", "odds-api", "--league", "E0", "--db", f"sqlite:///{tmp_path / 'k.sqlite'}"])
    assert result.exit_code == 2 and "no API key for odds-api" in result.stderr


def test_bench_parse_reports_every_group() -> None:
    result = runner.invoke(app, ["bench", "parse", "--seconds", "0.01", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report["groups"]) == {
        "api_football_fixtures",
        "api_football_fixture_details",
        "api_football_odds",
        "odds_api_odds",
    }
    assert report["fixtures_per_second"] > 0 and report["odds_quotes_per_second"] > 0


def test_demo_stage_runs_through_the_stand_in(sqlite_engine, tmp_path: Path, af_dir: Path) -> None:
    import io

    from rich.console import Console

    from betfolio.jobs.demo.providers_stage import run_demo_providers

    out = io.StringIO()
    summary = run_demo_providers(sqlite_engine, Console(file=out, width=160), tmp_path)
    assert summary["api-football"]["matches_added"] == 71
    assert summary["odds-api"]["matches_linked"] > 0 and summary["odds-api"]["quotes_added"] > 0
    outage = summary["outage"]
    assert outage["circuit_state"] == "open" and outage["stale_snapshots"] == 4
    assert outage["staleness_seconds"] == pytest.approx(45, abs=1)
    assert "outage drill: circuit open" in out.getvalue() and (tmp_path / "providers.json").is_file()
    # The recorded player seasons, injuries and in-play fixtures fill the other two main tables.
    assert summary["recorded"]["players"] > 0 and summary["recorded"]["injuries"] > 0
    assert summary["tables"]["players_db"] > 0 and summary["tables"]["live_states"] > 0


def test_api_key_from_the_apps_secret_file(tmp_path: Path, monkeypatch) -> None:
    from betfolio.providers.keys import api_key

    monkeypatch.setenv("BETFOLIO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    for name in ("BETFOLIO_ODDS_API_KEY", "ODDS_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "secrets.json").write_text(json.dumps({"odds-api": "from-settings"}))
    assert api_key("odds-api") == "from-settings"
    monkeypatch.setenv("ODDS_API_KEY", "from-env")
    assert api_key("odds-api") == "from-env"
    assert api_key("odds-api", "explicit") == "explicit"
