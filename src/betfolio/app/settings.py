"""Application settings and provider API keys.

Keys go to the OS keyring when one is available (``keyring``); otherwise to a JSON file readable only by the
user (mode 0600, written atomically). A key is never shown in full: the UI displays ``mask_secret``.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from betfolio.config import mask_secret
from betfolio.store.engine import data_dir

__all__ = ["AppSettings", "SecretStore", "SettingsError", "mask_secret"]

KEYRING_SERVICE = "betfolio"
SETTINGS_FILE = "app-settings.json"  # older versions; read once, the config file is the place now
CONFIG_FILE = "config.toml"
SECRETS_FILE = "secrets.json"

#: Providers that need an API key, with where the key comes from (football-data.co.uk needs none).
KEYED_PROVIDERS: dict[str, str] = {
    "api-football": "API-Football v3 (api-sports.io) key",
    "odds-api": "The Odds API key",
}


def key_from_environment(provider: str) -> str | None:
    """The environment variable that supplies ``provider``'s key, if one is set (it wins over stored keys).

    The names are the providers package's own (``providers.keys.ENV_NAMES``), so the app shows exactly what
    the adapters will use.
    """
    try:
        from betfolio.providers.keys import ENV_NAMES
    except ImportError:
        return None
    return next((name for name in ENV_NAMES.get(provider, ()) if os.environ.get(name)), None)


class SettingsError(ValueError):
    """A settings or secrets file exists but cannot be used (says which file and why)."""


def write_private_json(path: Path, payload: dict[str, Any]) -> None:
    """Write JSON readable only by the owner, atomically (a crash never leaves a half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(payload, handle, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        payload = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SettingsError(f"{path}: cannot read settings ({exc})") from exc
    if not isinstance(payload, dict):
        raise SettingsError(f"{path}: expected a JSON object")
    return payload


@dataclass
class AppSettings:
    """What the app remembers between runs (the database URL; nothing secret).

    Stored in the one config file (:mod:`betfolio.config`), so the CLI, the service and the trader use the
    database the app saved. ``folder`` (tests) holds its own ``config.toml``.
    """

    database_url: str | None = None

    @classmethod
    def load(cls, folder: Path | None = None) -> AppSettings:
        from betfolio.config import ConfigError, config_file, read_config_file

        try:
            payload = read_config_file(folder / CONFIG_FILE if folder else config_file())
        except ConfigError as exc:
            raise SettingsError(str(exc)) from exc
        url = payload.get("database_url")
        if url is None:  # saved by an older version beside the data
            url = read_json((folder or data_dir()) / SETTINGS_FILE).get("database_url")
        return cls(database_url=url if isinstance(url, str) and url else None)

    def save(self, folder: Path | None = None) -> Path:
        from betfolio.config import ConfigError, save_to_config_file

        try:
            return save_to_config_file("database_url", self.database_url, folder / CONFIG_FILE if folder else None)
        except ConfigError as exc:
            raise SettingsError(str(exc)) from exc


def _usable_keyring() -> Any | None:
    """The OS keyring backend, or None when only keyring's 'fail'/null backends are present."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return None
    return backend


class SecretStore:
    """API keys per provider: OS keyring first, else a 0600 JSON file in the data dir."""

    def __init__(self, folder: Path | None = None, *, use_keyring: bool = True) -> None:
        from betfolio.config import secrets_file

        self.path = folder / SECRETS_FILE if folder else secrets_file()
        self._keyring = _usable_keyring() if use_keyring else None

    @property
    def backend(self) -> str:
        if self._keyring is not None:
            return f"OS keyring ({type(self._keyring).__name__})"
        return f"file {self.path} (mode 0600)"

    def get(self, provider: str) -> str | None:
        if self._keyring is not None:
            return self._keyring.get_password(KEYRING_SERVICE, provider)
        value = read_json(self.path).get(provider)
        return value if isinstance(value, str) else None

    def set(self, provider: str, secret: str) -> None:
        secret = secret.strip()
        if not secret:
            raise SettingsError(f"empty API key for {provider}")
        if self._keyring is not None:
            self._keyring.set_password(KEYRING_SERVICE, provider, secret)
            return
        payload = read_json(self.path)
        payload[provider] = secret
        write_private_json(self.path, payload)

    def delete(self, provider: str) -> None:
        if self._keyring is not None:
            from keyring.errors import PasswordDeleteError

            with contextlib.suppress(PasswordDeleteError):
                self._keyring.delete_password(KEYRING_SERVICE, provider)
            return
        payload = read_json(self.path)
        if payload.pop(provider, None) is not None:
            write_private_json(self.path, payload)

    def masked(self, provider: str) -> str:
        return mask_secret(self.get(provider))
