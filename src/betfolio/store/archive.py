"""The store side of provider reads: every response's raw bytes, the last one per request, provider health.

Providers speak HTTP and know nothing of databases; they are handed a :class:`StoreArchive` (any object with
the same three methods will do: the ``PayloadArchive`` protocol of the providers' resilient client) to keep
what they fetched in ``raw_payloads`` and their health in ``provider_status``, and to serve the last stored
payload while down. The store itself imports no provider code.
"""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from betfolio.store.tables import raw_payloads
from betfolio.store.writer import archive_payload, mark_payload_fetched, record_provider_status


def canonical_params(params: dict[str, Any]) -> dict[str, str]:
    """Request parameters as stored and compared: string keys and values, sorted."""
    return {str(k): str(v) for k, v in sorted(params.items())}


class StoreArchive:
    """Raw payload archive and provider health in the store behind ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(
        self, *, provider: str, endpoint: str, source: str, content: bytes, params: dict[str, Any], fetched_at: datetime
    ) -> datetime:
        """Archive a response; returns its fetch time as stored (what a later fallback will report)."""
        with self.engine.begin() as conn:
            digest, is_new = archive_payload(
                conn,
                provider=provider,
                endpoint=endpoint,
                source=source,
                content=content,
                params=canonical_params(params),
            )
            if not is_new:
                mark_payload_fetched(conn, digest, fetched_at)
            return conn.execute(select(raw_payloads.c.fetched_at).where(raw_payloads.c.sha256 == digest)).scalar_one()

    def last(self, provider: str, endpoint: str, params: dict[str, Any]) -> tuple[bytes, datetime] | None:
        """The most recently fetched archived payload for exactly this request."""
        wanted = canonical_params(params)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(raw_payloads.c.payload_id, raw_payloads.c.params)
                .where(raw_payloads.c.provider == provider, raw_payloads.c.endpoint == endpoint)
                .order_by(raw_payloads.c.fetched_at.desc())
            ).all()
            for payload_id, stored_params in rows:  # parameters compared as JSON, content loaded for one row only
                if canonical_params(stored_params or {}) == wanted:
                    content, encoding, fetched_at = conn.execute(
                        select(raw_payloads.c.content, raw_payloads.c.encoding, raw_payloads.c.fetched_at).where(
                            raw_payloads.c.payload_id == payload_id
                        )
                    ).one()
                    return (zlib.decompress(content) if encoding == "zlib" else content), fetched_at
        return None

    def status(self, provider: str, **health: Any) -> None:
        """Record the provider's circuit state, quota and last success or failure."""
        with self.engine.begin() as conn:
            record_provider_status(conn, provider, **health)
