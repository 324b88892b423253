import json

from typer.testing import CliRunner

from betfolio.cli import app
from tests.conftest import shared_file

runner = CliRunner()


def test_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("demo", "db", "ingest", "bench"):
        assert command in result.output


def test_ingest_json_and_rerun(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    path = shared_file("football-data", "2019-20", "F1.csv")
    first = runner.invoke(app, ["ingest", "football-data", str(path), "--db", db, "--json"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout[first.stdout.index("{") :])
    assert summary["matches"] == summary["matches_added"] == 279  # Ligue 1 2019-20 was cut short: real
    again = runner.invoke(app, ["ingest", "football-data", str(path), "--db", db, "--json", "--force"])
    assert json.loads(again.stdout[again.stdout.index("{") :])["quotes_added"] == 0


def test_ingest_unknown_format_exits_nonzero(tmp_path):
    bad = tmp_path / "odd.txt"
    bad.write_text("x")
    result = runner.invoke(app, ["ingest", "football-data", str(bad), "--db", f"sqlite:///{tmp_path / 'x.sqlite'}"])
    assert result.exit_code == 1


def test_demo_runs_on_bundled_sample(tmp_path):
    # The area stages (providers, backtest, sim, train) are exercised by their own demo-stage tests.
    skips = [arg for stage in ("providers", "backtest", "sim", "train") for arg in ("--skip", stage)]
    db = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    result = runner.invoke(app, ["demo", "--db", db, "--report-dir", str(tmp_path / "report"), "--json", *skips])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout[result.stdout.index("{") :])
    assert payload["ingest"]["files"] == 9 and payload["ingest"]["matches"] == 3198
    leagues = {row["league"]: row for row in payload["leagues"]}
    assert set(leagues) == {"E0", "D1", "SP1"}
    closing = {s["source"]: s for s in leagues["E0"]["scores"]}["pinnacle closing"]
    base = {s["source"]: s for s in leagues["E0"]["scores"]}["base rates (in-sample)"]
    assert 0.17 < closing["rps"] < base["rps"] < 0.25  # the closing market beats base rates
    assert (tmp_path / "report" / "demo.html").read_text().count("<table>") >= 6


def test_demo_rejects_unknown_stage(tmp_path):
    result = runner.invoke(app, ["demo", "--db", f"sqlite:///{tmp_path / 'd.sqlite'}", "--skip", "nonsense"])
    assert result.exit_code != 0
