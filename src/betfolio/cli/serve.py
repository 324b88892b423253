"""`betfolio serve`: the adapter service (see :mod:`betfolio.live.service`).

Secrets (database URL, service token) come from options, the environment, or `*_FILE` secrets files
(:mod:`betfolio.live.secrets`); they are never echoed. Heavy imports live inside the command.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from betfolio.cli.options import DbOption, RedisOption, fail


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on (non-loopback requires a token).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8600,
    db: DbOption = None,
    redis_url: RedisOption = None,
    token_file: Annotated[
        Path | None,
        typer.Option(help="File holding the service token (default: BETFOLIO_SERVICE_TOKEN or its _FILE)."),
    ] = None,
    cache_seconds: Annotated[float, typer.Option(min=0.0, help="How long a /v1/ read is served from cache.")] = 1.0,
) -> None:
    """Run the adapter service: canonical fixtures, odds as of a time, live states, coverage, provider status."""
    import uvicorn

    from betfolio.config import ConfigError, load_settings
    from betfolio.live.secrets import Secret, SecretError, read_secret
    from betfolio.live.service import check_bind, create_app
    from betfolio.store.engine import describe, make_engine

    try:
        settings = load_settings()
        token = read_secret("BETFOLIO_SERVICE_TOKEN", token_file)
        if token is None and settings.service_token is not None:  # the config file's service_token
            token = Secret(settings.service_token.get_secret_value(), "the configuration")
        redis_url = redis_url or settings.redis_url
        check_bind(host, token.value if token else None)
        engine = make_engine(db)
    except (SecretError, ConfigError, ValueError) as exc:
        fail(str(exc))
    redis_client = None
    if redis_url:
        import redis

        redis_client = redis.Redis.from_url(redis_url, socket_timeout=2.0, socket_connect_timeout=2.0)
    app = create_app(engine, redis_client, token=token.value if token else None, cache_seconds=cache_seconds)
    guard = f"token from {token.source}" if token else "no token (loopback only)"
    print(f"betfolio serve on http://{host}:{port} — {describe(engine)}, {guard}", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, server_header=False)
