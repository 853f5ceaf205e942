"""Service mode through the real window: the hidden 3-second hold, the PIN with its lockout,
the device / outbox / recent-error view, and the way back. Each opening and closing is in the
audit chain."""

from __future__ import annotations

import logging

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from kiosk.config import load_config
from kiosk.security.pin import DEMO_PIN
from kiosk.store import audit
from kiosk.store.database import open_from_config
from kiosk.ui.app import KioskUi
from tests.ui.test_checkin_ui import kiosk  # noqa: F401  (the fixture)
from tests.ui.test_welcome import find, rendered, screenshot, shown, tap, visible_texts

pytestmark = pytest.mark.ui


def hold_corner(qtbot, ui: KioskUi, ms: int) -> None:
    corner = find(ui, "serviceCorner")
    rendered(qtbot, ui)
    point = corner.mapToScene(QPointF(corner.width() / 2, corner.height() / 2)).toPoint()
    QTest.mousePress(ui.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(point))  # fmt: skip
    qtbot.wait(ms)
    QTest.mouseRelease(ui.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       QPoint(point))  # fmt: skip


def enter(qtbot, ui: KioskUi, pin: str) -> None:
    for digit in pin:
        tap(qtbot, ui, f"pinKey{digit}")
    tap(qtbot, ui, "pinOk")


def audit_actions(config_file) -> list[str]:
    db = open_from_config(load_config(config_file))
    try:
        rows = db.execute_sql(f"SELECT action FROM {audit.TABLE} ORDER BY seq").fetchall()
        assert audit.verify_chain(db).ok
    finally:
        db.close()
    return [r[0] for r in rows]


def test_a_short_tap_does_nothing_and_a_3_s_hold_asks_for_the_pin(qtbot, kiosk):  # noqa: F811
    hold_corner(qtbot, kiosk, 300)
    qtbot.wait(200)
    assert kiosk.controller.service == ""
    hold_corner(qtbot, kiosk, 3400)
    qtbot.waitUntil(lambda: kiosk.controller.service == "pin", timeout=5_000)
    tap(qtbot, kiosk, "serviceExit")
    qtbot.waitUntil(lambda: kiosk.controller.service == "", timeout=5_000)
    assert kiosk.controller.screen == "welcome"


def test_service_mode_shows_devices_outbox_and_recent_errors(
    qtbot,
    kiosk,  # noqa: F811
    demo_config_file,
):
    kiosk.controller.setLanguage("en")
    logging.getLogger("drivers.sam").error("read failed", extra={"reason": "DRV_SAM_TIMEOUT"})
    hold_corner(qtbot, kiosk, 3400)
    qtbot.waitUntil(lambda: kiosk.controller.service == "pin", timeout=5_000)
    enter(qtbot, kiosk, "0000")
    qtbot.waitUntil(lambda: shown(kiosk, "servicePinError"), timeout=5_000)
    assert kiosk.controller.serviceAttemptsLeft == 2
    enter(qtbot, kiosk, DEMO_PIN)
    qtbot.waitUntil(lambda: kiosk.controller.service == "open", timeout=5_000)
    rendered(qtbot, kiosk)
    texts = visible_texts(kiosk)
    assert "ID card reader: simulated (demo)" in texts and "Camera: simulated (demo)" in texts
    assert "waiting to send: 0" in texts and "anchored on chain: 0" in texts
    # Each recent code on its own line after the time, its meaning beneath.
    assert any(t.split("\n")[0].endswith(" DRV_SAM_TIMEOUT") for t in texts)
    assert any(t.split("\n")[0].endswith(" UI_PIN_WRONG") for t in texts)  # a moment ago
    screenshot(kiosk, "service_en")
    kiosk.controller.setLanguage("zh_CN")
    qtbot.waitUntil(lambda: "最近错误" in visible_texts(kiosk), timeout=5_000)
    assert "身份证读卡器：模拟（演示）" in visible_texts(kiosk)  # noqa: RUF001  (translated states)
    screenshot(kiosk, "service_zh_CN")
    tap(qtbot, kiosk, "serviceExit")
    qtbot.waitUntil(lambda: kiosk.controller.service == "", timeout=5_000)
    assert kiosk.controller.recentErrors == []  # nothing of it stays bound to the screen
    actions = audit_actions(demo_config_file)
    assert actions[-2:] == ["service_mode_opened", "service_mode_closed"]


def test_three_wrong_pins_lock_service_mode_out(qtbot, kiosk, demo_config_file):  # noqa: F811
    hold_corner(qtbot, kiosk, 3400)
    qtbot.waitUntil(lambda: kiosk.controller.service == "pin", timeout=5_000)
    for _ in range(3):
        enter(qtbot, kiosk, "1357")
    # Not a silent close: a lockout screen says so, and for how long.
    qtbot.waitUntil(lambda: kiosk.controller.service == "locked", timeout=5_000)
    assert kiosk.controller.serviceError == "UI_PIN_LOCKED"
    assert 0 < kiosk.controller.serviceLockedFor <= 300
    qtbot.waitUntil(lambda: shown(kiosk, "serviceLockedFor"), timeout=5_000)
    tap(qtbot, kiosk, "serviceExit")
    qtbot.waitUntil(lambda: kiosk.controller.service == "", timeout=5_000)
    hold_corner(qtbot, kiosk, 3400)  # the right PIN is not even asked for now: the time left is
    qtbot.waitUntil(lambda: kiosk.controller.service == "locked", timeout=5_000)
    assert not shown(kiosk, "pinOk") and kiosk.controller.gate.locked()
    assert audit_actions(demo_config_file)[-1] == "service_mode_locked"
