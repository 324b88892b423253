"""Reading API-Football's loosely typed values.

The provider sends numbers as ints, floats, numeric strings ("2.73"), percentages ("47%"), or null, and the
same field changes type between endpoints (``passes.accuracy`` is "85%" in fixtures, 40 in /players). These
helpers accept every form seen in real payloads and raise MappingError for anything else, so one odd value
rejects only the record (or the single statistic) it belongs to.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import Any

from betfolio.providers.base import MappingError

_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?%?$", re.ASCII)


def number(value: Any, what: str, field: str = "") -> float | None:
    """int/float/"2.73"/"47%" → float; None/"" → None; anything else → MappingError.

    ``field`` is appended to ``what`` only in the error message, so hot loops need not format paths."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise MappingError(f"{what}{field}: boolean {value!r} where a number was expected")
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        if value.isascii() and value.replace(".", "", 1).isdigit():  # the common case ("1.38", "62"), in C
            return float(value)
        text = value.strip()
        if not text:
            return None
        if not _NUMBER.match(text):
            raise MappingError(f"{what}{field}: {value!r} is not a number")
        result = float(text.rstrip("%"))
    else:
        raise MappingError(f"{what}{field}: {type(value).__name__} where a number was expected")
    if not math.isfinite(result):
        raise MappingError(f"{what}{field}: non-finite {value!r}")
    return result


def count(value: Any, what: str, field: str = "") -> int | None:
    result = number(value, what, field)
    if result is None:
        return None
    if result < 0 or result != int(result):
        raise MappingError(f"{what}{field}: {value!r} is not a non-negative whole number")
    return int(result)


def text(value: Any, what: str, field: str = "") -> str | None:
    if value is None:
        return None
    if isinstance(value, (bool, dict, list)):
        raise MappingError(f"{what}{field}: {type(value).__name__} where text was expected")
    result = str(value).strip()
    return result or None


def ident(value: Any, what: str) -> str:
    """Provider ids are ints in the payloads; strings of digits are accepted too. Required."""
    if isinstance(value, bool) or value is None:
        raise MappingError(f"{what}: missing id")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise MappingError(f"{what}: {value!r} is not an id")


def obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MappingError(f"{what}: expected an object, got {type(value).__name__}")
    return value


def opt_obj(value: Any, what: str) -> dict[str, Any]:
    """An object that may be absent/null (treated as empty)."""
    return {} if value is None else obj(value, what)


def timestamp(value: Any, what: str) -> datetime:
    """ISO-8601 with offset ("2024-03-13T20:00:00+00:00", "2024-03-27T18:03:33Z"); naive times are refused."""
    if not isinstance(value, str):
        raise MappingError(f"{what}: expected an ISO timestamp, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise MappingError(f"{what}: bad timestamp {value!r}") from exc
    if parsed.tzinfo is None:
        raise MappingError(f"{what}: timestamp {value!r} has no time zone")
    return parsed.astimezone(UTC)


def day(value: Any, what: str) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise MappingError(f"{what}: expected a date, got {type(value).__name__}")
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError as exc:
        raise MappingError(f"{what}: bad date {value!r}") from exc


def season_year(value: Any, what: str) -> int:
    year = count(value, what)
    if year is None or not 1900 <= year <= 2100:
        raise MappingError(f"{what}: {value!r} is not a season year")
    return year
