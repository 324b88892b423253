"""Secrets for the long-running processes: an environment variable, or a file named by ``<NAME>_FILE``.

The ``_FILE`` form is how Docker secrets arrive (``/run/secrets/<name>``): the value never sits in the
environment, the command line or an image layer. A secret is read once, stripped of its trailing newline, and
never logged — callers only ever say *where* it came from (:attr:`Secret.source`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


class SecretError(RuntimeError):
    """A secrets file was named but cannot be read, or is empty."""


@dataclass(frozen=True)
class Secret:
    value: str
    source: str  # "environment BETFOLIO_SERVICE_TOKEN" or "file /run/secrets/service_token" — never the value

    def __repr__(self) -> str:  # a secret printed by accident shows where it came from, not what it is
        return f"Secret(source={self.source!r})"


def read_secret(name: str, file: Path | None = None) -> Secret | None:
    """``file`` if given, else ``$NAME``, else the file named by ``$NAME_FILE``; None when none is set."""
    path = file if file is not None else None
    if path is None and (value := os.environ.get(name)):
        return Secret(value.strip(), f"environment {name}")
    if path is None and (named := os.environ.get(f"{name}_FILE")):
        path = Path(named)
    if path is None:
        return None
    try:
        value = path.read_text().strip()
    except OSError as exc:
        raise SecretError(f"cannot read the secret file {path} ({exc.__class__.__name__})") from None
    if not value:
        raise SecretError(f"the secret file {path} is empty")
    return Secret(value, f"file {path}")


def database_url(explicit: str | None) -> str | None:
    """``--db`` if given, else ``BETFOLIO_DATABASE_URL`` or the file in ``BETFOLIO_DATABASE_URL_FILE``."""
    if explicit:
        return explicit
    secret = read_secret("BETFOLIO_DATABASE_URL")
    return secret.value if secret else None
