"""Several training seeds through one contract: picklable tasks, any mapper, the same numbers wherever a seed runs."""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine

from betfolio.jobs.training import (
    HRLSettings,
    SeedFailure,
    SeedFn,
    SeedResult,
    SeedTask,
    run_multi_seed,
    seed_tasks,
    sequential_seeds,
    train_and_evaluate_seed,
)

#: Budgets small enough for a test, large enough that every worker bets and every row is defined.
TINY = HRLSettings(live_steps=8_192, n_envs=64, q_episodes=2, dqn_steps=600, ablation=False)


def _task(seed: int, root: Path) -> SeedTask:
    return SeedTask(TINY, seed, "sqlite:///unused.sqlite", str(root / f"seed-{seed}"))


def test_sequential_seeds_turn_a_crashing_seed_into_a_failure_and_continue(tmp_path: Path) -> None:
    def fn(task: SeedTask) -> SeedResult:
        if task.seed == 2:
            raise RuntimeError("diverged")
        return {"seed": task.seed}

    out = sequential_seeds(fn, [_task(s, tmp_path) for s in (1, 2, 3)])
    assert out[0] == {"seed": 1} and out[2] == {"seed": 3}
    assert isinstance(out[1], SeedFailure)
    assert out[1].seed == 2 and out[1].error == "RuntimeError: diverged"
    assert "diverged" in out[1].traceback


def test_seed_tasks_pickle_and_refuse_bad_seed_lists(tmp_path: Path) -> None:
    tasks = seed_tasks(TINY, [4, 7], "sqlite:///x.sqlite", tmp_path)
    assert [t.run_dir for t in tasks] == [str(tmp_path / "seed-4"), str(tmp_path / "seed-7")]
    assert pickle.loads(pickle.dumps(tasks)) == tasks
    with pytest.raises(ValueError, match="distinct"):
        seed_tasks(TINY, [1, 1], "sqlite:///x.sqlite", tmp_path)
    with pytest.raises(ValueError, match="at least one seed"):
        seed_tasks(TINY, [], "sqlite:///x.sqlite", tmp_path)


def crash_on_six(task: SeedTask) -> SeedResult:
    """Top-level (so a process pool can pickle it): seed 6 crashes, the others train for real."""
    if task.seed == 6:
        raise RuntimeError("seed 6 crashed")
    return train_and_evaluate_seed(task)


def process_pool_map(fn: SeedFn, tasks: Sequence[SeedTask]) -> list[SeedResult | SeedFailure]:
    """A mapper as a Ray or process-pool runner would be: fresh processes, results back in task order."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        futures = [pool.submit(crash_on_six, t) for t in tasks]
        out: list[SeedResult | SeedFailure] = []
        for task, future in zip(tasks, futures, strict=True):
            try:
                out.append(future.result())
            except Exception as exc:
                out.append(SeedFailure(task.seed, f"{type(exc).__name__}: {exc}"))
        return out


def test_a_seed_gives_the_same_numbers_sequentially_and_in_other_processes(
    sample_store: tuple[Engine, Path], tmp_path: Path
) -> None:
    engine, _root = sample_store
    url = engine.url.render_as_string(hide_password=False)
    here = run_multi_seed(TINY, [5], url, tmp_path / "sequential")
    there = run_multi_seed(TINY, [5, 6], url, tmp_path / "pool", map_seeds=process_pool_map)

    assert there["failures"] == [{"seed": 6, "error": "RuntimeError: seed 6 crashed"}]
    assert here["seeds"] == there["seeds"] == [5]
    # one seed builds its inputs itself; two share the baselines' books and the matches built once, with the same rows
    assert here["shared_inputs"] is None and there["shared_inputs"]["cpu_seconds"] > 0
    assert here["per_seed"][0]["inputs"] == "built" and there["per_seed"][0]["inputs"] == "shared"
    assert not (tmp_path / "pool" / "seed-inputs.pkl").exists()
    assert here["strategies"] == there["strategies"]
    assert here["per_seed"][0]["strategies"] == there["per_seed"][0]["strategies"]
    assert (tmp_path / "pool" / "seed-5" / "evaluation.json").exists()
    assert (tmp_path / "pool" / "evaluation.json").exists()
    for name in ("no_bet", "favourite", "hrl"):
        row = here["strategies"][name]
        assert row["seeds"] == 1
        assert {"bets", "roi", "roi_ci_low", "roi_ci_high", "clv_mean", "max_drawdown", "sharpe"} <= set(row)
    assert here["spread"]["hrl"]["per_seed"][0]["seed"] == 5
    assert here["verdict"][0] == "1 training seed(s): 5."
    # model selection on the latest training matches: per seed the figures and what was deployed
    assert here["verdict"][1].startswith("Deployed after validation on the latest training matches: live ")
    selection = here["per_seed"][0]["selection"]
    rows = here["strategies"]
    for worker in ("live", "prematch"):
        gate = selection["workers"][worker]
        assert gate["deployed"] == gate["validation_choice"] and gate["matches"] > 50
        assert here["deployments"][worker] == {"trained": int(gate["deployed"] == "trained"), "of": 1}
        if gate["deployed"] == "abstain":  # never bets on the unseen season, nor does its random twin
            assert rows[worker]["bets"] == 0 and rows[f"{worker}_random"]["bets"] == 0
        else:
            assert rows[worker]["bets"] == rows[f"{worker}_ungated"]["bets"]


def test_every_seed_failing_is_a_clear_error(sample_store: tuple[Engine, Path], tmp_path: Path) -> None:
    engine, _root = sample_store
    bad = HRLSettings(eval_seasons=["1999-00"])
    with pytest.raises(ValueError, match=r"every seed failed \(seed 1: ValueError: season\(s\) \['1999-00'\]"):
        run_multi_seed(bad, [1], engine.url.render_as_string(hide_password=False), tmp_path)
    # several seeds: the shared inputs cannot be built either, so each seed meets and reports the error itself
    with pytest.raises(ValueError, match=r"every seed failed \(seed 1: ValueError: .*; seed 2: ValueError: season"):
        run_multi_seed(bad, [1, 2], engine.url.render_as_string(hide_password=False), tmp_path / "two")
