"""The HTTP plumbing every HTTP provider shares: httpx + quota-aware rate limiting + retries + circuit breaker.

* **Retries** (tenacity): 429, 5xx, timeouts, connection errors and truncated/malformed JSON are transient and
  retried with exponential backoff (a ``Retry-After`` header wins). 4xx and provider-reported parameter
  errors are the caller's fault and are not retried.
* **"HTTP 200 with errors"** is an error: each provider passes a ``check`` that inspects the decoded payload
  (API-Football's ``errors`` object); a quota message becomes QuotaExhausted.
* **Circuit breaker** (pybreaker): after ``fail_max`` consecutive failed calls (3 by default) the circuit opens
  and calls fail immediately for ``reset_timeout`` seconds (60), then one trial call is let through
  (half-open). Caller errors do not count as failures.
* **Secrets**: the API key is sent in a header or a query parameter but never logged, never returned with the
  response parameters, and never stored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pybreaker
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from betfolio.providers.base import PayloadError, load_json
from betfolio.providers.ratelimit import QuotaExhausted, QuotaLimiter


class ProviderError(RuntimeError):
    """A provider call failed."""


class TransientError(ProviderError):
    """Worth retrying: 429, 5xx, timeout, connection error, truncated body."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RequestRejected(ProviderError):
    """The request itself is wrong (bad parameters, unknown endpoint, bad key): retrying cannot help."""


class QuotaExceeded(ProviderError):
    """The provider says the quota is used up (or the limiter refused to exceed it)."""


class CircuitOpenError(ProviderError):
    """The circuit is open: the provider failed repeatedly and is not being called right now."""


