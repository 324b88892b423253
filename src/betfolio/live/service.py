"""The adapter service (``betfolio serve``): the provider-agnostic data layer as its own HTTP process.

MISSION.md §2 puts the adapter layer behind its own service so models and apps never talk to a provider. The
service reads only the canonical store (through :mod:`betfolio.store.queries`) and the live-state hash in Redis;
it never calls a provider. Endpoints:

* ``/v1/fixtures``, ``/v1/fixtures/{match_id}/odds`` (as of a moment: nothing quoted later is visible),
  ``/v1/live`` (latest state of every match, aged to now), ``/v1/coverage``, ``/v1/providers`` — bearer token;
* ``/healthz`` (the process answers), ``/readyz`` (database and Redis reachable), ``/metrics`` (Prometheus),
  ``/openapi.json``.

Reads are cached for ``cache_seconds`` (a small bounded LRU): a dashboard polling every second must not turn
into a query per client. The token is compared in constant time; requests with a body, overlong URLs or
malformed parameters are refused before any query runs.
"""

# No `from __future__ import annotations`: FastAPI resolves the closures' Annotated[..., Depends(local)] hints
# at definition time, and postponed (string) annotations cannot see the enclosing function's locals.

import hmac
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import Engine, text

from betfolio.canonical.enums import Market, MatchStatus
from betfolio.live import metrics
from betfolio.store import queries

log = logging.getLogger(__name__)

MAX_URL_BYTES = 2048
MAX_BODY_BYTES = 0  # every endpoint is a read: a request body is refused
MAX_PAGE = 1000
MAX_BIGINT = 2**63 - 1
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


# -- response models (the OpenAPI schema schemathesis checks responses against) ------------------------------------
class Fixture(BaseModel):
    match_id: int
    league: str
    season: str
    match_date: date
    kickoff_utc: datetime
    home_team: str
    away_team: str
    status: str
    home_goals: int | None
    away_goals: int | None


class OddsAsOf(BaseModel):
    match_id: int
    as_of: datetime
    quotes: list[queries.QuoteRow]


class LiveState(BaseModel):
    provider: str
    provider_match_id: str
    match_id: int | None
    minute: int
    status: str
    home_goals: int
    away_goals: int
    statistics: dict[str, dict[str, float | int | None]]
    observed_at: datetime
    data_staleness: float
    source: str  # "redis" (the live hash) or "store" (the persisted series)


class CoverageRow(BaseModel):
    provider: str
    league: str
    season: str
    flags: dict[str, bool]
    statistics: list[str]


class ProviderStatus(BaseModel):
    provider: str
    circuit_state: str
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_error: str | None
    quota_remaining_day: int | None
    quota_remaining_minute: int | None
    updated_at: datetime


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    redis: str


class Problem(BaseModel):
    detail: Any


