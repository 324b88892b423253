"""`betfolio live`: poll in-play states and publish them to Redis Streams.

Heavy imports live inside the command so `betfolio --help` stays fast.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated

import typer

from betfolio.cli.ingest import engine_for as _engine
from betfolio.cli.options import DbOption
from betfolio.cli.options import echo_err as _echo_err

log = logging.getLogger("betfolio.live")


def live_command(
    leagues: Annotated[
        str | None, typer.Option(help="Comma-separated leagues (E0,D1… or API-Football ids); default: every league.")
    ] = None,
    redis_url: Annotated[
        str | None,
        typer.Option("--redis", envvar="BETFOLIO_REDIS_URL", help="Publish states to Redis Streams at this URL."),
    ] = None,
    interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 30.0,
    polls: Annotated[int | None, typer.Option(help="Stop after N polls (default: run until interrupted).")] = None,
    db: DbOption = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="API key (default: BETFOLIO_API_FOOTBALL_KEY or keyring).")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(envvar="BETFOLIO_API_FOOTBALL_BASE_URL", help="Override the API base URL.")
    ] = None,
    metrics_port: Annotated[
        int, typer.Option("--metrics-port", min=0, max=65535, help="Serve Prometheus /metrics here (0 = off).")
    ] = 0,
    metrics_host: Annotated[str, typer.Option(help="Address for /metrics.")] = "127.0.0.1",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per poll.")] = False,
) -> None:
    """Poll API-Football's in-play states through the resilient client and publish them to Redis Streams."""
    from sqlalchemy.exc import SQLAlchemyError

    from betfolio.live.metrics import observe_poll, serve_metrics
    from betfolio.providers.api_football.client import ApiFootballClient, settings_for
    from betfolio.providers.keys import MissingApiKey
    from betfolio.providers.keys import api_key as find_key
    from betfolio.providers.leagues import api_football_league_id
    from betfolio.providers.live_bus import LiveStateBus
    from betfolio.providers.live_feed import PollResult, run_feed
    from betfolio.store.archive import StoreArchive
    from betfolio.store.live_retention import LiveMaintenance

    league_ids: list[int] = []
    for raw in (leagues or "").split(","):
        if raw.strip():
            found = api_football_league_id(raw.strip())
            if found is None:
                _echo_err(f"unknown league {raw.strip()!r}: use a code such as E0 or an API-Football id")
                raise typer.Exit(2)
            league_ids.append(found)
    try:
        key = find_key("api-football", api_key)
    except MissingApiKey as exc:
        _echo_err(str(exc))
        raise typer.Exit(2) from exc
    from betfolio.config import load_settings

    redis_url = redis_url or load_settings().redis_url
    bus = LiveStateBus.from_url(redis_url) if redis_url else None
    store = _engine(db)
    client = ApiFootballClient(settings_for(key, base_url=base_url), StoreArchive(store))
    upkeep = LiveMaintenance()  # momentum refresh and 30-day pruning where TimescaleDB does not do them

    serve_metrics(metrics_port, metrics_host)

    def show(result: PollResult) -> None:
        try:
            with store.begin() as conn:
                upkeep.maintain(conn)
        except SQLAlchemyError as exc:  # the next poll tries again; polling and publishing go on
            log.warning("live store upkeep failed: %s", str(exc).splitlines()[0][:200])
        limits = client.http.limiter.snapshot
        observe_poll(
            client.provider, result, client.http.circuit_state,
            {"day": limits.day_remaining, "minute": limits.minute_remaining},
        )  # fmt: skip
        if as_json:
            print(json.dumps(result.__dict__), flush=True)
        else:
            stale = f"STALE {result.staleness_seconds:.0f} s ({result.error})" if result.stale else "fresh"
            bus = f" — NOT PUBLISHED ({result.bus_error})" if result.bus_error else ""
            log.log(
                logging.WARNING if result.stale or result.bus_error else logging.INFO,
                "%d live states, %d published, %d rejected — %s%s [errors so far: provider %d, redis %d]",
                result.states, result.published, result.rejects, stale, bus, result.provider_errors, result.bus_errors,
            )  # fmt: skip

    try:
        run_feed(client, bus, interval_seconds=interval, polls=polls, leagues=league_ids or None, on_poll=show)
    except KeyboardInterrupt:
        pass
    finally:
        client.close()
