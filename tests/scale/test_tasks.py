"""`ray_map` on a real local Ray: input order kept, a crashed task reported with its item, the others kept."""

from __future__ import annotations

import os

from betfolio.scale.tasks import TaskFailure, failures, ray_map, sequential_map


def square_unless_seven(seed: int) -> int:
    if seed == 7:
        raise ValueError(f"diverged at seed {seed}")
    return seed * seed


def database_url_seen_by_worker(_item: int) -> str | None:
    return os.environ.get("BETFOLIO_DATABASE_URL")


def test_results_in_input_order_and_crash_reported(local_ray: object) -> None:
    seeds = [3, 7, 1, 5]
    results = ray_map(square_unless_seven, seeds, describe=lambda s: f"seed={s}")
    assert results[0] == 9 and results[2] == 1 and results[3] == 25
    (failure,) = failures(results)
    assert isinstance(results[1], TaskFailure) and failure.index == 1 and failure.item == "seed=7"
    assert failure.error == "ValueError: diverged at seed 7"
    assert "seed=7" in str(failure)
    assert sequential_map(square_unless_seven, seeds, describe=lambda s: f"seed={s}") == results


def test_environment_reaches_the_workers(local_ray: object) -> None:
    url = "postgresql+psycopg://reader@db.example/betfolio"
    assert ray_map(database_url_seen_by_worker, [0, 1], env_vars={"BETFOLIO_DATABASE_URL": url}) == [url, url]
