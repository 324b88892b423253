"""Backtests over several data folders, with earlier seasons as the goal models' history."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from betfolio.backtest.data import load_from_directory
from betfolio.backtest.forecast import FitSchedule, forecast_all
from betfolio.cli import app
from betfolio.models import DixonColes
from betfolio.store.engine import make_engine
from tests.backtest.synthetic import write_season
from tests.conftest import shared_file

runner = CliRunner()


def test_every_folder_is_ingested_and_earlier_seasons_become_history(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write_season(a, "2020-21", seed=1)
    write_season(b, "2021-22", seed=2)
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    data, _ = load_from_directory([a, b], ["E0"], ["2021-22"], engine=engine)
    assert {m.season for m in data.matches} == {"2021-22"}
    assert not [i for i in data.issues if i.kind == "missing_file"]
    assert data.history and {m.season for m in data.history} == {"2020-21"}
    first = min(m.kickoff for m in data.matches)
    assert all(m.kickoff < first and m.has_result for m in data.history)

    # Predecessors make the first weeks forecastable: without them the models wait for enough results.
    schedule = FitSchedule(min_training_matches=40)
    with_history = forecast_all(data, {"dc": DixonColes}, schedule).predictions["dc"]
    data.history = []
    without = forecast_all(data, {"dc": DixonColes}, schedule).predictions["dc"]
    assert len(with_history) == len(data.matches) > len(without)
    engine.dispose()


def test_a_season_in_no_folder_is_reported_missing_with_every_folder_named(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write_season(a, "2020-21")
    b.mkdir()
    data, engine = load_from_directory([a, b], ["E0"], ["2020-21", "2021-22"])
    (missing,) = [i for i in data.issues if i.kind == "missing_file"]
    assert missing.season == "2021-22" and str(a / "2021-22") in missing.detail and str(b / "2021-22") in missing.detail
    engine.dispose()


def test_backtest_on_two_folders_forecasts_the_season_after_its_predecessors(tmp_path: Path) -> None:
    """`betfolio backtest --data-dir A --data-dir B`: B holds the season, A its two predecessors (real data)."""
    source = shared_file("football-data")
    a, b = tmp_path / "a", tmp_path / "b"
    for season in ("2020-21", "2021-22"):
        (a / season).mkdir(parents=True)
        (a / season / "E0.csv").symlink_to(source / season / "E0.csv")
    (b / "2022-23").mkdir(parents=True)
    (b / "2022-23" / "E0.csv").symlink_to(source / "2022-23" / "E0.csv")
    out = tmp_path / "r.json"
    args = ["backtest", "--leagues", "E0", "--seasons", "2022-23", "--strategy", "no_bet", "--no-record"]
    result = runner.invoke(app, [*args, "--data-dir", str(a), "--data-dir", str(b), "--json", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())["data"]
    assert data["matches"] == 380 and data["history_matches"] == 760
    assert data["issues"].get("missing_file", 0) == 0
    counts = data["model_forecasts"]["dixon_coles"]
    assert counts["forecast"] >= 0.95 * data["with_prematch_odds"], counts
