"""API keys: from an explicit setting, the environment, or the OS keyring — never from the database or logs."""

from __future__ import annotations

import os

KEYRING_SERVICE = "betfolio"

ENV_NAMES: dict[str, tuple[str, ...]] = {
    "api-football": ("BETFOLIO_API_FOOTBALL_KEY", "API_FOOTBALL_KEY", "APISPORTS_KEY"),
    "odds-api": ("BETFOLIO_ODDS_API_KEY", "ODDS_API_KEY"),
}


class MissingApiKey(RuntimeError):
    pass


def api_key(provider: str, explicit: str | None = None) -> str:
    if explicit:
        return explicit
    for name in ENV_NAMES.get(provider, ()):
        if value := os.environ.get(name):
            return value
    try:
        import keyring

        if value := keyring.get_password(KEYRING_SERVICE, provider):
            return value
    except Exception:  # no keyring backend on a headless machine is normal
        pass
    names = ", ".join(ENV_NAMES.get(provider, ()))
    raise MissingApiKey(
        f"no API key for {provider}: set {names} or store it with the OS keyring (service {KEYRING_SERVICE!r})"
    )
