"""Joining Ray: a dead address fails within seconds naming it; a missing Ray says how to install it."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from betfolio.cli import app
from betfolio.config import masked_url
from betfolio.net import free_port
from betfolio.scale.runtime import (
    INSTALL_HINT,
    ScaleError,
    check_reachable,
    init_ray,
    require_ray,
    split_address,
)


def test_addresses_are_split_with_ray_defaults() -> None:
    assert split_address("head.example:6380") == ("head.example", 6380)
    assert split_address("head.example") == ("head.example", 6379)
    assert split_address("ray://head.example") == ("head.example", 10001)
    with pytest.raises(ValueError, match="bad port"):
        split_address("head.example:http")
    with pytest.raises(ValueError, match="HOST:PORT"):
        split_address("http://head.example:80")


def test_unreachable_address_fails_fast_and_names_it() -> None:
    address = f"127.0.0.1:{free_port()}"
    # The pre-flight probe answers (its message, not Ray's "cannot join" after a minute of retries).
    with pytest.raises(ScaleError, match=rf"Ray cluster at {address.replace('.', '[.]')} is unreachable"):
        init_ray(address)
    with pytest.raises(ScaleError, match="unreachable"):
        check_reachable(f"ray://127.0.0.1:{free_port()}", timeout=1.0)


def test_cli_unreachable_address_is_one_line_rc_2(tmp_path, football_data_dir) -> None:
    grid = tmp_path / "grid.toml"
    grid.write_text('leagues = ["E0"]\nseasons = ["2021-22"]\n[strategies.favourite]\n')
    address = f"127.0.0.1:{free_port()}"
    result = CliRunner().invoke(
        app, ["backtest", "--grid", str(grid), "--data-dir", str(football_data_dir), "--ray", address]
    )
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"error: Ray cluster at {address} is unreachable" + lines[0].split("unreachable", 1)[1]]
    assert "Traceback" not in result.output


def test_ray_needs_a_grid_on_backtest() -> None:
    result = CliRunner().invoke(app, ["backtest", "--ray"])
    assert result.exit_code == 2 and "--grid" in result.output


def test_missing_ray_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets when the extra is not installed
    with pytest.raises(ScaleError) as info:
        require_ray()
    assert str(info.value) == INSTALL_HINT and "pip install 'betfolio[ray]'" in INSTALL_HINT


def test_database_passwords_are_masked() -> None:
    assert masked_url("postgresql+psycopg://bet:s3cret@db:5432/bf") == "postgresql+psycopg://bet:***@db:5432/bf"
    assert masked_url("ray://bet:s3cret@head:10001") == "ray://bet:***@head:10001"
