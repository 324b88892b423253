"""The providers stage of `betfolio demo`: two HTTP providers through the real client, with failures.

The recorded API-Football and The Odds API payloads are served by the local stand-in server over real HTTP;
the demo ingests a Bundesliga season and its odds through the same client a live key would use, while the
stand-in throws a 500 and a 429 (retried), then fails repeatedly until the circuit opens and the last stored
live states come back marked stale. The rest of the recorded API-Football payloads (player seasons, squads,
injuries, lineups, in-play fixtures) then go through the same ingest path from the folder, so the demo's store
holds all three main tables: matches with odds, ``players_db`` and ``live_states``. Skipped (with the reason)
when the recorded payloads are not present.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, func, select

#: Recorded payloads ship inside the package (see data/CREDITS.md), so the demo needs nothing else.
RECORDED_CANDIDATES = (Path(__file__).resolve().parents[2] / "data" / "sample" / "providers",)


def recorded_dir() -> Path | None:
    return next((c for c in RECORDED_CANDIDATES if (c / "api_football").is_dir()), None)


def run_demo_providers(engine: Engine, console: Console, report_dir: Path) -> dict[str, Any]:
    """Ingest D1 2023-24 fixtures, injuries and odds via the stand-in; show retries, circuit and staleness."""
    from betfolio.ingest.api_football import ingest_live as af_ingest
    from betfolio.ingest.api_football import ingest_recorded as af_recorded
    from betfolio.ingest.odds_api import ingest_live as oa_ingest
    from betfolio.providers.api_football.client import ApiFootballClient
    from betfolio.providers.api_football.client import settings_for as af_settings
    from betfolio.providers.odds_api.client import OddsApiClient
    from betfolio.providers.odds_api.client import settings_for as oa_settings
    from betfolio.providers.resilient import ResilientSource
    from betfolio.providers.standin import serve
    from betfolio.store.archive import StoreArchive
    from betfolio.store.tables import live_states, players_db, provider_status

    folder = recorded_dir()
    if folder is None:
        console.print("[yellow]providers stage skipped: recorded provider payloads not found[/yellow]")
        return {"skipped": "recorded provider payloads not found"}
    summary: dict[str, Any] = {}
    with serve(folder / "api_football", folder / "the_odds_api") as standin:
        af = ApiFootballClient(
            af_settings("test-key", base_url=standin.api_football_url, backoff_initial=0.05, attempts=3),
            StoreArchive(engine),
        )
        standin.faults.extend(["server_error", "rate_limited"])  # both retried transparently
        summary["api-football"] = af_ingest(engine, af, league="D1", season="2023").as_dict()
        oa = OddsApiClient(oa_settings("test-key", base_url=standin.odds_api_url), StoreArchive(engine))
        summary["odds-api"] = oa_ingest(engine, oa, league="D1").as_dict()

        live = af.live_states()
        af.http.settings.attempts = 1
        standin.faults.extend(["server_error"] * 3)
        clock_offset = timedelta(seconds=45)  # replayed quickly; staleness shown as if 45 s had passed
        af.source = ResilientSource(af.http, StoreArchive(engine), clock=lambda: live.fetched_at + clock_offset)
        outages = [af.live_states() for _ in range(4)]
        summary["outage"] = {
            "circuit_state": af.http.circuit_state,
            "stale_snapshots": sum(o.stale for o in outages),
            "staleness_seconds": outages[-1].staleness_seconds,
            "errors": [o.error for o in outages],
            "requests_seen_by_provider": len(standin.state.requests),
        }
        af.close()
        oa.close()
    recorded = af_recorded(engine, folder / "api_football")
    summary["recorded"] = recorded.as_dict()
    with engine.connect() as conn:
        status = {r["provider"]: dict(r) for r in conn.execute(select(provider_status)).mappings()}
        summary["tables"] = {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (players_db, live_states)
        }

    table = Table(title="Providers through the resilient client (stand-in server, real HTTP)")
    for column in ("provider", "payloads", "fixtures", "new", "linked", "quotes", "rejected", "circuit", "quota left"):
        table.add_column(column, justify="left" if column == "provider" else "right")
    for name in ("api-football", "odds-api"):
        s, row = summary[name], status.get(name, {})
        table.add_row(
            name,
            str(s["payloads"]),
            str(s["matches"]),
            str(s["matches_added"]),
            str(s["matches_linked"]),
            str(s["quotes_added"]),
            str(len(s["rejected"])),
            str(row.get("circuit_state", "-")),
            str(row.get("quota_remaining_day", "-")),
        )
    console.print(table)
    outage = summary["outage"]
    console.print(
        f"outage drill: circuit {outage['circuit_state']}, {outage['stale_snapshots']}/4 live snapshots served "
        f"from the store, staleness {outage['staleness_seconds']:.0f} s"
    )
    rec, tables = summary["recorded"], summary["tables"]
    console.print(
        f"recorded API-Football payloads: {rec['payloads']} stored ({rec['players']} player seasons, "
        f"{rec['injuries']} injuries, {rec['live_states_added']} new in-play states, {rec['fixture_parts']} "
        f"fixture details), {len(rec['errors'])} refused with the reason (recorded provider errors); "
        f"players_db {tables['players_db']} rows, live_states {tables['live_states']} rows"
    )
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "providers.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary
