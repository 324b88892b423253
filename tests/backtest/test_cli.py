"""`betfolio backtest` end to end: data folder → store → walk-forward → JSON, HTML report and recorded run."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from betfolio.cli import app
from betfolio.store.engine import make_engine
from betfolio.store.tables import bet_ledger, runs

runner = CliRunner()


def test_backtest_command_writes_results_report_and_ledger(synthetic_dir: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'bt.sqlite'}"
    out = tmp_path / "r.json"
    report = tmp_path / "report"
    result = runner.invoke(
        app,
        [
            "backtest",
            "--leagues",
            "E0",
            "--seasons",
            "2020-21:2021-22",
            "--data-dir",
            str(synthetic_dir),
            "--db",
            db,
            "--json",
            str(out),
            "--report",
            str(report),
            "--strategy",
            "no_bet,favourite",
            "--strategy",
            "consensus:alpha=0.0,stake_fraction=0.02",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(out.read_text())
    assert set(summary["strategies"]) == {"no_bet", "favourite", "consensus[alpha=0.0,stake_fraction=0.02]"}
    fav = summary["strategies"]["favourite"]
    assert fav["bets"] > 50 and fav["roi_ci_low"] < fav["roi"] < fav["roi_ci_high"]
    assert fav["clv_bets"] == fav["bets"]
    assert summary["data"]["matches"] == 112
    sources = {m["source"] for m in summary["models"]["on_identical_matches"]}
    assert {"opening market", "pinnacle closing"} <= sources
    html = (report / "index.html").read_text()
    assert html.count("data:image/png;base64,") == 3 and "favourite" in html
    assert (report / "bets.csv").read_text().count("\n") == 1 + fav["bets"] + summary["strategies"][
        "consensus[alpha=0.0,stake_fraction=0.02]"
    ]["bets"]
    engine = make_engine(db)
    with engine.connect() as conn:
        run = conn.execute(select(runs)).mappings().one()
        assert run["kind"] == "backtest" and run["status"] == "finished" and run["run_id"] == summary["run_id"]
        n = conn.execute(select(func.count()).select_from(bet_ledger).where(bet_ledger.c.run_id == run["run_id"]))
        assert n.scalar_one() == fav["bets"] + summary["strategies"]["consensus[alpha=0.0,stake_fraction=0.02]"]["bets"]
    engine.dispose()


def test_backtest_command_reports_bad_usage(tmp_path: Path) -> None:
    bad = runner.invoke(app, ["backtest", "--seasons", "2019:2020", "--db", f"sqlite:///{tmp_path / 'x.sqlite'}"])
    assert bad.exit_code == 2 and "not a season" in bad.output
    unknown = runner.invoke(app, ["backtest", "--strategy", "martingale", "--db", f"sqlite:///{tmp_path / 'x.sqlite'}"])
    assert unknown.exit_code == 2 and "unknown strategy" in unknown.output
    empty = runner.invoke(app, ["backtest", "--leagues", "E0", "--db", f"sqlite:///{tmp_path / 'x.sqlite'}"])
    assert empty.exit_code == 1 and "no matches" in empty.output
    unknown_league = runner.invoke(
        app, ["backtest", "--leagues", "E0,XX", "--db", f"sqlite:///{tmp_path / 'x.sqlite'}"]
    )
    assert unknown_league.exit_code == 2 and "unknown league(s) XX" in unknown_league.output


def test_backtest_scope_gaps_are_warnings_and_errors_under_strict(synthetic_dir: Path, tmp_path: Path) -> None:
    args = ["backtest", "--leagues", "E0", "--seasons", "2021-22:2025-26", "--data-dir", str(synthetic_dir)]
    args += ["--strategy", "no_bet", "--no-record", "--db", f"sqlite:///{tmp_path / 's.sqlite'}"]
    strict = runner.invoke(app, [*args, "--strict"])
    assert strict.exit_code == 1 and "error: no data for E0 2022-23" in strict.output
    lenient = runner.invoke(app, [*args, "--json"])
    assert lenient.exit_code == 0 and "warning: no data for E0 2022-23, E0 2023-24" in lenient.output


def test_bench_backtest_is_registered() -> None:
    result = runner.invoke(app, ["bench", "backtest", "--help"])
    assert result.exit_code == 0 and "walk-forward" in result.output


def test_backtest_json_flag_prints_json_on_stdout_and_json_file_writes(synthetic_dir: Path, tmp_path: Path) -> None:
    args = ["backtest", "--leagues", "E0", "--seasons", "2020-21", "--data-dir", str(synthetic_dir)]
    args += ["--strategy", "no_bet,favourite", "--models", ""]
    flag = CliRunner().invoke(app, [*args, "--json", "--no-record"])
    assert flag.exit_code == 0, flag.output
    printed = json.loads(flag.stdout)  # stdout is JSON only: tables and notes went to stderr
    assert set(printed["strategies"]) == {"no_bet", "favourite"}
    out = tmp_path / "out.json"
    to_file = CliRunner().invoke(app, [*args, "--json-file", str(out)])
    assert to_file.exit_code == 0, to_file.output
    assert json.loads(out.read_text())["strategies"]["favourite"]["bets"] == printed["strategies"]["favourite"]["bets"]
    assert "favourite" in to_file.stdout  # without --json the table stays on stdout
    assert not list(tmp_path.glob(".out.json.*"))  # written atomically: no temporary file left
