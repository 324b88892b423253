"""`betfolio bench learn`: the planted environments have the edge they claim, and the command reports per seed."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from betfolio.bench.learn import LearnSettings
from betfolio.bench.planted import (
    LivePlant,
    PlantedPrematchEnv,
    PrematchPlant,
    live_oracle,
    plant_live_signal,
    run_live_episodes,
)
from betfolio.cli import app
from betfolio.features.live import LIVE_FEATURES
from betfolio.sim.batched import BatchedLiveSim, sample_bank


@pytest.fixture(scope="module")
def bank():
    return sample_bank()


def test_live_plant_changes_only_the_xg_feature_and_carries_information(bank) -> None:
    plant = LivePlant(q_win=0.6, q_other=0.1)
    planted, signal = plant_live_signal(bank, plant, seed=3)
    changed = np.flatnonzero((planted.values != bank.values).any(axis=(0, 1, 2)))
    assert [LIVE_FEATURES[1 + i] for i in changed] == ["home_xg", "away_xg"]
    assert np.array_equal(planted.odds, bank.odds, equal_nan=True)  # the book ignores it
    home_won = bank.won[:, 0][:, None].repeat(bank.n_variants, 1)
    assert home_won[signal].mean() > home_won[~signal].mean() + 0.2
    # the signal is visible: home xG climbs faster in signal episodes from the surge minute on
    xg = planted.values[:, :, 10, LIVE_FEATURES.index("home_xg") - 1]
    assert xg[signal].min() > xg[~signal].max()


def test_live_oracle_profits_on_the_plant_and_abstains_on_the_control(bank) -> None:
    rows = np.arange(40)
    variants = np.zeros(40, np.int64)
    for plant, profitable in ((LivePlant(q_win=0.8, q_other=0.05), True), (LivePlant(q_win=0.3, q_other=0.3), False)):
        planted, signal = plant_live_signal(bank, plant, seed=1)
        sim = BatchedLiveSim(40, seed=0, bank=planted)
        out = run_live_episodes(sim, rows, variants, live_oracle(signal, plant))
        if profitable:
            assert out.bets.sum() > 0 and np.all(out.bets[~signal[rows, 0]] == 0)
        else:
            assert out.bets.sum() == 0 and out.profit.sum() == 0.0


def test_planted_prematch_edge_is_exact_and_only_on_flagged_draws() -> None:
    fair = np.tile([[0.45, 0.27, 0.28]], (200, 1))
    env = PlantedPrematchEnv(fair, PrematchPlant(flagged_share=0.5, draw_edge=0.08), seed=1)
    obs, _ = env.reset(seed=0, options={"rows": np.arange(200)})
    assert obs.shape == env.observation_space.shape
    for r in range(200):
        draw = env.action_of(1, 2)
        _obs, _reward, done, _t, info = env.step(draw)
        expected = 0.05 * 0.08 if env.flagged[r] else 0.05 * (1 / 1.05 - 1)
        assert info["expected_profit"] == pytest.approx(expected)
        assert done == (r == 199)
    with pytest.raises(ValueError, match="fair"):
        PlantedPrematchEnv(np.ones((3, 2)), PrematchPlant())


def test_bench_learn_reports_every_case_and_refuses_nonsense(tmp_path) -> None:
    args = ["bench", "learn", "--seeds", "1", "--live-steps", "2000", "--live-envs", "8",
            "--prematch-episodes", "2", "--dqn-steps", "300", "--workers", "live,prematch_q,prematch_dqn",
            "--plot", str(tmp_path), "--json"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    keys = {(c["worker"], c["environment"]) for c in doc["cases"]}
    assert keys == {
        ("live", "planted_edge"),
        ("live", "no_edge_control"),
        ("prematch_q", "planted_edge"),
        ("prematch_q", "no_edge_control"),
        ("prematch_dqn", "planted_edge"),
        ("prematch_dqn", "no_edge_control"),
    }
    control = next(c for c in doc["cases"] if c["worker"] == "prematch_q" and c["environment"] == "no_edge_control")
    assert control["oracle_profit"] == 0 and control["oracle_bets_per_match"] == 0  # nothing to capture
    for case in (c for c in doc["cases"] if c["worker"] != "live"):  # the random control bets at the agent's rate
        assert abs(case["random_bets_per_match"] - case["bets_per_match"]) <= 0.1
        if case["bets_per_match"] == 0:
            assert case["random_profit"] == 0
    summary = doc["summary"]["prematch_dqn/planted_edge"]
    assert "random_profit_pct_per_100_matches_mean" in summary
    live = next(c for c in doc["cases"] if c["worker"] == "live")
    assert live["oracle_profit"] > 0 and live["curve"]
    assert {"step", "return", "approx_kl", "clip_fraction", "entropy", "explained_variance"} <= set(live["curve"][0])
    assert set(doc["acceptance"]) >= {
        "live_capture_at_least_0_7",
        "control_bets_per_match_at_most_0_05",
        "prematch_q_control_bets_per_match_at_most_0_05",
    }
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "learn-live-no_edge_control.png",
        "learn-live-planted_edge.png",
        "learn-prematch_dqn-no_edge_control.png",
        "learn-prematch_dqn-planted_edge.png",
        "learn-prematch_q-no_edge_control.png",
        "learn-prematch_q-planted_edge.png",
    ]
    assert CliRunner().invoke(app, ["bench", "learn", "--workers", "nonsense"]).exit_code != 0


def test_cases_in_processes_give_the_same_figures_and_bad_options_are_refused() -> None:
    from dataclasses import replace

    from betfolio.bench.learn import LearnSettings, run

    settings = replace(LearnSettings(), seeds=1, live_steps=1500, live_envs=8)
    here, pooled = run(settings, ("live",)), run(settings, ("live",), jobs=2)
    strip = ("train_seconds", "train_cpu_seconds")

    def figures(doc: dict) -> str:  # JSON text: NaN capture ratios (oracle without profit) compare equal
        return json.dumps([{k: v for k, v in c.items() if k not in strip} for c in doc["cases"]], sort_keys=True)

    assert figures(here) == figures(pooled)
    for bad in (["--live-reward", "nonsense"], ["--jobs", "0"]):
        result = CliRunner().invoke(app, ["bench", "learn", "--workers", "live", *bad])
        assert result.exit_code != 0 and "Traceback" not in result.output


def test_the_benchmark_starts_the_live_worker_where_training_does() -> None:
    """The benchmark proves the deployed recipe: its live start (no-bet bias) is the network's default."""
    from betfolio.agents.live.network import NetworkConfig, initial_bet_probability
    from betfolio.sim.batched import N_LIVE_ACTIONS

    assert LearnSettings().live_no_bet_bias == NetworkConfig().no_bet_bias
    # mostly abstaining at the start, but sampling enough bets to find where the edge is
    assert 0.2 < initial_bet_probability(NetworkConfig(n_actions=N_LIVE_ACTIONS)) < 0.35
