"""No help text or user doc points to a path an installed user does not have (../shared, a machine path)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import typer
from typer.testing import CliRunner

from betfolio.cli import app

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = re.compile(r"\.\./shared|/work/|/home/\w+|/root/")


def _commands(group: click.Command, prefix: list[str]) -> list[list[str]]:
    found = [prefix]
    if isinstance(getattr(group, "commands", None), dict):
        for name, command in group.commands.items():
            found += _commands(command, [*prefix, name])
    return found


def test_no_machine_paths_in_any_help_text() -> None:
    runner = CliRunner()
    paths = _commands(typer.main.get_command(app), [])
    assert ["fetch", "football-data"] in paths and ["config", "show"] in paths
    for path in paths:
        result = runner.invoke(app, [*path, "--help"], terminal_width=200)
        assert result.exit_code == 0, (path, result.output)
        assert not FORBIDDEN.search(result.output), (path, FORBIDDEN.search(result.output))


def test_no_machine_paths_in_the_user_docs() -> None:
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for number, line in enumerate(doc.read_text().splitlines(), 1):
            assert not FORBIDDEN.search(line), f"{doc.name}:{number}: {line}"
