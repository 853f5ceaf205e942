"""A private pcscd whose only reader is vsmartcard's vpcd, isolated from the host's pcscd.

Facts this module is built on (Debian 12, pcsc-lite 1.9.9, vsmartcard-vpcd 0.8):

* ``pcscd --foreground -c <dir>``: ``-c``/``--config`` replaces ``/etc/reader.conf.d``; given a
  directory, pcscd parses *every regular file* in it, so nothing else (logs!) may live there.
* The daemon ignores ``PCSCLITE_CSOCK_NAME``; its socket (``/run/pcscd/pcscd.comm``) and pid file
  (``/run/pcscd/pcscd.pid``) are compiled in, and it refuses to start when another pcscd owns
  them.  Only the *client* library honours ``PCSCLITE_CSOCK_NAME``.  So pcscd runs in a private
  mount namespace (``unshare --mount``; ``--user --map-root-user`` when not root) where our temp
  dir is bind-mounted over ``/run``: the socket appears at ``<workdir>/run/pcscd/pcscd.comm`` and
  the host's ``/run/pcscd`` (and any system pcscd) is never touched.  An empty directory is also
  bind-mounted over ``/usr/lib/pcsc/drivers`` (the USB drop dir) so the private daemon never grabs
  a real USB reader; the vpcd driver is loaded from a copy in the temp dir.
* vpcd reader.conf: ``DEVICENAME /dev/null:0xPPPP`` makes the driver *listen* on TCP port
  ``0xPPPP`` for the virtual card; one entry provides two slots, ``Virtual PCD 00 00`` on port P
  and ``Virtual PCD 00 01`` on P+1.  vpcd binds ``0.0.0.0`` (not configurable): the ports are
  chosen free on all interfaces and the card connects over 127.0.0.1.
* libpcsclite reads ``PCSCLITE_CSOCK_NAME`` once, on the first ``SCardEstablishContext`` of the
  process, and caches it.  Hence the fixture exports it before any pyscard call and the daemon is
  restarted on the *same* socket path; one private pcscd per test process.
* On SIGTERM pcscd first "prepares for suicide" and may wait for driver threads; a second
  SIGTERM makes it exit at once, SIGKILL is the last resort.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import time
from pathlib import Path

from tests.harness.ports import free_port_range, wait_until
from tests.harness.process import ManagedProcess, ServiceStartError, require_binary

VPCD_DRIVER_CANDIDATES = (
    Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so"),
    Path("/usr/lib64/pcsc/drivers/serial/libifdvpcd.so"),
    Path("/usr/local/lib/pcsc/drivers/serial/libifdvpcd.so"),
)
USB_DROP_DIR = Path("/usr/lib/pcsc/drivers")
SOCKET_ENV = "PCSCLITE_CSOCK_NAME"
_SUN_PATH_MAX = 107  # sizeof(sockaddr_un.sun_path) - 1 on Linux
_START_TIMEOUT = 15.0


def find_vpcd_driver() -> Path:
    """Locate ``libifdvpcd.so`` or raise naming the Debian package."""
    for candidate in VPCD_DRIVER_CANDIDATES:
        if candidate.exists():
            return candidate.resolve()
    raise ServiceStartError(
        "vpcd driver libifdvpcd.so not found in "
        + ", ".join(str(c) for c in VPCD_DRIVER_CANDIDATES)
        + ": install the Debian package 'vsmartcard-vpcd'"
    )


class PcscdVpcd:
    """pcscd with one vpcd reader entry (two slots) on free ports, private socket path.

    Attributes used by tests: ``vpcd_port`` (where a ``VirtualICC`` connects), ``vpcd_host``,
    ``socket_path`` (value of ``PCSCLITE_CSOCK_NAME``), ``reader_name`` (slot 0) and
    ``reader_names`` (both slots).
    """

    FRIENDLY_NAME = "Virtual PCD"

    def __init__(self, workdir: Path) -> None:
        self.pcscd = require_binary("pcscd", "pcscd")
        self.unshare = require_binary("unshare", "util-linux")
        self.driver = find_vpcd_driver()
        self.workdir = workdir
        self.conf_dir = workdir / "reader.conf.d"
        self.run_dir = workdir / "run"
        self.empty_dir = workdir / "empty-usb-dropdir"
        self.driver_copy = workdir / "drivers" / "libifdvpcd.so"
        self.log_path = workdir / "pcscd.log"
        self.socket_path = self.run_dir / "pcscd" / "pcscd.comm"
        self.vpcd_host = "127.0.0.1"
        self.vpcd_port = free_port_range(2)
        self.reader_names = [f"{self.FRIENDLY_NAME} 00 00", f"{self.FRIENDLY_NAME} 00 01"]
        self.reader_name = self.reader_names[0]
        if len(str(self.socket_path)) > _SUN_PATH_MAX:
            raise ServiceStartError(
                f"pcscd socket path {self.socket_path} is longer than {_SUN_PATH_MAX} bytes "
                "(UNIX socket limit): use a shorter --basetemp/TMPDIR"
            )
        for directory in (self.conf_dir, self.run_dir, self.empty_dir, self.driver_copy.parent):
            directory.mkdir(parents=True, exist_ok=True)
        shutil.copy2(self.driver, self.driver_copy)
        (self.conf_dir / "vpcd").write_text(
            f'FRIENDLYNAME "{self.FRIENDLY_NAME}"\n'
            f"DEVICENAME   /dev/null:0x{self.vpcd_port:04X}\n"
            f"LIBPATH      {self.driver_copy}\n"
            f"CHANNELID    0x{self.vpcd_port:04X}\n"
        )
        self._process = ManagedProcess(
            "pcscd",
            self._argv(),
            self.log_path,
            stop_signals=(signal.SIGTERM, signal.SIGTERM),
            stop_grace=2.0,
        )

    def _argv(self) -> list[str]:
        namespace = [self.unshare, "--mount", "--propagation", "private"]
        if os.geteuid() != 0:
            namespace[1:1] = ["--user", "--map-root-user"]
        script = (
            'mount --bind "$1" /run && '
            'if [ -d "$3" ]; then mount --bind "$2" "$3"; fi && '
            'shift 3 && exec "$@"'
        )
        return [
            *namespace,
            "--",
            "sh",
            "-c",
            script,
            "pcscd-ns",
            str(self.run_dir),
            str(self.empty_dir),
            str(USB_DROP_DIR),
            self.pcscd,
            "--foreground",
            "--info",
            "--config",
            str(self.conf_dir),
        ]

    def client_env(self) -> dict[str, str]:
        """Environment a separate process (e.g. the kiosk under test) needs to use this pcscd."""
        return {SOCKET_ENV: str(self.socket_path)}

    def export_to_process(self) -> None:
        """Point this process's libpcsclite at the private daemon (before any pyscard call)."""
        os.environ[SOCKET_ENV] = str(self.socket_path)

    @property
    def running(self) -> bool:
        """True while pcscd lives."""
        return self._process.alive()

    def _socket_accepts(self) -> bool:
        if not self.socket_path.exists():
            return False
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            try:
                sock.connect(str(self.socket_path))
            except OSError:
                return False
            return True

    def _ready(self) -> bool:
        try:
            log = self.log_path.read_text(errors="replace")
        except OSError:
            return False
        # Only the part written by the current run counts (the log is appended on restart).
        current = log.rsplit("=== harness: starting", 1)[-1]
        return "daemon ready" in current and self._socket_accepts()

    def start(self) -> None:
        """Start pcscd (same ports and socket path on restart) and wait until it serves."""
        if self.running:
            return
        self._process.start()
        try:
            wait_until(
                self._ready, _START_TIMEOUT, "pcscd 'daemon ready'", alive=self._process.alive
            )
        except (TimeoutError, RuntimeError) as exc:
            error = self._process.failure(str(exc))
            self._process.stop()
            raise error from exc
        # vpcd opens its listening sockets while the reader is added, i.e. before "ready".
        time.sleep(0.05)

    def stop(self) -> None:
        """Stop pcscd (two SIGTERMs, then SIGKILL)."""
        self._process.stop()

    def log_text(self) -> str:
        """The daemon log (appended across restarts)."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""
