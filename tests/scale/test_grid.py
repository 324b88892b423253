"""Backtest grids: the TOML is checked with clear errors; a 4-cell grid gives the same numbers on Ray and in turn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from betfolio.backtest.data import BacktestData
from betfolio.backtest.engine import BacktestConfig
from betfolio.cli import app
from betfolio.jobs.backtest import run_backtest
from betfolio.scale.grid import load_grid, parse_grid, run_grid

GRID = """
leagues = ["E0"]
seasons = ["2021-22"]
[strategies.favourite]
[strategies.model_value]
kelly = [0.05, 0.1]
[strategies.consensus]
alpha = 0.02
"""


def test_grid_expands_every_combination() -> None:
    grid = parse_grid(GRID)
    assert [c.strategy for c in grid.cells] == [
        "favourite",
        "model_value:kelly=0.05",
        "model_value:kelly=0.1",
        "consensus:alpha=0.02",
    ]
    two = parse_grid('leagues = ["E0", "D1,SP1"]\nseasons = ["2020-21:2021-22"]\n[strategies.no_bet]\n')
    assert [(c.leagues, c.seasons) for c in two.cells] == [
        (("E0",), ("2020-21", "2021-22")),
        (("D1", "SP1"), ("2020-21", "2021-22")),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("leagues = [", "not valid TOML"),
        ('seasons = ["2021-22"]\n[strategies.no_bet]', "'leagues' must be"),
        ('leagues = ["E0"]\nseasons = ["2021-22"]', r"\[strategies.NAME\]"),
        ('leagues = ["E0"]\nseasons = ["2021-22"]\n[strategies.lucky]', "unknown strategy 'lucky'"),
        ('leagues = ["E0"]\nseasons = ["2021-22"]\n[strategies.model_value]\nedge = [1]', "unknown parameter 'edge'"),
        ('leagues = ["E0"]\nseasons = ["2022-21"]\n[strategies.no_bet]', "seasons"),
        ('leagues = ["E0"]\nseasons = ["2021-22"]\nstake = 1\n[strategies.no_bet]', "unknown key"),
    ],
)
def test_bad_grid_names_file_and_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "grid.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as info:
        load_grid(path)
    assert str(path) in str(info.value)


def test_four_cells_on_ray_match_the_sequential_run(
    local_ray: object, season_data: BacktestData, tmp_path: Path
) -> None:
    grid = parse_grid(GRID)
    config = BacktestConfig(evaluate_models=())
    loaded: list[tuple[tuple[str, ...], tuple[str, ...]]] = []

    def loader(leagues: object, seasons: object) -> BacktestData:
        loaded.append((tuple(leagues), tuple(seasons)))  # type: ignore[arg-type]
        return season_data

    sequential = run_grid(grid, config, loader, seed=3)
    on_ray = run_grid(grid, config, loader, seed=3, use_ray=True, report_dir=tmp_path / "report")
    assert loaded == [(("E0",), ("2021-22",))] * 2  # one snapshot per distinct data set, shared by its cells
    assert sequential["runner"] == "sequentially" and on_ray["runner"] == "on Ray (local)"
    assert not sequential["failures"] and not on_ray["failures"]
    strip = [{k: v for k, v in row.items() if k != "report"} for row in on_ray["cells"]]
    assert strip == [{k: v for k, v in row.items() if k != "report"} for row in sequential["cells"]]
    # A cell is exactly `betfolio backtest --strategy SPEC`: the one backtest job.
    direct = run_backtest(season_data, ["model_value:kelly=0.1"], config, seed=3).summary
    assert direct is not None
    (metrics,) = direct["strategies"].values()
    assert sequential["cells"][2]["roi"] == metrics["roi"] and sequential["cells"][2]["bets"] == metrics["bets"] > 0
    html = (tmp_path / "report" / "grid.html").read_text()
    assert "selection-biased" in html and "cell-002/index.html" in html
    assert json.loads((tmp_path / "report" / "grid.json").read_text())["configurations"] == 4


def test_cli_grid_reports_side_by_side_with_caveat(tmp_path: Path, football_data_dir: Path) -> None:
    grid = tmp_path / "grid.toml"
    grid.write_text('leagues = ["E0"]\nseasons = ["2021-22"]\n[strategies.favourite]\n[strategies.no_bet]\n')
    db = f"sqlite:///{tmp_path / 'grid.sqlite'}"
    args = ["backtest", "--grid", str(grid), "--data-dir", str(football_data_dir), "--db", db, "--models", ""]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    assert [c["strategy"] for c in summary["cells"]] == ["favourite", "no_bet"]
    assert summary["cells"][0]["bets"] == 380 and summary["cells"][1]["bets"] == 0
    assert "selection-biased" in summary["caveat"]


def test_workers_read_a_database_server_named_in_their_environment(
    local_ray: object, pg_engine, football_data_dir: Path
) -> None:
    """With a PostgreSQL store the cells read it themselves: the URL reaches them through Ray's runtime
    environment (BETFOLIO_DATABASE_URL), not through the task or the code."""
    from betfolio.jobs.backtest import load_data

    data, _ = load_data(pg_engine, ["E0"], ["2021-22"], data_dir=football_data_dir)
    grid = parse_grid('leagues = ["E0"]\nseasons = ["2021-22"]\n[strategies.favourite]\n[strategies.no_bet]\n')
    config = BacktestConfig(evaluate_models=())
    url = pg_engine.url.render_as_string(hide_password=False)

    def no_loading(_leagues: object, _seasons: object) -> BacktestData:
        raise AssertionError("the driver must not load the matches when the workers read the store")

    on_ray = run_grid(grid, config, no_loading, use_ray=True, store_url=url)
    sequential = run_grid(grid, config, lambda _l, _s: data)
    assert not on_ray["failures"]
    assert on_ray["cells"] == sequential["cells"] and on_ray["cells"][0]["bets"] == 380


def test_a_worker_reads_the_store_once_per_grid_run(
    pg_engine, football_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cells that read the store themselves share one read per worker and grid run (not one per cell), with the
    numbers of a fresh read; the next run of the grid reads the store again."""
    from sqlalchemy import Engine

    from betfolio.jobs.backtest import load_data
    from betfolio.scale.grid import grid_tasks, run_cell
    from tests.conftest import statements_mentioning

    load_data(pg_engine, ["E0"], ["2021-22"], data_dir=football_data_dir)  # the season into the store
    monkeypatch.setenv("BETFOLIO_DATABASE_URL", pg_engine.url.render_as_string(hide_password=False))
    grid = parse_grid('leagues = ["E0"]\nseasons = ["2021-22"]\n[strategies.favourite]\n[strategies.no_bet]\n')
    config = BacktestConfig(evaluate_models=())
    with statements_mentioning(Engine, "matches_master") as reads:
        fresh, _ = load_data(pg_engine, ["E0"], ["2021-22"])
        one_read = len(reads)
        first = [run_cell(task) for task in grid_tasks(grid, config, None)]
        first_run = len(reads) - one_read
        second = [run_cell(task) for task in grid_tasks(grid, config, None)]
        second_run = len(reads) - one_read - first_run
    assert one_read > 0 and first_run == one_read and second_run == one_read
    direct = [run_cell(task) for task in grid_tasks(grid, config, {(("E0",), ("2021-22",)): fresh})]
    assert first == second == direct and first[0]["bets"] == 380
