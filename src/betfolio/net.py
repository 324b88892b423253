"""Loopback ports for the processes the project starts itself (stand-in provider, adapter under load, tests)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A 127.0.0.1 TCP port nobody listens on right now (bound, then released), for a child server to take."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
