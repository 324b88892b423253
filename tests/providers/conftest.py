"""Fixtures for the provider tests: the recorded payload folders and a running stand-in server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from betfolio.providers.standin import StandIn, serve


def load(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_bytes())


@pytest.fixture
def standin(af_dir: Path, oa_dir: Path) -> Iterator[StandIn]:
    """The provider stand-in on a free 127.0.0.1 port, serving the recorded payloads."""
    with serve(af_dir, oa_dir) as running:
        yield running
