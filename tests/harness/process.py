"""Child-process lifecycle shared by every harness service.

Why a helper: each service (mosquitto, pcscd, neo-go, Xvfb) must be killed even when a test or
the fixture itself fails, its output must land in a log file inside the test's temp dir, and a
start-up failure must read like a diagnosis (missing binary, exit code, tail of the log) rather
than a bare timeout.  ``ManagedProcess`` does exactly that; an ``atexit`` hook kills whatever is
still running if pytest is interrupted before fixture teardown runs.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

_LIVE: set[ManagedProcess] = set()
_LIVE_LOCK = threading.Lock()


class ServiceStartError(RuntimeError):
    """A harness service could not be started; the message says why (binary, exit code, log)."""


def require_binary(name: str, package: str) -> str:
    """Return the absolute path of ``name`` or raise naming the Debian package that provides it."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/bin:/bin")
    if path is None:
        raise ServiceStartError(
            f"binary {name!r} not found on PATH or in /usr/sbin: install the Debian package "
            f"{package!r} (apt-get install {package})"
        )
    return path


def log_tail(path: Path, lines: int = 40) -> str:
    """Last ``lines`` lines of a log file, or a note that it is missing (for error messages)."""
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<log {path} unreadable: {exc}>"
    tail = text.splitlines()[-lines:]
    return "\n".join(tail) if tail else f"<log {path} is empty>"


class ManagedProcess:
    """One service process: output to a log file, own process group, reliable termination.

    ``stop_signals`` lists the signals tried in order (each followed by a grace period) before
    SIGKILL; pcscd for instance needs a second SIGTERM to stop waiting for its driver threads.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        stop_signals: Sequence[signal.Signals] = (signal.SIGTERM,),
        stop_grace: float = 5.0,
        pass_fds: Sequence[int] = (),
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.stop_signals = tuple(stop_signals)
        self.stop_grace = stop_grace
        self.pass_fds = tuple(pass_fds)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """PID of the running child, if any."""
        return self.proc.pid if self.proc is not None else None

    def start(self) -> None:
        """Spawn the process (appending to its log, so restarts keep the earlier output)."""
        if self.alive():
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"=== harness: starting {' '.join(self.argv)}\n".encode())
            log.flush()
            try:
                self.proc = subprocess.Popen(
                    self.argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self.env,
                    cwd=self.cwd,
                    start_new_session=True,
                    pass_fds=self.pass_fds,
                )
            except OSError as exc:
                raise ServiceStartError(
                    f"{self.name}: cannot execute {self.argv[0]}: {exc}"
                ) from exc
        with _LIVE_LOCK:
            _LIVE.add(self)

    def alive(self) -> bool:
        """True while the child runs."""
        return self.proc is not None and self.proc.poll() is None

    def returncode(self) -> int | None:
        """Exit status once the child ended."""
        return None if self.proc is None else self.proc.poll()

    def failure(self, reason: str) -> ServiceStartError:
        """Build a start-up error carrying the exit status and the tail of the service log."""
        status = self.returncode()
        state = "still running" if status is None else f"exited with status {status}"
        return ServiceStartError(
            f"{self.name} failed to start: {reason}\n"
            f"command: {' '.join(self.argv)}\n"
            f"process {state}; last lines of {self.log_path}:\n{log_tail(self.log_path)}"
        )

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def stop(self) -> None:
        """Stop the child: polite signals first, SIGKILL to the whole group as last resort."""
        proc = self.proc
        if proc is None:
            return
        try:
            for sig in self.stop_signals:
                if proc.poll() is not None:
                    break
                self._signal_group(sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=self.stop_grace)
            if proc.poll() is None:
                self._signal_group(signal.SIGKILL)
                proc.wait(timeout=10)
            else:
                # The leader is gone; make sure no helper it spawned survives it.
                self._signal_group(signal.SIGKILL)
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(self)

    def kill(self) -> None:
        """SIGKILL at once (crash simulation, and the atexit fallback)."""
        if self.proc is None:
            return
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        with _LIVE_LOCK:
            _LIVE.discard(self)


@atexit.register
def _kill_leftovers() -> None:
    """Last line of defence when pytest dies before fixture finalizers ran."""
    with _LIVE_LOCK:
        leftovers = list(_LIVE)
    for proc in leftovers:
        with contextlib.suppress(Exception):
            proc.kill()
