"""Logging, configured once per process: a threshold, text or JSON lines on stderr, and secrets never written.

Library modules only call ``logging.getLogger(__name__)``; the command line (or the app, the service, a test)
calls :func:`configure_logging` once. ``--log-format json`` gives one JSON object per line for long-running
processes (`live`, `paper`, `serve`) whose logs a collector reads. Every record passes a filter that replaces
any known secret — API keys and the service token from the configuration, plus any value registered with
:func:`register_secret` (an HTTP client registers the key it sends) — with ``***``, whichever logger wrote it
(httpx logs request URLs, and The Odds API takes its key in the query string).
"""

from __future__ import annotations

import logging
import sys
from typing import IO, Literal

LogFormat = Literal["text", "json"]

_SECRETS: set[str] = set()
_HANDLER_NAME = "betfolio"
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def register_secret(value: str | None) -> None:
    """Never let ``value`` reach a log line (values shorter than 6 characters are too common to replace)."""
    if value and len(value) >= 6:
        _SECRETS.add(value)


def _configured_secrets() -> None:
    try:
        from betfolio.config import SECRET_KEYS, load_settings

        settings = load_settings()
    except Exception:  # a broken config file is reported by the command that reads it, not here
        return
    for key in SECRET_KEYS:
        value = getattr(settings, key, None)
        if value is not None:
            register_secret(value.get_secret_value())


def redact(text: str) -> str:
    for secret in _SECRETS:
        text = text.replace(secret, "***")
    return text


class RedactSecrets(logging.Filter):
    """Render the message, replace every registered secret, and keep the record otherwise intact."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _SECRETS:
            message = record.getMessage()
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redact(record.exc_text)
        return True


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at emit time (a test runner or the app may swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _formatter(fmt: LogFormat) -> logging.Formatter:
    if fmt == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    return logging.Formatter(TEXT_FORMAT)


def configure_logging(
    level: int | str = logging.WARNING, fmt: LogFormat = "text", *, stream: IO[str] | None = None
) -> logging.Handler:
    """Install (or replace) the one Betfolio handler on the root logger; returns it.

    Calling it again reconfigures rather than adding a second handler, so output is never duplicated.
    """
    if fmt not in ("text", "json"):
        raise ValueError(f"log format must be text or json, got {fmt!r}")
    _configured_secrets()
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(_formatter(fmt))
    handler.addFilter(RedactSecrets())
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else level.upper())
    # Third-party chatter stays at WARNING unless asked for DEBUG: httpx logs every request at INFO.
    noisy_level = logging.DEBUG if root.level <= logging.DEBUG else logging.WARNING
    for name in ("httpx", "httpcore", "urllib3", "asyncio", "matplotlib", "PIL"):
        logging.getLogger(name).setLevel(noisy_level)
    return handler


def level_for(verbose: int, quiet: bool, configured: str) -> int:
    """-q → ERROR; -v → INFO; -vv → DEBUG; otherwise the configured level."""
    if quiet:
        return logging.ERROR
    if verbose >= 2:
        return logging.DEBUG
    if verbose == 1:
        return logging.INFO
    return logging.getLevelNamesMapping()[configured.upper()]
