"""`betfolio bench train`: live PPO training throughput, the ratio to sb3-contrib RecurrentPPO, decision latency.

* **Throughput**: the hand-written masked LSTM + attention PPO on the batched simulator over the bundled sample
  (env steps per second, rollout and update together, after one warm-up update).
* **Ratio**: sb3-contrib's ``RecurrentPPO`` (``MlpLstmPolicy``) on the *same* batched simulator, wrapped as an
  SB3 ``VecEnv``, for the same number of env steps as our comparison run (same envs, same rollout length) —
  with the same update work as ours (3 epochs × 4 minibatches), and with ``--sb3-defaults`` also with the
  library's defaults (10 epochs × minibatches of 128 steps; slow), because the ratio depends on that choice as
  much as on the code.
* **Latency**: one greedy decision for a batch of 50 concurrent matches (masking included), p50/p99 in ms.

The machine is shared, so the JSON records the thread count and load average next to the figures.
"""

from __future__ import annotations

import os
import time
from typing import Annotated, Any

import numpy as np
import typer


def _sb3_vec_env(sim: Any) -> Any:
    """The batched simulator as a Stable-Baselines3 VecEnv (terminal observations where SB3 expects them)."""
    from gymnasium import spaces
    from stable_baselines3.common.vec_env.base_vec_env import VecEnv

    class BatchedSimVecEnv(VecEnv):
        def __init__(self) -> None:
            obs_space = spaces.Box(low=-np.inf, high=np.inf, shape=(sim.observation_dim,), dtype=np.float32)
            super().__init__(sim.n_envs, obs_space, spaces.Discrete(sim.n_actions))
            self._actions = np.zeros(sim.n_envs, np.int64)

        def reset(self) -> np.ndarray:
            return sim.reset()[0]

        def step_async(self, actions: np.ndarray) -> None:
            self._actions = np.asarray(actions)

        def step_wait(self) -> Any:
            obs, reward, terminated, truncated, _mask, info = sim.step(self._actions)
            done = terminated | truncated
            infos: list[dict[str, Any]] = [{} for _ in range(sim.n_envs)]
            for i in np.nonzero(done)[0]:
                infos[i]["terminal_observation"] = info["final_observation"][i]
                infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
            return obs, reward, done, infos

        def close(self) -> None:
            return None

        def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
            return [getattr(sim, attr_name)] * sim.n_envs

        def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
            setattr(sim, attr_name, value)

        def env_method(self, method_name: str, *args: Any, indices: Any = None, **kwargs: Any) -> list[Any]:
            return [getattr(sim, method_name)(*args, **kwargs)]

        def env_is_wrapped(self, wrapper_class: Any, indices: Any = None) -> list[bool]:
            return [False] * sim.n_envs

    return BatchedSimVecEnv()


def _ours(bank: Any, n_envs: int, num_steps: int, total: int, threads: int) -> dict[str, Any]:
    from betfolio.agents.live.layout import live_layout
    from betfolio.agents.live.network import NetworkConfig
    from betfolio.agents.live.ppo import LivePPOTrainer, PPOConfig
    from betfolio.sim.batched import BatchedLiveSim

    sim = BatchedLiveSim(n_envs, seed=0, bank=bank)
    config = PPOConfig(num_steps=num_steps, threads=threads, network=NetworkConfig(n_actions=sim.n_actions))
    trainer = LivePPOTrainer(sim, live_layout(), config)
    trainer.train_iteration()  # warm-up (allocations, first reset)
    start_step = trainer.global_step
    rollout = update = 0.0
    t0, c0 = time.perf_counter(), time.process_time()
    while trainer.global_step - start_step < total:
        a = time.perf_counter()
        _r, _l, seg, adv, ret = trainer.collect()
        b = time.perf_counter()
        trainer.update(seg, adv, ret)
        rollout += b - a
        update += time.perf_counter() - b
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    steps = trainer.global_step - start_step
    return {
        "env_steps": steps,
        "seconds": round(elapsed, 3),
        "cpu_seconds": round(cpu, 3),
        "steps_per_s": round(steps / elapsed),
        # CPU time excludes the waits of a process descheduled on a shared machine (the wall figure under load)
        "cpu_steps_per_s": round(steps / max(cpu, 1e-9)),
        "rollout_share": round(rollout / elapsed, 3),
        "update_share": round(update / elapsed, 3),
        "n_envs": n_envs,
        "rollout_minutes": num_steps,
        "threads": threads,
    }


