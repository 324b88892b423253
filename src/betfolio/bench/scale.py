"""`betfolio bench scale`: the multi-seed training job on 1 and on 2 Ray workers — parallel efficiency.

Seeds are embarrassingly parallel (each trains and evaluates on its own; only the store is shared and only read),
so on N workers the job should take about 1/N of its single-worker time. The benchmark runs THE multi-seed job
(:func:`betfolio.jobs.training.run_multi_seed`) twice with the Ray seed mapper — a local Ray with one CPU, then
with two — on a store holding the bundled E0 sample, and reports the job's wall time (Ray's own start-up apart),
the seeds' CPU time, the parallel efficiency ``T1 / (2 · T2)`` (target ≥ 0.8) and whether both runs gave the same
numbers. The load average is
reported beside the figures: on a shared machine another process's load shows up as lost efficiency.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import typer

#: The bundled sample's seasons: the first two to train on, the last held out.
SEASONS = ("2020-21", "2021-22", "2022-23")


def _sample_store(folder: Path) -> str:
    from betfolio.data import bundled_sample
    from betfolio.ingest.football_data import discover, ingest_files
    from betfolio.store.engine import make_engine
    from betfolio.store.migrate import upgrade

    url = f"sqlite:///{folder / 'sample.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    with bundled_sample() as sample:
        files, problems = discover([sample / season / "E0.csv.gz" for season in SEASONS])
        if problems:
            raise ValueError(f"bundled sample unreadable: {problems}")
        ingest_files(engine, files)
    engine.dispose()
    return url


def _timed_run(settings: Any, seeds: list[int], url: str, root: Path, workers: int) -> dict[str, Any]:
    """The multi-seed job on a fresh local Ray with ``workers`` CPUs; starting Ray is timed apart (a cluster is
    started once, not per job), the workers' first imports count in the job."""
    import ray

    from betfolio.jobs.training import run_multi_seed
    from betfolio.scale.runtime import init_ray
    from betfolio.scale.seeds import ray_seed_mapper

    if ray.is_initialized():
        ray.shutdown()
    load = os.getloadavg()[0]
    clock = time.perf_counter()
    init_ray(None, num_cpus=workers)
    startup = time.perf_counter() - clock
    try:
        started, cpu = time.perf_counter(), time.process_time()
        summary = run_multi_seed(settings, seeds, url, root, map_seeds=ray_seed_mapper())
        wall = time.perf_counter() - started
    finally:
        ray.shutdown()
    return {
        "workers": workers,
        "seconds": round(wall, 1),
        "ray_start_seconds": round(startup, 1),
        "driver_cpu_seconds": round(time.process_time() - cpu, 1),
        "seeds_cpu_seconds": round(sum(s.get("cpu_seconds") or 0.0 for s in summary["per_seed"]), 1),
        "seed_seconds": [s.get("seconds") for s in summary["per_seed"]],
        "failures": summary["failures"],
        "load_average_1m_before": round(load, 2),
        "load_average_1m_after": round(os.getloadavg()[0], 2),
        "_strategies": summary["strategies"],
    }


def run(
    seeds: int = 4, live_steps: int = 40_000, envs: int = 128, q_episodes: int = 5, dqn_steps: int = 2_000
) -> dict[str, Any]:
    from betfolio.jobs.training import HRLSettings

    settings = HRLSettings(
        live_steps=live_steps, n_envs=envs, q_episodes=q_episodes, dqn_steps=dqn_steps, ablation=False
    )
    seed_list = list(range(1, seeds + 1))
    with tempfile.TemporaryDirectory(prefix="betfolio-bench-scale-") as tmp:
        folder = Path(tmp)
        url = _sample_store(folder)
        one = _timed_run(settings, seed_list, url, folder / "one", 1)
        two = _timed_run(settings, seed_list, url, folder / "two", 2)
    identical = one.pop("_strategies") == two.pop("_strategies")
    efficiency = one["seconds"] / (2 * two["seconds"]) if two["seconds"] else None
    return {
        "benchmark": "scale",
        "machine": {"cpus": os.cpu_count()},
        "job": {
            "what": "run_multi_seed: train and evaluate every seed (HRL workers) on E0 2020-21, 2021-22; eval 2022-23",
            "seeds": seeds,
            "live_steps": live_steps,
            "n_envs": envs,
            "q_episodes": q_episodes,
            "dqn_steps": dqn_steps,
        },
        "one_worker": one,
        "two_workers": two,
        "speedup": round(one["seconds"] / two["seconds"], 3) if two["seconds"] else None,
        "parallel_efficiency": None if efficiency is None else round(efficiency, 3),
        "efficiency_target": 0.8,
        "efficiency_met": None if efficiency is None else efficiency >= 0.8,
        "same_numbers_on_1_and_2_workers": identical,
        f"{seeds}_seed_job_seconds": {"1_worker": one["seconds"], "2_workers": two["seconds"]},
    }


def register(app: typer.Typer) -> None:
    """Add the `scale` benchmark command to `app`."""

    @app.command("scale")
    def bench_scale(
        seeds: Annotated[int, typer.Option(min=1, help="Seeds of the multi-seed job.")] = 4,
        steps: Annotated[int, typer.Option(min=1, help="Live PPO steps per seed.")] = 40_000,
        envs: Annotated[int, typer.Option(min=1, help="Concurrent simulated matches per seed.")] = 128,
        episodes: Annotated[int, typer.Option(min=1, help="Tabular Q episodes per seed.")] = 5,
        dqn_steps: Annotated[int, typer.Option(min=1, help="DQN steps per seed.")] = 2_000,
        as_json: Annotated[bool, typer.Option("--json", help="Compact JSON.")] = False,
    ) -> None:
        """The same multi-seed training job on 1 and 2 local Ray workers: wall and CPU time, parallel efficiency."""
        from betfolio.cli.bench import emit
        from betfolio.cli.options import fail
        from betfolio.scale.runtime import ScaleError, require_ray

        try:
            require_ray()
        except ScaleError as exc:
            fail(str(exc))
        emit(run(seeds, steps, envs, episodes, dqn_steps), as_json)
