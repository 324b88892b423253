"""Bounded report lists: the first ``MAX_LISTED`` lines of a kind are kept verbatim, the rest only counted.

A write or a parse of a file of any size reports rejected rows, conflicts and corrections; keeping every line
would make the report (and the ``ingest_runs`` row holding it) as large as the file. Every report list of the
parser, the ingest path and the store writer is filled through :func:`extend_capped`, so all of them stop at
the same bound and count what they leave out the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

#: Lines of one kind (rejections, conflicts, corrections…) listed verbatim in a report; beyond, they are counted.
MAX_LISTED = 50


def extend_capped(target: list[T], items: Sequence[T], limit: int | None = MAX_LISTED) -> int:
    """Append ``items`` to ``target`` until it holds ``limit`` (no bound when ``None``); returns how many
    were left out, for the caller to count."""
    room = len(items) if limit is None else max(0, limit - len(target))
    target.extend(items[:room])
    return max(0, len(items) - room)
