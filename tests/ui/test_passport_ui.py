"""A passport the kiosk has no key for, through the real Qt window: the specimen passport on
pcscd through vpcd with ``simulated_mrz_known = false``, so the kiosk asks for the photo
page's details exactly as for a real passport without an MRZ reader. A typo is refused by the
chip (BAC), the right details open it, the check-in passes (the chip passes Active
Authentication on the way), and Done wipes the session: no typed field in the screen, no key
in the reader. A clone of the specimen (its data, not its key) is refused on screen with
DRV_EMRTD_CLONE_SUSPECTED, in both languages.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.simulators.test_passport import (
    DEFAULT_BIRTH_DATE,
    DEFAULT_EXPIRY_DATE,
    generate_test_passport,
)
from kiosk.ui.app import KioskUi
from tests.ui.kiosk_window import running_kiosk
from tests.ui.test_checkin_ui import LANGUAGES, at
from tests.ui.test_welcome import MIN_TOUCH_MM, find, screenshot, shown, tap, visible_texts

pytestmark = [pytest.mark.ui, pytest.mark.services]


@pytest.fixture
def chip() -> str:
    """The simulated passport's chip: "genuine", or "clone" (parametrized where needed)."""
    return "genuine"


@pytest.fixture
def kiosk(qtbot, demo_config_file: Path, pcscd_vpcd, chip: str) -> Iterator[KioskUi]:
    text = demo_config_file.read_text(encoding="utf-8").replace(
        '[readers.pcsc]\nkind = "simulated"',
        f'[readers.pcsc]\nkind = "simulated"\nsimulated_vpcd_port = {pcscd_vpcd.vpcd_port}\n'
        f'simulated_mrz_known = false\nsimulated_chip = "{chip}"',
    )
    demo_config_file.write_text(text, encoding="utf-8")
    with running_kiosk(qtbot, demo_config_file) as ui:
        assert "pcsc" not in ui.runner.unavailable, ui.runner.unavailable
        ui.runner.simulators["sam"].remove_card()
        yield ui


def type_fields(qtbot, ui: KioskUi, number: str, birth: str, expiry: str) -> None:
    tap(qtbot, ui, "mrzNumberField")
    for char in number:
        tap(qtbot, ui, "mrzKey" + ("Filler" if char == "<" else char))
    tap(qtbot, ui, "mrzBirthField")
    for char in birth + expiry:  # the entry moves on to the expiry after six digits
        tap(qtbot, ui, f"mrzKey{char}")


def passport_reader(ui: KioskUi):
    [slot] = [s for s in ui.runner._readers if not s.sam]
    return slot.reader


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_photo_page_details_open_the_chip(qtbot, kiosk, language):
    kiosk.controller.setLanguage(language)
    number = generate_test_passport(0).document_number
    tap(qtbot, kiosk, "startButton")
    at(qtbot, kiosk, "mrz_entry", timeout=30_000)
    assert not find(kiosk, "mrzContinueButton").isEnabled()
    px_per_mm = kiosk.window.screen().physicalDotsPerInch() / 25.4
    key = find(kiosk, "mrzKeyQ")
    assert min(key.width(), key.height()) >= MIN_TOUCH_MM * px_per_mm * 0.99
    screenshot(kiosk, f"mrz_entry_{language}")

    wrong = number[:-1] + ("1" if number[-1] != "1" else "2")
    type_fields(qtbot, kiosk, wrong, DEFAULT_BIRTH_DATE, DEFAULT_EXPIRY_DATE)
    assert wrong in visible_texts(kiosk)
    tap(qtbot, kiosk, "mrzContinueButton")
    qtbot.waitUntil(lambda: kiosk.controller.error == "DRV_EMRTD_BAC_DENIED", timeout=30_000)
    at(qtbot, kiosk, "mrz_entry")
    qtbot.waitUntil(lambda: shown(kiosk, "mrzError"), timeout=5_000)
    assert wrong not in visible_texts(kiosk)  # the fields were cleared on Continue
    screenshot(kiosk, f"mrz_entry_refused_{language}")

    type_fields(qtbot, kiosk, number, DEFAULT_BIRTH_DATE, DEFAULT_EXPIRY_DATE)
    tap(qtbot, kiosk, "mrzContinueButton")
    at(qtbot, kiosk, "result", timeout=90_000)
    assert kiosk.controller.decision == "pass", kiosk.runner.flow.view()
    tap(qtbot, kiosk, "doneButton")
    at(qtbot, kiosk, "welcome")
    assert not kiosk.runner.flow.holds_personal_data()
    reader = passport_reader(kiosk)
    assert reader._access is None and reader._mrz_information is None  # the typed key is gone


def test_a_date_that_is_not_six_digits_cannot_be_sent(qtbot, kiosk):
    tap(qtbot, kiosk, "startButton")
    at(qtbot, kiosk, "mrz_entry", timeout=30_000)
    type_fields(qtbot, kiosk, "X1", "8001", "")
    assert not find(kiosk, "mrzContinueButton").isEnabled()
    assert not find(kiosk, "mrzKeyQ").isEnabled()  # letters are off while a date is typed
    tap(qtbot, kiosk, "backButton")
    at(qtbot, kiosk, "welcome")
    assert not kiosk.runner.flow.holds_personal_data()


@pytest.mark.parametrize("chip", ["clone"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_cloned_passport_is_refused_on_screen(qtbot, kiosk, language, chip):
    from kiosk.reasons import REASONS

    kiosk.controller.setLanguage(language)
    number = generate_test_passport(0).document_number
    tap(qtbot, kiosk, "startButton")
    at(qtbot, kiosk, "mrz_entry", timeout=30_000)
    type_fields(qtbot, kiosk, number, DEFAULT_BIRTH_DATE, DEFAULT_EXPIRY_DATE)
    tap(qtbot, kiosk, "mrzContinueButton")
    code = "DRV_EMRTD_CLONE_SUSPECTED"
    qtbot.waitUntil(lambda: kiosk.controller.error == code, timeout=60_000)
    words = REASONS[code].text.in_language(language)
    qtbot.waitUntil(lambda: words in visible_texts(kiosk), timeout=10_000)
    screenshot(kiosk, f"passport_clone_refused_{language}")
    assert kiosk.controller.decision != "pass"
