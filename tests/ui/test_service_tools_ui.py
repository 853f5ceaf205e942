"""Service mode gives a technician enough: feedback while the corner is held, a lockout
screen with the time left, the version, site and device id, the self-test, a test print, the
camera's picture, what each recent code means, and a close after inactivity. Real window,
simulated devices (the demo's simulated printer writes its jobs to a file)."""

from __future__ import annotations

import logging

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from drivers.printer.parse import parse_job
from kiosk import __version__
from kiosk.security.pin import DEMO_PIN
from tests.ui.test_checkin_ui import (
    LANGUAGES,
    kiosk,  # noqa: F401  (the fixture)
)
from tests.ui.test_service_mode import audit_actions, enter, hold_corner
from tests.ui.test_welcome import find, rendered, screenshot, shown, tap, visible_texts

pytestmark = pytest.mark.ui


def test_holding_the_corner_shows_it_counts(qtbot, kiosk):  # noqa: F811
    corner = find(kiosk, "serviceCorner")
    rendered(qtbot, kiosk)
    point = corner.mapToScene(QPointF(corner.width() / 2, corner.height() / 2)).toPoint()
    QTest.mousePress(kiosk.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(point))  # fmt: skip
    try:
        bar = find(kiosk, "serviceHoldProgress")
        qtbot.waitUntil(lambda: bar.property("visible") and bar.property("width") > 0,
                        timeout=2_500)  # fmt: skip
    finally:
        QTest.mouseRelease(kiosk.window, Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.NoModifier, QPoint(point))  # fmt: skip
    qtbot.waitUntil(lambda: not find(kiosk, "serviceHoldProgress").property("visible"))
    assert kiosk.controller.service == ""


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_technician_sees_who_what_and_can_test_each_part(
    qtbot,
    kiosk,  # noqa: F811
    demo_config_file,
    language,
):
    kiosk.controller.setLanguage(language)
    logging.getLogger("kiosk.test").warning("x", extra={"reason": "DRV_SAM_PORT_LOST"})
    hold_corner(qtbot, kiosk, 3400)
    qtbot.waitUntil(lambda: kiosk.controller.service == "pin", timeout=5_000)
    enter(qtbot, kiosk, DEMO_PIN)
    qtbot.waitUntil(lambda: kiosk.controller.service == "open", timeout=5_000)
    info = find(kiosk, "serviceInfo").property("text")
    assert __version__ in info and kiosk.config.device.site in info
    assert kiosk.controller.serviceInfo["device"] in info
    # The recent code with what it means, in the chosen language.
    meaning = kiosk.reason_texts.text("DRV_SAM_PORT_LOST", language)
    assert any("DRV_SAM_PORT_LOST" in t and meaning in t for t in visible_texts(kiosk))

    tap(qtbot, kiosk, "serviceSelfTestButton")
    qtbot.waitUntil(lambda: kiosk.controller.serviceSelfTest != [], timeout=60_000)
    checks = {c["name"]: c for c in kiosk.controller.serviceSelfTest}
    assert {"clock", "disk", "store", "audit", "camera", "reader.sam"} <= checks.keys()
    # The kiosk owns the readers: they are looked at, no card is read.
    assert checks["card.sam"]["status"] == "skipped"
    assert checks["card.sam"]["reason"] == "OPS_DEVICE_IN_USE"
    assert checks["store"]["status"] == "ok"
    assert "service_selftest" in audit_actions(demo_config_file)

    printed = kiosk.config.device.state_dir / "printer.bin"
    before = printed.stat().st_size if printed.exists() else 0
    tap(qtbot, kiosk, "serviceTestPrintButton")
    qtbot.waitUntil(lambda: kiosk.controller.serviceTestPrint == "printed", timeout=30_000)
    job = printed.read_bytes()[before:]
    assert "test print" in parse_job(job).text()

    seen = kiosk.controller.previewVersion
    tap(qtbot, kiosk, "serviceCameraButton")
    qtbot.waitUntil(lambda: kiosk.controller.previewVersion > seen + 3, timeout=30_000)
    qtbot.waitUntil(lambda: shown(kiosk, "serviceCameraPicture"), timeout=5_000)
    screenshot(kiosk, f"service_tools_{language}")
    tap(qtbot, kiosk, "serviceExit")
    qtbot.waitUntil(lambda: kiosk.controller.service == "", timeout=5_000)
    assert not kiosk.controller.serviceCamera


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_lockout_screen_counts_down(qtbot, kiosk, language):  # noqa: F811
    kiosk.controller.setLanguage(language)
    hold_corner(qtbot, kiosk, 3400)
    qtbot.waitUntil(lambda: kiosk.controller.service == "pin", timeout=5_000)
    for _ in range(3):
        enter(qtbot, kiosk, "1357")
    qtbot.waitUntil(lambda: kiosk.controller.service == "locked", timeout=5_000)
    first = kiosk.controller.serviceLockedFor
    qtbot.waitUntil(lambda: kiosk.controller.serviceLockedFor < first, timeout=5_000)
    text = find(kiosk, "serviceLockedFor").property("text")
    assert str(kiosk.controller.serviceLockedFor) in text
    screenshot(kiosk, f"service_locked_{language}")
    tap(qtbot, kiosk, "serviceExit")


def test_service_mode_closes_by_itself_when_left_alone(qtbot, kiosk, demo_config_file):  # noqa: F811
    kiosk.controller._service_idle.setInterval(1_500)  # the 2 minutes, shortened for the test
    hold_corner(qtbot, kiosk, 3400)
    qtbot.waitUntil(lambda: kiosk.controller.service == "pin", timeout=5_000)
    enter(qtbot, kiosk, DEMO_PIN)
    qtbot.waitUntil(lambda: kiosk.controller.service == "open", timeout=5_000)
    qtbot.waitUntil(lambda: kiosk.controller.service == "", timeout=30_000)
    assert audit_actions(demo_config_file)[-1] == "service_mode_closed"
