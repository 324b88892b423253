"""Odds maths: implied probabilities, margins, settlement, staking, closing line value."""

from betfolio.markets.clv import closing_fair_probability, clv, clv_from_probability, clv_log
from betfolio.markets.kelly import (
    cap_total,
    fractional_kelly,
    kelly_fraction,
    kelly_independent,
    kelly_line,
    kelly_mutually_exclusive,
)
from betfolio.markets.margin import (
    MarginMethod,
    MarginResult,
    fair_odds,
    implied_probabilities,
    overround,
    remove_margin,
    remove_margin_multiplicative,
)
from betfolio.markets.settlement import (
    Settlement,
    SettlementOutcome,
    VoidRules,
    settle,
    settle_fractions,
    settle_many,
)

__all__ = [
    "MarginMethod",
    "MarginResult",
    "Settlement",
    "SettlementOutcome",
    "VoidRules",
    "cap_total",
    "closing_fair_probability",
    "clv",
    "clv_from_probability",
    "clv_log",
    "fair_odds",
    "fractional_kelly",
    "implied_probabilities",
    "kelly_fraction",
    "kelly_independent",
    "kelly_line",
    "kelly_mutually_exclusive",
    "overround",
    "remove_margin",
    "remove_margin_multiplicative",
    "settle",
    "settle_fractions",
    "settle_many",
]
