"""Pension survival authentication through the real Qt window, on simulated devices.

A first visit: the card is read, no enrolment is found, a member of staff enters a wrong PIN
(the screen says how many tries are left) and then the right one, the pensioner does the
challenges, the template is stored (encrypted) and a life certificate with its QR code is on
screen. A second visit with the same card goes straight to the face check against that
template and is certified again. Screens are photographed in both languages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtGui import QImage

from kiosk.config import load_config
from kiosk.flows.pension import add_months
from kiosk.security.pin import DEMO_PIN
from kiosk.store.database import open_from_config
from kiosk.store.models import EnrolledTemplate, Result
from kiosk.ui.app import KioskUi
from tests.ui.kiosk_window import running_kiosk
from tests.ui.test_checkin_ui import LANGUAGES, at
from tests.ui.test_welcome import MIN_TOUCH_MM, find, screenshot, shown, tap, visible_texts

pytestmark = pytest.mark.ui


@pytest.fixture
def pension_config(demo_config_file: Path) -> Path:
    text = demo_config_file.read_text(encoding="utf-8")
    text = text.replace('mode = "demo"', 'mode = "demo"\nflow = "pension_survival"', 1)
    demo_config_file.write_text(text, encoding="utf-8")
    return demo_config_file


@pytest.fixture
def kiosk(qtbot, pension_config) -> Iterator[KioskUi]:
    with running_kiosk(qtbot, pension_config) as ui:
        ui.runner.simulators["sam"].remove_card()
        yield ui


def enter_pin(qtbot, ui: KioskUi, pin: str) -> None:
    for digit in pin:
        tap(qtbot, ui, f"pinKey{digit}")
    tap(qtbot, ui, "pinOk")


def qr_on_screen(ui: KioskUi) -> str:
    """Decode the QR code in a grab of the window, as a scanner held to the glass would."""
    image = ui.window.grabWindow().convertToFormat(QImage.Format.Format_Grayscale8)
    width, height = image.width(), image.height()
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(height, image.bytesPerLine())
    # The ArUco-based detector: the classic one misses some large, perfectly sharp codes.
    text, _points, _ = cv2.QRCodeDetectorAruco().detectAndDecode(pixels[:, :width].copy())
    return text


def certified(qtbot, ui: KioskUi) -> None:
    at(qtbot, ui, "result", timeout=90_000)
    assert ui.controller.decision == "pass", ui.runner.flow.view()
    valid_until = add_months(dt.date.today(), 12)
    assert ui.controller.validUntil == valid_until.isoformat()
    assert ui.controller.nextDue == (valid_until - dt.timedelta(days=30)).isoformat()
    texts = visible_texts(ui)
    assert ui.controller.reference in texts
    assert any(valid_until.isoformat() in t for t in texts)
    qr = find(ui, "certificateQr")
    # painted only once the provider's image has loaded
    qtbot.waitUntil(lambda: qr.property("paintedWidth") > 100, timeout=5_000)
    code = ui.controller.certificateCode
    assert code == f"BDMI-LC:{ui.controller.reference}:{valid_until.isoformat()}"
    assert qr_on_screen(ui) == code


@pytest.mark.parametrize("language", LANGUAGES)
def test_first_visit_is_enrolled_by_staff_and_the_next_visit_is_matched(
    qtbot, kiosk, pension_config, language
):
    kiosk.controller.setLanguage(language)
    sam = kiosk.runner.simulators["sam"]
    assert kiosk.controller.flow == "pension_survival"
    screenshot(kiosk, f"pension_welcome_{language}")

    # -- first visit: no enrolment, staff unlock the supervised enrolment ------------------
    tap(qtbot, kiosk, "startButton")
    at(qtbot, kiosk, "present_document")
    sam.insert_card()
    at(qtbot, kiosk, "staff_pin", timeout=60_000)
    enter_pin(qtbot, kiosk, "1111")
    qtbot.waitUntil(lambda: kiosk.controller.error == "UI_PIN_WRONG", timeout=10_000)
    qtbot.waitUntil(lambda: shown(kiosk, "pinError"), timeout=5_000)
    assert kiosk.controller.pinAttemptsLeft == 2
    screenshot(kiosk, f"staff_pin_{language}")
    px_per_mm = kiosk.window.screen().physicalDotsPerInch() / 25.4
    for name in [f"pinKey{d}" for d in "0123456789"] + ["pinClear", "pinOk", "backButton"]:
        key = find(kiosk, name)
        assert min(key.width(), key.height()) >= MIN_TOUCH_MM * px_per_mm * 0.99, name
    enter_pin(qtbot, kiosk, DEMO_PIN)
    qtbot.waitUntil(lambda: kiosk.controller.screen == "enrol", timeout=30_000)
    qtbot.waitUntil(lambda: kiosk.controller.challenge != "", timeout=30_000)
    qtbot.waitUntil(lambda: kiosk.controller.previewVersion > 5, timeout=30_000)
    screenshot(kiosk, f"enrol_{language}")
    certified(qtbot, kiosk)
    screenshot(kiosk, f"life_certificate_{language}")
    tap(qtbot, kiosk, "doneButton")
    at(qtbot, kiosk, "welcome")
    assert not kiosk.runner.flow.holds_personal_data()
    assert kiosk.controller.validUntil == "" and kiosk.controller.certificateCode == ""

    # -- second visit: the enrolment is found, no staff needed ------------------------------
    sam.remove_card()
    tap(qtbot, kiosk, "startButton")
    at(qtbot, kiosk, "present_document")
    sam.insert_card()
    at(qtbot, kiosk, "face", timeout=60_000)
    certified(qtbot, kiosk)
    tap(qtbot, kiosk, "doneButton")
    at(qtbot, kiosk, "welcome")

    # One template (of the first visit, fused from the live face and the card's portrait)
    # and two results, both signed passes of this flow.
    db = open_from_config(load_config(pension_config))
    try:
        with db.bound():
            templates = list(EnrolledTemplate.select())
            results = list(Result.select().where(Result.flow == "pension_survival"))
    finally:
        db.close()
    assert len(templates) == 1 and templates[0].images_fused >= 2
    assert templates[0].enrolled_by == "staff"
    assert [r.decision for r in results] == ["pass", "pass"]
