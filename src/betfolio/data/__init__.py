"""Data shipped with the package: the league catalogue, team aliases and a real sample (see CREDITS.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path


@contextmanager
def bundled_sample() -> Iterator[Path]:
    """The football-data sample folder shipped inside the package (a real path even from a zipped install)."""
    with resources.as_file(resources.files("betfolio.data").joinpath("sample", "football-data")) as path:
        yield path
