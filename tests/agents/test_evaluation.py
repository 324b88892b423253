"""Evaluation: sleeve arithmetic, a manager that only uses the past, and the whole train → evaluate pipeline
on the bundled sample (trained on 2020-21…2021-22, judged on the unseen 2022-23)."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rich.console import Console
from sqlalchemy import Engine

from betfolio.agents.evaluation import (
    DayBet,
    SeasonWindow,
    Sleeve,
    portfolio_metrics,
    run_manager,
    sleeve_metrics,
    verdict,
)
from betfolio.agents.manager import ManagerConfig
from betfolio.agents.selection import MIN_VALIDATION_BETS
from betfolio.backtest.strategy import DecisionContext, MatchView, PastResult
from betfolio.engine.quotes import MATCH_ODDS_KEY, MarketQuotes
from betfolio.features.prematch import PREMATCH_FEATURES, form_features, prematch_values
from betfolio.jobs.training import PRESETS, HRLSettings, split_seasons

DAYS = [date(2023, 1, 1) + timedelta(days=i) for i in range(6)]


def _sleeve(name: str, profits: list[float]) -> Sleeve:
    """One even-money bet of 5 % per day; profit ±5 %."""
    bets = [DayBet(d, 0.05, 0.10 if p > 0 else 0.0, 2.0, math.nan) for d, p in zip(DAYS, profits, strict=True)]
    return Sleeve(name, bets)


def test_sleeve_alone_compounds_and_shares_scale_the_stakes() -> None:
    sleeve = _sleeve("a", [1, 1, -1, 1, -1, 1])
    alone = sleeve_metrics(sleeve, 1000.0, DAYS)
    expected = 1000.0 * 1.05**4 * 0.95**2
    assert alone["final_equity"] == pytest.approx(expected)
    assert alone["bets"] == 6
    half = portfolio_metrics({"a": sleeve}, {"a": dict.fromkeys(DAYS, 0.5)}, 1000.0, DAYS, 0)
    assert half["final_equity"] == pytest.approx(1000.0 * 1.025**4 * 0.975**2)
    assert half["turnover"] < alone["turnover"]


def test_manager_allocates_from_the_past_only() -> None:
    """Changing day k's results cannot change any allocation on days ≤ k."""
    config = ManagerConfig(live_worker="b")
    a = _sleeve("a", [1, -1, 1, 1, -1, 1])
    b1, b2 = _sleeve("b", [1, 1, 1, -1, -1, -1]), _sleeve("b", [1, 1, 1, 1, 1, 1])
    shares1, _ = run_manager({"a": a, "b": b1}, DAYS, 1000.0, config, max_drawdown=0.5)
    shares2, trace = run_manager({"a": a, "b": b2}, DAYS, 1000.0, config, max_drawdown=0.5)
    for d in DAYS[:4]:  # the sleeves differ from day 3 on: allocations up to and including day 3 agree
        assert shares1["a"][d] == shares2["a"][d] and shares1["b"][d] == shares2["b"][d]
    assert sum(trace.leads.values()) == len(DAYS)
    assert [row["day"] for row in trace.days] == [d.isoformat() for d in DAYS]
    assert {"risk_score", "win_rate_a", "index_b", "share_a", "equity"} <= set(trace.days[0])
    assert all(0 <= s <= 1 for w in shares1.values() for s in w.values())


def _row(bets: int, roi: float | None, lo: float | None = None, hi: float | None = None) -> dict[str, Any]:
    return {"bets": bets, "roi": roi, "roi_ci_low": lo, "roi_ci_high": hi, "final_equity": 1000 * (1 + (roi or 0))}


def test_verdict_is_computed_and_honest() -> None:
    rows = {
        "no_bet": _row(0, None),
        "favourite": _row(100, 0.01, -0.04, 0.06),
        "agent": _row(50, -0.2, -0.35, -0.05),
        "lucky": _row(50, 0.05, -0.1, 0.2),
        "idle": _row(0, None),
        "sharp": _row(500, 0.12, 0.08, 0.16),
    }
    lines = verdict(rows, ["agent", "lucky", "idle"])
    assert "does not beat" in lines[0] and "loses money with 95% confidence" in lines[0]
    assert "within noise" in lines[1] and "favourite" in lines[1]
    assert "no bets" in lines[2]
    assert lines[-1].startswith("Overall: no agent demonstrated an edge")
    lines = verdict(rows, ["sharp"])
    assert "beats favourite beyond bootstrap noise" in lines[0]
    assert lines[-1] == "Overall: sharp showed an edge beyond noise on the unseen seasons."


