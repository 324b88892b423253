"""The provider interface: what a provider can do is declared, not discovered by exceptions.

Every adapter says up front which endpoints it can map (``capabilities``) and, per league season, which data
it delivers (``Coverage``). Mappers never raise on bad input: each payload maps to a ``ParseResult`` holding
the canonical records that were sound, the records that were rejected (with provider, endpoint, the path in
the payload and the reason), and the entries skipped on purpose (a suspended price, a market Betfolio does not
trade). Good records in a payload therefore land even when their neighbours are broken.
"""

from __future__ import annotations

import json
import json.scanner
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
from pydantic import ValidationError

from betfolio.canonical.base import CanonicalRecord
from betfolio.canonical.coverage import Coverage


class Capability(StrEnum):
    """Kinds of data an adapter can map (independent of any league's coverage)."""

    FIXTURES = "fixtures"
    RESULTS = "results"
    LIVE_STATE = "live_state"
    STATISTICS = "statistics"
    EVENTS = "events"
    LINEUPS = "lineups"
    PLAYER_STATISTICS = "player_statistics"
    ODDS_PREMATCH = "odds_prematch"
    ODDS_LIVE = "odds_live"
    INJURIES = "injuries"
    PLAYERS = "players"
    TEAMS = "teams"
    LEAGUES = "leagues"
    COVERAGE = "coverage"
    ACCOUNT_STATUS = "account_status"


@dataclass(frozen=True, slots=True)
class Reject:
    """A record that could not be mapped: who sent it, from which endpoint, where in the payload, and why."""

    provider: str
    endpoint: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.provider} {self.endpoint} {self.path}: {self.reason}"

    def as_dict(self) -> dict[str, str]:
        return {"provider": self.provider, "endpoint": self.endpoint, "path": self.path, "reason": self.reason}


