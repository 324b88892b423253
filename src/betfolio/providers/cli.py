"""`betfolio parse` and `betfolio ingest api-football|odds-api`.

Heavy imports live inside the commands so `betfolio --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

PARSE_PROVIDERS = ("api-football", "odds-api", "football-data")

DbOption = Annotated[
    str | None, typer.Option("--db", envvar="BETFOLIO_DATABASE_URL", help="Database URL or SQLite file path.")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]


def _echo_err(message: str) -> None:
    typer.echo(message, err=True)


def parse_command(
    provider: Annotated[str, typer.Argument(help=f"One of: {', '.join(PARSE_PROVIDERS)}.")],
    endpoint: Annotated[
        str,
        typer.Argument(
            help="Endpoint the payload came from, e.g. fixtures, fixtures/statistics, fixtures/events, "
            "fixtures/lineups, fixtures/players, odds, odds/live, injuries, players, teams, standings, "
            "leagues, status (api-football); odds (odds-api); csv (football-data)."
        ),
    ],
    file: Annotated[str, typer.Argument(help="Payload file ('-' reads stdin).")],
    show_skipped: Annotated[bool, typer.Option("--show-skipped", help="List deliberately skipped entries.")] = False,
) -> None:
    """Map a raw provider payload to canonical records, printed as JSON lines (every record has a `kind`).

    Rejected records are reported on stderr with provider, endpoint, path in the payload and reason; the exit
    code is 1 if any record was rejected (the good ones are still printed), 2 if the payload is unusable.
    """
    from betfolio.providers.base import PayloadError
    from betfolio.providers.registry import parse_payload

    try:
        content = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        _echo_err(f"cannot read {file}: {exc.strerror or exc}")
        raise typer.Exit(2) from exc
    try:
        records, rejects, skipped = parse_payload(provider, endpoint, content, source=file)
    except PayloadError as exc:
        _echo_err(f"error: {exc}")
        raise typer.Exit(2) from exc
    out = sys.stdout
    for record in records:
        out.write(json.dumps(record, default=str, ensure_ascii=False))
        out.write("\n")
    out.flush()
    for reject in rejects:
        _echo_err(f"rejected: {reject}")
    if show_skipped:
        for skip in skipped:
            _echo_err(f"skipped: {skip}")
    _echo_err(f"{len(records)} records, {len(rejects)} rejected, {len(skipped)} skipped")
    if rejects:
        raise typer.Exit(1)


def _print_report(report: Any, as_json: bool) -> None:
    data = report.as_dict()
    if as_json:
        print(json.dumps(data, indent=2, default=str))
        return
    typer.echo(
        f"{data['provider']}: {data['payloads']} payloads, {data['matches']} fixtures ({data['matches_added']} new, "
        f"{data['matches_linked']} linked to known matches), {data['quotes']} quotes ({data['quotes_added']} new), "
        f"{data['live_states_added']} live states, {data['players']} players, {data['injuries']} injuries, "
        f"{data['coverage']} coverage records, {len(data['rejected'])} rejected"
    )
    for line in data["rejected"]:
        typer.echo(f"  rejected {line}")
    for line in data["problems"]:
        typer.echo(f"  note {line}")
    for line in data["stale"]:
        typer.echo(f"  stale {line}")
    for line in data["errors"]:
        _echo_err(f"error {line}")


def _engine(db: str | None) -> Any:
    from betfolio.store.engine import make_engine
    from betfolio.store.migrate import upgrade

    engine = make_engine(db)
    upgrade(engine)
    return engine


def ingest_api_football(
    league: Annotated[
        str | None, typer.Option(help="League: canonical code (E0, D1…), AF-<id>, or an API-Football id.")
    ] = None,
    season: Annotated[str | None, typer.Option(help="Season: 2023 (start year) or 2023-24.")] = None,
    from_dir: Annotated[
        Path | None, typer.Option("--from-dir", help="Ingest recorded payloads from this folder instead of the API.")
    ] = None,
    db: DbOption = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="API key (default: BETFOLIO_API_FOOTBALL_KEY or keyring).")
    ] = None,
    rapidapi: Annotated[bool, typer.Option(help="Use the RapidAPI endpoint and headers.")] = False,
    base_url: Annotated[str | None, typer.Option(help="Override the API base URL.")] = None,
    details: Annotated[
        int, typer.Option(help="Also fetch up to N finished fixtures in full (statistics, events, lineups).")
    ] = 0,
    odds: Annotated[bool, typer.Option(help="Fetch pre-match odds.")] = True,
    injuries: Annotated[bool, typer.Option(help="Fetch injuries.")] = True,
    per_minute: Annotated[int | None, typer.Option(help="Request budget per minute (on top of the quota).")] = None,
    per_day: Annotated[int | None, typer.Option(help="Request budget per day.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Ingest API-Football v3 data: a league season from the live API, or a folder of recorded payloads."""
    from betfolio.canonical.competition import normalise_season

    season_label = normalise_season(season) if season else None
    if from_dir is not None:
        from betfolio.providers.api_football.ingest import ingest_recorded
        from betfolio.providers.leagues import api_football_league_code, api_football_league_id

        code = None
        if league:
            league_id = api_football_league_id(league)
            code = api_football_league_code(league_id) if league_id is not None else league
        report = ingest_recorded(_engine(db), from_dir, league=code, season=season_label)
    else:
        if not league or not season:
            _echo_err("--league and --season are required when ingesting from the live API (or use --from-dir)")
            raise typer.Exit(2)
        from betfolio.providers.api_football.client import ApiFootballClient, settings_for
        from betfolio.providers.api_football.ingest import ingest_live
        from betfolio.providers.keys import MissingApiKey
        from betfolio.providers.keys import api_key as find_key

        try:
            key = find_key("api-football", api_key)
        except MissingApiKey as exc:
            _echo_err(str(exc))
            raise typer.Exit(2) from exc
        engine = _engine(db)
        client = ApiFootballClient(
            settings_for(key, base_url=base_url, rapidapi=rapidapi, per_minute=per_minute, per_day=per_day), engine
        )
        try:
            report = ingest_live(
                engine,
                client,
                league=league,
                season=season,
                with_odds=odds,
                with_injuries=injuries,
                details_limit=details,
            )
        finally:
            client.close()
    _print_report(report, as_json)
    if report.errors:
        raise typer.Exit(1)


