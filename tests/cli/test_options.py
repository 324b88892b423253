"""`--json` is machine output on stdout everywhere; `--json FILE` (older scripts) still writes FILE."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from betfolio.cli import app
from betfolio.cli.options import (
    JsonFileCompatCommand,
    JsonFileOption,
    JsonFlag,
    RayAddressCompatCommand,
    RayAddressOption,
    RayFlag,
    emit_json,
)


def _probe() -> typer.Typer:
    probe = typer.Typer()

    @probe.command(cls=JsonFileCompatCommand)
    def run(as_json: JsonFlag = False, json_file: JsonFileOption = None, name: str = "x") -> None:
        emit_json({"name": name, "nan": float("nan")}, as_json, json_file)

    @probe.command()
    def other() -> None:  # a second command keeps typer from collapsing the group
        pass

    return probe


def test_json_flag_file_and_the_older_spelling(tmp_path: Path) -> None:
    runner = CliRunner()
    flag = runner.invoke(_probe(), ["run", "--json", "--name", "a"])
    assert json.loads(flag.stdout) == {"name": "a", "nan": None}  # valid JSON: NaN becomes null
    old = runner.invoke(_probe(), ["run", "--json", str(tmp_path / "old.json")])
    assert old.stdout == "" and json.loads((tmp_path / "old.json").read_text())["name"] == "x"
    new = runner.invoke(_probe(), ["run", "--json-file", str(tmp_path / "new.json"), "--name", "b"])
    assert new.stdout == "" and json.loads((tmp_path / "new.json").read_text())["name"] == "b"
    dash = runner.invoke(_probe(), ["run", "--json", "-"])
    assert json.loads(dash.stdout)["name"] == "x"


def test_backtest_and_train_accept_the_older_spelling() -> None:
    commands = {c.name: c for c in typer.main.get_command(app).commands.values()}  # type: ignore[attr-defined]
    assert isinstance(commands["backtest"], JsonFileCompatCommand)
    assert isinstance(commands["train"], JsonFileCompatCommand)
    for name in ("backtest", "train", "ingest", "demo", "config"):
        assert "--json" in CliRunner().invoke(app, [name, "--help"] if name not in ("ingest", "config") else
                                              [name, "football-data" if name == "ingest" else "show", "--help"],
                                              terminal_width=200).output  # fmt: skip


def test_ray_alone_is_local_and_ray_with_a_value_is_an_address(tmp_path: Path) -> None:
    probe = typer.Typer()

    @probe.command(cls=RayAddressCompatCommand)
    def run(ray: RayFlag = False, ray_address: RayAddressOption = None, as_json: JsonFlag = False,
            json_file: JsonFileOption = None) -> None:  # fmt: skip
        print(json.dumps({"ray": ray, "address": ray_address}))

    @probe.command()
    def other() -> None:
        pass

    def parsed(*args: str) -> dict[str, object]:
        return json.loads(CliRunner().invoke(probe, ["run", *args]).stdout)

    assert parsed("--ray") == {"ray": True, "address": None}
    assert parsed("--ray", "--json") == {"ray": True, "address": None}
    assert parsed("--ray", "head:6379") == {"ray": True, "address": "head:6379"}
    assert parsed("--ray=ray://head:10001") == {"ray": True, "address": "ray://head:10001"}
    assert parsed() == {"ray": False, "address": None}
    commands = {c.name: c for c in typer.main.get_command(app).commands.values()}  # type: ignore[attr-defined]
    assert all(isinstance(commands[name], RayAddressCompatCommand) for name in ("backtest", "train", "tune"))
