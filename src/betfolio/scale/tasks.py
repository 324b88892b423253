"""`ray_map`: one Ray task per item, results in input order, a crashed task reported and the others kept.

Why not ``ray.get(refs)``: it raises on the first failed task and the finished results are lost with it. A sweep
of twenty seeds where seed 7 hits a bad batch should still report nineteen seeds — and say which seed failed and
with what — so every task is collected on its own and a failure becomes a :class:`TaskFailure` in its place.
"""

from __future__ import annotations

import traceback as tb
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from betfolio.scale.runtime import ray_session

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class TaskFailure:
    """A task that raised or whose worker died: its position, what it was run with, and the error (one line)."""

    index: int
    item: str  # the item's description: its seed, its grid cell, its configuration
    error: str
    traceback: str = field(default="", compare=False)  # in-process runs only (a Ray task's stays in its worker)

    def __str__(self) -> str:
        return f"task {self.index} ({self.item}) failed: {self.error}"


def one_line_error(exc: BaseException) -> str:
    """The root cause of a task error in one line (Ray wraps it in a RayTaskError carrying the traceback)."""
    cause = getattr(exc, "cause", None) or exc
    text = str(cause).strip().splitlines()
    # A RayTaskError's own text starts with the traceback header; its cause's text is the user's message.
    return f"{type(cause).__name__}: {text[-1] if text else ''}".rstrip(": ")


def ray_map(
    fn: Callable[[T], R],
    items: Sequence[T],
    address: str | None = None,
    *,
    describe: Callable[[T], str] = repr,
    env_vars: Mapping[str, str] | None = None,
    num_cpus: float = 1,
    on_done: Callable[[int, int], None] | None = None,
) -> list[R | TaskFailure]:
    """``[fn(item) for item in items]`` with each call a Ray task (local Ray on demand, or the cluster at
    ``address``); a call that fails yields a :class:`TaskFailure` (with ``describe(item)``) in its place.

    ``fn`` and the items are pickled to the workers, so ``fn`` must be importable there (a module-level function
    of an installed package). ``env_vars`` reach the tasks' processes (e.g. the database URL: never in code).
    ``on_done(finished, total)`` is called as tasks complete, in completion order.
    """
    if not items:
        return []
    with ray_session(address) as ray:
        options: dict[str, Any] = {"num_cpus": num_cpus}
        if env_vars:
            options["runtime_env"] = {"env_vars": dict(env_vars)}
        remote = ray.remote(fn).options(**options)
        refs = [remote.remote(item) for item in items]
        position = {ref: i for i, ref in enumerate(refs)}
        results: list[Any] = [None] * len(refs)
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for ref in ready:
                i = position[ref]
                try:
                    results[i] = ray.get(ref)
                except Exception as exc:  # each task's failure is reported, the others kept
                    results[i] = TaskFailure(i, describe(items[i]), one_line_error(exc))
            if on_done is not None:
                on_done(len(refs) - len(pending), len(refs))
        return results


def sequential_map(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    describe: Callable[[T], str] = repr,
    on_done: Callable[[int, int], None] | None = None,
) -> list[R | TaskFailure]:
    """The same contract as :func:`ray_map`, in this process one item after another (no Ray needed)."""
    results: list[R | TaskFailure] = []
    for i, item in enumerate(items):
        try:
            results.append(fn(item))
        except Exception as exc:  # as ray_map: the failure is reported, the others kept
            results.append(TaskFailure(i, describe(item), one_line_error(exc), tb.format_exc()))
        if on_done is not None:
            on_done(i + 1, len(items))
    return results


def failures(results: Sequence[object]) -> list[TaskFailure]:
    """The failed tasks among ``results``."""
    return [r for r in results if isinstance(r, TaskFailure)]
