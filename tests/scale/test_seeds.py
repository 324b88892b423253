"""Training seeds as Ray tasks: a 2-seed run on a real local Ray gives the sequential run's numbers."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from betfolio.jobs.training import HRLSettings, SeedResult, SeedTask, run_multi_seed, train_and_evaluate_seed
from betfolio.scale.seeds import ray_seed_mapper
from tests.agents.conftest import sample_store

__all__ = ["sample_store"]

#: Budgets small enough for a test (the multi-seed job's own tests use the same).
TINY = HRLSettings(live_steps=8_192, n_envs=64, q_episodes=2, dqn_steps=600, ablation=False)


def crash_on_four(task: SeedTask) -> SeedResult:
    """Top-level so Ray workers can import it: seed 4 crashes, the others train for real."""
    if task.seed == 4:
        raise RuntimeError("seed 4 crashed")
    return train_and_evaluate_seed(task)


def test_two_seeds_on_ray_match_the_sequential_run_and_a_crash_is_reported(
    local_ray: object, sample_store: tuple[Engine, Path], tmp_path: Path
) -> None:
    engine, _root = sample_store
    url = engine.url.render_as_string(hide_password=False)
    mapper = ray_seed_mapper()

    def with_a_crashing_seed(_fn: object, tasks: list[SeedTask]) -> list[object]:
        return mapper(crash_on_four, tasks)

    here = run_multi_seed(TINY, [2, 3], url, tmp_path / "sequential")
    there = run_multi_seed(TINY, [2, 3, 4], url, tmp_path / "ray", map_seeds=with_a_crashing_seed)
    assert there["failures"] == [{"seed": 4, "error": "RuntimeError: seed 4 crashed"}]
    assert here["seeds"] == there["seeds"] == [2, 3]
    assert here["strategies"] == there["strategies"]
    assert [s["strategies"] for s in here["per_seed"]] == [s["strategies"] for s in there["per_seed"]]
    assert (tmp_path / "ray" / "seed-3" / "evaluation.json").exists()
