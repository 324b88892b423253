"""One configuration for the CLI, the app, the service and the paper trader.

Precedence, lowest first: built-in defaults < the TOML config file (``config.toml`` in the user config dir,
or the file named by ``BETFOLIO_CONFIG``) < environment variables ``BETFOLIO_<KEY>`` < command-line flags.
`betfolio config show` prints every effective value with where it came from (secrets masked).

Where things live (platformdirs): the config file (and the fallback secrets file, mode 0600, when no OS
keyring is available) in the user config dir; the database, runs, reports and agents in the user data dir;
downloads in the user cache dir. ``BETFOLIO_DATA_DIR`` / ``BETFOLIO_CACHE_DIR`` / ``BETFOLIO_CONFIG_DIR``
move them (tests and containers do).

A config file that cannot be used is an error naming the file, the line and the key — a typo in a key is not
silently ignored, because a misspelt ``database_url`` would otherwise send data to the default database.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from platformdirs import user_cache_path, user_config_path, user_data_path
from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

APP_NAME = "betfolio"
ENV_PREFIX = "BETFOLIO_"
ENV_CONFIG_FILE = "BETFOLIO_CONFIG"
ENV_CONFIG_DIR = "BETFOLIO_CONFIG_DIR"
CONFIG_FILE = "config.toml"

Source = Literal["default", "file", "env", "flag"]


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the file, line and key where there is one."""


def config_dir() -> Path:
    """The user config dir (``BETFOLIO_CONFIG_DIR`` overrides it)."""
    override = os.environ.get(ENV_CONFIG_DIR)
    return Path(override) if override else user_config_path(APP_NAME, appauthor=False)


def config_file() -> Path:
    """The TOML config file: ``BETFOLIO_CONFIG`` if set, else ``config.toml`` in the user config dir."""
    override = os.environ.get(ENV_CONFIG_FILE)
    return Path(override).expanduser() if override else config_dir() / CONFIG_FILE


def secrets_file() -> Path:
    """The fallback secrets file (mode 0600) used when no OS keyring is available: in the config dir."""
    return config_dir() / "secrets.json"


def _default_data_dir() -> Path:
    return user_data_path(APP_NAME, appauthor=False)


def _default_cache_dir() -> Path:
    return user_cache_path(APP_NAME, appauthor=False)


class Settings(BaseSettings):
    """Every setting with its default; each can be set in the config file, as BETFOLIO_<NAME>, or by a flag."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", validate_default=True)

    database_url: str | None = Field(
        None, description="Database URL or SQLite file path (default: betfolio.sqlite in the data dir)."
    )
    data_dir: Path = Field(default_factory=_default_data_dir, description="Database, runs, reports, agents.")
    cache_dir: Path = Field(default_factory=_default_cache_dir, description="Downloaded files (betfolio fetch).")
    redis_url: str | None = Field(None, description="Redis URL of the live-state streams.")
    api_football_key: SecretStr | None = Field(None, description="API-Football key (else the OS keyring).")
    odds_api_key: SecretStr | None = Field(None, description="The Odds API key (else the OS keyring).")
    service_token: SecretStr | None = Field(None, description="Bearer token of `betfolio serve`.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("WARNING", description="Log threshold.")
    log_format: Literal["text", "json"] = Field("text", description="json: one JSON object per log line.")
    ray_storage: str | None = Field(
        None,
        description="Where `betfolio tune` keeps trial results and checkpoints: a path, or a URI every Ray node "
        "can reach (s3://…, gs://…) on a cluster; default <data dir>/tune.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Flags (init kwargs) > environment > config file > defaults. No .env or secrets-dir magic: one place.
        return (init_settings, env_settings, _TomlFileSource(settings_cls))


SECRET_KEYS = frozenset(name for name, f in Settings.model_fields.items() if f.annotation == SecretStr | None)


class _TomlFileSource(PydanticBaseSettingsSource):
    """The config file, parsed with tomllib; syntax errors and unknown keys are reported with file and line."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover - unused
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return read_config_file(config_file())


def _line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=", re.MULTILINE)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def parse_toml(text: str, where: str) -> dict[str, Any]:
    """TOML text as a dict — the one TOML reader of config, ``--config`` hyperparameter, grid and search-space
    files. Invalid TOML is a :class:`ConfigError` (a ValueError) naming ``where``, the line and its key."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        key = None
        if line is not None:
            head = text.splitlines()[line - 1] if line <= len(text.splitlines()) else ""
            key = head.split("=", 1)[0].strip() if "=" in head else None
        at = f"{where}, line {line}" if line else where
        raise ConfigError(f"{at}{f', key {key!r}' if key else ''}: not valid TOML ({exc})") from exc


def read_config_file(path: Path) -> dict[str, Any]:
    """The file's keys and values (empty if it does not exist); ConfigError says file, line and key."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})") from exc
    values = parse_toml(text, str(path))
    known = set(Settings.model_fields)
    for key, value in values.items():
        line = _line_of(text, key)
        where = f"{path}, line {line}" if line else str(path)
        if key not in known:
            raise ConfigError(f"{where}: unknown key {key!r}; known keys: {', '.join(sorted(known))}")
        if isinstance(value, dict):
            raise ConfigError(f"{where}, key {key!r}: expected a value, found a table")
    return values


