"""API keys: an explicit value, the configuration (``BETFOLIO_<PROVIDER>_KEY`` or the config file, see
:mod:`betfolio.config`), the providers' own environment names, or what the desktop app saved (OS keyring, else
its 0600 ``secrets.json`` in the config dir) — never the database, never a log."""

from __future__ import annotations

import os

KEYRING_SERVICE = "betfolio"
#: The desktop app's fallback secret file (used when no OS keyring is available), in the data dir.
SECRETS_FILE = "secrets.json"

ENV_NAMES: dict[str, tuple[str, ...]] = {
    "api-football": ("BETFOLIO_API_FOOTBALL_KEY", "API_FOOTBALL_KEY", "APISPORTS_KEY"),
    "odds-api": ("BETFOLIO_ODDS_API_KEY", "ODDS_API_KEY"),
}


class MissingApiKey(RuntimeError):
    pass


#: Provider → the configuration key that holds its API key.
SETTING_NAMES: dict[str, str] = {"api-football": "api_football_key", "odds-api": "odds_api_key"}


def api_key(provider: str, explicit: str | None = None) -> str:
    if explicit:
        return explicit
    from betfolio.config import load_settings

    configured = getattr(load_settings(), SETTING_NAMES.get(provider, ""), None)
    if configured is not None and configured.get_secret_value():
        return configured.get_secret_value()
    for name in ENV_NAMES.get(provider, ()):
        if value := os.environ.get(name):
            return value
    try:
        import keyring

        if value := keyring.get_password(KEYRING_SERVICE, provider):
            return value
    except Exception:  # no keyring backend on a headless machine is normal
        pass
    if value := _from_secrets_file(provider):
        return value
    names = ", ".join(ENV_NAMES.get(provider, ()))
    raise MissingApiKey(
        f"no API key for {provider}: set {names}, or save it in the desktop app's settings "
        f"(OS keyring service {KEYRING_SERVICE!r})"
    )


def _from_secrets_file(provider: str) -> str | None:
    import json

    from betfolio.config import secrets_file
    from betfolio.store.engine import data_dir

    # The config dir is the secrets file's place; older versions kept it in the data dir.
    for path in (secrets_file(), data_dir() / SECRETS_FILE):
        try:
            value = json.loads(path.read_text()).get(provider)
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(value, str) and value.strip():
            return value
    return None
