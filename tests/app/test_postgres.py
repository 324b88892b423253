"""The app's queries on PostgreSQL: lazy paging, filters, badges and the odds chart data."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from betfolio.app.coverage_badges import BadgeState
from betfolio.app.matches_model import MatchesModel, MatchFilter
from betfolio.app.odds_view import MarketKey, fair_prices, movement_series
from betfolio.app.portfolio_data import list_runs
from betfolio.app.providers_data import coverage_by_league, provider_overview
from betfolio.data import bundled_sample
from betfolio.ingest.football_data import ingest_paths
from betfolio.store.queries import find_match, line_movement

pytestmark = pytest.mark.postgres


def test_matches_model_and_odds_on_postgres(qtbot, pg_engine: Engine) -> None:
    with bundled_sample() as sample:
        summary = ingest_paths(pg_engine, [sample / "2022-23" / "E0.csv.gz"])
    assert not summary.errors
    model = MatchesModel(pg_engine, page_size=100)
    model.set_filter(MatchFilter())
    model.fetch_all()
    assert model.rowCount() == model.total_count() == 380
    ids = [model.row(r).match_id for r in range(model.rowCount())]
    assert len(set(ids)) == 380
    model.set_filter(MatchFilter(text="Arsenal"))
    assert model.total_count() == 38
    badges = {b.label: b.state for b in model.row(0).badges}
    assert badges["1X2"] is BadgeState.PRESENT and badges["xG"] is BadgeState.MASKED
    with pg_engine.connect() as conn:
        match = find_match(conn, "E0", "2022-23", "Crystal Palace", "Arsenal")
        assert match is not None
        quotes = line_movement(conn, match["match_id"])
        assert [c.league for c in coverage_by_league(conn)] == ["E0"]
        assert [p.provider for p in provider_overview(conn) if p.payloads] == ["football-data"]
        assert list_runs(conn) == []
    assert len(movement_series(quotes, MarketKey("1x2"), "home")) >= 6
    assert fair_prices(quotes, MarketKey("1x2"))