# -- request guards -----------------------------------------------------------------------------------------------
class RequestLimits:
    """Refuse oversized or body-carrying requests before routing, and count and time every request by its route
    template. Pure ASGI (not Starlette's BaseHTTPMiddleware): nothing is buffered, and the cached read path stays
    a few function calls long."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            size = len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string", b""))
            headers = dict(scope.get("headers") or [])
            declared = headers.get(b"content-length", b"0")
            problem = None
            if size > MAX_URL_BYTES:
                problem = (414, f"URL longer than {MAX_URL_BYTES} bytes")
            elif b"transfer-encoding" in headers or not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
                problem = (413, "request bodies are not accepted: every endpoint is a read")
            if problem is not None:
                metrics.HTTP_REQUESTS.labels("refused", str(problem[0])).inc()
                response = JSONResponse({"detail": problem[1]}, status_code=problem[0])
                await response(scope, receive, send)
                return
            started = time.perf_counter()
            status = 500

            async def observed_send(message: dict[str, Any]) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await self.app(scope, receive, observed_send)
            finally:
                route = scope.get("route")
                template = getattr(route, "path", "unmatched")  # the template, never the raw path a client sent
                metrics.HTTP_REQUESTS.labels(template, str(status)).inc()
                metrics.HTTP_LATENCY.labels(template).observe(time.perf_counter() - started)
            return
        await self.app(scope, receive, send)


class TTLCache:
    """A bounded LRU of encoded responses that expire after ``ttl`` seconds (hand-written: ~30 lines, and the
    cache libraries on offer either lack a TTL or are a dependency for one dict)."""

    def __init__(self, ttl: float, size: int = 1024) -> None:
        self.ttl = ttl
        self.size = size
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[0] < time.monotonic():
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return item[1]

    def put(self, key: str, value: bytes) -> None:
        if self.ttl <= 0:
            return
        self._items[key] = (time.monotonic() + self.ttl, value)
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _encode(value: Any) -> bytes:
    return json.dumps(value, default=_json_default, separators=(",", ":")).encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot encode {type(value).__name__}")


def create_app(
    engine: Engine,
    redis_client: Any | None = None,
    *,
    token: str | None = None,
    cache_seconds: float = 1.0,
    live_prefix: str | None = None,
) -> FastAPI:
    """The service over ``engine`` (and Redis when given). With ``token`` every ``/v1/`` call must present it."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    from betfolio.providers.live_bus import DEFAULT_PREFIX, LiveStateBus

    expected = token.encode() if token else None
    bus = LiveStateBus(redis_client, prefix=live_prefix or DEFAULT_PREFIX) if redis_client is not None else None
    cache = TTLCache(cache_seconds)
    bearer = HTTPBearer(auto_error=False, description="The service token (BETFOLIO_SERVICE_TOKEN).")
    app = FastAPI(
        title="Betfolio adapter service",
        version="1",
        description="Canonical fixtures, odds as of a moment, live states, coverage and provider status.",
    )
    unauthorised = {401: {"model": Problem, "description": "missing or wrong token"}}

    def authorise(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
        if expected is None:
            return
        given = credentials.credentials.encode() if credentials is not None else b""
        if not hmac.compare_digest(given, expected):
            metrics.ERRORS.labels("unauthorised").inc()
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    async def cached(key: str, produce: Callable[[], Any]) -> Response:
        body = cache.get(key)
        if body is None:
            body = _encode(await run_in_threadpool(produce))
            cache.put(key, body)
        return Response(body, media_type="application/json")

    v1 = [Depends(authorise)]

    @app.get("/healthz", response_model=Health, tags=["health"])
    async def healthz() -> Health:
        return Health(status="ok")

    @app.get("/readyz", response_model=Readiness, tags=["health"], responses={503: {"model": Readiness}})
    async def readyz() -> Any:
        def check() -> Readiness:
            database = redis = "ok"
            try:
                with engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
            except Exception as exc:
                database = f"unreachable ({exc.__class__.__name__})"
            if redis_client is None:
                redis = "not configured"
            else:
                try:
                    redis_client.ping()
                except Exception as exc:
                    redis = f"unreachable ({exc.__class__.__name__})"
            ok = database == "ok" and redis in ("ok", "not configured")
            return Readiness(status="ready" if ok else "not ready", database=database, redis=redis)

        result = await run_in_threadpool(check)
        if result.status != "ready":
            metrics.ERRORS.labels("not_ready").inc()
            return JSONResponse(result.model_dump(), status_code=503)
        return result

    @app.get("/v1/fixtures", response_model=list[Fixture], dependencies=v1, tags=["v1"], responses=unauthorised)
    async def list_fixtures(
        request: Request,
        league: Annotated[str | None, Query(max_length=16, description="League code, e.g. E0")] = None,
        season: Annotated[str | None, Query(max_length=8, description="Season label, e.g. 2022-23")] = None,
        date_from: date | None = None,
        date_to: date | None = None,
        status: MatchStatus | None = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ) -> Response:
        def produce() -> list[dict[str, Any]]:
            with engine.connect() as conn:
                rows = queries.fixtures(
                    conn,
                    limit=limit,
                    offset=offset,
                    leagues=[league] if league else None,
                    seasons=[season] if season else None,
                    date_from=date_from,
                    date_to=date_to,
                    statuses=[status.value] if status else None,
                )
            return [Fixture.model_validate(r).model_dump(mode="json") for r in rows]

        return await cached(f"fixtures?{request.url.query}", produce)

    @app.get(
        "/v1/fixtures/{match_id}/odds",
        response_model=OddsAsOf,
        dependencies=v1,
        tags=["v1"],
        responses={**unauthorised, 404: {"model": Problem, "description": "no such match"}},
    )
    async def odds(
        request: Request,
        match_id: Annotated[int, Path(ge=1, le=MAX_BIGINT)],
        as_of: Annotated[datetime | None, Query(description="Moment of the decision (default: now, UTC)")] = None,
        market: Market | None = None,
        include_closing: bool = False,
    ) -> Response:
        moment = _utc(as_of) if as_of is not None else None

        def produce() -> dict[str, Any] | None:
            when = moment or datetime.now(UTC)
            with engine.connect() as conn:
                if not queries.match_results(conn, [match_id]):
                    return None
                rows = queries.odds_as_of(
                    conn, match_id, when, market=market.value if market else None, include_closing=include_closing
                )
            return OddsAsOf(match_id=match_id, as_of=when, quotes=rows).model_dump(mode="json")

        if moment is None:  # "now" moves: not cached
            result = await run_in_threadpool(produce)
        else:
            key = f"odds/{match_id}?{request.url.query}"
            body = cache.get(key)
            if body is not None:
                return Response(body, media_type="application/json")
            result = await run_in_threadpool(produce)
            if result is not None:
                cache.put(key, _encode(result))
        if result is None:
            raise HTTPException(404, f"no match {match_id}")
        return Response(_encode(result), media_type="application/json")

    @app.get("/v1/live", response_model=list[LiveState], dependencies=v1, tags=["v1"], responses=unauthorised)
    async def live(
        request: Request, provider: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z0-9_-]+$")] = None
    ) -> Response:
        def produce() -> list[dict[str, Any]]:
            return [s.model_dump(mode="json") for s in live_states(engine, bus, provider)]

        return await cached(f"live?{request.url.query}", produce)

    @app.get("/v1/coverage", response_model=list[CoverageRow], dependencies=v1, tags=["v1"], responses=unauthorised)
    async def coverage(request: Request, league: Annotated[str | None, Query(max_length=16)] = None) -> Response:
        def produce() -> list[dict[str, Any]]:
            with engine.connect() as conn:
                rows = queries.coverage_rows(conn, league=league)
            return [CoverageRow.model_validate(r).model_dump(mode="json") for r in rows]

        return await cached(f"coverage?{request.url.query}", produce)

    @app.get("/v1/providers", response_model=list[ProviderStatus], dependencies=v1, tags=["v1"], responses=unauthorised)
    async def providers() -> Response:
        def produce() -> list[dict[str, Any]]:
            with engine.connect() as conn:
                rows = queries.provider_statuses(conn)
            return [ProviderStatus.model_validate(r).model_dump(mode="json") for r in rows]

        return await cached("providers", produce)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(RequestLimits)
    return app


