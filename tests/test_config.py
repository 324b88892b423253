"""One configuration: defaults < config file < BETFOLIO_* environment < flags, with clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from betfolio.app.settings import AppSettings
from betfolio.cli import app
from betfolio.config import ConfigError, explain, load_settings, save_to_config_file
from betfolio.providers.keys import api_key
from betfolio.store.engine import resolve_database_url


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv("BETFOLIO_CONFIG_DIR", str(folder))
    monkeypatch.setenv("BETFOLIO_DATA_DIR", str(tmp_path / "data"))
    for name in ("BETFOLIO_DATABASE_URL", "BETFOLIO_CONFIG", "BETFOLIO_ODDS_API_KEY", "BETFOLIO_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    return folder


def test_precedence_default_file_env_flag(config_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_database_url() == f"sqlite:///{tmp_path / 'data' / 'betfolio.sqlite'}"
    config_dir.mkdir()
    (config_dir / "config.toml").write_text('# mine\ndatabase_url = "sqlite:///from-file.sqlite"\n')
    assert resolve_database_url() == "sqlite:///from-file.sqlite"
    monkeypatch.setenv("BETFOLIO_DATABASE_URL", "sqlite:///from-env.sqlite")
    assert resolve_database_url() == "sqlite:///from-env.sqlite"
    assert resolve_database_url("sqlite:///from-flag.sqlite") == "sqlite:///from-flag.sqlite"
    sources = {r.key: r.source for r in explain()}
    assert sources["database_url"] == "env" and sources["log_level"] == "default"
    assert {r.key: r.source for r in explain(database_url="x.sqlite")}["database_url"] == "flag"


def test_cli_and_app_read_the_same_database(config_dir: Path) -> None:
    path = AppSettings(database_url="postgresql+psycopg://u@h/db").save()
    assert path == config_dir / "config.toml"
    assert resolve_database_url() == "postgresql+psycopg://u@h/db"  # what every command without --db opens
    assert AppSettings.load().database_url == "postgresql+psycopg://u@h/db"
    save_to_config_file("log_level", "INFO")
    assert 'database_url = "postgresql+psycopg://u@h/db"' in path.read_text()  # other keys kept
    assert load_settings().log_level == "INFO"


def test_malformed_file_names_file_line_and_key(config_dir: Path) -> None:
    config_dir.mkdir()
    config = config_dir / "config.toml"
    config.write_text('database_url = "a.sqlite"\n\nlog_level = INFO\n')
    with pytest.raises(ConfigError, match=rf"{config}, line 3, key 'log_level': not valid TOML"):
        load_settings()
    config.write_text('database_url = "a.sqlite"\ndatabse_url = "b.sqlite"\n')
    with pytest.raises(ConfigError, match=r"line 2: unknown key 'databse_url'"):
        resolve_database_url()
    config.write_text('log_format = "xml"\n')
    with pytest.raises(ConfigError, match=r"line 1, key 'log_format'"):
        load_settings()
    with pytest.raises(ConfigError, match="unknown setting"):
        save_to_config_file("colour", "blue")
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == 2 and "log_format" in result.output


def test_config_show_masks_secrets_and_keys_come_from_the_config(
    config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_dir.mkdir()
    (config_dir / "config.toml").write_text('odds_api_key = "file-secret-0123456789"\n')
    assert api_key("odds-api") == "file-secret-0123456789"
    monkeypatch.setenv("BETFOLIO_ODDS_API_KEY", "env-secret-abcdefghij")
    assert api_key("odds-api") == "env-secret-abcdefghij"
    result = CliRunner().invoke(app, ["config", "show", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)["settings"]
    assert shown["odds_api_key"] == {"value": "••••••••ghij", "source": "env"}
    assert "env-secret" not in result.stdout and "file-secret" not in result.stdout


def test_paper_trader_takes_its_redis_url_from_the_configuration(config_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["paper", "--run", str(tmp_path / "run"), "--db", f"sqlite:///{tmp_path}/p.sqlite"])
    assert missing.exit_code == 2 and "no Redis URL" in missing.output
    save_to_config_file("redis_url", "redis://127.0.0.1:1/0")
    configured = runner.invoke(app, ["paper", "--run", str(tmp_path / "run"), "--db", f"sqlite:///{tmp_path}/p.sqlite"])
    assert configured.exit_code == 2 and "no Redis URL" not in configured.output  # got past it: the run is missing
