"""The trained HRL as an engine strategy on live rounds: the manager sizes, the live worker picks the bet.

Each decision round of the live source (:class:`betfolio.engine.sources.live.LiveFeed` with a live book) holds
one in-play state per match. The strategy builds their observations with the live feature builder — identical
scaling, masks and ``staleness / 300`` as in training — from the state, the match's margin-free pre-match 1X2
and the book's prices in the round, and steps the live worker's LSTM once for all of them (one recurrent state
per match, a batch of matches in one forward pass). A chosen selection becomes an order for the book's price
with a stake of 5 % of equity times the manager's share for the live worker; the engine's execution then checks
the price, the data staleness limit and the risk chain.

With ``policy="sample"`` the action is drawn with a number fixed by (run, match, minute), so a trader that
replays the same states after a restart takes the same decisions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from betfolio.agents.live.network import MASKED_LOGIT, MaskedAttentionLSTM
from betfolio.agents.manager import WIN_RATE_MEMORY, ManagerConfig, ManagerState, UCBManager
from betfolio.engine.ledger import decision_bet_id
from betfolio.engine.sources.inplay import INPLAY_BOOK
from betfolio.engine.strategy import BetOrder, DecisionContext
from betfolio.features.live import (
    LIVE_BETS,
    LIVE_SELECTIONS,
    N_LIVE_ACTIONS,
    observation_layout,
    observations_from_states,
    staleness_feature,
)

if TYPE_CHECKING:
    from betfolio.engine.bets import BetRecord
    from betfolio.engine.portfolio import Portfolio
    from betfolio.engine.settlement import Outcome

#: The agent's name on orders, ledger rows and metric labels.
AGENT = "hrl-live"
#: Stake per bet as a fraction of equity, before the manager's share — the mission's 5 %, as in training.
STAKE_FRACTION = 0.05
#: (market, selection, line) of a bet → the live selection's name (the ledger's vocabulary → the agent's).
SELECTION_OF = {bet: name for bet, name in zip(LIVE_BETS, LIVE_SELECTIONS, strict=True)}
_STALENESS = observation_layout().staleness
#: How an action is chosen from the policy: its most likely one, or a draw fixed by (run, match, minute).
POLICIES = ("greedy", "sample")


def check_policy(policy: str) -> str:
    """``policy`` if it is one of :data:`POLICIES` (a paper run's settings are checked before anything opens)."""
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {', '.join(POLICIES)}, got {policy!r}")
    return policy


class HRLLiveStrategy:
    """The manager and the live worker of a training run, trading ``portfolio`` on live rounds."""

    name = AGENT

    def __init__(
        self,
        network: MaskedAttentionLSTM,
        manager: ManagerConfig,
        portfolio: Portfolio,
        *,
        run_key: str,
        policy: str = "greedy",
        initial_bankroll: float | None = None,
        abstain: bool = False,
    ) -> None:
        self.network = network
        #: The run's model selection deployed abstention: the network still reads every state (its memory stays
        #: what it would be), but no order leaves.
        self.abstain = abstain
        self.manager = UCBManager(("prematch", "live"), manager)
        self.portfolio = portfolio
        self.run_key = run_key
        self.policy = check_policy(policy)
        self.initial = initial_bankroll or portfolio.bankroll.initial
        self.decisions = 0
        self.last_share = 0.0
        self._slots: dict[int, int] = {}
        self._free: list[int] = []  # slots of matches that ended, reused (a trader runs for weeks)
        hidden = network.config.hidden
        self._h = self._c = torch.zeros(1, 0, hidden)

    # --- recurrent memory, one slot per match -----------------------------------------------------------------
    def _slot(self, match_id: int) -> int:
        slot = self._slots.get(match_id)
        if slot is None:
            slot = self._slots[match_id] = self._free.pop() if self._free else len(self._slots)
            if slot >= self._h.shape[1]:
                grow = max(64, self._h.shape[1])
                zeros = torch.zeros(1, grow, self.network.config.hidden)
                self._h, self._c = torch.cat([self._h, zeros], 1), torch.cat([self._c, zeros.clone()], 1)
        return slot

    def forget(self, match_ids: Sequence[int]) -> None:
        """These matches ended: free their recurrent state for matches still to come."""
        for match_id in match_ids:
            slot = self._slots.pop(match_id, None)
            if slot is not None:
                self._h[:, slot] = 0.0
                self._c[:, slot] = 0.0
                self._free.append(slot)

    def memory(self, match_id: int) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The live worker's recurrent state for a match (None before its first state)."""
        slot = self._slots.get(match_id)
        return None if slot is None else (self._h[:, slot].clone(), self._c[:, slot].clone())

    # --- deciding ------------------------------------------------------------------------------------------
    def decide(self, context: DecisionContext) -> list[BetOrder]:
        states = context.extra.get("states")
        if not states:
            return []
        staleness = context.extra.get("staleness", {})
        fair = context.extra.get("fair", {})
        mids = [m.match_id for m in context.matches if m.match_id in states]
        rows = context.extra["prices"]  # the live source prices every round it hands out
        prices = np.stack([rows[mid] for mid in mids])
        masks = np.ones((len(mids), N_LIVE_ACTIONS), bool)
        masks[:, 1:] = np.isfinite(prices)
        seen = [staleness.get(mid, states[mid].data_staleness) for mid in mids]
        bank = self.portfolio.bankroll
        equity = max(bank.equity, 1e-9)
        obs = observations_from_states(
            [states[mid] for mid in mids],
            [fair.get(mid) for mid in mids],
            prices,
            cash_fraction=context.cash / self.initial,
            exposure_fraction=np.array([bank.match_exposure(mid) for mid in mids]) / equity,
            positions=self._positions(mids) / self.initial,
            halted=bank.halted,
            # the worker's own record, as in training: its last bets' win rate and how many there are
            recent_win_rate=self.manager.win_rate("live"),
            recent_bets=len(self.manager.bets["live"][-WIN_RATE_MEMORY:]),
        )
        # what the agent sees is the data's age when published (the source's staleness), not the provider's alone
        obs[:, _STALENESS] = staleness_feature(np.asarray(seen, dtype=np.float64)).reshape(-1, 1)
        known = self._slots
        slots = torch.as_tensor([known[mid] if mid in known else self._slot(mid) for mid in mids])
        with torch.inference_mode():
            logits, _value, (h, c) = self.network.step(torch.as_tensor(obs), (self._h[:, slots], self._c[:, slots]))
            self._h[:, slots], self._c[:, slots] = h, c
            logits = logits.masked_fill(~torch.as_tensor(masks), MASKED_LOGIT)
            if self.policy == "greedy":
                actions = logits.argmax(dim=-1).numpy()
            else:
                cdf = torch.softmax(logits, dim=-1).cumsum(dim=-1).numpy()
                draws = np.array([self._draw(mid, states[mid].minute) for mid in mids])
                actions = np.minimum((cdf < draws[:, None] * cdf[:, -1:]).sum(axis=1), N_LIVE_ACTIONS - 1)
        self.decisions += len(mids)
        if self.abstain:
            return []
        chosen = np.nonzero(actions)[0]
        if not len(chosen):
            return []
        share = self.last_share = self._live_share(max(seen), context.equity)
        stake = STAKE_FRACTION * context.equity * share
        orders = []
        for i in chosen:
            mid, action = mids[i], int(actions[i])
            market, selection, line = LIVE_BETS[action - 1]
            orders.append(
                BetOrder(mid, market, selection, line, float(prices[i, action - 1]), stake, INPLAY_BOOK,
                         note=f"minute {states[mid].minute}")
            )  # fmt: skip
        return orders

    def _positions(self, mids: Sequence[int]) -> np.ndarray:
        """Money each match's open bets return per live selection if it wins (stake × odds)."""
        out = np.zeros((len(mids), len(LIVE_SELECTIONS)))
        if not self.portfolio.open:
            return out
        row = {mid: i for i, mid in enumerate(mids)}
        for bet in self.portfolio.open:
            i = row.get(bet.match_id)
            if i is not None:
                name = SELECTION_OF.get((bet.market, bet.selection, bet.line))
                if name is not None:
                    out[i, LIVE_SELECTIONS.index(name)] += bet.stake * bet.odds
        return out

    def _draw(self, match_id: int, minute: int) -> float:
        """A uniform number in [0, 1) fixed by (run, match, minute): the same after a restart."""
        return (decision_bet_id(self.run_key, match_id, minute, "draw") & ((1 << 53) - 1)) / (1 << 53)

    def _live_share(self, staleness: float, equity: float) -> float:
        bank = self.portfolio.bankroll
        limit = bank.limits.max_drawdown or 1.0
        state = ManagerState(
            budget_remaining=equity / self.initial,
            risk_score=min(1.0, bank.drawdown / limit),
            portfolio_return=equity / self.initial - 1.0,
            worker_win_rates=(math.nan, self.manager.win_rate("live")),
            market_volatility=0.0,
            data_staleness=staleness,
        )
        return self.manager.allocate(state).shares["live"]

    # --- learning from settlements ----------------------------------------------------------------------------
    def settled(self, _portfolio: Portfolio, outcomes: list[tuple[BetRecord, Outcome]]) -> None:
        """The engine's settle hook: the manager updates the live worker's record, once per settling batch."""
        for bet, outcome in outcomes:
            self.manager.record("live", outcome.payout - bet.stake, bet.stake, bets_won=[outcome.status in _WON])
        if outcomes:
            self.manager.end_round()

    def bet_id(self, bet: BetRecord, minute: int) -> int:
        """The ledger id of a bet decided at ``minute`` of its match."""
        name = SELECTION_OF.get((bet.market, bet.selection, bet.line), bet.selection)
        return decision_bet_id(self.run_key, bet.match_id, minute, name)


_WON = frozenset({"won", "half_won"})