def test_season_window_hides_other_seasons() -> None:
    seen: list[list[int]] = []

    class Spy:
        name = "spy"

        def decide(self, context: DecisionContext) -> list:  # type: ignore[type-arg]
            seen.append([m.match_id for m in context.matches])
            return []

    views = [
        MatchView(1, "E0", "2021-22", datetime(2022, 5, 1), "A", "B"),
        MatchView(2, "E0", "2022-23", datetime(2022, 8, 6), "C", "D"),
    ]
    ctx = DecisionContext(datetime(2022, 8, 1), views, {}, {}, {}, lambda: [], 1000, 1000, 1000, lambda _m: 50)
    SeasonWindow(Spy(), frozenset({"2022-23"})).decide(ctx)  # type: ignore[arg-type]
    assert seen == [[2]]


def test_form_features_use_only_the_given_results_and_mask_unknown_teams() -> None:
    past = [
        PastResult(1, "E0", "2022-23", datetime(2022, 8, 6), "A", "B", 2, 0),
        PastResult(2, "E0", "2022-23", datetime(2022, 8, 13), "B", "A", 1, 1),
    ]
    form = form_features(past)
    assert list(form["A"]) == [(2, 0), (1, 1)] and list(form["B"]) == [(0, 2), (1, 1)]
    view = MatchView(3, "E0", "2022-23", datetime(2022, 8, 20), "A", "Promoted")
    _values, mask, book, _price = prematch_values(view, {}, form)
    assert book is None and not mask.any()  # no prices: nothing to decide on
    quotes = {MATCH_ODDS_KEY: MarketQuotes("1x2", None, ("pinnacle",), np.array([[2.0, 3.5, 4.0]]))}
    values, mask, book, price = prematch_values(view, quotes, form)
    assert book == "pinnacle" and price is not None and price.tolist() == [2.0, 3.5, 4.0]
    names = list(PREMATCH_FEATURES)
    assert mask[names.index("home_form_points")] and not mask[names.index("away_form_points")]
    assert values[names.index("away_form_points")] == 0.0  # missing, not a zero-point team: the mask says so
    assert values[names.index("home_form_points")] == pytest.approx(4 / 6)
    assert not mask[names.index("fair_over_2_5")]  # no totals market quoted


def _add_fixture_without_result(engine: Engine) -> None:
    """A next-season fixture as a live provider would store it: scheduled, no goals."""
    from sqlalchemy import insert, select

    from betfolio.store.tables import matches_master as mm

    with engine.begin() as conn:
        row = dict(conn.execute(select(mm).where(mm.c.season == "2022-23").limit(1)).mappings().one())
        row.pop("match_id")
        kickoff = datetime(2023, 8, 12, 14, tzinfo=UTC)
        row |= {"season": "2023-24", "match_date": kickoff.date(), "kickoff_utc": kickoff, "status": "scheduled"}
        row |= {"home_goals": None, "away_goals": None, "ht_home_goals": None, "ht_away_goals": None}
        conn.execute(insert(mm).values(**row))


def test_split_refuses_look_ahead(sample_store: tuple[Engine, Path]) -> None:
    engine, _ = sample_store
    _add_fixture_without_result(engine)  # stays in the store for the pipeline tests below
    assert split_seasons(engine, HRLSettings()) == (["2020-21", "2021-22"], ["2022-23"])
    with pytest.raises(ValueError, match="must all precede"):
        split_seasons(engine, HRLSettings(train_seasons=["2022-23"], eval_seasons=["2021-22"]))
    with pytest.raises(ValueError, match="not in the store"):
        split_seasons(engine, HRLSettings(eval_seasons=["2012-13"]))


def test_backtest_observation_matches_the_simulator(sample_store: tuple[Engine, Path]) -> None:
    """Given the same history, the as-of features rebuilt from a backtest context equal the simulator's."""
    from betfolio.backtest.data import load_from_engine
    from betfolio.features.prematch import prematch_features
    from betfolio.sim.episodes import load_matchset

    engine, _ = sample_store
    ms = load_matchset(engine, seasons=["2022-23"])
    sim_values, sim_masks = prematch_features(ms)
    data = load_from_engine(engine, seasons=["2022-23"])
    by_id = {m.match_id: m for m in data.matches}
    rows = [100, 250, 379]
    for r in rows:
        m = by_id[int(ms.match_id[r])]
        past = [
            PastResult(x.match_id, x.league, x.season, x.kickoff, x.home, x.away, x.home_goals, x.away_goals)
            for x in data.matches
            if x.kickoff < m.kickoff and x.has_result
        ]
        view = MatchView(m.match_id, m.league, m.season, m.kickoff, m.home, m.away)
        values, mask, _book, _price = prematch_values(view, m.prematch, form_features(past))
        np.testing.assert_array_equal(mask, sim_masks[r])
        np.testing.assert_allclose(values, sim_values[r], atol=1e-5)


