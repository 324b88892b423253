"""Real match data for the model tests: the bundled football-data sample, read by the project's own parser."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pytest

from betfolio.providers.football_data.parser import parse_csv


@dataclass(frozen=True)
class Results:
    home: np.ndarray
    away: np.ndarray
    home_goals: np.ndarray
    away_goals: np.ndarray
    dates: np.ndarray  # datetime64[ns], UTC

    def __len__(self) -> int:
        return self.home.shape[0]


def load_sample(league: str, seasons: tuple[str, ...]) -> Results:
    root = resources.files("betfolio.data") / "sample" / "football-data"
    matches = []
    for season in seasons:
        content = gzip.decompress((root / season / f"{league}.csv.gz").read_bytes())
        matches.extend(parse_csv(content, f"{season}/{league}.csv").matches)
    matches.sort(key=lambda m: m.kickoff)
    return Results(
        home=np.array([m.home_team for m in matches]),
        away=np.array([m.away_team for m in matches]),
        home_goals=np.array([np.nan if m.home_goals is None else m.home_goals for m in matches], dtype=float),
        away_goals=np.array([np.nan if m.away_goals is None else m.away_goals for m in matches], dtype=float),
        dates=np.array([np.datetime64(m.kickoff.replace(tzinfo=None), "ns") for m in matches]),
    )


@pytest.fixture(scope="session")
def epl_two_seasons() -> Results:
    """Premier League 2021-22 and 2022-23: 760 real matches."""
    return load_sample("E0", ("2021-22", "2022-23"))
