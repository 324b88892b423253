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
from betfolio.engine.book import BetReject
from betfolio.engine.sources.inplay import INPLAY_BOOK, InPlayReplay
from betfolio.features.live import LIVE_BETS
from betfolio.risk import Bankroll, RejectReason
from betfolio.sim.batched import BatchedLiveSim, sample_bank
from betfolio.sim.envs import LiveBettingEnv

BOOK_CODES = {BetReject.SUSPENDED_DURING_DELAY, BetReject.PRICE_MOVED, BetReject.STALE_PRICE}
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


#: 0.6 % of equity a bet: a busy policy reaches the match exposure limit (10 %), which cuts and then refuses
STAKE_FRACTION = 0.006


@pytest.mark.parametrize(
    ("seed", "reward"), [(3, "mission"), (4, "bet_outcome"), (5, "log_wealth"), (6, "mission_bet")]
)
def test_live_env_on_the_engine_agrees_with_the_batched_simulator_step_for_step(seed: int, reward: str) -> None:
    """LiveBettingEnv runs on the engine; a batch of one of the vectorised simulator must give the same episode:
    observations, rewards, fills, stakes, refusal codes and equity, over whole matches and a random policy that
    bets often enough to meet the book's refusals and the risk chain's cuts."""
    bank = sample_bank()
    env = LiveBettingEnv(bank, stake_fraction=STAKE_FRACTION, reward=reward)
    sim = BatchedLiveSim(1, seed=0, bank=bank, autoreset=False, stake_fraction=STAKE_FRACTION, reward=reward)
    rng = np.random.default_rng(seed)
    seen: dict[str, set] = {"reject": set(), "risk": set()}
    bets = 0
    for episode in range(40):
        obs_e, info_e = env.reset(seed=seed * 100 + episode)
        obs_b, mask_b = sim.reset(seed=seed * 100 + episode)
        np.testing.assert_array_equal(obs_e, obs_b[0])
        np.testing.assert_array_equal(info_e["action_mask"], mask_b[0])
        while True:
            allowed = np.nonzero(info_e["action_mask"])[0]
            action = int(rng.choice(allowed)) if rng.random() < 0.3 else 0
            if rng.random() < 0.02:
                action = int(rng.integers(1, len(info_e["action_mask"])))  # sometimes a masked action
            obs_e, r_e, term_e, trunc_e, info_e = env.step(action)
            obs_b, r_b, term_b, trunc_b, mask_b, info_b = sim.step(np.array([action]))
            where = f"seed {seed} episode {episode} minute {info_e['minute']}"
            np.testing.assert_allclose(obs_e, obs_b[0], rtol=1e-6, atol=1e-7, err_msg=where)
            np.testing.assert_array_equal(info_e["action_mask"], mask_b[0], err_msg=where)
            assert r_e == pytest.approx(float(r_b[0]), rel=1e-5, abs=1e-7), where
            assert (term_e, trunc_e) == (bool(term_b[0]), bool(trunc_b[0])), where
            assert info_e["stake"] == pytest.approx(float(info_b["stake"][0]), abs=1e-12), where
            fill_b = float(info_b["fill_odds"][0])
            assert info_e["fill_odds"] == pytest.approx(fill_b if fill_b == fill_b else 0.0, abs=1e-9), where
            assert info_e["reject_reason"] == int(info_b["reject_reason"][0]), where
            assert info_e["risk_reason"] == int(info_b["risk_reason"][0]), where
            assert info_e["equity"] == pytest.approx(float(info_b["equity"][0]), abs=1e-9), where
            seen["reject"].add(info_e["reject_reason"])
            seen["risk"].add(info_e["risk_reason"])
            bets += info_e["stake"] > 0
            if term_e or trunc_e:
                assert info_e["episode_bets"] == int(info_b["episode"]["bets"][0])
                assert info_e["episode_return"] == pytest.approx(float(info_b["episode"]["return"][0]), abs=1e-5)
                break
        # the engine's own books: every bet settled on its own match's result through markets.settlement
        assert all(b.status in ("won", "lost") for b in env.portfolio.bets)
    assert bets > 60
    # masked actions and the book's refusals after the delay were exercised, and the risk chain cut stakes
    assert BetReject.NOT_OFFERED in seen["reject"] and seen["reject"] & BOOK_CODES
    assert RejectReason.MATCH_EXPOSURE in seen["risk"]