@pytest.fixture(scope="module")
def hrl_run(sample_store: tuple[Engine, Path]) -> tuple[dict[str, Any], Path]:
    """The demo's training stage (the whole train → evaluate pipeline) with tiny budgets."""
    from betfolio.jobs.demo import training_stage

    engine, root = sample_store
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BETFOLIO_DATA_DIR", str(root / "data"))
        # every worker deploys its trained policy (validation still reported), so the portfolio bets and its
        # ledger can be checked; the choice between trained and abstaining is tested in test_selection and
        # tests/jobs/test_training_seeds
        tiny = {"live_steps": 8_192, "n_envs": 256, "q_episodes": 3, "dqn_steps": 600, "select_on_validation": False}
        mp.setitem(PRESETS, "demo", tiny)
        console = Console(width=160, record=True)
        summary = training_stage.run_demo_training(engine, console, root / "report")
    printed = console.export_text()
    assert "Agents vs baselines" in printed and "Overall:" in printed
    assert "Learning curves" in printed and "prematch-dqn: episode_return_mean" in printed
    assert (root / "report" / "agents" / "learning-curves.png").stat().st_size > 0
    assert json.loads((root / "report" / "agents" / "evaluation.json").read_text())["verdict"] == summary["verdict"]
    return summary, root / "data" / "agents" / "demo"


def test_pipeline_compares_every_agent_with_every_baseline(hrl_run: tuple[dict[str, Any], Path]) -> None:
    summary, path = hrl_run
    assert summary["train_seasons"] == ["2020-21", "2021-22"] and summary["eval_seasons"] == ["2022-23"]
    expected = {"no_bet", "favourite", "model_value", "consensus", "prematch", "prematch_untrained",
                "prematch_random", "prematch-q (log_wealth)", "prematch-dqn", "live", "live_untrained", "live_random",
                "live (log_wealth)", "hrl", "hrl_ucb", "live_ungated", "prematch_ungated"}  # fmt: skip
    assert set(summary["strategies"]) == expected
    assert summary["strategies"]["no_bet"]["bets"] == 0
    assert summary["strategies"]["favourite"]["bets"] > 300  # one bet per unseen match with prices
    for name, row in summary["strategies"].items():
        assert row["max_drawdown"] is not None and 0 <= row["max_drawdown"] <= 1, name
    assert len(summary["verdict"]) == 8  # seven agents and the overall line
    assert summary["manager"]["variant"] == "linucb" and summary["manager"]["reference"]["variant"] == "sliding"
    assert summary["strategies"]["hrl"]["max_drawdown"] <= 0.2 + 0.05  # the drawdown budget, plus one day's bets
    assert summary["strategies"]["prematch_untrained"]["bets"] == 0  # an all-zero Q table never bets
    controls = summary["controls"]
    assert controls["prematch_worker"] == "prematch-q" and controls["prematch_decisions"] > 300
    # model selection on the latest training matches, never on the evaluation season
    selection = summary["selection"]
    assert selection["validation"]["validation_from"] >= "2021-07-01"  # inside the last training season
    assert 700 <= selection["validation"]["fit_matches"] + selection["validation"]["validation_matches"] <= 760
    gates = selection["workers"]
    assert set(gates) == {"prematch", "prematch-dqn", "prematch-q (log_wealth)", "live", "live (log_wealth)"}
    assert selection["select_on_validation"] is False
    for name, g in gates.items():
        assert g["deployed"] == "trained" and g["matches"] > 100, name  # selection off: deployed as trained
        kept = g["bets"] >= MIN_VALIDATION_BETS and g["roi_ci_low"] is not None and g["roi_ci_low"] > 0
        assert g["validation_choice"] == ("trained" if kept else "abstain"), name
    rows = summary["strategies"]
    assert rows["live"] == rows["live_ungated"] and rows["prematch"] == rows["prematch_ungated"]
    trained_live = controls["live_replay_bets"]
    assert abs(controls["live_random_replay_bets"] - trained_live) <= max(2, 0.05 * trained_live)
    assert summary["curves"]["live"] and summary["curves"]["prematch-dqn"]
    assert set(summary["reward_ablation"]) == {"mission", "log_wealth"}
    written = json.loads((path / "evaluation.json").read_text())
    assert written["strategies"].keys() == summary["strategies"].keys()


