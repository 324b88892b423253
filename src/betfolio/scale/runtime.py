"""Starting or joining Ray: a local Ray on demand, or a cluster by address — failing fast and plainly.

Why a pre-flight TCP check: ``ray.init(address=…)`` against a dead address retries for about a minute before
it gives up, with pages of log output. A user who mistyped a head node's address should hear so within
seconds, with the address named — so the address is probed first (a few seconds' timeout) and only a
reachable one is handed to Ray.

Data and secrets: workers never find a database URL baked into code. The driver passes it through Ray's
runtime environment (``env_vars``, e.g. ``BETFOLIO_DATABASE_URL``) where the workers' configuration picks it
up as usual; whenever a URL is shown (logs, reports), its password is masked.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import ModuleType
from urllib.parse import urlsplit

from betfolio.config import masked_url

log = logging.getLogger(__name__)

#: Seconds a cluster address gets to accept a TCP connection before it is declared unreachable.
CONNECT_TIMEOUT = 3.0
#: Default port of a Ray head's GCS (``ray start --head``) and of the Ray Client server (``ray://``).
GCS_PORT = 6379
CLIENT_PORT = 10001
INSTALL_HINT = "Ray is not installed: pip install 'betfolio[ray]'"


class ScaleError(RuntimeError):
    """Ray cannot be used as asked (not installed, unreachable address); the message is one line for the user."""


def require_ray() -> ModuleType:
    """The ``ray`` module, or a ScaleError saying how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise ScaleError(INSTALL_HINT) from exc
    return ray


def split_address(address: str) -> tuple[str, int]:
    """Host and port of a cluster address: ``HOST[:PORT]`` (the GCS, default 6379) or ``ray://HOST[:PORT]``
    (the Ray Client server, default 10001). ValueError on something that is neither."""
    if "://" in address:
        parts = urlsplit(address)
        if parts.scheme != "ray" or not parts.hostname:
            raise ValueError(f"Ray address {address!r} must be HOST:PORT or ray://HOST:PORT")
        try:
            return parts.hostname, parts.port or CLIENT_PORT
        except ValueError as exc:
            raise ValueError(f"Ray address {address!r} has a bad port") from exc
    host, _, port = address.rpartition(":") if ":" in address else (address, "", "")
    if not host:
        raise ValueError(f"Ray address {address!r} must be HOST:PORT or ray://HOST:PORT")
    if not port:
        return host, GCS_PORT
    if not port.isdigit():
        raise ValueError(f"Ray address {address!r} has a bad port {port!r}")
    return host, int(port)


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """ScaleError naming ``address`` unless something accepts a TCP connection there within ``timeout``."""
    try:
        host, port = split_address(address)
    except ValueError as exc:
        raise ScaleError(str(exc)) from exc
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or type(exc).__name__)
        raise ScaleError(
            f"Ray cluster at {masked_url(address)} is unreachable ({reason} after at most {timeout:g} s); "
            "is `ray start --head` running there and the port open?"
        ) from exc


def local_cpus(cap: int | None = None) -> int:
    """CPUs a local Ray may use: the machine's (the process's affinity where known), at most ``cap``."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        available = os.cpu_count() or 1
    return max(1, min(available, cap) if cap else available)


def init_ray(
    address: str | None = None,
    *,
    num_cpus: int | None = None,
    env_vars: Mapping[str, str] | None = None,
) -> bool:
    """Make sure this process is connected to Ray; True when this call started or joined it (so the caller
    should shut it down), False when a session was already up (a test fixture's, an earlier command's).

    ``address`` None: a local Ray with ``num_cpus`` (default: the machine's), no dashboard. An address: the
    cluster there, after :func:`check_reachable`. ``env_vars`` reach every worker of this job (runtime_env).
    """
    ray = require_ray()
    if address not in (None, "", "local", "auto"):
        check_reachable(address)  # also when a session is up: a mistyped address is an error, not a no-op
    if ray.is_initialized():
        return False
    runtime_env = {"env_vars": dict(env_vars)} if env_vars else None
    if address in (None, "", "local"):
        log.info("starting a local Ray with %d CPUs", local_cpus(num_cpus))
        ray.init(
            num_cpus=local_cpus(num_cpus),
            include_dashboard=False,
            runtime_env=runtime_env,
            log_to_driver=False,
            configure_logging=False,
        )
        return True
    log.info("joining the Ray cluster at %s", address)
    try:
        ray.init(address=address, runtime_env=runtime_env, log_to_driver=False, configure_logging=False)
    except (ConnectionError, TimeoutError, RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ScaleError(f"cannot join the Ray cluster at {masked_url(address)}: {first}") from exc
    return True


@contextmanager
def ray_session(
    address: str | None = None,
    *,
    num_cpus: int | None = None,
    env_vars: Mapping[str, str] | None = None,
) -> Iterator[ModuleType]:
    """:func:`init_ray` for the block; shuts Ray down afterwards only if this block started it."""
    ray = require_ray()
    started = init_ray(address, num_cpus=num_cpus, env_vars=env_vars)
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()


def worker_env(database_url: str | None) -> dict[str, str]:
    """Environment variables the workers need to open the same store as the driver (empty when none)."""
    return {"BETFOLIO_DATABASE_URL": database_url} if database_url else {}


