"""The strategy protocol lives in the engine (:mod:`betfolio.engine.strategy`); this name keeps imports working."""

from betfolio.engine.strategy import (
    BetOrder,
    DecisionContext,
    MatchView,
    PastResult,
    Prediction,
    Strategy,
    models_needed,
)

__all__ = ["BetOrder", "DecisionContext", "MatchView", "PastResult", "Prediction", "Strategy", "models_needed"]