def test_pipeline_leaves_checkpoints_logs_and_resumes(
    hrl_run: tuple[dict[str, Any], Path], sample_store: tuple[Engine, Path]
) -> None:
    from betfolio.agents.training import LiveSettings, RunDir, build_timelines, load_training_matches, train_live

    _summary, path = hrl_run
    assert (path / "manager.csv").read_text().count("\n") > 100  # header + one row per evaluation day
    for agent in ("live", "live-log-wealth", "prematch-q", "prematch-q-log-wealth", "prematch-dqn"):
        assert (path / f"{agent}.pt").stat().st_size > 0
        assert (path / f"{agent}.csv").read_text().count("\n") >= 2
    engine, _ = sample_store
    bank = build_timelines(load_training_matches(engine, None, ["2021-22"]), seed=1, n_variants=1)
    rows_before = (path / "live.csv").read_text().count("\n")
    _net, history = train_live(bank, RunDir(path), LiveSettings(total_steps=30_000, n_envs=256), resume=True)
    assert history[0]["global_step"] > 8_192  # continued from the checkpoint's step count (one 23,040-step update)
    assert (path / "live.csv").read_text().count("\n") == rows_before + len(history)


def test_pipeline_records_the_hrl_portfolio_for_the_app(
    hrl_run: tuple[dict[str, Any], Path], sample_store: tuple[Engine, Path]
) -> None:
    """The HRL evaluation lands in runs/bet_ledger as one shared bankroll whose money matches the metrics."""
    from sqlalchemy import func, select

    from betfolio.app.portfolio_data import list_runs, load_portfolio, run_agents
    from betfolio.store.tables import bet_ledger

    summary, _path = hrl_run
    engine, _ = sample_store
    hrl = summary["strategies"]["hrl"]
    with engine.connect() as conn:
        run = next(r for r in list_runs(conn) if r.run_id == summary["run_id"])
        assert run.kind == "evaluate" and run.initial_bankroll == 1000.0
        n_bets, staked, paid = conn.execute(
            select(func.count(), func.sum(bet_ledger.c.stake), func.sum(bet_ledger.c.payout)).where(
                bet_ledger.c.run_id == run.run_id
            )
        ).one()
        assert n_bets == hrl["bets"]
        assert staked == pytest.approx(hrl["turnover"], rel=1e-6)
        assert paid - staked == pytest.approx(hrl["profit"], rel=1e-6, abs=1e-6)
        agents = {a for a, _n in run_agents(conn, run)}
        assert agents <= {"prematch", "live"} and agents
        portfolio = load_portfolio(conn, run)
    assert portfolio.initial_bankroll == 1000.0  # shared bankroll: the app draws equity and allocation
    _times, shares, totals = portfolio.allocation()
    assert totals.sum() == pytest.approx(staked)
    assert set(shares) == agents


def test_the_hrl_portfolio_passes_every_bet_through_the_risk_chain() -> None:
    from betfolio.agents.evaluation import SharedBook
    from betfolio.risk import RiskLimits

    greedy = Sleeve("greedy", [DayBet(DAYS[0], 0.20, 0.40, 2.0, math.nan), DayBet(DAYS[1], 0.04, 0.0, 2.0, math.nan)])
    book = SharedBook({"greedy": greedy}, 1000.0, RiskLimits(max_stake_fraction=0.05, min_stake=45.0))
    ((_, _, stake, payout),) = book.trade_day(DAYS[0], {"greedy": 1.0})
    assert (stake, payout) == (pytest.approx(50.0), pytest.approx(100.0))  # cut to 5 %, paid its own multiple
    assert book.portfolio.rejections["cut: stake_cap"] == 1
    assert book.trade_day(DAYS[1], {"greedy": 1.0}) == []  # 4 % of 1050 = 42 < the minimum stake
    assert [r.reason for r in book.portfolio.refusals] == ["below_min_stake"]
    assert book.equity == pytest.approx(1050.0)


def test_the_demo_evaluates_on_the_latest_season_it_can_replay(sample_store: tuple[Engine, Path]) -> None:
    """A season without a replayable match (a provider's few fixtures, results but no prices) is skipped as the
    demo's evaluation season instead of stopping the training stage."""
    from betfolio.jobs.demo.training_stage import _replayable

    engine, _root = sample_store
    assert _replayable(engine, "2022-23")
    assert not _replayable(engine, "2031-32")
