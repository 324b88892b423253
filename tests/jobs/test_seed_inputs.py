"""The seed-independent inputs of a multi-seed run: built once, read back only for the run they were built for."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import Engine

from betfolio.jobs.seed_inputs import inputs_scope, load_seed_inputs, prepare_seed_inputs, save_seed_inputs
from betfolio.jobs.training import HRLSettings


def test_seed_inputs_round_trip_and_are_refused_for_another_scope(
    sample_store: tuple[Engine, Path], tmp_path: Path
) -> None:
    engine, _root = sample_store
    settings = HRLSettings(leagues=["E0"], seed=3)
    inputs = prepare_seed_inputs(engine, settings)
    assert (inputs.train_seasons, inputs.eval_seasons) == (["2020-21", "2021-22"], ["2022-23"])
    assert list(inputs.baselines) == ["no_bet", "favourite", "model_value", "consensus"]
    # the baselines decide on the evaluation season only, and the flat favourite bets there
    favourite = inputs.baselines["favourite"].bets
    assert favourite
    assert min(b.kickoff for b in favourite) >= min(m.kickoff for m in inputs.data.matches if m.season == "2022-23")
    assert len(inputs.eval_ms) == sum(1 for m in inputs.data.matches if m.season == "2022-23" and m.has_result)

    path = save_seed_inputs(inputs, tmp_path / "inputs.pkl")
    # another seed or other budgets share the inputs; other leagues, seasons or refits do not
    back = load_seed_inputs(path, replace(settings, seed=7, live_steps=1))
    assert back is not None and back.scope == inputs_scope(settings)
    assert [(b.match_id, b.stake, b.payout) for b in back.baselines["favourite"].bets] == [
        (b.match_id, b.stake, b.payout) for b in favourite
    ]
    assert back.baselines["model_value"].equity == inputs.baselines["model_value"].equity
    assert load_seed_inputs(path, replace(settings, leagues=["D1"])) is None
    assert load_seed_inputs(path, replace(settings, refit_every_days=7)) is None
    assert load_seed_inputs(path, replace(settings, eval_seasons=["2022-23"])) is None
    assert load_seed_inputs(tmp_path / "missing.pkl", settings) is None
    assert load_seed_inputs("", settings) is None
