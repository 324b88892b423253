"""Training seeds as Ray tasks: a seed mapper for :func:`betfolio.jobs.training.run_multi_seed`.

The multi-seed job owns what a seed is (:class:`~betfolio.jobs.training.SeedTask`, a picklable task whose worker
opens the store itself) and how results gather into the evaluation JSON; this mapper only decides where each seed
runs. Each seed is one Ray task with one CPU, torch on one thread inside it (the job sees to that), so seeds on
a local Ray use the cores in parallel and a seed's numbers are the same as in the sequential run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from betfolio.scale.tasks import ray_map


def ray_seed_mapper(
    address: str | None = None,
    *,
    num_cpus: int | None = None,
    on_done: Callable[[int, int], None] | None = None,
) -> Callable[[Callable[[Any], Any], Sequence[Any]], list[Any]]:
    """A ``map_seeds`` running every seed as a Ray task (a local Ray started on demand with ``num_cpus``, or the
    cluster at ``address``); a seed whose task fails becomes a ``SeedFailure`` naming it, the others are kept."""

    def map_seeds(fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        from betfolio.jobs.training import seed_results
        from betfolio.scale.runtime import ray_session, worker_env

        # The database URL (it may hold a password) travels in Ray's runtime environment, not in the pickled
        # tasks that Ray keeps in its object store and shows in its state API; the workers read it from there.
        urls = {t.db_url for t in tasks}
        env = worker_env(urls.pop()) if len(urls) == 1 else {}
        sent = [replace(t, db_url="") for t in tasks] if env else list(tasks)
        with ray_session(address, num_cpus=num_cpus, env_vars=env):
            results = ray_map(fn, sent, address, describe=lambda t: f"seed {t.seed}", env_vars=env, on_done=on_done)
        return seed_results(tasks, results)

    return map_seeds
