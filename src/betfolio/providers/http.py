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
from pathlib import Path
from typing import Any

import httpx
import pybreaker
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from betfolio.logs import RedactSecrets, register_secret
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


# httpx logs every request URL at INFO; a query-string API key must not reach a log file, whoever configured
# logging (the filter also sits on the handler betfolio.logs installs).
logging.getLogger("httpx").addFilter(RedactSecrets())


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
        #: Headers of the last download reply (its ETag guards a later resume with If-Range).
        self.last_download_headers: dict[str, str] = {}
        self._sleep = sleep or time.sleep
        self.limiter = limiter or QuotaLimiter(
            per_minute=settings.per_minute, per_day=settings.per_day, reserve=settings.reserve, sleep=self._sleep
        )
        for secret in [*settings.headers.values(), *settings.secret_params.values()]:
            if secret and len(secret) >= 6 and _is_secret_header_value(secret, settings):
                register_secret(secret)
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
        return self._call(lambda: self._get_once(endpoint, public))

    def download(self, endpoint: str, part: Path, headers: Mapping[str, str] | None = None) -> Response:
        """Stream ``endpoint`` into the file ``part`` with retries inside the circuit breaker, resuming.

        When ``part`` already holds bytes (an earlier attempt or run broke off), a ``Range`` request asks for the
        rest and a 206 reply is appended; any other 200 rewrites the file from the start. ``headers`` carry the
        caller's validators (``If-None-Match``/``If-Modified-Since`` → a 304 reply with nothing written;
        ``If-Range`` so a changed file is sent whole). The caller moves ``part`` into place once it is
        complete and checked: a download that fails midway never replaces a good file.
        """
        sent = dict(headers or {})
        return self._call(lambda: self._download_once(endpoint, part, sent))

    def _call(self, once: Callable[[], Response]) -> Response:
        """``once`` with retries inside the circuit breaker: the one way every request is made."""
        try:
            return self.breaker.call(self._with_retries, once)
        except pybreaker.CircuitBreakerError as exc:
            raise CircuitOpenError(f"{self.provider}: circuit open ({exc}); not calling the provider") from exc

    def _with_retries(self, call: Callable[[], Response]) -> Response:
        retrying = Retrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop_after_attempt(self.settings.attempts),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                response = call()
                response.attempts = attempt.retry_state.attempt_number
                return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientError) and exc.retry_after is not None:
            return min(exc.retry_after, 120.0)
        backoff = self.settings.backoff_initial * 2 ** (state.attempt_number - 1)
        return min(backoff, self.settings.backoff_max)

    def _request_once(
        self,
        endpoint: str,
        params: dict[str, Any],
        headers: dict[str, str] | None,
        body: Callable[[httpx.Response], tuple[bytes, Any]],
    ) -> Response:
        """One GET within the quota: ``body`` reads the open reply (checking its status) into the response's
        content and payload. Timeouts and broken connections, a body cut short included, are transient."""
        try:
            self.limiter.acquire()
        except QuotaExhausted as exc:
            raise QuotaExceeded(f"{self.provider}: {exc}") from exc
        url = "/" + endpoint.strip("/")
        try:
            with self._http.stream(
                "GET", url, params={**params, **self.settings.secret_params}, headers=headers
            ) as reply:
                self.limiter.observe(reply.headers)
                content, payload = body(reply)
        except httpx.TimeoutException as exc:
            raise TransientError(f"{self.provider} {endpoint}: timed out ({exc.__class__.__name__})") from exc
        except httpx.TransportError as exc:  # for a download, the bytes so far stay for a resume
            raise TransientError(f"{self.provider} {endpoint}: connection failed ({exc.__class__.__name__})") from exc
        return Response(
            endpoint=endpoint.strip("/"),
            params=params,
            status_code=reply.status_code,
            content=content,
            payload=payload,
            headers={k.lower(): v for k, v in reply.headers.items() if k.lower() not in _SENSITIVE_HEADERS},
            fetched_at=datetime.now(UTC),
        )

    def _get_once(self, endpoint: str, params: dict[str, Any]) -> Response:
        def body(reply: httpx.Response) -> tuple[bytes, Any]:
            content = reply.read()
            status = reply.status_code
            self._raise_for_status(endpoint, status, reply, _short(reply.text) if status >= 400 else "")
            try:
                payload = load_json(content, provider=self.provider, endpoint=endpoint)
            except PayloadError as exc:  # malformed, too large, too deeply nested: retried, counted by the circuit
                raise TransientError(f"{exc} (in the response)") from exc
            if self._check is not None:
                self._check(payload)
            return content, payload

        return self._request_once(endpoint, params, None, body)

    def _download_once(self, endpoint: str, part: Path, headers: dict[str, str]) -> Response:
        offset = part.stat().st_size if part.exists() else 0
        sent = dict(headers)
        if offset:
            sent["Range"] = f"bytes={offset}-"
            validator = headers.get("If-Range") or self.last_download_headers.get("etag")
            if validator:
                sent["If-Range"] = validator

        def body(reply: httpx.Response) -> tuple[bytes, Any]:
            status = reply.status_code
            self.last_download_headers = {k.lower(): v for k, v in reply.headers.items()}
            if status == 416:  # the partial file does not fit the server's file any more: start again
                part.unlink(missing_ok=True)
                raise TransientError(f"{self.provider} {endpoint}: HTTP 416, restarting the download")
            self._raise_for_status(endpoint, status, reply)
            if status != 304:
                part.parent.mkdir(parents=True, exist_ok=True)
                with part.open("ab" if status == 206 else "wb") as handle:
                    for chunk in reply.iter_bytes():
                        handle.write(chunk)
            return b"", None

        return self._request_once(endpoint, {}, sent, body)

    def _raise_for_status(self, endpoint: str, status: int, reply: httpx.Response, detail: str = "") -> None:
        """429 and 5xx are transient (retried, Retry-After honoured); other 4xx are the caller's fault."""
        if status == 429:
            retry_after = _retry_after(reply)
            self.limiter.note_rate_limited(retry_after)
            raise TransientError(f"{self.provider} {endpoint}: HTTP 429 rate limited", retry_after)
        if status >= 500:
            raise TransientError(f"{self.provider} {endpoint}: HTTP {status}", _retry_after(reply))
        suffix = f": {detail}" if detail else ""
        if status in (401, 403):
            raise RequestRejected(f"{self.provider} {endpoint}: HTTP {status} (check the API key){suffix}")
        if status >= 400:
            raise RequestRejected(f"{self.provider} {endpoint}: HTTP {status}{suffix}")


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
