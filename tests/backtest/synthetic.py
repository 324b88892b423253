"""Small, fully known football-data files for backtest tests (real format, ingested by the real parser).

Results are drawn from a seeded Poisson model of team strengths and prices are that model's probabilities plus
a margin, so every number a test checks can be recomputed by hand.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from scipy.stats import poisson

TEAMS = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel"]
BOOKS = {"B365": 0.05, "BW": 0.06, "PS": 0.025}


def round_robin(teams: list[str]) -> list[list[tuple[str, str]]]:
    """Double round robin by the circle method: each ordered pair once per season."""
    n = len(teams)
    order = list(teams)
    first = []
    for r in range(n - 1):
        pairs = [(order[i], order[n - 1 - i]) for i in range(n // 2)]
        first.append([(a, b) if r % 2 == 0 else (b, a) for a, b in pairs])
        order = [order[0], order[-1], *order[1:-1]]
    return first + [[(b, a) for a, b in rnd] for rnd in first]


def probabilities(lam: float, mu: float) -> tuple[np.ndarray, float]:
    goals = np.arange(11)
    grid = np.outer(poisson.pmf(goals, lam), poisson.pmf(goals, mu))
    grid /= grid.sum()
    p = np.array([np.tril(grid, -1).sum(), np.trace(grid), np.triu(grid, 1).sum()])
    over = grid[np.add.outer(goals, goals) > 2.5].sum()
    return p, float(over)


def write_season(
    folder: Path,
    season: str,
    *,
    league: str = "E0",
    seed: int = 0,
    closing: bool = True,
    blank_results_after: date | None = None,
) -> Path:
    rng = np.random.default_rng(seed)
    strength = {t: s for t, s in zip(TEAMS, np.linspace(0.35, -0.35, len(TEAMS)), strict=True)}
    start_year = int(season[:4])
    day = date(start_year, 8, 7)  # a Saturday in 2021; any weekday works for the parser
    header = ["Div", "Date", "Time", "HomeTeam", "AwayTeam", "FTHG", "FTAG", "FTR"]
    for book in BOOKS:
        header += [f"{book}H", f"{book}D", f"{book}A"]
    header += ["AvgH", "AvgD", "AvgA", "B365>2.5", "B365<2.5", "AHh", "B365AHH", "B365AHA"]
    if closing:
        header += ["PSCH", "PSCD", "PSCA", "B365C>2.5", "B365C<2.5"]
    rows = []
    for rnd in round_robin(TEAMS):
        for home, away in rnd:
            lam = float(np.exp(0.25 + strength[home] - strength[away] * 0.8))
            mu = float(np.exp(0.0 + strength[away] - strength[home] * 0.8))
            p, over = probabilities(lam, mu)
            hg, ag = int(rng.poisson(lam)), int(rng.poisson(mu))
            if blank_results_after is not None and day > blank_results_after:
                score = ["", "", ""]
            else:
                score = [str(hg), str(ag), "H" if hg > ag else ("D" if hg == ag else "A")]
            row = [league, day.strftime("%d/%m/%Y"), "15:00", home, away, *score]
            books = []
            for margin in BOOKS.values():
                noisy = p * np.exp(rng.normal(0, 0.03, 3))
                odds = np.round(1.0 / (noisy / noisy.sum() * (1 + margin)), 2)
                books.append(odds)
                row += [f"{o:.2f}" for o in odds]
            avg = np.mean(books, axis=0)
            row += [f"{o:.2f}" for o in avg]
            tot = np.round(1.0 / (np.array([over, 1 - over]) * 1.05), 2)
            row += [f"{tot[0]:.2f}", f"{tot[1]:.2f}", "-0.25" if p[0] > p[2] else "0.25", "1.95", "1.95"]
            if closing:
                close = np.round(1.0 / (p * np.exp(rng.normal(0, 0.02, 3)) * 1.025), 2)
                row += [f"{o:.2f}" for o in close] + [f"{tot[0]:.2f}", f"{tot[1]:.2f}"]
            rows.append(row)
        day += timedelta(days=7)
    path = folder / season / f"{league}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path
