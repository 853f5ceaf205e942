"""A private Xvfb server for UI tests and screenshots.

Why ``-displayfd``: Xvfb picks the first free display number itself and reports it on a pipe,
which avoids the classic race of guessing ``:99`` while another Xvfb (or a developer's desktop)
already owns it.  ``-nolisten tcp`` keeps it to the local UNIX socket.  Note that Xvfb, like
every X server, creates ``/tmp/.X<n>-lock`` and ``/tmp/.X11-unix/X<n>`` outside the test temp
dir; it removes them itself when it exits.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import time
from pathlib import Path

from tests.harness.process import ManagedProcess, ServiceStartError, require_binary

_START_TIMEOUT = 15.0


class XvfbServer:
    """``Xvfb -displayfd`` on a free display; ``display`` is the value for ``DISPLAY``."""

    def __init__(self, workdir: Path, screen: str = "1280x800x24") -> None:
        self.binary = require_binary("Xvfb", "xvfb")
        self.workdir = workdir
        self.screen = screen
        self.log_path = workdir / "xvfb.log"
        self.number: int | None = None
        self._process: ManagedProcess | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def display(self) -> str:
        """``:<n>`` once started."""
        if self.number is None:
            raise RuntimeError("Xvfb not started")
        return f":{self.number}"

    @property
    def socket_path(self) -> Path:
        """UNIX socket clients connect to."""
        return Path(f"/tmp/.X11-unix/X{self.number}")

    def start(self) -> None:
        """Start Xvfb and wait until it has reported its display and its socket accepts."""
        read_fd, write_fd = os.pipe()
        try:
            self._process = ManagedProcess(
                "Xvfb",
                [
                    self.binary,
                    "-displayfd",
                    str(write_fd),
                    "-screen",
                    "0",
                    self.screen,
                    "-nolisten",
                    "tcp",
                    "-noreset",
                ],
                self.log_path,
                pass_fds=(write_fd,),
                stop_signals=(signal.SIGTERM,),
            )
            self._process.start()
            os.close(write_fd)
            write_fd = -1
            self.number = self._read_display(read_fd)
        finally:
            os.close(read_fd)
            if write_fd >= 0:
                os.close(write_fd)
        self._wait_for_socket()

    def _read_display(self, read_fd: int) -> int:
        assert self._process is not None
        deadline = time.monotonic() + _START_TIMEOUT
        data = b""
        while not data.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._fail("no display number reported within the timeout")
            ready, _, _ = select.select([read_fd], [], [], min(remaining, 0.2))
            if ready:
                chunk = os.read(read_fd, 64)
                if not chunk:  # pipe closed: Xvfb died
                    self._fail("Xvfb closed the -displayfd pipe without reporting a display")
                data += chunk
        return int(data.strip())

    def _wait_for_socket(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        while True:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                try:
                    sock.connect(str(self.socket_path))
                    return
                except OSError:
                    pass
            if self._process is None or not self._process.alive():
                self._fail("Xvfb exited")
            if time.monotonic() > deadline:
                self._fail(f"{self.socket_path} did not accept connections")
            time.sleep(0.05)

    def _fail(self, reason: str) -> None:
        assert self._process is not None
        error = self._process.failure(reason)
        self._process.stop()
        raise error

    def stop(self) -> None:
        """Terminate Xvfb (it removes its lock file and socket)."""
        if self._process is not None:
            self._process.stop()


__all__ = ["ServiceStartError", "XvfbServer"]