@dataclass
class ParseResult:
    """The outcome of mapping one payload."""

    provider: str
    endpoint: str
    records: list[CanonicalRecord] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    skipped: list[Reject] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def reject(self, path: str, reason: str) -> None:
        self.rejects.append(Reject(self.provider, self.endpoint, path, reason))

    def skip(self, path: str, reason: str) -> None:
        self.skipped.append(Reject(self.provider, self.endpoint, path, reason))

    def of_kind(self, kind: str) -> list[Any]:
        return [r for r in self.records if r.kind == kind]

    def guarded(self, path: str, build: Callable[[], CanonicalRecord | None]) -> CanonicalRecord | None:
        """Run one record's mapping; any data error rejects that record only (never the payload)."""
        try:
            record = build()
        except (ValidationError, MappingError, KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            self.reject(path, describe_error(exc))
            return None
        if record is not None:
            self.records.append(record)
        return record

    def extend(self, other: ParseResult) -> None:
        self.records.extend(other.records)
        self.rejects.extend(other.rejects)
        self.skipped.extend(other.skipped)


class MappingError(ValueError):
    """A field of a provider payload cannot be mapped (wrong type, unknown code…)."""


class PayloadError(ValueError):
    """The whole payload is unusable: not JSON, not the endpoint's envelope, or a provider-reported error."""


def describe_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = str(first["msg"]).removeprefix("Value error, ")
        return f"invalid {where}: {message}" if where else message
    if isinstance(exc, KeyError):
        return f"missing key {exc.args[0]!r}" if exc.args else "missing key"
    if isinstance(exc, (TypeError, AttributeError)):
        return f"unexpected type ({exc})"
    return str(exc)


#: Bounds of every provider payload Betfolio decodes. Real responses are a few MB and nest fewer than 15 levels;
#: anything beyond is hostile or broken, and is refused before it can exhaust memory or the C stack.
MAX_PAYLOAD_BYTES = 64 * 1024 * 1024
MAX_JSON_DEPTH = 64

_JSON_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')


def json_depth(content: bytes) -> int:
    """Deepest nesting of ``[``/``{`` in a JSON text, brackets inside strings ignored.

    Hand-written because the standard decoder only notices depth by hitting the interpreter's recursion limit
    (a RecursionError from deep inside C). Escapes are dropped, everything but brackets and quotes is deleted
    (``bytes.translate``), and a bracket counts when an even number of quotes precede it; the running depth is
    a numpy cumulative sum. A few milliseconds per megabyte.
    """
    if b"\\" in content:
        content = _JSON_ESCAPE.sub(b"", content)
    marks = np.frombuffer(content.translate(None, _NOT_STRUCTURE), dtype=np.uint8)
    outside = (np.cumsum(marks == ord('"')) & 1) == 0
    steps = ((marks == ord("[")) | (marks == ord("{"))).astype(np.int32) - ((marks == ord("]")) | (marks == ord("}")))
    return int(np.cumsum(steps * outside).max(initial=0))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` refusing a key given twice in one object: the standard decoder keeps the last value
    silently, so a payload saying two things about one field would be stored as whichever came second."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return result


def _duplicate_key_position(text: str) -> tuple[int, int] | None:
    """Line and column of the first object holding a duplicate key, found with the pure-Python scanner (whose
    object parser knows where each object starts). Only run on the error path: it is much slower than C."""
    decoder = json.JSONDecoder(parse_constant=_refuse_constant)
    plain_object = decoder.parse_object
    found: list[int] = []

    def parse_object(s_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
        pairs, end = plain_object(s_and_end, *args[:3], list, *args[4:])
        if not found and len({key for key, _ in pairs}) != len(pairs):
            found.append(s_and_end[1] - 1)  # the scanner hands over the index just past ``{``
        return dict(pairs), end

    decoder.parse_object = parse_object  # type: ignore[assignment]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    try:
        decoder.decode(text)
    except ValueError:
        return None
    if not found:
        return None
    offset = found[0]
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def load_json(
    content: bytes | str,
    *,
    provider: str,
    endpoint: str,
    max_bytes: int = MAX_PAYLOAD_BYTES,
    max_depth: int = MAX_JSON_DEPTH,
) -> Any:
    """Decode a payload, bounded in size and nesting depth; anything unusable becomes a PayloadError naming
    where it broke (malformed or truncated JSON, not UTF-8, too large, too deep, an integer too long to convert,
    ``NaN``/``Infinity``, a key given twice in one object). The one JSON decoder for provider data: HTTP replies,
    recorded files, stored payloads."""
    raw = content.encode() if isinstance(content, str) else bytes(content)
    where = f"{provider} {endpoint}"
    if len(raw) > max_bytes:
        raise PayloadError(f"{where}: payload of {len(raw):,} bytes exceeds the {max_bytes:,}-byte limit")
    # Counting openers is an upper bound of the depth that settles almost every real payload without a scan.
    if raw.count(b"[") + raw.count(b"{") > max_depth and (depth := json_depth(raw)) > max_depth:
        raise PayloadError(f"{where}: JSON nested {depth} levels deep (limit {max_depth})")
    try:
        return json.loads(raw, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
    except _DuplicateKeyError as exc:
        position = _duplicate_key_position(raw.decode("utf-8", errors="replace"))
        at = f" in the object at line {position[0]} column {position[1]}" if position else ""
        raise PayloadError(f"{where}: duplicate key {exc.key!r}{at} (JSON keys must be unique)") from exc
    except UnicodeDecodeError as exc:
        raise PayloadError(f"{where}: payload is not UTF-8 text ({exc.reason})") from exc
    except json.JSONDecodeError as exc:
        raise PayloadError(f"{where}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    except (ValueError, RecursionError) as exc:  # over-long integer literal, NaN/Infinity
        raise PayloadError(f"{where}: unusable JSON ({str(exc).splitlines()[0][:200]})") from exc


def enumerate_list(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(path, item) pairs of a JSON list; anything else is a MappingError naming the path."""
    if not isinstance(value, list):
        raise MappingError(f"{path} should be a list, got {type(value).__name__}")
    for i, item in enumerate(value):
        yield f"{path}[{i}]", item


class Provider(ABC):
    """A data provider as the rest of the system sees it."""

    #: Stable id used in the store (``provider`` columns).
    name: str
    #: What the adapter can map at all.
    capabilities: frozenset[Capability]
    #: Endpoint names accepted by :meth:`parse`.
    endpoints: Sequence[str]

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    @abstractmethod
    def parse(self, endpoint: str, content: bytes | str, *, source: str = "<payload>") -> ParseResult:
        """Map one raw payload of ``endpoint``. Raises PayloadError only when the payload as a whole is
        unusable; individual bad records end up in ``ParseResult.rejects``."""

    def coverage(self, league: str, season: str) -> Coverage | None:
        """Declared coverage for one league season, when the provider publishes it without a request."""
        return None
