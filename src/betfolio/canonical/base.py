"""Shared base for canonical records.

Records are immutable pydantic models: once a provider payload has been mapped, nothing downstream may
quietly edit it. Every record carries a ``kind`` so a stream of mixed records (``betfolio parse``) stays
self-describing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict


class CanonicalRecord(BaseModel):
    # No NaN or infinity anywhere: a staleness of 1e999 read back from Redis, or an infinite statistic, is refused.
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    kind: ClassVar[str] = "record"

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the record kind first (used by `betfolio parse`)."""
        return {"kind": self.kind, **self.model_dump(mode="json")}


def ensure_utc(value: datetime | None) -> datetime | None:
    """Naive datetimes are ambiguous across providers, so they are refused rather than guessed."""
    if value is None:
        return None
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must be timezone-aware (provider time zone unknown)")
    return value.astimezone(UTC)


#: A timezone-aware timestamp normalised to UTC. Use it for every datetime field of a canonical record.
UtcDatetime = Annotated[datetime, AfterValidator(ensure_utc)]