@dataclass
class HttpSettings:
    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    secret_params: dict[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    attempts: int = 4
    backoff_initial: float = 0.5
    backoff_max: float = 8.0
    fail_max: int = 3
    reset_timeout: float = 60.0
    per_minute: int | None = None
    per_day: int | None = None
    reserve: int = 0


@dataclass
class Response:
    endpoint: str
    params: dict[str, Any]
    status_code: int
    content: bytes
    payload: Any
    headers: dict[str, str]
    fetched_at: datetime
    attempts: int = 1


class _RedactSecrets(logging.Filter):
    """httpx logs every request URL at INFO; a query-string API key must not reach a log file."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            for secret in self.secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        return True


_REDACTOR = _RedactSecrets()
logging.getLogger("httpx").addFilter(_REDACTOR)


Check = Callable[[Any], None]


class HttpProviderClient:
    def __init__(
        self,
        provider: str,
        settings: HttpSettings,
        *,
        check: Check | None = None,
        transport: httpx.BaseTransport | None = None,
        limiter: QuotaLimiter | None = None,
        sleep: Callable[[float], None] | None = None,
        on_state_change: Callable[[str, str], None] | None = None,
    ) -> None:
        self.provider = provider
        self.settings = settings
        self._check = check
        self._sleep = sleep or time.sleep
        self.limiter = limiter or QuotaLimiter(
            per_minute=settings.per_minute, per_day=settings.per_day, reserve=settings.reserve, sleep=self._sleep
        )
        for secret in [*settings.headers.values(), *settings.secret_params.values()]:
            if secret and len(secret) >= 6 and _is_secret_header_value(secret, settings):
                _REDACTOR.secrets.add(secret)
        self._http = httpx.Client(
            base_url=settings.base_url, headers=settings.headers, timeout=settings.timeout, transport=transport
        )
        listeners = [_StateListener(on_state_change)] if on_state_change else []
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=settings.fail_max,
            reset_timeout=settings.reset_timeout,
            exclude=[RequestRejected],
            listeners=listeners,
            name=provider,
        )

    def __repr__(self) -> str:  # never show headers (the key lives there)
        return f"HttpProviderClient({self.provider!r}, base_url={self.settings.base_url!r})"

    @property
    def circuit_state(self) -> str:
        return str(self.breaker.current_state).replace("-", "_")

    def close(self) -> None:
        self._http.close()

    def get(self, endpoint: str, params: Mapping[str, Any] | None = None) -> Response:
        """GET ``endpoint`` with retries inside the circuit breaker."""
        public = dict(params or {})
        try:
            return self.breaker.call(self._get_with_retries, endpoint, public)
        except pybreaker.CircuitBreakerError as exc:
            raise CircuitOpenError(f"{self.provider}: circuit open ({exc}); not calling the provider") from exc

    def _get_with_retries(self, endpoint: str, params: dict[str, Any]) -> Response:
        retrying = Retrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop_after_attempt(self.settings.attempts),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        attempt_no = 0
        for attempt in retrying:
            with attempt:
                attempt_no = attempt.retry_state.attempt_number
                response = self._get_once(endpoint, params)
                response.attempts = attempt_no
                return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientError) and exc.retry_after is not None:
            return min(exc.retry_after, 120.0)
        backoff = self.settings.backoff_initial * 2 ** (state.attempt_number - 1)
        return min(backoff, self.settings.backoff_max)

    def _get_once(self, endpoint: str, params: dict[str, Any]) -> Response:
        try:
            self.limiter.acquire()
        except QuotaExhausted as exc:
            raise QuotaExceeded(f"{self.provider}: {exc}") from exc
        url = "/" + endpoint.strip("/")
        try:
            reply = self._http.get(url, params={**params, **self.settings.secret_params})
        except httpx.TimeoutException as exc:
            raise TransientError(f"{self.provider} {endpoint}: timed out ({exc.__class__.__name__})") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"{self.provider} {endpoint}: connection failed ({exc.__class__.__name__})") from exc
        self.limiter.observe(reply.headers)
        status = reply.status_code
        if status == 429:
            retry_after = _retry_after(reply)
            self.limiter.note_rate_limited(retry_after)
            raise TransientError(f"{self.provider} {endpoint}: HTTP 429 rate limited", retry_after)
        if status >= 500:
            raise TransientError(f"{self.provider} {endpoint}: HTTP {status}", _retry_after(reply))
        if status in (401, 403):
            detail = _short(reply.text)
            raise RequestRejected(f"{self.provider} {endpoint}: HTTP {status} (check the API key): {detail}")
        if status >= 400:
            raise RequestRejected(f"{self.provider} {endpoint}: HTTP {status}: {_short(reply.text)}")
        try:
            payload = load_json(reply.content, provider=self.provider, endpoint=endpoint)
        except PayloadError as exc:  # malformed, too large, too deeply nested: retried, counted by the circuit
            raise TransientError(f"{exc} (in the response)") from exc
        if self._check is not None:
            self._check(payload)
        return Response(
            endpoint=endpoint.strip("/"),
            params=params,
            status_code=status,
            content=reply.content,
            payload=payload,
            headers={k.lower(): v for k, v in reply.headers.items() if k.lower() not in _SENSITIVE_HEADERS},
            fetched_at=datetime.now(UTC),
        )


_SENSITIVE_HEADERS = frozenset({"set-cookie", "x-apisports-key", "x-rapidapi-key", "authorization"})


def _is_secret_header_value(value: str, settings: HttpSettings) -> bool:
    secret_names = {"x-apisports-key", "x-rapidapi-key", "authorization"}
    in_headers = any(k.lower() in secret_names and v == value for k, v in settings.headers.items())
    return in_headers or value in settings.secret_params.values()


def _retry_after(reply: httpx.Response) -> float | None:
    raw = reply.headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


class _StateListener(pybreaker.CircuitBreakerListener):
    def __init__(self, callback: Callable[[str, str], None]) -> None:
        self._callback = callback

    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: Any, new_state: Any) -> None:
        self._callback(cb.name, str(new_state.name).replace("-", "_"))
