"""`betfolio bench sim`: the batched live simulator (match-minutes/s) and `LiveBettingEnv.step` (steps/s).

Targets from the issue: ≥ 1,000,000 match-minutes/s batched (states + prices) and ≥ 20,000 single-env steps/s on
one core. Both wall-clock and process-CPU rates are reported: on a shared machine the CPU rate is the fairer
figure. Two policies are timed: "no bet" (pure replay: states, prices, masks, reward) and "random" (a random
allowed action on 10 % of env-minutes, so acceptance, risk checks and settlement are exercised too).
"""

from __future__ import annotations

import os
import time
from typing import Annotated, Any

import typer

BATCHED_TARGET = 1_000_000
ENV_TARGET = 20_000


def _timed(fn: Any, work: int) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"seconds": round(wall, 4), "per_second": round(work / wall, 1), "per_cpu_second": round(work / cpu, 1)}


def run(
    n_envs: int = 2048,
    steps: int = 450,
    env_steps: int = 30_000,
    seed: int = 0,
    leagues: tuple[str, ...] = ("E0", "D1", "SP1"),
) -> dict[str, Any]:
    import numpy as np

    from betfolio.sim.batched import BatchedLiveSim
    from betfolio.sim.envs import LiveBettingEnv
    from betfolio.sim.episodes import load_sample_matchset
    from betfolio.sim.timeline import build_bank

    t0 = time.perf_counter()
    matches = load_sample_matchset(leagues, ("2022-23",))
    t1 = time.perf_counter()
    bank = build_bank(matches, n_variants=2, seed=seed)
    t2 = time.perf_counter()
    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "note": "shared machine; per_cpu_second is the fairer figure"},
        "data": {
            "matches": len(matches),
            "variants": bank.n_variants,
            "load_seconds": round(t1 - t0, 3),
            "bank_build_seconds": round(t2 - t1, 3),
            "bank_megabytes": round(bank.nbytes / 1e6, 1),
        },
    }
    rng = np.random.default_rng(seed)

    sim = BatchedLiveSim(n_envs, seed=seed, bank=bank)
    sim.reset()
    idle = np.zeros(n_envs, np.int64)
    for _ in range(20):
        sim.step(idle)

    def batched_idle() -> None:
        for _ in range(steps):
            sim.step(idle)

    # Random policy: actions drawn up front so the timing measures the simulator, not the policy.
    draws = rng.random((steps, n_envs, 6))
    attempt = rng.random((steps, n_envs)) < 0.10

    def batched_random() -> None:
        mask = sim.action_mask
        for i in range(steps):
            action = (draws[i] * mask).argmax(1) * attempt[i]
            *_, mask, _info = sim.step(action)

    work = n_envs * steps
    result["batched"] = {
        "n_envs": n_envs,
        "steps": steps,
        "no_bet": {**_timed(batched_idle, work), "unit": "match-minutes"},
        "random": {**_timed(batched_random, work), "unit": "match-minutes"},
        "target_per_second": BATCHED_TARGET,
    }
    result["batched"]["meets_target"] = result["batched"]["no_bet"]["per_cpu_second"] >= BATCHED_TARGET

    env = LiveBettingEnv(bank, seed=seed)
    env.reset(seed=seed)

    def env_idle() -> None:
        for _ in range(env_steps):
            _, _, terminated, truncated, _ = env.step(0)
            if terminated or truncated:
                env.reset()

    env_draws = rng.random((env_steps, 6))
    env_attempt = rng.random(env_steps) < 0.10

    def env_random() -> None:
        mask = env.action_masks()
        for i in range(env_steps):
            action = int((env_draws[i] * mask).argmax()) if env_attempt[i] else 0
            _, _, terminated, truncated, info = env.step(action)
            mask = info["action_mask"]
            if terminated or truncated:
                _, info = env.reset()
                mask = info["action_mask"]

    result["live_env"] = {
        "steps": env_steps,
        "no_bet": {**_timed(env_idle, env_steps), "unit": "steps"},
        "random": {**_timed(env_random, env_steps), "unit": "steps"},
        "target_per_second": ENV_TARGET,
    }
    result["live_env"]["meets_target"] = result["live_env"]["no_bet"]["per_cpu_second"] >= ENV_TARGET
    return result


def register(app: typer.Typer) -> None:
    """Add the `sim` benchmark command to `app`."""

    @app.command("sim")
    def bench_sim(
        n_envs: Annotated[int, typer.Option(help="Environments in the batched simulator.")] = 2048,
        steps: Annotated[int, typer.Option(help="Batched steps (minutes) to time per policy.")] = 450,
        env_steps: Annotated[int, typer.Option(help="Single-env steps to time per policy.")] = 30_000,
        seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
        leagues: Annotated[str, typer.Option(help="Bundled 2022-23 leagues to replay, comma-separated.")] = "E0,D1,SP1",
        as_json: Annotated[bool, typer.Option("--json", help="Compact JSON.")] = False,
    ) -> None:
        """Batched live simulator and LiveBettingEnv.step throughput on the bundled sample."""
        from betfolio.cli.bench import emit

        if n_envs < 1 or steps < 1 or env_steps < 1:
            raise typer.BadParameter("n-envs, steps and env-steps must be positive")
        chosen = tuple(code.strip() for code in leagues.split(",") if code.strip())
        if not chosen:
            raise typer.BadParameter("give at least one league, e.g. --leagues E0")
        try:
            result = run(n_envs, steps, env_steps, seed, chosen)
        except FileNotFoundError as exc:
            raise typer.BadParameter(str(exc)) from exc
        emit(result, as_json)
