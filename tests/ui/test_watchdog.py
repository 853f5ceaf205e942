"""The kiosk's systemd keepalive, seen from systemd's side of the notify socket.

The process test plays systemd: it binds the datagram socket that ``NOTIFY_SOCKET`` names,
starts the real ``bdmi-kiosk`` on Xvfb with ``WATCHDOG_USEC`` set, and reads what arrives.
The freeze is the documented debug hook (``BDMI_UI_DEBUG_FREEZE_S``, kiosk/ui/watchdog.py):
SIGUSR2 makes the Qt main thread sleep inside its signal handler, so the event loop is really
blocked while the process and its other threads run on (SIGSTOP would stop all of them).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.ui.watchdog import FREEZE_ENV, freeze_seconds, kiosk_status, watchdog_interval_ms

BIN = Path(sys.executable).parent
WATCHDOG_USEC = 1_000_000  # pings every 0.5 s
FREEZE_S = 8.0
QUIET_S = 4.0  # eight ping intervals inside the freeze: a single ping here fails the test


class NotifyListener:
    """The receiving end of sd_notify: an abstract AF_UNIX datagram socket, every message
    kept with its arrival time."""

    def __init__(self) -> None:
        self.address = f"@bdmi-test-notify-{uuid.uuid4().hex}"
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind("\0" + self.address[1:])
        self._sock.settimeout(0.2)
        self.messages: list[tuple[float, str]] = []
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._sock.recv(4096)
            except TimeoutError:
                continue
            with self._changed:
                for line in data.decode().splitlines():
                    self.messages.append((time.monotonic(), line))
                self._changed.notify_all()

    def wait_for(
        self, pred: Callable[[list[tuple[float, str]]], bool], timeout: float, what: str
    ) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: pred(self.messages), timeout):
                seen = [m for _, m in self.messages][-20:]
                raise AssertionError(f"no {what} within {timeout} s; last messages: {seen}")

    def after(self, t0: float, line: str) -> list[float]:
        with self._changed:
            return [t for t, m in self.messages if m == line and t > t0]

    def first(self, prefix: str) -> float:
        with self._changed:
            return next(t for t, m in self.messages if m.startswith(prefix))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()


def _thread_state(pid: int) -> str:
    """The kernel's state letter of the process's main (GUI) thread: S sleeping, T stopped."""
    stat = Path(f"/proc/{pid}/task/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0]


@pytest.mark.ui
def test_watchdog_pings_come_from_the_event_loop_and_stop_when_it_freezes(
    xvfb_display, demo_config_file, tmp_path
):
    listener = NotifyListener()
    env = {
        **os.environ,
        "DISPLAY": xvfb_display.display,
        "QT_QPA_PLATFORM": "xcb",
        "NOTIFY_SOCKET": listener.address,
        "WATCHDOG_USEC": str(WATCHDOG_USEC),
        FREEZE_ENV: str(FREEZE_S),
    }
    log_path = tmp_path / "kiosk.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [BIN / "bdmi-kiosk", "--config", demo_config_file], env=env, stderr=log
        )
    try:
        listener.wait_for(lambda ms: any(m == "READY=1" for _, m in ms), 90, "READY=1")
        ready_at = listener.first("READY=1")
        listener.wait_for(
            lambda _: len(listener.after(ready_at, "WATCHDOG=1")) >= 3, 60, "three pings"
        )
        assert any(m.startswith("STATUS=") for _, m in listener.messages)

        os.kill(proc.pid, signal.SIGUSR2)
        listener.wait_for(
            lambda ms: any(m.startswith("STATUS=debug freeze") for _, m in ms), 60, "freeze"
        )
        frozen_at = listener.first("STATUS=debug freeze")
        time.sleep(QUIET_S)
        assert proc.poll() is None, "the kiosk died instead of freezing"
        # The process is alive and not stopped: its GUI thread sleeps in the handler.
        assert _thread_state(proc.pid) == "S"
        pings = listener.after(frozen_at, "WATCHDOG=1")
        assert not [t for t in pings if t < frozen_at + QUIET_S], "pinged while frozen"

        # The loop turns again after the freeze: pings resume from the same process.
        listener.wait_for(
            lambda _: len(listener.after(frozen_at, "WATCHDOG=1")) >= 2, 60, "pings again"
        )
        assert proc.poll() is None

        proc.send_signal(signal.SIGTERM)  # systemctl stop
        assert proc.wait(timeout=60) == 0
        listener.wait_for(lambda ms: any(m == "STOPPING=1" for _, m in ms), 10, "STOPPING=1")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        listener.close()
    text = log_path.read_text(errors="replace")
    assert "debug freeze hook armed" in text and "debug freeze over" in text


@given(st.dictionaries(st.sampled_from(["WATCHDOG_USEC", "WATCHDOG_PID", "OTHER"]), st.text()))
def test_watchdog_interval_never_raises_and_is_half_the_usec(env):
    got = watchdog_interval_ms(env, pid=4242)
    if got is None:
        return
    assert got >= 1
    assert env.get("WATCHDOG_PID", "4242").strip() == "4242"
    assert got == max(1, int(env["WATCHDOG_USEC"].strip()) // 2000)


def test_watchdog_interval_follows_systemd_rules():
    assert watchdog_interval_ms({}, pid=7) is None
    assert watchdog_interval_ms({"WATCHDOG_USEC": "30000000"}, pid=7) == 15_000
    assert watchdog_interval_ms({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "7"}, pid=7) == 15_000
    # Inherited from a parent that systemd watches: not ours to ping.
    assert watchdog_interval_ms({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "8"}, pid=7) is None
    assert watchdog_interval_ms({"WATCHDOG_USEC": "0"}, pid=7) is None
    assert watchdog_interval_ms({"WATCHDOG_USEC": "soon"}, pid=7) is None


@given(st.text(), st.sampled_from(["demo", "production"]))
def test_freeze_setting_is_refused_in_production_and_checked_otherwise(raw, mode):
    try:
        seconds = freeze_seconds({FREEZE_ENV: raw}, mode)
    except ValueError as exc:
        reason = str(exc).split(":")[0]
        assert reason == (
            "UI_DEBUG_FREEZE_REFUSED" if mode == "production" else ("UI_DEBUG_FREEZE_INVALID")
        )
        return
    assert mode == "demo"
    assert seconds is not None and 0 < seconds <= 3600


def test_freeze_hook_is_off_unless_asked_for():
    assert freeze_seconds({}, "production") is None
    assert freeze_seconds({}, "demo") is None
    assert freeze_seconds({FREEZE_ENV: "2.5"}, "demo") == 2.5
    with pytest.raises(ValueError, match="UI_DEBUG_FREEZE_REFUSED"):
        freeze_seconds({FREEZE_ENV: "2.5"}, "production")


def test_status_line_says_what_the_kiosk_is_doing():
    assert kiosk_status(False, None) == "welcome screen up, opening devices"
    assert kiosk_status(True, None) == "serving"
    assert "DRV_READER_UNAVAILABLE" in kiosk_status(False, "DRV_READER_UNAVAILABLE")


PRE_EXEC_SIGTERM = """
import os, signal, sys
from PySide6.QtGui import QGuiApplication, QWindow
from kiosk.ui.watchdog import Keepalive
app = QGuiApplication([sys.argv[0], "-platform", "offscreen"])
window = QWindow()
keepalive = Keepalive(app, window, "demo")
os.kill(os.getpid(), signal.SIGTERM)  # systemctl stop, before the loop has started
sys.exit(app.exec())
"""


def test_a_sigterm_before_the_event_loop_runs_still_stops_the_kiosk():
    # A direct quit() before exec() is lost, and the kiosk would then run until SIGKILL.
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", PRE_EXEC_SIGTERM], capture_output=True,
                          text=True, timeout=60, cwd=repo)  # fmt: skip
    assert done.returncode == 0, done.stderr
