"""`betfolio tune`: search spaces, the season split that protects the evaluation season, and a real sweep."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from betfolio.agents.hyperparams import load_hyperparameters
from betfolio.cli import app
from betfolio.scale.space import parse_space
from betfolio.scale.tune import split_for_tuning

SEASONS = ["2019-20", "2020-21", "2021-22", "2022-23"]


def test_space_becomes_tune_domains(local_ray: object) -> None:
    from ray.tune.search.sample import Categorical, Float, Integer

    space = parse_space(
        "learning_rate = { loguniform = [1e-4, 1e-2] }\nupdate_epochs = { randint = [2, 6] }\n"
        "no_bet_bias = { choice = [1.0, 2.0] }\nent_coef = 0.02\n",
        "live",
    )
    assert isinstance(space["learning_rate"], Float) and isinstance(space["update_epochs"], Integer)
    assert isinstance(space["no_bet_bias"], Categorical) and space["ent_coef"] == 0.02


@pytest.mark.parametrize(
    ("text", "agent", "message"),
    [
        ("learning_rate = 0.1", "prematch", "not a hyperparameter of the prematch worker"),
        ("learning_rate = { normal = [0, 1] }", "live", "must be one of"),
        ("learning_rate = { loguniform = [0, 1] }", "live", "positive low bound"),
        ("gamma = { uniform = [1, 0.5] }", "live", "low < high"),
        ("", "live", "empty"),
    ],
)
def test_bad_space_is_named(text: str, agent: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_space(text, agent, where="--space s.toml")


def test_validation_season_never_an_evaluation_season() -> None:
    assert split_for_tuning(SEASONS, None, None, None) == (["2019-20", "2020-21"], "2021-22", ["2022-23"])
    assert split_for_tuning(SEASONS, ["2019-20"], "2020-21", ["2021-22"]) == (["2019-20"], "2020-21", ["2021-22"])
    with pytest.raises(ValueError, match="is an evaluation season"):
        split_for_tuning(SEASONS, None, "2022-23", None)
    with pytest.raises(ValueError, match="also a training season"):
        split_for_tuning(SEASONS, ["2020-21", "2021-22"], "2021-22", ["2022-23"])
    with pytest.raises(ValueError, match="are evaluation seasons"):
        split_for_tuning(SEASONS, ["2022-23"], "2021-22", ["2022-23"])


@pytest.fixture(scope="module")
def tune_db(football_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store with two E0 seasons: one to train on, one to validate on."""
    db = f"sqlite:///{tmp_path_factory.mktemp('tune-db') / 'tune.sqlite'}"
    for season in ("2020-21", "2021-22"):
        done = CliRunner().invoke(
            app, ["ingest", "football-data", str(football_data_dir / season / "E0.csv"), "--db", db, "--json"]
        )
        assert done.exit_code == 0, done.output
    return db


def test_sweep_writes_the_config_train_reads(local_ray: object, tune_db: str, tmp_path: Path) -> None:
    db = tune_db
    space = tmp_path / "space.toml"
    space.write_text("min_learning_rate = { loguniform = [1e-3, 5e-2] }\nmin_visits = { choice = [2, 10] }\n")
    output = tmp_path / "hp.toml"
    output.write_text("[live]\nlearning_rate = 0.0005\n")  # another worker's tuned settings must survive
    args = ["tune", "--agent", "prematch", "--space", str(space), "--db", db, "--train-seasons", "2020-21"]
    args += ["--validation-season", "2021-22", "--eval-seasons", "2022-23", "--samples", "3", "--rungs", "2"]
    args += ["--episodes", "6", "--storage", str(tmp_path / "runs"), "--output", str(output), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    assert summary["validation_season"] == "2021-22" and summary["eval_seasons_untouched"] == ["2022-23"]
    assert len(summary["trials"]) == 3 and not summary["failures"]
    assert all(t["iterations"] >= 1 for t in summary["trials"])
    assert "selection-biased" in summary["caveat"]
    written = load_hyperparameters(output)
    assert written.live == {"learning_rate": 0.0005}
    assert written.prematch_q == pytest.approx(summary["best"]["config"])
    assert any(Path(summary["storage"], summary["name"]).iterdir())  # trial results under the storage path
    refused = CliRunner().invoke(app, [*args[:7], "--validation-season", "2022-23", "--eval-seasons", "2022-23"])
    assert refused.exit_code == 2 and "evaluation season" in refused.output


def test_live_sweep_trains_and_scores_on_the_validation_season(local_ray: object, tune_db: str, tmp_path: Path) -> None:
    space = tmp_path / "space.toml"
    space.write_text("learning_rate = { loguniform = [3e-4, 3e-3] }\nno_bet_bias = 3.0\n")
    args = ["tune", "--agent", "live", "--space", str(space), "--db", tune_db, "--train-seasons", "2020-21"]
    args += ["--validation-season", "2021-22", "--eval-seasons", "2022-23", "--samples", "1", "--rungs", "1"]
    args += [
        "--steps",
        "1000",
        "--envs",
        "8",
        "--storage",
        str(tmp_path / "runs"),
        "--output",
        str(tmp_path / "hp.toml"),
    ]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    (trial,) = summary["trials"]
    assert trial["error"] is None and trial["iterations"] == 1 and trial["capture"] is not None
    assert load_hyperparameters(tmp_path / "hp.toml").live["no_bet_bias"] == 3.0