def ingest_odds_api(
    league: Annotated[
        str | None, typer.Option(help="League: canonical code (E0, D1…) or an Odds API sport key (soccer_epl).")
    ] = None,
    season: Annotated[str | None, typer.Option(help="Season filter, e.g. 2023-24.")] = None,
    from_dir: Annotated[
        Path | None, typer.Option("--from-dir", help="Ingest recorded responses from this folder instead of the API.")
    ] = None,
    db: DbOption = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="API key (default: BETFOLIO_ODDS_API_KEY or keyring).")
    ] = None,
    base_url: Annotated[str | None, typer.Option(help="Override the API base URL.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Ingest The Odds API v4 prices: one league's current odds from the live API, or recorded responses."""
    from betfolio.canonical.competition import normalise_season
    from betfolio.providers.leagues import odds_api_league_code

    season_label = normalise_season(season) if season else None
    code = (odds_api_league_code(league) if league.startswith("soccer_") else league) if league else None
    if from_dir is not None:
        from betfolio.providers.odds_api.ingest import ingest_recorded

        report = ingest_recorded(_engine(db), from_dir, league=code, season=season_label)
    else:
        if not league:
            _echo_err("--league is required when ingesting from the live API (or use --from-dir)")
            raise typer.Exit(2)
        from betfolio.providers.keys import MissingApiKey
        from betfolio.providers.keys import api_key as find_key
        from betfolio.providers.odds_api.client import OddsApiClient, settings_for
        from betfolio.providers.odds_api.ingest import ingest_live

        try:
            key = find_key("odds-api", api_key)
        except MissingApiKey as exc:
            _echo_err(str(exc))
            raise typer.Exit(2) from exc
        engine = _engine(db)
        client = OddsApiClient(settings_for(key, base_url=base_url), engine)
        try:
            report = ingest_live(engine, client, league=league, season=season_label)
        finally:
            client.close()
    _print_report(report, as_json)
    if report.errors:
        raise typer.Exit(1)


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
    base_url: Annotated[str | None, typer.Option(help="Override the API base URL.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per poll.")] = False,
) -> None:
    """Poll API-Football's in-play states through the resilient client and publish them to Redis Streams."""
    from betfolio.providers.api_football.client import ApiFootballClient, settings_for
    from betfolio.providers.keys import MissingApiKey
    from betfolio.providers.keys import api_key as find_key
    from betfolio.providers.leagues import api_football_league_id
    from betfolio.providers.live_bus import LiveStateBus
    from betfolio.providers.live_feed import PollResult, run_feed

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
    bus = LiveStateBus.from_url(redis_url) if redis_url else None
    client = ApiFootballClient(settings_for(key, base_url=base_url), _engine(db))

    def show(result: PollResult) -> None:
        if as_json:
            print(json.dumps(result.__dict__))
        else:
            stale = f"STALE {result.staleness_seconds:.0f} s ({result.error})" if result.stale else "fresh"
            bus = f" — NOT PUBLISHED ({result.bus_error})" if result.bus_error else ""
            print(
                f"{result.states} live states, {result.published} published, {result.rejects} rejected — {stale}{bus}"
                f" [errors so far: provider {result.provider_errors}, redis {result.bus_errors}]"
            )

    try:
        run_feed(client, bus, interval_seconds=interval, polls=polls, leagues=league_ids or None, on_poll=show)
    except KeyboardInterrupt:
        pass
    finally:
        client.close()
