"""Loopback port helpers for the service harness.

Every service the tests start listens on a port chosen here so that parallel runs, a developer's
own broker on 1883/8883 or a system pcscd never collide with the suite.  Picking a port by binding
to port 0 and closing the socket is racy in theory (another process may grab it before the
service binds), but on a test machine the window is milliseconds and the services fail loudly if
it happens, which the fixtures report with the service log.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port that is free on ``host`` right now (kernel-chosen ephemeral port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _port_is_free(port: int, host: str) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def free_port_range(count: int, host: str = "0.0.0.0", attempts: int = 200) -> int:
    """Return the first of ``count`` consecutive free ports.

    vpcd needs this: one reader entry opens one listening port per slot (port, port + 1), and
    it binds them on all interfaces, so freedom is checked on ``0.0.0.0`` by default.
    """
    for _ in range(attempts):
        first = free_port(host)
        if first + count > 65535:
            continue
        if all(_port_is_free(first + i, host) for i in range(count)):
            return first
    raise RuntimeError(f"no run of {count} consecutive free TCP ports found on {host}")


def port_accepts(port: int, host: str = LOOPBACK, timeout: float = 0.2) -> bool:
    """True when a TCP connect to ``host:port`` succeeds right now."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(
    port: int,
    host: str = LOOPBACK,
    timeout: float = 15.0,
    alive: Callable[[], bool] | None = None,
) -> None:
    """Block until ``host:port`` accepts TCP connections.

    ``alive`` is polled too so that a service that died during start-up is reported at once
    instead of after the full timeout.  Raises ``TimeoutError`` or ``RuntimeError`` (service died);
    callers add the service log to the message.
    """
    deadline = time.monotonic() + timeout
    while True:
        if port_accepts(port, host):
            return
        if alive is not None and not alive():
            raise RuntimeError(f"service exited before {host}:{port} accepted connections")
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{host}:{port} did not accept connections within {timeout:.0f} s")
        time.sleep(0.05)


def wait_until(
    predicate: Callable[[], bool],
    timeout: float,
    what: str,
    interval: float = 0.05,
    alive: Callable[[], bool] | None = None,
) -> None:
    """Poll ``predicate`` until it is true; raise ``TimeoutError`` naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if alive is not None and not alive():
            raise RuntimeError(f"service exited while waiting for {what}")
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
