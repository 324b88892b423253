"""Shared, read-only sim fixtures: the bundled sample's matches (parsed once per test session)."""

from __future__ import annotations

import pytest

from betfolio.sim.episodes import MatchSet, load_sample_matchset
from betfolio.sim.timeline import TimelineBank, build_bank


@pytest.fixture(scope="session")
def sample_matches() -> MatchSet:
    return load_sample_matchset(("E0",), ("2022-23",))


@pytest.fixture(scope="session")
def small_bank(sample_matches: MatchSet) -> TimelineBank:
    return build_bank(sample_matches.subset(list(range(80))), n_variants=3, seed=7)
