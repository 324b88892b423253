"""One scripted strategy, three ways onto the engine, on a real season (EPL 2022-23, football-data):

the walk-forward backtest, :class:`PreMatchBettingEnv` driven step by step, and a replay of the store through the
live path (Redis Stream → consumer group → :class:`LiveFeed`). All three must place the same bets, settle them the
same way and produce the same ledger rows.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from betfolio.backtest.data import load_from_directory
from betfolio.backtest.engine import BacktestConfig, WalkForward
from betfolio.engine import BetOrder, DecisionContext, Engine, Portfolio
from betfolio.engine.ledger import ledger_row
from betfolio.engine.quotes import MATCH_ODDS_KEY
from betfolio.engine.sources.live import LiveFeed, publish_replay
from betfolio.risk import Bankroll, RiskLimits
from betfolio.sim.envs import PreMatchBettingEnv
from betfolio.sim.episodes import BOOKMAKER_PREFERENCE, load_matchset
from tests.conftest import FOOTBALL_DATA, shared_file

LIMITS = RiskLimits(max_drawdown=None)
BUDGET = 1000.0


class HomeShortPrice:
    """Back the home side at the first preferred bookmaker when it is priced under 2.0: 2.5 % of equity."""

    name = "home_short_price"

    def decide(self, context: DecisionContext) -> list[BetOrder]:
        orders = []
        for m in context.matches:
            table = context.odds.get(m.match_id, {}).get(MATCH_ODDS_KEY)
            book = next((b for b in BOOKMAKER_PREFERENCE if table is not None and table.price(b) is not None), None)
            if book is None:
                continue
            home = float(table.price(book)[0])
            if home < 2.0:
                orders.append(BetOrder(m.match_id, "1x2", "home", None, home, 0.025 * context.equity, book))
        return orders


def comparable(bets) -> list[dict]:
    rows = []
    for b in sorted(bets, key=lambda b: (b.placed_at, b.kickoff, b.match_id)):
        row = ledger_row(b)
        row.pop("agent")
        row["detail"] = {k: row["detail"][k] for k in ("requested_stake", "cut_by")}
        for key in ("stake", "payout", "odds", "clv", "closing_odds"):
            row[key] = None if row[key] is None else round(row[key], 9)
        row["detail"]["requested_stake"] = round(row["detail"]["requested_stake"], 9)
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory):
    from betfolio.store.engine import make_engine

    shared_file("football-data", "2022-23", "E0.csv")
    db = make_engine(f"sqlite:///{tmp_path_factory.mktemp('one') / 'store.sqlite'}")
    data, db = load_from_directory(FOOTBALL_DATA, ["E0"], ["2022-23"], engine=db)
    yield data, load_matchset(db, leagues=["E0"], seasons=["2022-23"])
    db.dispose()


def test_backtest_environment_and_live_replay_place_the_same_bets(season, redis_client) -> None:
    data, ms = season
    # 1. the backtest
    result = WalkForward(
        data,
        [HomeShortPrice()],
        BacktestConfig(initial_bankroll=BUDGET, limits=LIMITS, evaluate_models=()),
        model_factories={},
    ).run()
    backtest = result.strategies["home_short_price"]

    # 2. the Gymnasium environment, the strategy choosing each action from the engine's context
    env = PreMatchBettingEnv(ms, initial_budget=BUDGET, limits=LIMITS)
    env.reset()
    strategy = HomeShortPrice()
    done = False
    while not done:
        _, _, terminated, truncated, _ = env.step(env.action_for(strategy.decide(env.context())))
        done = terminated or truncated

    # 3. the live path: the store replayed into a Redis Stream, read by a consumer group
    stream = "betfolio:test:replay"
    publish_replay(redis_client, stream, data.matches)
    feed = LiveFeed(redis_client, stream, group="paper", consumer="c1")
    live = Portfolio("home_short_price", Bankroll(BUDGET, LIMITS))
    engine = Engine([HomeShortPrice()], {"home_short_price": live})
    engine.run(feed)
    engine.finish(max(m.result_at for m in data.matches))
    assert feed.rejects == []

    reference = comparable(backtest.bets)
    assert len(reference) > 100
    assert {r["status"] for r in reference} == {"won", "lost"}
    assert comparable(env.portfolio.bets) == reference
    assert comparable(live.bets) == reference
    for p in (env.portfolio, live):
        assert p.bankroll.equity == pytest.approx(backtest.bankroll.equity)
    # every bet settled at its own match's end
    ends = {m.match_id: m.result_at for m in data.matches}
    assert all(r["settled_at"] == ends[r["match_id"]] for r in reference)
    assert all(r["settled_at"] - r["placed_at"] > timedelta(hours=1) for r in reference)
