"""Is a kiosk service running? One small interface, two answers.

Under systemd (PID 1) the unit state is the truth: ``systemctl is-active``. Without systemd
(a container, a development machine, the tests) a service writes its pid to
``<health.pid_dir>/<service>.pid`` and liveness is ``kill(pid, 0)``. The daemon asks a
``ServiceProbe`` and never knows which, so tests exercise the real non-systemd path with real
processes and the systemd path stays the few lines of ``SystemdProbe``.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kiosk.errors import ReasonError
from kiosk.ops.check import Check, fail, ok, skipped
from kiosk.ops.clock_check import systemd_is_init
from kiosk.ops.mqtt_check import OPS_SYNC_DISABLED

OPS_SERVICE_DOWN = "OPS_SERVICE_DOWN"
OPS_PID_FILE_INVALID = "OPS_PID_FILE_INVALID"
PID_MAX = 4_194_304
"""Linux's largest ``pid_max`` (``/proc/sys/kernel/pid_max`` on 64-bit)."""
_PID = re.compile(r"[1-9][0-9]{0,6}")
_UNIT_STATES = frozenset(
    {"active", "reloading", "inactive", "failed", "activating", "deactivating", "maintenance"}
)


@dataclass(frozen=True, slots=True)
class ServiceState:
    service: str
    active: bool
    state: str
    """``systemctl``'s word (active, failed, inactive...), or for pid files: running,
    no-pid-file, not-running, bad-pid-file."""


class ServiceProbe(Protocol):
    def state(self, service: str) -> ServiceState: ...


class PidFileError(ReasonError):
    reason = OPS_PID_FILE_INVALID


def parse_pid_file(text: str) -> int:
    """A pid file's content: one decimal pid, surrounding white space allowed. Anything else
    is ``OPS_PID_FILE_INVALID``: a stale or foreign file must not name a random process."""
    value = text.strip()
    if not _PID.fullmatch(value) or int(value) > PID_MAX:
        shown = value[:20].encode("unicode_escape").decode("ascii")
        raise PidFileError(f"not a pid: {shown!r}")
    return int(value)


def parse_is_active(stdout: str) -> str:
    """The state word ``systemctl is-active`` printed; ``unknown`` when it printed another."""
    word = stdout.strip().splitlines()[0].strip() if stdout.strip() else ""
    return word if word in _UNIT_STATES else "unknown"


class SystemdProbe:
    def state(self, service: str) -> ServiceState:
        unit = service if "." in service else f"{service}.service"
        try:
            done = subprocess.run(
                ["systemctl", "is-active", unit],
                capture_output=True,
                text=True,
                timeout=15,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return ServiceState(service, False, f"systemctl failed: {exc}")
        state = parse_is_active(done.stdout)
        return ServiceState(service, done.returncode == 0 and state == "active", state)


@dataclass(frozen=True, slots=True)
class PidFileProbe:
    pid_dir: Path

    def state(self, service: str) -> ServiceState:
        path = self.pid_dir / f"{service}.pid"
        try:
            pid = parse_pid_file(path.read_text(encoding="ascii", errors="replace"))
        except FileNotFoundError:
            return ServiceState(service, False, "no-pid-file")
        except OSError as exc:
            return ServiceState(service, False, f"pid file unreadable: {exc.strerror}")
        except PidFileError:
            return ServiceState(service, False, "bad-pid-file")
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return ServiceState(service, False, "not-running")
        except PermissionError:  # alive, owned by another user
            return ServiceState(service, True, "running")
        if _is_zombie(pid):
            return ServiceState(service, False, "not-running")
        return ServiceState(service, True, "running")


def _is_zombie(pid: int) -> bool:
    """A process that exited but was not reaped still answers ``kill(pid, 0)``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def default_probe(pid_dir: Path) -> ServiceProbe:
    return SystemdProbe() if systemd_is_init() else PidFileProbe(pid_dir)


def check_services(
    services: Sequence[str], probe: ServiceProbe, *, sync_enabled: bool
) -> list[Check]:
    found: list[Check] = []
    for service in services:
        name = f"service.{service}"
        if service == "bdmi-sync" and not sync_enabled:
            found.append(skipped(name, OPS_SYNC_DISABLED, "sync.enabled = false"))
            continue
        state = probe.state(service)
        if state.active:
            found.append(ok(name, f"{service} {state.state}", state=state.state))
        else:
            found.append(
                fail(
                    name,
                    OPS_SERVICE_DOWN,
                    f"{service} is not running ({state.state})",
                    state=state.state,
                )
            )
    return found
