"""A local stand-in for the HTTP providers, serving recorded payloads over real HTTP on 127.0.0.1.

Tests (and offline demos) point the real client at it: the real paths (``/v3/fixtures``, ``/v4/sports/{sport}/
odds``), the real authentication headers, the real quota headers counting down, and the failure modes real
providers show — daily quota exhausted as *HTTP 200 with errors*, 429 bursts, 500s, responses slower than the
client's timeout, and truncated JSON. Faults are queued (``StandIn.faults``) and consumed one per request, so a
test scripts exactly what the client sees.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from betfolio.net import free_port
from betfolio.providers.base import PayloadError, load_json

DAILY_LIMIT_MESSAGE = "You have reached the request limit for the day"
#: Requests remembered for inspection (the oldest are dropped: a long-running stand-in must not grow forever).
REQUEST_LOG_SIZE = 10_000
FAULTS = ("quota_exhausted", "rate_limited", "server_error", "timeout", "malformed", "deeply_nested", "bad_parameters")


@dataclass
class StandInState:
    api_football_key: str = "test-key"
    odds_api_key: str = "test-key"
    day_limit: int = 100
    minute_limit: int = 10
    day_used: int = 0
    odds_api_used: int = 0
    minute_used: int = 0
    minute_started: float = field(default_factory=time.monotonic)
    slow_seconds: float = 3.0
    faults: deque[str] = field(default_factory=deque)
    requests: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=REQUEST_LOG_SIZE))
    api_football: dict[tuple[str, tuple[tuple[str, str], ...]], bytes] = field(default_factory=dict)
    odds_api: dict[str, list[Any]] = field(default_factory=dict)
    #: football-data.co.uk files by their site path ("1920/E0.csv"), served with ETag and Range support.
    football_data: dict[str, bytes] = field(default_factory=dict)


def _key(params: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in params.items()))


def load_recordings(state: StandInState, api_football_dir: Path | None, odds_api_dir: Path | None) -> None:
    """Index recorded envelopes by (endpoint, parameters); Odds API events by sport key."""
    if api_football_dir is not None:
        for path in sorted(api_football_dir.rglob("*.json")):
            try:
                payload = load_json(path.read_bytes(), provider="api-football", endpoint=path.name)
            except PayloadError:
                continue
            envelopes = payload if isinstance(payload, list) else [payload]
            for env in envelopes:
                if isinstance(env, dict) and isinstance(env.get("get"), str) and not env.get("errors"):
                    params = env.get("parameters") if isinstance(env.get("parameters"), dict) else {}
                    state.api_football.setdefault((env["get"], _key(params)), json.dumps(env).encode())
    if odds_api_dir is not None:
        for path in sorted(odds_api_dir.rglob("*.json")):
            try:
                events = load_json(path.read_bytes(), provider="odds-api", endpoint=path.name)
            except PayloadError:
                continue
            for event in events if isinstance(events, list) else []:
                if isinstance(event, dict) and isinstance(event.get("sport_key"), str):
                    bucket = state.odds_api.setdefault(event["sport_key"], [])
                    if all(e.get("id") != event.get("id") for e in bucket):
                        bucket.append(event)


def load_football_data(state: StandInState, folder: Path) -> None:
    """Serve ``<folder>/<season>/<Div>.csv[.gz]`` at the site's paths (``/mmz4281/1920/E0.csv``)."""
    import gzip

    for path in sorted(folder.glob("*/*.csv*")):
        season = path.parent.name
        if len(season) != 7 or season[4] != "-":
            continue
        content = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        name = path.name.removesuffix(".gz")
        state.football_data[f"{season[2:4]}{season[5:7]}/{name}"] = content


