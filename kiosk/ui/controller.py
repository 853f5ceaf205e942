"""The one object QML talks to.

QML reads properties and calls slots when a person taps; the controller hands taps to the
flow runner (kiosk/shell) and re-renders from the flow's view after every event. The flow
holds the state; the controller only mirrors it, so nothing here decides anything. Every
call into the runner happens on the Qt thread; the runner's jobs run on their own threads
and report through its queue, which a timer drains (``pump``) every 50 ms.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import (
    Property,
    QCoreApplication,
    QObject,
    QTimer,
    QTranslator,
    Signal,
    Slot,
)
from PySide6.QtGui import QImage
from PySide6.QtQml import QQmlApplicationEngine
from PySide6.QtQuick import QQuickImageProvider

from kiosk.flows.messages import Speak
from kiosk.flows.service import Door, ServiceGate
from kiosk.flows.verification import Step, View
from kiosk.log import RecentReasons
from kiosk.receipts import certificate_code, consent_until
from kiosk.ui.hint_pacing import HintPacing

log = logging.getLogger(__name__)

I18N_DIR = Path(__file__).parent / "i18n"
LANGUAGES = ("zh_CN", "en")  # English is the source language of every qsTr() string
PUMP_MS = 50
TICK_MS = 250
SYNC_POLL_MS = 5000
SERVICE_IDLE_MS = 120_000
"""Service mode closes by itself after this long without a tap on it: a technician who
walks away must not leave the device view (and the way to the self-test) open."""
CAMERA_CHECK_MS = 100


class PreviewProvider(QQuickImageProvider):
    """The newest camera frame for ``image://preview/<n>``; the face job's thread stores it,
    QML's render thread reads it. A blank frame after the wipe."""

    def __init__(self) -> None:
        super().__init__(QQuickImageProvider.ImageType.Image)
        self._lock = threading.Lock()
        self._image = QImage()
        self.version = 0

    def update(self, bgr: np.ndarray | None) -> None:
        if bgr is None:
            image = QImage()
        else:
            rgb = np.ascontiguousarray(bgr[:, :, ::-1])
            height, width, _ = rgb.shape
            image = QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
        with self._lock:
            self._image = image
            self.version += 1

    def requestImage(self, _id: str, size: object, _requested: object) -> QImage:
        with self._lock:
            return self._image


class QrProvider(QQuickImageProvider):
    """``image://qr/<text>``: the QR code of ``text`` (a reference code and dates, never
    personal data), black modules on white with the standard 4-module quiet zone, scaled
    to whole pixels per module so a phone or the office's scanner reads it off the glass."""

    SCALE = 12

    def __init__(self) -> None:
        super().__init__(QQuickImageProvider.ImageType.Image)

    def requestImage(self, text: str, size: object, _requested: object) -> QImage:
        import segno

        code = segno.make(text, error="m", micro=False)
        modules = np.array([list(row) for row in code.matrix], dtype=np.uint8)
        modules = np.pad(modules, 4)  # quiet zone
        pixels = np.where(modules > 0, 0, 255).astype(np.uint8)
        pixels = np.ascontiguousarray(np.kron(pixels, np.ones((self.SCALE,) * 2, np.uint8)))
        height, width = pixels.shape
        return QImage(pixels.data, width, height, width, QImage.Format.Format_Grayscale8).copy()


@dataclass(frozen=True, slots=True)
class SiteSettings:
    """The site's defaults for a person's display choices (``[ui]`` in the config)."""

    language: str
    large_text: bool = False
    high_contrast: bool = False