def _env_values() -> dict[str, Any]:
    return {k: v for k, v in EnvSettingsSource(Settings)().items() if v is not None}


def load_settings(**flags: Any) -> Settings:
    """The effective settings: flags (None = not given) > BETFOLIO_* environment > config file > defaults."""
    given = {k: v for k, v in flags.items() if v is not None}
    unknown = set(given) - set(Settings.model_fields)
    if unknown:
        raise ConfigError(f"unknown setting(s) {sorted(unknown)}")
    try:
        return Settings(**given)
    except ValidationError as exc:
        raise ConfigError(_explain_validation(exc, given)) from exc


def _explain_validation(exc: ValidationError, flags: Mapping[str, Any]) -> str:
    path = config_file()
    file_values = read_config_file(path)
    env = _env_values()
    problems = []
    for error in exc.errors():
        key = str(error["loc"][0]) if error["loc"] else "?"
        if key in flags:
            where = "command line"
        elif key in env:
            where = f"environment {ENV_PREFIX}{key.upper()}"
        elif key in file_values:
            line = _line_of(path.read_text(encoding="utf-8"), key)
            where = f"{path}, line {line}" if line else str(path)
        else:
            where = "default"
        problems.append(f"{where}, key {key!r}: {error['msg']}")
    return "; ".join(problems)


def sources(**flags: Any) -> dict[str, Source]:
    """Where each setting's effective value comes from."""
    given = {k for k, v in flags.items() if v is not None}
    env = set(_env_values())
    from_file = set(read_config_file(config_file()))
    return {
        key: "flag" if key in given else "env" if key in env else "file" if key in from_file else "default"
        for key in Settings.model_fields
    }


@dataclass(frozen=True)
class EffectiveValue:
    key: str
    value: str
    source: Source
    description: str


def explain(**flags: Any) -> list[EffectiveValue]:
    """Every setting's effective value (secrets masked) and where it came from, for `betfolio config show`."""
    settings = load_settings(**flags)
    origin = sources(**flags)
    rows = []
    for key, field in Settings.model_fields.items():
        source = origin[key]
        value = getattr(settings, key)
        if key in SECRET_KEYS:
            shown = mask_secret(value.get_secret_value() if value is not None else None)
        elif key == "database_url":
            shown = masked_url(resolve_database_url_from(settings))
        else:
            shown = "" if value is None else str(value)
        rows.append(EffectiveValue(key, shown, source, field.description or ""))
    return rows


def mask_secret(secret: str | None) -> str:
    """Enough to recognise a key, never enough to use it: the last 4 characters of keys ≥ 12 long."""
    if not secret:
        return "not set"
    if len(secret) < 12:
        return "•" * 8
    return "•" * 8 + secret[-4:]


def masked_url(url: str) -> str:
    """``url`` fit to print: its password, if any, replaced by ***."""
    from urllib.parse import urlsplit

    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a database URL (a Ray address, say): hide what stands between '//user:' and '@'
        password = urlsplit(url).password
        return url.replace(f":{password}@", ":***@") if password else url


def resolve_database_url_from(settings: Settings) -> str:
    """The database URL the settings choose (bare paths mean SQLite files; postgresql means psycopg 3)."""
    from sqlalchemy.engine import make_url

    chosen = settings.database_url or f"sqlite:///{settings.data_dir / 'betfolio.sqlite'}"
    if "://" not in chosen:
        chosen = f"sqlite:///{Path(chosen).expanduser().resolve()}"
    parsed = make_url(chosen)
    if parsed.drivername in ("postgresql", "postgres"):
        chosen = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return chosen


def save_to_config_file(key: str, value: str | None, path: Path | None = None) -> Path:
    """Set (or, with None, remove) one key in the config file, keeping the user's comments and layout.

    Written to a temporary file and renamed: a crash never leaves half a config file.
    """
    import tempfile

    import tomlkit

    if key not in Settings.model_fields:
        raise ConfigError(f"unknown setting {key!r}")
    path = path or config_file()
    read_config_file(path)  # refuse to rewrite a file that is already broken: say where instead
    document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    if value is None:
        document.pop(key, None)
    else:
        document[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(tomlkit.dumps(document))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
