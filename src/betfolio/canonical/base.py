"""Shared base for canonical records.

Records are immutable pydantic models: once a provider payload has been mapped, nothing downstream may
quietly edit it. Every record carries a ``kind`` so a stream of mixed records (``betfolio parse``) stays
self-describing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, ValidationInfo, model_validator

#: Validation context key: the JSON text being validated holds no NUL character, raw or escaped (see
#: :func:`validate_json`), so no string parsed from it can — the record's walk for one is skipped.
NUL_FREE = "nul_free"


class CanonicalRecord(BaseModel):
    # No NaN or infinity anywhere: a staleness of 1e999 read back from Redis, or an infinite statistic, is refused.
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    kind: ClassVar[str] = "record"

    @model_validator(mode="after")
    def _no_nul_characters(self, info: ValidationInfo) -> CanonicalRecord:
        # PostgreSQL refuses NUL in text and JSONB (the whole COPY of a payload would fail): refuse the one record,
        # naming the field, wherever in it — nested ``detail``/``statistics`` included — the character hides.
        # Only strings and containers are visited (every live state passes here when published and when read).
        if info.context is not None and info.context.get(NUL_FREE):
            return self  # the JSON text it was parsed from holds none (checked once on the bytes: far cheaper)
        for name, value in self.__dict__.items():
            if isinstance(value, _WALKED) and (where := _nul_path(value, name)) is not None:
                raise ValueError(f"{where} contains a NUL character")
        return self

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the record kind first (used by `betfolio parse`)."""
        return {"kind": self.kind, **self.model_dump(mode="json")}


#: What may hold a string (numbers, timestamps and None cannot): the only values :func:`_nul_path` descends into.
_WALKED = (str, dict, list, tuple)


def _nul_path(value: Any, path: str) -> str | None:
    """The path of the first string holding ``\\x00`` inside ``value`` (strings, dict keys and values, lists)."""
    found = _nul_suffix(value)
    return None if found is None else path + found


def _nul_suffix(value: Any) -> str | None:
    """:func:`_nul_path` below ``value``'s own path; the path is spelled out only on a hit (the walk runs on every
    record and almost never finds one)."""
    if isinstance(value, str):
        return "" if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                return f" key {key!r}"
            if isinstance(item, _WALKED) and (found := _nul_suffix(item)) is not None:
                return f".{key}{found}"
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            if isinstance(item, _WALKED) and (found := _nul_suffix(item)) is not None:
                return f"[{i}]{found}"
    return None


Record = TypeVar("Record", bound=CanonicalRecord)


def validate_json(model: type[Record], raw: str | bytes) -> Record:
    """``model.model_validate_json(raw)``, the record's NUL walk skipped when the text shows none can be inside.

    JSON spells a NUL in a string (or a key) only as the escape ``\\u0000`` (or, invalidly, as the raw byte), so
    text without either cannot yield one; text with either — even a harmless escaped backslash before ``u0000`` —
    gets the full walk, which names the field as always. A trader validates every live state it reads.
    """
    data = raw.encode() if isinstance(raw, str) else raw
    clean = b"\\u0000" not in data and b"\x00" not in data
    return model.model_validate_json(raw, context={NUL_FREE: True} if clean else None)


#: Longest name a record may carry (team, league, player, referee, venue): the store's name columns hold 128
#: characters, and a longer value is a broken or hostile payload — refused per record rather than failing the
#: payload's whole transaction on PostgreSQL (SQLite would silently store it).
MAX_NAME_LENGTH = 128
Name = Annotated[str, StringConstraints(max_length=MAX_NAME_LENGTH)]
#: Short labels stored in narrower columns (countries, nationalities, bookmakers).
MAX_COUNTRY_LENGTH = 64
Country = Annotated[str, StringConstraints(max_length=MAX_COUNTRY_LENGTH)]
Label = Annotated[str, StringConstraints(max_length=32)]


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
