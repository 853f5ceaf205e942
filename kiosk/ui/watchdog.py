"""The touch UI's side of systemd's service protocol: ``READY=1``, ``WATCHDOG=1``, ``STATUS=``
and ``STOPPING=1`` (sd_notify, through the ``sdnotify`` package).

Why the watchdog pings come from a ``QTimer`` on the GUI thread, not from a thread of their
own: a ping must prove that the Qt event loop still turns. A hung screen (a slot blocked on a
device, a deadlock in a QML handler) leaves every other thread running, so a pinging thread
would keep a frozen kiosk alive for ever. With the timer on the event loop, a frozen loop stops
the pings, systemd's ``WatchdogSec=`` expires and ``Restart=on-failure`` brings the UI back.

``READY=1`` is sent on the first frame the window presents (the welcome screen is on the
glass), not when the devices are open: the devices open on a worker thread for seconds and the
welcome screen is useful before that; the ``STATUS=`` line says which phase the kiosk is in.

SIGTERM (``systemctl stop``) quits the event loop cleanly, so ``STOPPING=1`` is sent and the
devices and the store are closed, instead of the default immediate death. Python runs signal
handlers only when it gets control, so a wakeup socket (``signal.set_wakeup_fd``) read by a
``QSocketNotifier`` wakes the loop for them.

The debug freeze hook (tests only). ``BDMI_UI_DEBUG_FREEZE_S=N`` makes SIGUSR2 block the Qt
main thread for N seconds, inside the handler that runs on the GUI thread: a real freeze of the
event loop while the process and its other threads keep running, which is what a hung UI looks
like. SIGSTOP would not do: it stops the whole process, which systemd sees differently and which
is not the failure the watchdog exists for. The hook is refused (``UI_DEBUG_FREEZE_REFUSED``)
when the config says ``device.mode = "production"``, so a production kiosk cannot be frozen by
anyone who can send it a signal.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Mapping

import sdnotify
from PySide6.QtCore import QCoreApplication, QObject, QSocketNotifier, Qt, QTimer, Slot
from PySide6.QtGui import QWindow

log = logging.getLogger(__name__)

FREEZE_ENV = "BDMI_UI_DEBUG_FREEZE_S"
MAX_FREEZE_S = 3600.0


def watchdog_interval_ms(env: Mapping[str, str], pid: int) -> int | None:
    """Half of ``WATCHDOG_USEC`` in milliseconds, as sd_watchdog_enabled(3) advises; None when
    systemd asked for no watchdog (unset, or ``WATCHDOG_PID`` names another process: the
    variables leaked from a parent). An unusable value is logged and also gives None: guessing
    an interval could ping too slowly and have a healthy kiosk killed."""
    raw = env.get("WATCHDOG_USEC")
    if raw is None:
        return None
    owner = env.get("WATCHDOG_PID")
    if owner is not None and owner.strip() != str(pid):
        return None
    try:
        usec = int(raw.strip(), 10)
    except ValueError:
        usec = 0
    if usec <= 0:
        log.warning("watchdog interval unusable", extra={"reason": "UI_WATCHDOG_USEC_INVALID"})
        return None
    return max(1, usec // 2000)


def freeze_seconds(env: Mapping[str, str], mode: str) -> float | None:
    """How long SIGUSR2 freezes the GUI thread, or None when the debug hook is off.

    Raises ``ValueError`` with a reason code for a value that is not a number of seconds in
    (0, 3600], and for any value in production mode."""
    raw = env.get(FREEZE_ENV)
    if raw is None:
        return None
    if mode == "production":
        raise ValueError(f"UI_DEBUG_FREEZE_REFUSED: {FREEZE_ENV} is set in production mode")
    try:
        seconds = float(raw)
    except ValueError:
        seconds = float("nan")
    if not 0.0 < seconds <= MAX_FREEZE_S:  # also false for NaN
        raise ValueError(
            f"UI_DEBUG_FREEZE_INVALID: {FREEZE_ENV} must be seconds in (0, {MAX_FREEZE_S:g}]"
        )
    return seconds


class _Notifier:
    """sd_notify over ``$NOTIFY_SOCKET``. A send that fails is logged once with its reason
    and never stops the UI: the kiosk must keep serving even if systemd's socket went away."""

    def __init__(self) -> None:
        self._failed = False
        self._sd: sdnotify.SystemdNotifier | None = None
        try:  # sdnotify reads $NOTIFY_SOCKET (a path, or @abstract) itself
            self._sd = sdnotify.SystemdNotifier(debug=True)
        except OSError as exc:
            self._fail(exc)

    def _fail(self, exc: OSError) -> None:
        if not self._failed:
            self._failed = True
            log.error(
                "cannot notify systemd",
                extra={"reason": "UI_NOTIFY_FAILED", "error": type(exc).__name__},
            )

    def send(self, state: str) -> None:
        if self._sd is None:
            return
        try:
            self._sd.notify(state)
        except OSError as exc:
            self._fail(exc)


