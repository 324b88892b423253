"""Training seeds as Ray tasks: a seed mapper for :func:`betfolio.jobs.training.run_multi_seed`.

The multi-seed job owns what a seed is (:class:`~betfolio.jobs.training.SeedTask`, a picklable task whose worker
opens the store itself) and how results gather into the evaluation JSON; this mapper only decides where each seed
runs. Each seed is one Ray task with one CPU, torch on one thread inside it (the job sees to that), so seeds on
a local Ray use the cores in parallel and a seed's numbers are the same as in the sequential run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from betfolio.scale.tasks import TaskFailure, ray_map


def ray_seed_mapper(
    address: str | None = None,
    *,
    num_cpus: int | None = None,
    on_done: Callable[[int, int], None] | None = None,
) -> Callable[[Callable[[Any], Any], Sequence[Any]], list[Any]]:
    """A ``map_seeds`` running every seed as a Ray task (a local Ray started on demand with ``num_cpus``, or the
    cluster at ``address``); a seed whose task fails becomes a ``SeedFailure`` naming it, the others are kept."""

    def map_seeds(fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        from betfolio.jobs.training import SeedFailure
        from betfolio.scale.runtime import ray_session

        with ray_session(address, num_cpus=num_cpus):
            results = ray_map(fn, tasks, address, describe=lambda t: f"seed {t.seed}", on_done=on_done)
        return [SeedFailure(tasks[r.index].seed, r.error) if isinstance(r, TaskFailure) else r for r in results]

    return map_seeds
