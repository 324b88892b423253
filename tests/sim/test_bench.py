"""`betfolio bench sim` runs end to end and reports both figures (speed itself is never asserted)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from betfolio.cli import app


def test_bench_sim_prints_json():
    args = ["bench", "sim", "--n-envs", "8", "--steps", "5", "--env-steps", "50", "--leagues", "E0", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["data"]["matches"] == 380
    for part, unit in (("batched", "match-minutes"), ("live_env", "steps")):
        for policy in ("no_bet", "random"):
            assert report[part][policy]["unit"] == unit
            assert report[part][policy]["per_second"] > 0
        assert isinstance(report[part]["meets_target"], bool)


def test_bench_sim_refuses_nonsense():
    assert CliRunner().invoke(app, ["bench", "sim", "--n-envs", "0"]).exit_code != 0
    unknown = CliRunner().invoke(app, ["bench", "sim", "--leagues", "XX"])
    assert unknown.exit_code != 0 and "no bundled sample" in unknown.output