class Keepalive(QObject):
    """Owns the notifier, the watchdog timer, the quit-on-SIGTERM wiring and the debug freeze
    hook for one application. Build it once the window exists; keep a reference."""

    def __init__(
        self,
        app: QCoreApplication,
        window: QWindow,
        mode: str,
        status: Callable[[], str] = lambda: "",
    ) -> None:
        super().__init__(app)
        env = os.environ
        self._app = app
        self._status = status
        self._last_status = ""
        self._ready = False
        self._notifier = _Notifier() if env.get("NOTIFY_SOCKET") else None
        self.interval_ms = watchdog_interval_ms(env, os.getpid()) if self._notifier else None
        try:
            self.freeze_s = freeze_seconds(env, mode)
        except ValueError as exc:
            reason, _, message = str(exc).partition(": ")
            log.error("debug freeze hook not installed: %s", message, extra={"reason": reason})
            self.freeze_s = None
        self._timer: QTimer | None = None
        if self._notifier is not None:
            # Without a watchdog the same timer only carries STATUS changes, once a second.
            self._timer = QTimer(self)
            self._timer.setInterval(self.interval_ms or 1000)
            self._timer.timeout.connect(self._tick)
            self._timer.start()
            self._send_status()
        frame_swapped = getattr(window, "frameSwapped", None)
        if frame_swapped is not None:
            # The render thread may emit it: queue it to this object on the GUI thread.
            frame_swapped.connect(self._first_frame, Qt.ConnectionType.QueuedConnection)
        else:  # a plain QWindow never swaps frames: it is up once exposed
            QTimer.singleShot(0, self._first_frame)
        app.aboutToQuit.connect(self._stopping)
        self._install_signals()

    def _install_signals(self) -> None:
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        signal.set_wakeup_fd(self._wake_w.fileno(), warn_on_full_buffer=False)
        self._wake = QSocketNotifier(self._wake_r.fileno(), QSocketNotifier.Type.Read, self)
        self._wake.activated.connect(self._drain)
        # Queued, not a direct quit(): a SIGTERM that lands before app.exec() has started
        # would otherwise be lost (quit() does nothing without a running loop) and the kiosk
        # would never stop. The zero timer fires as soon as the loop runs.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: QTimer.singleShot(0, self._app.quit))
        if self.freeze_s is not None:
            signal.signal(signal.SIGUSR2, lambda *_: self._freeze())
            log.warning("debug freeze hook armed (SIGUSR2)", extra={"seconds": self.freeze_s})

    @Slot()
    def _drain(self) -> None:
        """Empty the wakeup socket; reaching Python here is what runs the pending handlers."""
        try:
            while self._wake_r.recv(512):
                pass
        except BlockingIOError:
            pass

    def _freeze(self) -> None:
        assert self.freeze_s is not None
        self._send(f"STATUS=debug freeze: GUI thread blocked for {self.freeze_s:g} s")
        log.warning("debug freeze: blocking the GUI thread", extra={"seconds": self.freeze_s})
        time.sleep(self.freeze_s)  # the point: nothing else runs on this thread meanwhile
        self._last_status = ""  # say the current status again once the loop turns
        log.warning("debug freeze over")

    def _send(self, state: str) -> None:
        if self._notifier is not None:
            self._notifier.send(state)

    def _send_status(self) -> None:
        text = self._status()
        if text and text != self._last_status:
            self._last_status = text
            self._send(f"STATUS={text}")

    @Slot()
    def _tick(self) -> None:
        if self.interval_ms is not None:
            self._send("WATCHDOG=1")
        self._send_status()

    @Slot()
    def _first_frame(self) -> None:
        if self._ready:
            return
        self._ready = True
        self._send("READY=1")
        self._send_status()
        log.info("welcome screen up", extra={"watchdog_ms": self.interval_ms or 0})

    @Slot()
    def _stopping(self) -> None:
        self._send("STOPPING=1")
        self._send("STATUS=stopping")
        if self._timer is not None:
            self._timer.stop()
        signal.set_wakeup_fd(-1)


def kiosk_status(ready: bool, start_error: str | None) -> str:
    """The STATUS= line a technician reads in ``systemctl status bdmi-kiosk``."""
    if start_error:
        return f"devices failed to open: {start_error} (service screen shows it)"
    return "serving" if ready else "welcome screen up, opening devices"
