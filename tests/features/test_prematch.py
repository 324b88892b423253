"""Pre-match market features: consensus, prices against it, book count, movement and a goal model's edge — with
masks where the data says nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from betfolio.engine.quotes import MarketQuotes
from betfolio.engine.strategy import MatchView
from betfolio.features.prematch import (
    PREMATCH_FEATURES,
    MarketView,
    feature_vector,
    form_features,
    form_model_probabilities,
    prematch_values,
)

F = {name: i for i, name in enumerate(PREMATCH_FEATURES)}
FAIR = np.array([0.5, 0.3, 0.2])
PRICE = np.array([1.9, 3.2, 4.8])


def test_prices_against_the_consensus() -> None:
    market = MarketView(books=4, best_price=np.array([2.1, 3.4, 5.0]))
    values, mask = feature_vector(FAIR, PRICE, None, None, None, market)
    np.testing.assert_allclose(values[[F["bet_edge_home"], F["bet_edge_draw"], F["bet_edge_away"]]],
                               FAIR * PRICE - 1, rtol=1e-6)  # fmt: skip
    np.testing.assert_allclose(values[[F["best_edge_home"], F["best_edge_draw"], F["best_edge_away"]]],
                               [0.05, 0.02, 0.0], atol=1e-6)  # fmt: skip
    assert values[F["books"]] == pytest.approx(0.4) and mask[F["books"]]
    # one snapshot: no movement to see, and no form: no goal model — masked, not zero
    for name in ("move_home", "model_edge_home", "home_form_points"):
        assert not mask[F[name]] and values[F[name]] == 0.0


def test_without_a_market_view_only_the_bet_price_is_compared() -> None:
    _values, mask = feature_vector(FAIR, PRICE, None, None, None)
    assert mask[F["bet_edge_draw"]] and not mask[F["best_edge_draw"]] and not mask[F["books"]]


def test_line_movement_from_the_opening_consensus() -> None:
    opening = np.array([0.45, 0.3, 0.25])
    values, mask = feature_vector(FAIR, PRICE, None, None, None, MarketView(books=2, opening_fair=opening))
    np.testing.assert_allclose(values[[F["move_home"], F["move_draw"], F["move_away"]]], [0.05, 0.0, -0.05],
                               atol=1e-6)  # fmt: skip
    assert mask[F["move_away"]]


def test_goal_model_from_known_form() -> None:
    strong, weak = [(3, 0), (2, 0), (4, 1)], [(0, 2), (0, 3), (1, 2)]
    probs = form_model_probabilities(strong, weak)
    assert probs is not None and probs.sum() == pytest.approx(1.0) and probs[0] > 0.7
    assert form_model_probabilities(strong, None) is None
    values, mask = feature_vector(FAIR, PRICE, None, strong, weak)
    assert mask[F["model_edge_home"]]
    assert values[F["model_edge_home"]] == pytest.approx(probs[0] * PRICE[0] - 1, rel=1e-5)


def test_prematch_values_counts_real_books_and_takes_the_best_price() -> None:
    table = MarketQuotes(
        "1x2",
        None,
        ("bet365", "pinnacle", "market_max", "unibet"),
        np.array([[1.9, 3.3, 4.5], [1.95, 3.4, 4.4], [2.5, 4.0, 6.0], [np.nan, 3.5, 4.0]]),
    )
    match = MatchView(1, "E0", "2022-23", datetime(2022, 8, 6, 15, tzinfo=UTC), "A", "B")
    values, mask, book, price = prematch_values(match, {("1x2", None): table}, form_features([]))
    assert book == "pinnacle" and price is not None
    assert values[F["books"]] == pytest.approx(0.2)  # the aggregate and the incomplete book do not count
    fair_home = values[F["fair_home"]]
    assert values[F["best_edge_home"]] == pytest.approx(fair_home * 1.95 - 1, rel=1e-5)
    assert not mask[F["move_home"]]