def _sb3(bank: Any, n_envs: int, num_steps: int, total: int, threads: int, *, matched: bool) -> dict[str, Any]:
    """``matched``: the same update work as ours (3 epochs × 4 minibatches per rollout); otherwise the
    library's defaults (10 epochs, minibatches of 128 steps)."""
    import torch
    from sb3_contrib import RecurrentPPO

    from betfolio.sim.batched import BatchedLiveSim

    torch.set_num_threads(threads)
    sim = BatchedLiveSim(n_envs, seed=0, bank=bank)
    update = {"batch_size": n_envs * num_steps // 4, "n_epochs": 3} if matched else {}
    model = RecurrentPPO(
        "MlpLstmPolicy", _sb3_vec_env(sim), n_steps=num_steps, seed=0, device="cpu", verbose=0, **update
    )
    t0 = time.perf_counter()
    model.learn(total_timesteps=total)
    elapsed = time.perf_counter() - t0
    return {"env_steps": int(model.num_timesteps), "seconds": round(elapsed, 3),
            "steps_per_s": round(model.num_timesteps / elapsed), "n_epochs": model.n_epochs,
            "batch_size": model.batch_size}  # fmt: skip


def _latency(bank: Any, n_matches: int, calls: int, threads: int) -> dict[str, Any]:
    import torch

    from betfolio.agents.live.layout import live_layout
    from betfolio.agents.live.network import LivePolicy, MaskedAttentionLSTM, NetworkConfig
    from betfolio.sim.batched import BatchedLiveSim

    torch.set_num_threads(threads)
    sim = BatchedLiveSim(n_matches, seed=1, bank=bank)
    obs, mask = sim.reset()
    policy = LivePolicy(MaskedAttentionLSTM(live_layout(), NetworkConfig(n_actions=sim.n_actions)), n_matches)
    samples, cpu = [], []
    for _ in range(calls):
        t, c = time.perf_counter(), time.process_time()
        actions = policy.act(obs, mask)
        samples.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        obs, _r, term, trunc, mask, _i = sim.step(actions)
        policy.reset(term | trunc)
    ms = np.array(samples[10:]) * 1000
    cpu_ms = np.array(cpu[10:]) * 1000
    # Wall-clock is what a caller waits; CPU time excludes the waits of a process descheduled on a busy machine.
    return {"matches": n_matches, "calls": len(ms), "p50_ms": round(float(np.percentile(ms, 50)), 4),
            "p99_ms": round(float(np.percentile(ms, 99)), 4), "max_ms": round(float(ms.max()), 4),
            "cpu_p50_ms": round(float(np.percentile(cpu_ms, 50)), 4),
            "cpu_p99_ms": round(float(np.percentile(cpu_ms, 99)), 4)}  # fmt: skip


def run(
    steps: int, compare_steps: int, n_envs: int, threads: int, skip_sb3: bool, sb3_defaults: bool = False
) -> dict[str, Any]:
    from betfolio.sim.batched import sample_bank

    bank = sample_bank()
    num_steps = 90  # one match per rollout (the trainer default)
    result: dict[str, Any] = {
        "benchmark": "train",
        "machine": {"cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)},
        "live_ppo": _ours(bank, n_envs, num_steps, steps, threads),
        "target_steps_per_s": 20_000,
    }
    same = _ours(bank, n_envs, num_steps, compare_steps, threads)
    result["comparison"] = {"ours": same}
    if not skip_sb3:
        comparison = result["comparison"]
        matched = _sb3(bank, n_envs, num_steps, compare_steps, threads, matched=True)
        comparison["sb3_recurrent_ppo_matched_updates"] = matched
        comparison["speedup_matched_updates"] = round(same["steps_per_s"] / max(matched["steps_per_s"], 1), 1)
        if sb3_defaults:
            defaults = _sb3(bank, n_envs, num_steps, compare_steps, threads, matched=False)
            comparison["sb3_recurrent_ppo_library_defaults"] = defaults
            comparison["speedup_library_defaults"] = round(same["steps_per_s"] / max(defaults["steps_per_s"], 1), 1)
        comparison["target_speedup"] = 30
    result["decision_latency"] = _latency(bank, 50, 1000, threads) | {"target_p99_ms": 2.0}
    result["machine"]["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    return result


def register(app: typer.Typer) -> None:
    """Add the `train` benchmark command to `app`."""

    @app.command("train")
    def bench_train(
        steps: Annotated[int, typer.Option(help="Env steps for the throughput figure.")] = 300_000,
        compare_steps: Annotated[
            int, typer.Option(help="Env steps for the side-by-side run with sb3-contrib RecurrentPPO (both sides).")
        ] = 46_080,
        envs: Annotated[int, typer.Option(help="Concurrent simulated matches.")] = 256,
        threads: Annotated[int, typer.Option(help="torch threads.")] = 1,
        skip_sb3: Annotated[bool, typer.Option(help="Skip the RecurrentPPO comparison.")] = False,
        sb3_defaults: Annotated[
            bool,
            typer.Option(help="Also time RecurrentPPO with its library defaults (slow: ~15 min for 46k steps here)."),
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Compact JSON.")] = False,
    ) -> None:
        """Live PPO training throughput, the speed-up over sb3-contrib RecurrentPPO, and decision latency."""
        from betfolio.cli.bench import emit

        emit(run(steps, compare_steps, envs, threads, skip_sb3, sb3_defaults), as_json)
