"""`betfolio bench parse`: parsing + mapping throughput of the provider adapters on the recorded payloads.

Each payload is decoded from its raw bytes and mapped to validated canonical records, exactly as ingestion
does (the store is not involved). Payloads are replayed until at least ``--seconds`` have passed per group;
the figure is records of the group's kind per CPU second of the benchmark process — one core, even on a
machine busy with other work (wall-clock rates are reported beside it).
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

#: (group, provider, endpoint, payload file relative to the providers folder, record kind counted)
PAYLOADS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "api_football_fixtures",
        "api-football",
        "fixtures",
        "api_football/syurchen93/fixtures-bundes-ns-pst.json",
        "match",
    ),
    # /fixtures?ids=…: every fixture arrives with its events, lineups, statistics and ~45 player lines each
    (
        "api_football_fixture_details",
        "api-football",
        "fixtures",
        "api_football/syurchen93/fixtures-cl-penalties.json",
        "match",
    ),
    (
        "api_football_fixtures",
        "api-football",
        "fixtures",
        "api_football/syurchen93/head-to-head-mu-mc-2021.json",
        "match",
    ),
    (
        "api_football_fixtures",
        "api-football",
        "fixtures",
        "api_football/lucasnopc/live_fixtures_with_pinnacle_odds_2021-04-22.json",
        "match",
    ),
    (
        "api_football_odds",
        "api-football",
        "odds",
        "api_football/lucasnopc/odds_prematch_pinnacle_matchwinner_envelopes_2021-04-22.json",
        "odds_quote",
    ),
    ("api_football_odds", "api-football", "odds/live", "api_football/badkaktus/odds_live.json", "odds_quote"),
    ("odds_api_odds", "odds-api", "odds", "the_odds_api/masterpiecesvk_epl_odds.json", "odds_quote"),
    ("odds_api_odds", "odds-api", "odds", "the_odds_api/masterpiecesvk_bundesliga_odds.json", "odds_quote"),
    ("odds_api_odds", "odds-api", "odds", "the_odds_api/karuma46_soccer_epl_odds_h2h_2024-08-19.json", "odds_quote"),
)


def default_dir() -> Path:
    """The recorded payloads shipped with the package (the ones the demo replays)."""
    from betfolio.jobs.demo.providers_stage import recorded_dir

    found = recorded_dir()
    if found is None:
        raise FileNotFoundError("recorded provider payloads not found; pass --data-dir")
    return found


def _measure(work: Callable[[], tuple[int, int]], min_seconds: float) -> dict[str, Any]:
    """Rates per CPU second of this process (one core, whatever else the machine runs) and per wall second."""
    work()  # warm-up (imports, caches)
    rounds = counted = records = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    while True:
        c, r = work()
        counted += c
        records += r
        rounds += 1
        wall = time.perf_counter() - wall0
        if wall >= min_seconds:
            break
    cpu = max(time.process_time() - cpu0, 1e-9)
    return {
        "rounds": rounds,
        "wall_seconds": round(wall, 3),
        "cpu_seconds": round(cpu, 3),
        "counted": counted,
        "per_second": round(counted / cpu),
        "per_wall_second": round(counted / wall),
        "all_records_per_second": round(records / cpu),
    }


def run(data_dir: Path | None = None, min_seconds: float = 1.0) -> dict[str, Any]:
    from betfolio.providers.registry import adapters

    data_dir = data_dir or default_dir()
    found = adapters()
    groups: dict[str, list[tuple[Any, str, bytes, str]]] = {}
    for group, provider, endpoint, name, kind in PAYLOADS:
        path = data_dir / name
        if path.is_file():
            groups.setdefault(group, []).append((found[provider], endpoint, path.read_bytes(), kind))

    def work_for(items: list[tuple[Any, str, bytes, str]]) -> Callable[[], tuple[int, int]]:
        def work() -> tuple[int, int]:
            counted = total = 0
            for adapter, endpoint, content, kind in items:
                result = adapter.parse(endpoint, content)
                counted += sum(1 for r in result.records if r.kind == kind)
                total += len(result.records)
            return counted, total

        return work

    results: dict[str, Any] = {}
    for group, items in groups.items():
        results[group] = {"payloads": len(items), **_measure(work_for(items), min_seconds)}
    fixtures = results.get("api_football_fixtures", {}).get("per_second")
    quote_rates = [results[g]["per_second"] for g in ("api_football_odds", "odds_api_odds") if g in results]
    return {
        "benchmark": "parse",
        "data_dir": str(data_dir),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_1m": _load()},
        "fixtures_per_second": fixtures,
        "odds_quotes_per_second": min(quote_rates) if quote_rates else None,
        "full_detail_fixtures_per_second": results.get("api_football_fixture_details", {}).get("per_second"),
        "targets": {"fixtures_per_second": 20_000, "odds_quotes_per_second": 100_000},
        "groups": results,
    }


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def register(app: typer.Typer) -> None:
    """Add the `parse` benchmark command to `app`."""

    @app.command("parse")
    def bench_parse(
        data_dir: Annotated[
            Path | None, typer.Option(help="Folder of recorded payloads (default: the ones the package ships).")
        ] = None,
        seconds: Annotated[float, typer.Option(help="Minimum measuring time per payload group.")] = 1.0,
        as_json: Annotated[bool, typer.Option("--json", help="Compact JSON.")] = False,
    ) -> None:
        """Parsing + mapping throughput on the recorded API-Football and Odds API payloads (one core)."""
        from betfolio.cli.bench import emit

        emit(run(data_dir, seconds), as_json)
