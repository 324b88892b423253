"""Provider reads that survive a provider outage: live when possible, the last valid data otherwise.

Every successful response is archived (in the store: ``raw_payloads``, raw bytes). When the provider fails —
circuit open, quota exhausted, 5xx after retries, a timeout — the last archived payload for the *same
endpoint and parameters* is served instead, flagged ``stale=True`` with ``staleness_seconds`` since it was
fetched, so a consumer can tell "nothing changed" from "we don't know". The provider's health (circuit state,
quota, last success/failure) is recorded on every call for the app and the metrics. Where the archive lives is
not this module's business: it is handed a :class:`PayloadArchive` (``betfolio.store.archive.StoreArchive``
in every real use), so the providers import no database code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from betfolio.providers.base import load_json
from betfolio.providers.http import HttpProviderClient, HttpSettings, ProviderError, Response


class PayloadArchive(Protocol):
    """Where fetched payloads are kept and provider health is recorded (the store implements it)."""

    def save(
        self, *, provider: str, endpoint: str, source: str, content: bytes, params: dict[str, Any], fetched_at: datetime
    ) -> datetime: ...

    def last(self, provider: str, endpoint: str, params: dict[str, Any]) -> tuple[bytes, datetime] | None: ...

    def status(self, provider: str, **health: Any) -> None: ...


class NoDataAvailable(ProviderError):
    """The provider failed and the store holds no earlier payload for this request."""


@dataclass(frozen=True)
class Fetched:
    provider: str
    endpoint: str
    params: dict[str, Any]
    content: bytes
    payload: Any
    fetched_at: datetime
    stale: bool
    staleness_seconds: float
    error: str | None = None

    @property
    def source(self) -> str:
        return "store" if self.stale else "provider"


class ResilientSource:
    """A provider client plus an archive: ``fetch`` never raises while the archive has an answer."""

    def __init__(
        self,
        client: HttpProviderClient,
        archive: PayloadArchive | None,
        *,
        decode: Callable[[bytes], Any] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client, self.archive, self._clock = client, archive, clock
        self._decode = decode or self._load

    @property
    def provider(self) -> str:
        return self.client.provider

    def _load(self, content: bytes) -> Any:
        return load_json(content, provider=self.provider, endpoint="stored payload")

    def fetch(self, endpoint: str, params: dict[str, Any] | None = None) -> Fetched:
        params = dict(params or {})
        endpoint = endpoint.strip("/")
        try:
            response = self.client.get(endpoint, params)
        except ProviderError as exc:
            self._status(succeeded=False, error=str(exc))
            return self._fallback(endpoint, params, exc)
        fetched_at = self._archive(response)
        self._status(succeeded=True)
        return Fetched(
            provider=self.provider,
            endpoint=endpoint,
            params=params,
            content=response.content,
            payload=response.payload,
            fetched_at=fetched_at,
            stale=False,
            staleness_seconds=0.0,
        )

    def _fallback(self, endpoint: str, params: dict[str, Any], exc: ProviderError) -> Fetched:
        found = self.archive.last(self.provider, endpoint, params) if self.archive is not None else None
        if found is None:
            raise NoDataAvailable(f"{exc}; and no earlier {self.provider} {endpoint} data in the store") from exc
        content, fetched_at = found
        staleness = max(0.0, (self._clock() - fetched_at).total_seconds())
        return Fetched(
            provider=self.provider,
            endpoint=endpoint,
            params=params,
            content=content,
            payload=self._decode(content),
            fetched_at=fetched_at,
            stale=True,
            staleness_seconds=staleness,
            error=str(exc),
        )

    def _archive(self, response: Response) -> datetime:
        """Archive the response; returns the fetch time as stored (what a later fallback will report)."""
        if self.archive is None:
            return response.fetched_at
        return self.archive.save(
            provider=self.provider,
            endpoint=response.endpoint,
            source=f"{self.client.settings.base_url.rstrip('/')}/{response.endpoint}",
            content=response.content,
            params=response.params,
            fetched_at=response.fetched_at,
        )

    def _status(self, *, succeeded: bool, error: str | None = None) -> None:
        if self.archive is None:
            return
        snap = self.client.limiter.snapshot
        self.archive.status(
            self.provider,
            circuit_state=self.client.circuit_state,
            succeeded=succeeded,
            error=error,
            quota_remaining_day=snap.day_remaining if snap.day_remaining is not None else snap.credits_remaining,
            quota_remaining_minute=snap.minute_remaining,
        )


class ProviderClient:
    """Base of every HTTP provider client: the shared HTTP plumbing behind an archive-backed resilient source.

    Subclasses name their provider and the payload check that turns "HTTP 200 with an error" into an error; the
    endpoints they expose all read through ``self.source`` so that outages fall back to stored data.
    """

    provider: str
    check_payload: Callable[[Any], None]

    def __init__(
        self,
        settings: HttpSettings,
        archive: PayloadArchive | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        **client_options: Any,
    ) -> None:
        check = type(self).check_payload
        self.http = HttpProviderClient(self.provider, settings, check=check, transport=transport, **client_options)
        self.source = ResilientSource(self.http, archive)

    def close(self) -> None:
        self.http.close()
