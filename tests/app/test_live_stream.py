"""The Live page follows the live stream (Redis) and the paper-trading ledger as they change; the Portfolio page
lists paper runs. Reads run off the GUI thread (the app's background reads)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from betfolio.app.context import AppContext
from betfolio.app.pages.live import LivePage
from betfolio.app.pages.portfolio import PortfolioPage
from betfolio.canonical import LiveMatchState
from betfolio.engine import ledger
from betfolio.engine.bets import BetRecord
from betfolio.providers.live_bus import LiveStateBus
from betfolio.store.identity import link_external
from betfolio.store.queries import find_match
from betfolio.store.writer import FIXTURE
from tests.conftest import REDIS_URL


def _state(minute: int, home: int, staleness: float = 0.0) -> LiveMatchState:
    return LiveMatchState(
        provider="feed", provider_match_id="cp-ars", minute=minute, home_goals=home, away_goals=0,
        observed_at=datetime.now(UTC), data_staleness=staleness,
    )  # fmt: skip


def _bet(match: dict, minute: int) -> BetRecord:
    return BetRecord(
        strategy="hrl-live", match_id=match["match_id"], league="E0", season="2022-23", market="1x2",
        selection="home", line=None, odds=2.5, stake=10.0, requested_stake=10.0, bookmaker="in-play model",
        placed_at=datetime.now(UTC), kickoff=match["kickoff_utc"], in_play=True, note=f"minute {minute}",
    )  # fmt: skip


def test_live_page_follows_the_stream_and_the_paper_ledger(
    qtbot, writable_engine: Engine, tmp_path: Path, redis_client: object, settle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BETFOLIO_REDIS_URL", REDIS_URL)
    with writable_engine.begin() as conn:
        match = find_match(conn, "E0", "2022-23", "Crystal Palace", "Arsenal")
        assert match is not None
        link_external(conn, "feed", FIXTURE, {"cp-ars": match["match_id"]})
    bus = LiveStateBus(redis_client)
    bus.publish([_state(55, 1, staleness=40.0)])

    page = LivePage(AppContext(writable_engine, tmp_path))
    qtbot.addWidget(page)
    page.refresh()
    settle(page)
    (s,) = [s for s in page.summaries if s.match_id == match["match_id"]]
    assert (s.source, s.minute, s.home_goals, s.provider) == ("stream", 55, 1, "feed")
    assert s.stale  # 40 s behind: past the 30 s alert
    assert "Following the live stream (1 fixtures" in page.feed_label.text()
    assert "No paper-trading run yet" in page.feed_label.text()

    # the feed moves on and the paper trader bets: the next poll (a background read) shows both
    run_id = ledger.open_run(
        writable_engine, kind="paper", name="paper tiny · paper", config={"initial_bankroll": 1000.0}
    )
    with writable_engine.begin() as conn:
        ledger.add_bets(conn, run_id, [(ledger.decision_bet_id("paper tiny · paper", match["match_id"], 56, "home"),
                                        _bet(match, 56))])  # fmt: skip
    bus.publish([_state(56, 2)])
    page._tick()
    settle(page)
    (s,) = [s for s in page.summaries if s.match_id == match["match_id"]]
    assert (s.minute, s.home_goals, s.stale) == (56, 2, False)
    assert "Paper trading: paper tiny · paper (running) · 1 bets, 1 open" in page.feed_label.text()

    # Redis away: stored states still show, and the page says so
    monkeypatch.setenv("BETFOLIO_REDIS_URL", "redis://127.0.0.1:1/0")
    page._tick()
    settle(page)
    assert "Live stream unreachable" in page.feed_label.text()

    portfolio = PortfolioPage(AppContext(writable_engine, tmp_path))
    qtbot.addWidget(portfolio)
    portfolio.refresh()
    settle(portfolio)
    paper = [r for r in portfolio.runs if r.kind == "paper"]
    assert [r.run_id for r in paper] == [run_id] and paper[0].bets == 1 and paper[0].initial_bankroll == 1000.0
    assert portfolio.selected_run is not None and portfolio.selected_run.run_id == run_id
