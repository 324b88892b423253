"""The batched simulator and the engine place the same in-play bets on the same seeds (real EPL 2022-23 matches).

The engine replays each env's episode tape through its in-play source: minute rounds, the acceptance delay as a
pending queue, the book's fill rule, the bankroll's risk chain and settlement through ``markets.settlement``.
The vectorised simulator applies the same rules in bulk. A scripted policy must get the same fills, stakes,
refusals and final equity from both.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from betfolio.engine import BetOrder, DecisionContext, Engine, Portfolio
from betfolio.engine.sources.inplay import INPLAY_BOOK, InPlayReplay
from betfolio.features.live import LIVE_BETS
from betfolio.risk import Bankroll
from betfolio.sim.batched import BatchedLiveSim, sample_bank
from betfolio.sim.market import BetReject

BOOK_REASONS = {r.label for r in (BetReject.SUSPENDED_DURING_DELAY, BetReject.PRICE_MOVED, BetReject.STALE_PRICE)}

MINUTE = timedelta(minutes=1)
#: minute → live selection index the script backs (1 % of equity each time it is offered)
SCRIPT = {t: (t // 5) % 5 for t in range(2, 90, 5)}
STAKE = 0.01


class Script:
    name = "script"

    def decide(self, context: DecisionContext) -> list[BetOrder]:
        minute = int((context.as_of - context.matches[0].kickoff).total_seconds() // 60)
        sel = SCRIPT.get(minute)
        if sel is None:
            return []
        market, selection, line = LIVE_BETS[sel]
        m = context.matches[0]
        table = context.odds[m.match_id][(market, line)]
        price = table.odds[table.bookmakers.index(INPLAY_BOOK), table.selections.index(selection)]
        if not np.isfinite(price):  # off the board (a suspended market, a decided selection)
            return []
        return [BetOrder(m.match_id, market, selection, line, float(price), STAKE * context.equity, INPLAY_BOOK)]


@pytest.mark.parametrize("seed", [0, 1])
def test_engine_and_batched_simulator_agree_bet_for_bet(seed: int) -> None:
    bank = sample_bank()
    probe = BatchedLiveSim(bank.n_matches, seed=seed, bank=bank, autoreset=False)
    probe.reset_to(np.arange(bank.n_matches), np.zeros(bank.n_matches, int))
    full = np.nonzero(probe.tapes.last_minute == 90)[0]  # matches with all 90 minutes
    sim = BatchedLiveSim(len(full), seed=seed, bank=bank, autoreset=False, stake_fraction=STAKE)
    _obs, mask = sim.reset_to(full, np.full(len(full), seed % bank.n_variants))
    sources = [InPlayReplay(sim, row) for row in range(len(full))]

    batched: list[list[tuple]] = [[] for _ in full]
    rejected: list[list[tuple[int, str]]] = [[] for _ in full]  # refused by the book (not the risk rules)
    for t in range(90):
        want = np.array([1 + SCRIPT[t] if t in SCRIPT and mask[r, 1 + SCRIPT[t]] else 0 for r in range(len(full))])
        _obs, _reward, terminated, _truncated, mask, info = sim.step(want)
        for r in np.nonzero(want)[0]:
            if info["stake"][r] > 0:
                batched[r].append(
                    (t, want[r] - 1, round(float(info["stake"][r]), 12), round(float(info["fill_odds"][r]), 6))
                )
            elif info["reject_reason"][r] != BetReject.RISK:
                rejected[r].append((t, BetReject(int(info["reject_reason"][r])).label))
    assert terminated.all()
    equity_batched = info["equity"]

    placed = rejects = 0
    for r, source in enumerate(sources):
        portfolio = Portfolio("script", Bankroll(sim.initial_budget, sim.limits))
        engine = Engine([Script()], {"script": portfolio}, execution=source.execution())
        engine.run(source)
        engine.finish(source.kickoff)
        mine = [
            (
                source.minute_of(b.placed_at),
                LIVE_BETS.index((b.market, b.selection, b.line)),
                round(b.stake, 12),
                round(b.odds, 6),
            )
            for b in portfolio.bets
        ]
        assert mine == batched[r], f"env {r}"
        # the book's refusals agree; the risk chain's refusals are what the simulator's action mask hides
        book = [(source.minute_of(x.at), x.reason) for x in portfolio.refusals if x.reason in BOOK_REASONS]
        assert book == rejected[r], f"env {r}"
        assert portfolio.bankroll.equity == pytest.approx(equity_batched[r], abs=1e-9)
        assert all(b.settled_at == source.kickoff + (source.last * MINUTE) for b in portfolio.bets)
        assert all(b.status in ("won", "lost") for b in portfolio.bets)
        placed += len(mine)
        rejects += len(book)
    assert placed > 1000 and rejects > 10  # the script really bets, and the book really refuses some