def create_app(state: StandInState) -> FastAPI:
    app = FastAPI(title="Betfolio provider stand-in")

    def quota_headers() -> dict[str, str]:
        return {
            "x-ratelimit-requests-limit": str(state.day_limit),
            "x-ratelimit-requests-remaining": str(max(0, state.day_limit - state.day_used)),
            "X-RateLimit-Limit": str(state.minute_limit),
            "X-RateLimit-Remaining": str(max(0, state.minute_limit - state.minute_used)),
        }

    def count_request() -> bool:
        """Count one request against the quotas; False when the per-minute window is already full."""
        now = time.monotonic()
        if now - state.minute_started >= 60:
            state.minute_started, state.minute_used = now, 0
        if state.minute_used >= state.minute_limit:
            return False
        state.minute_used += 1
        state.day_used += 1
        return True

    def fault_response(fault: str, get: str, params: dict[str, Any]) -> Response | None:
        if fault == "rate_limited":
            return JSONResponse({"message": "Too many requests"}, status_code=429, headers={"Retry-After": "0"})
        if fault == "server_error":
            return JSONResponse({"message": "Internal Server Error"}, status_code=500)
        if fault == "timeout":
            time.sleep(state.slow_seconds)
            return None
        if fault == "malformed":
            body = json.dumps(_envelope(get, params, [{"fixture": {"id": 1}}]))
            return Response(body[: len(body) // 2], media_type="application/json", headers=quota_headers())
        if fault == "deeply_nested":  # 100k nested lists: a decoder without a depth bound overflows the stack
            return Response(b"[" * 100_000 + b"]" * 100_000, media_type="application/json", headers=quota_headers())
        if fault == "quota_exhausted":
            return JSONResponse(
                _envelope(get, params, [], errors={"requests": DAILY_LIMIT_MESSAGE}),
                headers=quota_headers() | {"x-ratelimit-requests-remaining": "0"},
            )
        if fault == "bad_parameters":
            return JSONResponse(_envelope(get, params, [], errors={"required": "At least one parameter is required."}))
        return None

    @app.get("/v3/{endpoint:path}")
    def api_football(endpoint: str, request: Request) -> Response:
        params = dict(request.query_params)
        state.requests.append({"provider": "api-football", "endpoint": endpoint, "params": params})
        key = request.headers.get("x-apisports-key") or request.headers.get("x-rapidapi-key")
        if key != state.api_football_key:
            return JSONResponse(_envelope(endpoint, params, [], errors={"token": "Error/Missing application key."}))
        if state.faults:
            response = fault_response(state.faults.popleft(), endpoint, params)
            if response is not None:
                return response
        if endpoint != "status":  # /status does not count against the quota
            if state.day_used >= state.day_limit:
                return JSONResponse(
                    _envelope(endpoint, params, [], errors={"requests": DAILY_LIMIT_MESSAGE}),
                    headers=quota_headers(),
                )
            if not count_request():
                return JSONResponse({"message": "Too many requests"}, status_code=429, headers=quota_headers())
        recorded = _recorded(state, endpoint, params)
        body = recorded if recorded is not None else json.dumps(_envelope(endpoint, params, [])).encode()
        return Response(body, media_type="application/json", headers=quota_headers())

    @app.get("/v4/sports/{sport}/odds")
    def odds_api(sport: str, request: Request) -> Response:
        params = dict(request.query_params)
        state.requests.append({"provider": "odds-api", "endpoint": f"sports/{sport}/odds", "params": params})
        if params.get("apiKey") != state.odds_api_key:
            return JSONResponse({"message": "API key is not valid", "error_code": "INVALID_KEY"}, status_code=401)
        if state.faults:
            fault = state.faults.popleft()
            if fault == "quota_exhausted":
                return JSONResponse(
                    {"message": "Usage quota has been reached", "error_code": "OUT_OF_USAGE_CREDITS"}, status_code=401
                )
            response = fault_response(fault, sport, params)
            if response is not None:
                return response
        state.odds_api_used += 1
        headers = {
            "x-requests-remaining": str(max(0, state.day_limit - state.odds_api_used)),
            "x-requests-used": str(state.odds_api_used),
            "x-requests-last": "1",
        }
        if sport not in state.odds_api:
            return JSONResponse({"message": "Unknown sport", "error_code": "UNKNOWN_SPORT"}, status_code=404)
        return JSONResponse(state.odds_api[sport], headers=headers)

    @app.get("/mmz4281/{code}/{name}")
    def football_data(code: str, name: str, request: Request) -> Response:
        """Static files as a web server sends them: ETag/304, Range/If-Range/206; faults cut a body short."""
        from fastapi.responses import StreamingResponse

        state.requests.append({"provider": "football-data", "endpoint": f"mmz4281/{code}/{name}", "params": {}})
        content = state.football_data.get(f"{code}/{name}")
        if content is None:
            return Response(b"Not Found", status_code=404, media_type="text/html")
        etag = '"' + hashlib.sha256(content).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Last-Modified": "Mon, 01 Jul 2024 00:00:00 GMT", "Accept-Ranges": "bytes"}
        fault = state.faults.popleft() if state.faults else None
        if fault == "server_error":
            return Response(b"Internal Server Error", status_code=500)
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        start, status = 0, 200
        ranged = re.fullmatch(r"bytes=(\d+)-", request.headers.get("range", ""))
        if ranged and request.headers.get("if-range", etag) == etag:
            start = int(ranged.group(1))
            if start >= len(content):
                return Response(status_code=416, headers={"Content-Range": f"bytes */{len(content)}"})
            status = 206
            headers["Content-Range"] = f"bytes {start}-{len(content) - 1}/{len(content)}"
        body = content[start:]
        headers["Content-Length"] = str(len(body))
        if fault == "truncate":  # half the body, then the connection drops (Content-Length promised more)

            def broken() -> Iterator[bytes]:
                yield body[: len(body) // 2]
                raise ConnectionResetError("stand-in: connection dropped midway")

            return StreamingResponse(broken(), status_code=status, headers=headers, media_type="text/csv")
        return Response(body, status_code=status, headers=headers, media_type="text/csv")

    return app


def _recorded(state: StandInState, endpoint: str, params: dict[str, Any]) -> bytes | None:
    """The recording for exactly these parameters, else one made with a narrower filter (a subset of the
    true answer: good enough to stand in, never data from another query)."""
    exact = state.api_football.get((endpoint, _key(params)))
    if exact is not None:
        return exact
    wanted = set(_key({k: v for k, v in params.items() if k != "page"}))
    for (recorded_endpoint, recorded_params), body in state.api_football.items():
        if recorded_endpoint == endpoint and wanted and wanted <= set(recorded_params):
            return body
    return None


def _envelope(get: str, params: dict[str, Any], response: Any, errors: Any = None) -> dict[str, Any]:
    return {
        "get": get,
        "parameters": params or [],
        "errors": errors or [],
        "results": len(response) if isinstance(response, list) else 0,
        "paging": {"current": 1, "total": 1},
        "response": response,
    }


@dataclass
class StandIn:
    """A running stand-in: ``base_url`` plus the mutable state (faults, counters, request log)."""

    base_url: str
    state: StandInState

    @property
    def api_football_url(self) -> str:
        return f"{self.base_url}/v3"

    @property
    def odds_api_url(self) -> str:
        return f"{self.base_url}/v4"

    @property
    def faults(self) -> deque[str]:
        return self.state.faults


@contextmanager
def serve(
    api_football_dir: Path | None = None, odds_api_dir: Path | None = None, state: StandInState | None = None
) -> Iterator[StandIn]:
    """Run the stand-in with uvicorn in a background thread on a free 127.0.0.1 port."""
    import uvicorn

    state = state or StandInState()
    load_recordings(state, api_football_dir, odds_api_dir)
    port = free_port()
    config = uvicorn.Config(create_app(state), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="provider-stand-in", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("provider stand-in did not start")
        time.sleep(0.02)
    try:
        yield StandIn(f"http://127.0.0.1:{port}", state)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def main() -> None:
    """`python -m betfolio.providers.standin [API_FOOTBALL_DIR] [ODDS_API_DIR]`: serve recordings until Ctrl-C,
    for trying the real client (e.g. `betfolio ingest api-football --base-url …/v3`) without a key."""
    import sys

    args = [Path(a) for a in sys.argv[1:3]]
    with serve(args[0] if args else None, args[1] if len(args) > 1 else None) as running:
        print(f"API-Football stand-in: {running.api_football_url} (key: {running.state.api_football_key})")
        print(f"The Odds API stand-in: {running.odds_api_url} (key: {running.state.odds_api_key})")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":  # pragma: no cover
    main()
