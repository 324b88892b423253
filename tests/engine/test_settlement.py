"""Settling through markets.settlement: a few bets one by one from the kernel's memo, many in one vectorised call —
the same outcomes to the last bit either way."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from betfolio.engine.bets import BetRecord
from betfolio.engine.events import MatchResult
from betfolio.engine.settlement import settle_outcomes

AT = datetime(2023, 1, 7, 15, tzinfo=UTC)
BETS = [
    ("1x2", "home", None),
    ("1x2", "draw", None),
    ("total_goals", "over", 2.5),
    ("total_goals", "under", 2.25),
    ("asian_handicap", "home", -0.75),
    ("asian_handicap", "away", 0.25),
    ("draw_no_bet", "away", None),
    ("btts", "yes", None),
]
RESULTS = {
    1: MatchResult(1, AT, "finished", 2, 1),
    2: MatchResult(2, AT, "finished", 1, 1),
    3: MatchResult(3, AT, "postponed", None, None),
    4: MatchResult(4, AT, "awarded", 3, 0),
}


def _bet(match_id: int, market: str, selection: str, line: float | None, odds: float) -> BetRecord:
    return BetRecord("s", match_id, "E0", "2022-23", market, selection, line, odds, 1.5, 1.5, "bet365", AT, AT)


def test_few_bets_settle_exactly_as_the_vectorised_kernel() -> None:
    bets = [
        _bet(mid, market, selection, line, 1.7 + 0.13 * i)
        for mid in RESULTS
        for i, (market, selection, line) in enumerate(BETS)
    ]
    assert len(bets) > 16  # the whole list goes through the vectorised call
    together = settle_outcomes(bets, RESULTS)
    one_by_one = [o for b in bets for o in settle_outcomes([b], RESULTS)]
    assert one_by_one == together
    statuses = {o.status for o in together}
    assert statuses >= {"won", "lost", "void", "half_won"}  # quarter lines and voids are among them


def test_a_match_without_a_final_result_cannot_settle_on_either_path() -> None:
    live = {9: MatchResult(9, AT, "live", 1, 0)}
    with pytest.raises(ValueError, match="no final result"):
        settle_outcomes([_bet(9, "1x2", "home", None, 2.0)], live)
