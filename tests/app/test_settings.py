from __future__ import annotations

import stat
from pathlib import Path

import keyring.backend
import pytest

from betfolio.app.settings import AppSettings, SecretStore, SettingsError, mask_secret


def test_mask_never_reveals_a_usable_key() -> None:
    key = "0123456789abcdef0123456789abcdef"
    masked = mask_secret(key)
    assert masked.endswith("cdef") and key not in masked and key[:-4] not in masked
    assert mask_secret("short") == "•" * 8
    assert mask_secret(None) == "not set"


def test_file_store_is_private_and_round_trips(tmp_path: Path) -> None:
    store = SecretStore(tmp_path, use_keyring=False)
    store.set("api-football", "  abcdefghijklmnopqrstuvwx  ")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.get("api-football") == "abcdefghijklmnopqrstuvwx"
    assert store.masked("api-football") == "••••••••uvwx"
    store.set("odds-api", "zyxwvutsrqponmlk")
    store.delete("api-football")
    assert store.get("api-football") is None
    assert store.get("odds-api") == "zyxwvutsrqponmlk"
    assert "file" in store.backend


def test_empty_key_and_corrupt_file_are_clear_errors(tmp_path: Path) -> None:
    store = SecretStore(tmp_path, use_keyring=False)
    with pytest.raises(SettingsError, match="empty API key for odds-api"):
        store.set("odds-api", "   ")
    store.path.write_text("{not json")
    with pytest.raises(SettingsError, match=str(store.path)):
        store.get("odds-api")


class _DictKeyring(keyring.backend.KeyringBackend):
    """An in-process keyring backend: this container has no OS keyring service to talk to."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


def test_keyring_is_preferred_when_available(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    backend = _DictKeyring()
    keyring.set_keyring(backend)
    try:
        store = SecretStore(tmp_path)
        store.set("api-football", "k" * 20 + "WXYZ")
        assert backend.items[("betfolio", "api-football")] == "k" * 20 + "WXYZ"
        assert not store.path.exists()  # nothing written to disk
        assert store.masked("api-football") == "••••••••WXYZ"
        store.delete("api-football")
        store.delete("api-football")  # deleting twice is fine
        assert store.get("api-football") is None
        assert "keyring" in store.backend
    finally:
        keyring.set_keyring(previous)


def test_app_settings_round_trip(tmp_path: Path) -> None:
    assert AppSettings.load(tmp_path).database_url is None
    path = AppSettings(database_url="postgresql+psycopg://u@h/db").save(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert AppSettings.load(tmp_path).database_url == "postgresql+psycopg://u@h/db"
