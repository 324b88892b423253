"""Risk rules shared by the backtest, the simulator and the agents.

One place decides how much of a bankroll may be put at risk: :class:`RiskLimits` says what is allowed,
:class:`Bankroll` validates each order through a chain of checks (each check may shrink the stake or reject it
with a reason, the way flumine's risk controls do), settles bets and tracks equity and drawdown, and
:func:`clip_stakes` applies the same rules to whole arrays of environments for the batched simulator.

Ruin is impossible by construction: a stake is never larger than the cash left, nor than the limits allow, and
payouts are never negative, so the cash balance cannot go below zero.
"""

from betfolio.risk.bankroll import Bankroll, OpenBet, OrderDecision, SettledBet, StakeOrder
from betfolio.risk.limits import RejectReason, RiskLimits
from betfolio.risk.vectorised import BatchedBankroll, clip_stakes

__all__ = [
    "Bankroll",
    "BatchedBankroll",
    "OpenBet",
    "OrderDecision",
    "RejectReason",
    "RiskLimits",
    "SettledBet",
    "StakeOrder",
    "clip_stakes",
]
