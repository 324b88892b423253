"""Pre-match observations: market prices and team form known strictly before kick-off.

Form is computed walk-forward over the match set in kick-off order: a match only sees the results of its teams'
matches that kicked off *earlier* (never the same day's later games, never its own result). A team without
earlier matches in the set has its form features masked, not zeroed.
"""

from __future__ import annotations

from collections import defaultdict, deque

import numpy as np

from betfolio.markets.margin import implied_probabilities
from betfolio.sim.episodes import MatchSet
from betfolio.sim.features import PREMATCH_FEATURES

FORM_WINDOW = 5


def prematch_features(ms: MatchSet, window: int = FORM_WINDOW) -> tuple[np.ndarray, np.ndarray]:
    """Values and masks ``[n, len(PREMATCH_FEATURES)]`` (float32; missing values are 0 with mask 0)."""
    n = len(ms)
    values = np.zeros((n, len(PREMATCH_FEATURES)), np.float64)
    mask = np.zeros_like(values, dtype=bool)
    implied = implied_probabilities(ms.prematch_odds)
    values[:, 0:3] = ms.prematch_fair
    values[:, 3:6] = implied
    values[:, 6] = implied.sum(1) - 1.0
    mask[:, 0:7] = True
    values[:, 7] = np.nan_to_num(ms.fair_over)
    mask[:, 7] = np.isfinite(ms.fair_over)
    past: dict[str, deque[tuple[int, int]]] = defaultdict(lambda: deque(maxlen=window))
    order = np.argsort(ms.kickoff, kind="stable")
    i = 0
    while i < n:  # matches at the same kick-off time must not see each other
        j = i
        while j < n and ms.kickoff[order[j]] == ms.kickoff[order[i]]:
            j += 1
        for r in order[i:j]:
            for col, team in ((8, ms.home_team[r]), (10, ms.away_team[r])):
                games = past[team]
                if games:
                    gf = np.mean([g[0] for g in games])
                    ga = np.mean([g[1] for g in games])
                    pts = np.mean([3 if g[0] > g[1] else 1 if g[0] == g[1] else 0 for g in games])
                    values[r, col], values[r, col + 1] = gf / 3.0, ga / 3.0
                    values[r, 12 if col == 8 else 13] = pts / 3.0
                    mask[r, [col, col + 1, 12 if col == 8 else 13]] = True
        for r in order[i:j]:
            h, a = (int(x) for x in ms.full_time[r])
            past[ms.home_team[r]].append((h, a))
            past[ms.away_team[r]].append((a, h))
        i = j
    return np.where(mask, values, 0.0).astype(np.float32), mask