class KioskController(QObject):
    screenChanged = Signal()
    languageChanged = Signal()
    viewChanged = Signal()
    readyChanged = Signal()
    previewChanged = Signal()
    outOfServiceChanged = Signal()
    waitingChanged = Signal()
    serviceChanged = Signal()
    staffCalledChanged = Signal()
    volumeChanged = Signal()
    _selftestDone = Signal(list)
    _testPrintDone = Signal(str)
    settingsChanged = Signal()

    def __init__(
        self, engine: QQmlApplicationEngine, language: str, flow: str = "hospital_checkin"
    ) -> None:
        # Owned by the engine, so it outlives every QML binding that reads it.
        super().__init__(engine)
        self._engine = engine
        self._flow = flow
        self.gate: ServiceGate | None = None
        """The service mode's PIN door; set by the app (no gate: no service mode)."""
        self.recent: RecentReasons | None = None
        self._service = ""  # "", "pin" or "open"
        self._service_error = ""
        self._health: dict[str, object] = {}
        self.on_speak: Callable[[str, str, str | None, str | None], None] = (
            lambda prompt, language, reason, reference: None
        )
        """Says a prompt id in a language, with the reason code and reference it names
        (kiosk.ui.voice.Voice.say); set by the app."""
        self.on_volume: Callable[[int], None] = lambda percent: None
        """Sets the voice's loudness in percent (kiosk.ui.voice); set by the app."""
        self.default_volume = 50
        """The site's volume, back in force at every wipe (the next person starts there)."""
        self._volume = self.default_volume
        self._last_prompt: Speak | None = None
        self._hints = HintPacing()
        self.clock: Callable[[], float] = time.monotonic
        """For the pacing of spoken hints; a test may set its own."""
        self._staff_called = False
        self._translator = QTranslator(self)
        self._language = "en"
        self._view = View(step=Step.WELCOME, language=language)
        self._ready = False
        self._runner: object | None = None
        self.preview = PreviewProvider()
        self._preview_seen = 0
        self._out_of_service: tuple[str, ...] = ()
        self._timer = QTimer(self)
        self._timer.setInterval(PUMP_MS)
        self._timer.timeout.connect(self._pump)
        self._ticks = 0
        self._waiting = 0
        self._sync_timer = QTimer(self)
        self._sync_timer.setInterval(SYNC_POLL_MS)
        self._sync_timer.timeout.connect(self._poll_outbox)
        self.service_info: Callable[[], dict[str, str]] = dict
        """Version, site, device id and flow for the service screen; set by the app."""
        self._service_idle = QTimer(self)
        self._service_idle.setSingleShot(True)
        self._service_idle.setInterval(SERVICE_IDLE_MS)
        self._service_idle.timeout.connect(self._service_timed_out)
        self._lock_timer = QTimer(self)
        self._lock_timer.setInterval(1000)
        self._lock_timer.timeout.connect(self._lock_tick)
        self._locked_for = 0
        self._selftest: list[dict[str, str | None]] = []
        self._selftest_running = False
        self._selftestDone.connect(self._selftest_finished)
        self._test_print = ""
        self._testPrintDone.connect(self._test_print_finished)
        self._camera_timer = QTimer(self)
        self._camera_timer.setInterval(CAMERA_CHECK_MS)
        self._camera_timer.timeout.connect(self._camera_tick)
        self._camera_seen = -1
        self._site = SiteSettings(language=language)
        self._large_text = False
        self._high_contrast = False
        # The language goes back after the wipe from the event loop, not from inside the
        # runner's call that reported the wipe; a child timer dies with this controller.
        self._language_reset = QTimer(self)
        self._language_reset.setSingleShot(True)
        self._language_reset.setInterval(0)
        self._language_reset.timeout.connect(lambda: self.setLanguage(self._site.language))
        self.insurer_names: dict[str, str] = {}
        """The insurer's name by language, from the config; the terms' own name otherwise."""
        self.reader_places: list[dict[str, str]] = []
        """The configured readers and where they sit (``{"kind": "sam", "placement": ...}``),
        set by the app before the QML loads: the document screen draws them there."""
        self.setLanguage(language)

    def site_defaults(self, settings: SiteSettings) -> None:
        """What every session starts with: the site's language, text size and contrast."""
        self._site = settings
        self._reset_settings()

    def _reset_settings(self) -> None:
        """Back to the site's settings: the next person never inherits the last one's
        language, larger text or contrast (issue 16 item 6)."""
        self._large_text = self._site.large_text
        self._high_contrast = self._site.high_contrast
        self.settingsChanged.emit()
        if self._language != self._site.language:
            self._language_reset.start()

    # -- wiring ------------------------------------------------------------------------------
    def attach(self, runner: object) -> None:
        """Drive ``runner`` (a ``kiosk.shell.runner.FlowRunner`` whose devices are open)."""
        self._runner = runner
        runner.on_change = self.apply_view  # type: ignore[attr-defined]
        runner.preview = self.preview.update  # type: ignore[attr-defined]
        runner.speak = self.speak  # type: ignore[attr-defined]
        self._ready = True
        self._timer.start()
        self._sync_timer.start()
        self._poll_outbox()
        self.readyChanged.emit()

    def detach(self) -> None:
        self._timer.stop()
        self._sync_timer.stop()
        self._language_reset.stop()
        self._runner = None

    def _poll_outbox(self) -> None:
        if self._runner is None:
            return
        waiting = self._runner.waiting_to_sync()  # type: ignore[attr-defined]
        if waiting != self._waiting:
            self._waiting = waiting
            self.waitingChanged.emit()

    def speak(self, command: Speak) -> None:
        self._last_prompt = command
        self._hints.spoke(self.clock())
        self.on_speak(command.prompt, self._language, command.reason, command.reference)

    def _say_hint(self) -> None:
        """A face-position hint that has held for a moment is said too (issue 16): a person
        who cannot read the screen hears "come a little closer". Not kept as the screen's
        line: Repeat says the challenge, not a hint that may have gone."""
        said = self._hints.observe(self._view.hint, self.clock())
        if said is not None:
            self.on_speak(said, self._language, None, None)

    def apply_view(self, view: View) -> None:
        old_step, old_challenge = self._view.step, self._view.challenge
        self._view = view
        if view.challenge is not None and view.challenge != old_challenge:
            self.speak(Speak(str(view.challenge)))  # each new challenge, as it appears
        self.viewChanged.emit()
        called = bool(getattr(view, "staff_called", False))
        if called != self._staff_called:
            self._staff_called = called
            self.staffCalledChanged.emit()
        if view.step != old_step:
            log.info("screen", extra={"from": str(old_step), "to": str(view.step)})
            self._hints.reset()
            if view.step == Step.WELCOME:
                # The wipe: the next person hears the site's volume and no old prompt.
                self._last_prompt = None
                self.setVolume(self.default_volume)
            self.screenChanged.emit()
            if view.step == Step.WELCOME:  # every way back to welcome is a wipe
                self._reset_settings()

    def _pump(self) -> None:
        runner = self._runner
        if runner is None:
            return
        runner.pump()  # type: ignore[attr-defined]
        self._ticks += 1
        if self._ticks * PUMP_MS >= TICK_MS:
            self._ticks = 0
            runner.tick()  # type: ignore[attr-defined]
        if self.preview.version != self._preview_seen:
            self._preview_seen = self.preview.version
            self.previewChanged.emit()
        self._say_hint()
        frozen = runner.out_of_service()  # type: ignore[attr-defined]
        if frozen != self._out_of_service:
            self._out_of_service = frozen
            self.outOfServiceChanged.emit()

    def _tap(self, action: str, value: str | None = None) -> None:
        if self._runner is not None:
            self._runner.tap(action, value)  # type: ignore[attr-defined]

    # -- what QML reads ------------------------------------------------------------------------
    @Property(str, notify=screenChanged)
    def screen(self) -> str:
        return str(self._view.step)

    @Property(str, notify=languageChanged)
    def language(self) -> str:
        return self._language

    @Property(bool, notify=settingsChanged)
    def largeText(self) -> bool:
        return self._large_text

    @Property(bool, notify=settingsChanged)
    def highContrast(self) -> bool:
        return self._high_contrast

    @Slot(bool)
    def setLargeText(self, on: bool) -> None:
        self._large_text = on
        self.settingsChanged.emit()

    @Slot(bool)
    def setHighContrast(self, on: bool) -> None:
        self._high_contrast = on
        self.settingsChanged.emit()

    @Property(bool, notify=readyChanged)
    def ready(self) -> bool:
        return self._ready

    @Property(float, notify=viewChanged)
    def progress(self) -> float:
        return self._view.progress or 0.0

    @Property(str, notify=viewChanged)
    def error(self) -> str:
        return self._view.error or ""

    @Property(str, notify=viewChanged)
    def challenge(self) -> str:
        return str(self._view.challenge) if self._view.challenge else ""

    @Property(str, notify=viewChanged)
    def hint(self) -> str:
        return self._view.hint or ""

    @Property(int, notify=viewChanged)
    def remaining(self) -> int:
        left = self._view.remaining_s
        return 0 if left is None else int(left + 0.999)

    @Property(int, notify=viewChanged)
    def countdown(self) -> int:
        return self._view.countdown or 0

    @Property(str, notify=viewChanged)
    def decision(self) -> str:
        return str(self._view.decision) if self._view.decision else ""

    @Property(str, notify=viewChanged)
    def reasonCodes(self) -> str:
        """The decision's reason codes (``IDV_MATCH_REJECTED``...): codes, never data."""
        return " · ".join(self._view.reasons)

    @Property(str, notify=viewChanged)
    def reference(self) -> str:
        return self._view.reference or ""

    @Property(str, notify=viewChanged)
    def resultReason(self) -> str:
        """On a result that did not pass, the code that says why (Texts.qml words it)."""
        return self._view.reason or ""

    @Property(bool, notify=viewChanged)
    def retryable(self) -> bool:
        """The result offers "Try again" (a retryable failure, tries left)."""
        return self._view.retryable

    @Slot()
    def retry(self) -> None:
        self._tap("retry")

    # -- pension survival: the life certificate and the staff PIN ----------------------------
    @Property(str, notify=viewChanged)
    def validUntil(self) -> str:
        certificate = getattr(self._view, "certificate", None)
        return certificate.valid_until.isoformat() if certificate else ""

    @Property(str, notify=viewChanged)
    def nextDue(self) -> str:
        certificate = getattr(self._view, "certificate", None)
        return certificate.next_due.isoformat() if certificate else ""

    @Property(str, notify=viewChanged)
    def certificateCode(self) -> str:
        """What the QR code on the certificate carries: the reference and the validity,
        which the pension office's system looks up; nothing about the person."""
        certificate = getattr(self._view, "certificate", None)
        if not certificate:
            return ""
        return certificate_code(certificate.reference, certificate.valid_until)

    @Property(bool, notify=viewChanged)
    def seeStaff(self) -> bool:
        return bool(getattr(self._view, "see_staff", False))

    @Property(int, notify=viewChanged)
    def pinAttemptsLeft(self) -> int:
        return getattr(self._view, "pin_attempts_left", None) or 0

    # -- insurance consent: the terms on screen, the answer on the result ---------------------
    def _terms(self) -> object | None:
        return getattr(self._view, "terms", None)

    @Property(str, notify=viewChanged)
    def consentInsurer(self) -> str:
        """The insurer's name in the session's language (``consent.insurer_names``)."""
        terms = self._terms()
        if not terms:
            return ""
        return self.insurer_names.get(self._language) or terms.insurer  # type: ignore[attr-defined]

    @Property("QStringList", notify=viewChanged)
    def consentScope(self) -> list[str]:
        """Codes (``hospital_records``...); Texts.qml words them in the session's language."""
        terms = self._terms()
        return list(terms.data_scope) if terms else []  # type: ignore[attr-defined]

    @Property(str, notify=viewChanged)
    def consentPurpose(self) -> str:
        terms = self._terms()
        return terms.purpose if terms else ""  # type: ignore[attr-defined]

    @Property(int, notify=viewChanged)
    def consentDays(self) -> int:
        terms = self._terms()
        return terms.duration_days if terms else 0  # type: ignore[attr-defined]

    @Property(str, notify=viewChanged)
    def consentUntil(self) -> str:
        """The last day the consent covers, as the person reads it on the terms."""
        days = self.consentDays
        return consent_until(days, dt.date.today()).isoformat() if days else ""

    @Property(str, notify=viewChanged)
    def consentOutcome(self) -> str:
        """``accepted``, ``declined`` or ``not_offered`` on the result screen, else empty."""
        return getattr(self._view, "consent", None) or ""

    # -- the receipt ------------------------------------------------------------------------
    @Property(bool, notify=readyChanged)
    def receiptOffered(self) -> bool:
        """A printer is configured and receipts are offered (the runner knows)."""
        runner = self._runner
        return bool(runner is not None and runner.receipt_offered())  # type: ignore[attr-defined]

    @Property(str, notify=viewChanged)
    def receiptState(self) -> str:
        """``printing``, ``printed``, ``failed`` once asked for, else empty."""
        return self._view.receipt or ""

    @Property(str, notify=viewChanged)
    def receiptError(self) -> str:
        """The printer's reason code when the receipt failed (``DRV_PRINTER_NO_PAPER``...)."""
        return self._view.receipt_error or ""

    @Slot()
    def printReceipt(self) -> None:
        self._tap("print")

    @Slot()
    def acceptConsent(self) -> None:
        self._tap("accept")

    @Slot()
    def declineConsent(self) -> None:
        self._tap("decline")

    @Property(str, constant=True)
    def flow(self) -> str:
        return self._flow

    @Property("QVariantList", constant=True)
    def readers(self) -> list[dict[str, str]]:
        return list(self.reader_places)

    # -- service mode -------------------------------------------------------------------------
    @Property(str, notify=serviceChanged)
    def service(self) -> str:
        return self._service

    @Property(str, notify=serviceChanged)
    def serviceError(self) -> str:
        return self._service_error

    @Property(int, notify=serviceChanged)
    def serviceAttemptsLeft(self) -> int:
        return self.gate.attempts_left() if self.gate else 0

    @Property("QVariantList", notify=serviceChanged)
    def serviceDevices(self) -> list:
        return list(self._health.get("devices", []))  # type: ignore[call-overload]

    @Property("QVariantList", notify=serviceChanged)
    def serviceOutbox(self) -> list:
        counts = self._health.get("outbox", {})
        return [{"state": k, "count": v} for k, v in counts.items()]  # type: ignore[union-attr]

    @Property(int, notify=serviceChanged)
    def serviceOldestUnsent(self) -> int:
        return int(self._health.get("oldest_unsent_s", 0))  # type: ignore[call-overload]

    @Property("QVariantList", notify=serviceChanged)
    def recentErrors(self) -> list:
        if self._service != "open" or self.recent is None:
            return []
        return [
            {"time": time.strftime("%m-%d %H:%M:%S", time.localtime(r.at)),
             "reason": r.reason, "level": r.level}
            for r in self.recent.recent()
        ]  # fmt: skip

    @Slot()
    def openService(self) -> None:
        """The hidden gesture: only on the welcome screen, where no session is open. While
        the PIN is locked out, a screen says so and for how long, instead of nothing."""
        if self.gate is None or self._runner is None or self._view.step != Step.WELCOME:
            return
        if self.gate.locked():
            self._service, self._service_error = "locked", "UI_PIN_LOCKED"
            self._locked_for = self.gate.seconds_locked()
            self._lock_timer.start()
            log.warning("service mode locked", extra={"reason": "UI_PIN_LOCKED"})
        else:
            self._service, self._service_error = "pin", ""
        self._service_idle.start()
        self.serviceChanged.emit()

    @Property(int, notify=serviceChanged)
    def serviceLockedFor(self) -> int:
        """Seconds until the PIN is taken again, on the lockout screen (as of the last
        second's tick, so the screen and this property always agree)."""
        return self._locked_for

    def _lock_tick(self) -> None:
        if self._service != "locked":
            self._lock_timer.stop()
            return
        self._locked_for = self.gate.seconds_locked() if self.gate is not None else 0
        if self._locked_for == 0:
            self._lock_timer.stop()
            self._service, self._service_error = "pin", ""  # the PIN is taken again
        self.serviceChanged.emit()

    def _service_timed_out(self) -> None:
        if self._service:
            log.info("service mode closed after inactivity",
                     extra={"idle_s": SERVICE_IDLE_MS // 1000})  # fmt: skip
            self.closeService()

    @Slot()
    def serviceTouched(self) -> None:
        """Any tap on the service screen: the idle timer starts again."""
        if self._service:
            self._service_idle.start()

    @Property("QVariantMap", notify=serviceChanged)
    def serviceInfo(self) -> dict[str, str]:
        return self.service_info() if self._service == "open" else {}

    # -- service tools: self-test, test print, camera check ------------------------------------
    @Property("QVariantList", notify=serviceChanged)
    def serviceSelfTest(self) -> list:
        return list(self._selftest)

    @Property("QVariantList", notify=serviceChanged)
    def serviceSelfTestProblems(self) -> list:
        """The checks that are not ``ok``, each with its code: what the screen lists."""
        return [c for c in self._selftest if c["status"] != "ok"]

    @Property(str, notify=serviceChanged)
    def serviceSelfTestOk(self) -> str:
        """The names of the checks that passed, in one line."""
        return ", ".join(str(c["name"]) for c in self._selftest if c["status"] == "ok")

    @Property(bool, notify=serviceChanged)
    def serviceSelfTestRunning(self) -> bool:
        return self._selftest_running

    @Slot()
    def runSelfTest(self) -> None:
        runner = self._runner
        if self._service != "open" or runner is None or self._selftest_running:
            return
        self._service_idle.start()
        self._selftest_running, self._selftest = True, []
        self.serviceChanged.emit()
        done = self._selftestDone

        def work() -> None:
            try:
                found = runner.service_selftest()  # type: ignore[attr-defined]
            except Exception as exc:  # the check itself failed: one line, not a crash
                reason = getattr(exc, "reason", "OPS_CHECK_CRASHED")
                found = [{"name": "selftest", "status": "fail", "reason": reason}]
            done.emit(found)

        threading.Thread(target=work, name="service-selftest", daemon=True).start()

    def _selftest_finished(self, found: list) -> None:
        self._selftest_running, self._selftest = False, found
        if self._runner is not None:
            self._runner.audit_service("service_selftest")  # type: ignore[attr-defined]
        self.serviceChanged.emit()

    @Property(str, notify=serviceChanged)
    def serviceTestPrint(self) -> str:
        """``printing``, ``printed``, a printer's reason code, or empty."""
        return self._test_print

    @Slot()
    def testPrint(self) -> None:
        runner = self._runner
        if self._service != "open" or runner is None or self._test_print == "printing":
            return
        self._service_idle.start()
        self._test_print = "printing"
        self.serviceChanged.emit()
        done = self._testPrintDone
        threading.Thread(target=lambda: done.emit(runner.service_test_print() or "printed"),  # type: ignore[attr-defined]
                         name="service-test-print", daemon=True).start()  # fmt: skip

    def _test_print_finished(self, outcome: str) -> None:
        self._test_print = outcome
        self.serviceChanged.emit()

    @Property(bool, notify=serviceChanged)
    def serviceCamera(self) -> bool:
        return self._camera_timer.isActive()

    @Slot(bool)
    def checkCamera(self, on: bool) -> None:
        """The camera's live picture on the service screen (focus, light, angle)."""
        if self._service != "open" or self._runner is None:
            return
        self._service_idle.start()
        if on:
            self._camera_seen = -1
            self._camera_timer.start()
        else:
            self._camera_timer.stop()
            self.preview.update(None)
            self.previewChanged.emit()
        self.serviceChanged.emit()

    def _camera_tick(self) -> None:
        runner = self._runner
        got = runner.camera_frame(self._camera_seen) if runner is not None else None  # type: ignore[attr-defined]
        if got is not None:
            self._camera_seen, image = got
            self.preview.update(image)

    @Slot(str)
    def servicePin(self, pin: str) -> None:
        if self.gate is None or self._service != "pin":
            return
        door = self.gate.try_pin(pin)
        if door is Door.OPEN:
            self._service, self._service_error = "open", ""
            self._runner.audit_service("service_mode_opened")  # type: ignore[union-attr]
            log.info("service mode opened")
            self._refresh_health()
        elif door is Door.WRONG:
            self._service_error = "UI_PIN_WRONG"
            log.warning("service PIN refused", extra={"reason": "UI_PIN_WRONG"})
        else:
            self._service, self._service_error = "locked", "UI_PIN_LOCKED"
            self._locked_for = self.gate.seconds_locked()
            self._lock_timer.start()
            self._runner.audit_service("service_mode_locked")  # type: ignore[union-attr]
            log.warning("service mode locked", extra={"reason": "UI_PIN_LOCKED"})
        self._service_idle.start()
        self.serviceChanged.emit()

    @Slot()
    def refreshService(self) -> None:
        self._service_idle.start()
        if self._service == "open":
            self._refresh_health()
            self.serviceChanged.emit()

    @Slot()
    def closeService(self) -> None:
        if self._service == "open" and self._runner is not None:
            self._runner.audit_service("service_mode_closed")  # type: ignore[attr-defined]
            log.info("service mode closed")
        self._service, self._service_error, self._health = "", "", {}
        self._service_idle.stop()
        self._lock_timer.stop()
        self._selftest, self._test_print = [], ""
        if self._camera_timer.isActive():
            self._camera_timer.stop()
            self.preview.update(None)
            self.previewChanged.emit()
        self.serviceChanged.emit()

    def _refresh_health(self) -> None:
        self._health = self._runner.health() if self._runner is not None else {}  # type: ignore[attr-defined]

    # -- help: call staff, hear it again, louder -----------------------------------------------
    @Property(bool, notify=staffCalledChanged)
    def staffCalled(self) -> bool:
        """A call for staff is pending (the flow holds it; the wipe waits meanwhile)."""
        return self._staff_called

    @Slot()
    def callStaff(self) -> None:
        """The "Call staff" button on every screen: the flow records it and pauses the wipe;
        the shell writes the audit entry the health daemon forwards to the site."""
        self._tap("call_staff")

    @Slot()
    def repeatPrompt(self) -> None:
        """Say the current screen's line again, in the language chosen now (on the welcome
        screen, which says nothing by itself, how to begin)."""
        said = self._last_prompt or Speak("welcome")
        self.on_speak(said.prompt, self._language, said.reason, said.reference)

    @Property(int, notify=volumeChanged)
    def volume(self) -> int:
        return self._volume

    @Slot(int)
    def setVolume(self, percent: int) -> None:
        percent = max(0, min(100, int(percent)))
        if percent == self._volume:
            return
        self._volume = percent
        self.on_volume(percent)
        self.volumeChanged.emit()

    @Property(int, notify=waitingChanged)
    def waiting(self) -> int:
        return self._waiting

    @Property(str, notify=outOfServiceChanged)
    def outOfService(self) -> str:
        """Why the kiosk takes no new verification now (an ``OPS_FROZEN_*`` code), or empty:
        the welcome screen then shows "out of service" instead of Start."""
        return self._out_of_service[0] if self._out_of_service else ""

    @Property(int, notify=previewChanged)
    def previewVersion(self) -> int:
        return self._preview_seen

    # -- taps --------------------------------------------------------------------------------
    @Slot(str)
    def setLanguage(self, language: str) -> None:
        if language not in LANGUAGES or language == self._language:
            return
        app = QCoreApplication.instance()
        app.removeTranslator(self._translator)
        if language != "en":
            qm = I18N_DIR / f"bdmi_{language}.qm"
            if not self._translator.load(str(qm)):
                # A missing .qm is a build fault (bootstrap compiles them), not a user
                # error: keep running in English and tell the technician.
                log.error(
                    "translation missing", extra={"reason": "UI_I18N_MISSING", "file": str(qm)}
                )
                return
            app.installTranslator(self._translator)
        self._language = language
        self._engine.retranslate()
        self._tap("language", language)
        self.languageChanged.emit()
        self.repeatPrompt()  # the voice follows the chosen language at once
        self.viewChanged.emit()  # texts the controller words by language (the insurer's name)
        log.info("language set", extra={"language": language})

    def release(self) -> None:
        """Uninstall the translator now: another UI built in the same process (a test, a
        restart after a crash screen) must not inherit this one's language."""
        self.detach()
        QCoreApplication.instance().removeTranslator(self._translator)

    @Slot()
    def start(self) -> None:
        self._tap("start")

    @Slot()
    def back(self) -> None:
        self._tap("cancel")

    @Slot()
    def done(self) -> None:
        self._tap("done")

    @Slot()
    def keepGoing(self) -> None:
        self._tap("continue")

    @Property(str, notify=viewChanged)
    def mrzField(self) -> str:
        """On the MRZ entry, the field an error names (never what was typed)."""
        return self._view.field or ""

    @Slot(str, str, str)
    def enterMrz(self, number: str, birth: str, expiry: str) -> None:
        """The photo page's three fields, straight to the flow; never logged, never kept."""
        self._tap("mrz", f"{number}|{birth}|{expiry}")

    @Slot(str)
    def enterPin(self, pin: str) -> None:
        """The staff PIN, straight to the flow; never logged, never kept here."""
        self._tap("pin", pin)