def live_states(engine: Engine, bus: Any | None, provider: str | None) -> list[LiveState]:
    """Latest state of every match: from the Redis hash (aged to now) when reachable, else from the store."""
    from betfolio.store.identity import fixture_ids

    if bus is not None:
        try:
            names = [provider] if provider else bus.providers()
            found = []
            with engine.connect() as conn:
                for name in names:
                    ids = fixture_ids(conn, name)
                    states, _rejects = bus.latest(name)
                    for s in states:
                        found.append(
                            LiveState(
                                **s.model_dump(include=set(LiveState.model_fields) - {"match_id", "source"}),
                                match_id=ids.get(s.provider_match_id),
                                source="redis",
                            )
                        )
            return found
        except Exception as exc:  # Redis down: fall back to the persisted series, say so in the metric
            metrics.ERRORS.labels("redis_unavailable").inc()
            log.warning("live states from Redis failed (%s); serving the stored series", exc.__class__.__name__)
    with engine.connect() as conn:
        rows = queries.latest_live_states(conn, provider=provider)
    return [
        LiveState(
            provider=r["provider"],
            provider_match_id=str(r["match_id"]),
            match_id=r["match_id"],
            minute=r["minute"],
            status=r["status"],
            home_goals=r["home_goals"],
            away_goals=r["away_goals"],
            statistics=r["statistics"] or {},
            observed_at=r["observed_at"],
            data_staleness=r["data_staleness"],
            source="store",
        )
        for r in rows
    ]


def check_bind(host: str, token: str | None) -> None:
    """Refuse a non-loopback bind without a token: the store would be readable by the whole network."""
    if host not in LOOPBACK and not token:
        raise ValueError(
            f"refusing to listen on {host} without a service token: set BETFOLIO_SERVICE_TOKEN "
            "(or BETFOLIO_SERVICE_TOKEN_FILE / --token-file), or bind 127.0.0.1"
        )
