"""The receipt printer through the real Qt window, on simulated devices: the check-in's
pass and the pension office's life certificate are printed on the simulated printer, whose
bytes are read back as a real printer would print them; an empty roll says so and the
kiosk carries on. Screens are photographed in both languages into docs/screens/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.printer.parse import parse_job
from drivers.simulators.sam_reader import SAMPLE_IDENTITIES
from kiosk.security.pin import DEMO_PIN
from kiosk.ui.app import KioskUi
from tests.ui.kiosk_window import running_kiosk
from tests.ui.test_checkin_ui import LANGUAGES, at
from tests.ui.test_pension_ui import enter_pin
from tests.ui.test_welcome import find, screenshot, shown, tap, visible_texts

pytestmark = pytest.mark.ui
HEADLINE = {"zh_CN": "登记成功", "en": "You are checked in"}


@pytest.fixture
def kiosk(qtbot, demo_config_file) -> Iterator[KioskUi]:
    assert (
        'kind = "simulated"' in demo_config_file.read_text(encoding="utf-8").split("[printer]")[1]
    )
    with running_kiosk(qtbot, demo_config_file) as ui:
        ui.runner.simulators["sam"].remove_card()
        yield ui


def personal_data() -> list[bytes]:
    """The simulated ID card's name and number, in every encoding a receipt could hold."""
    text = SAMPLE_IDENTITIES[0].text
    values = [text.name, text.id_number, text.id_number[-6:]]
    return [v.encode(codec) for v in values for codec in ("gb18030", "utf-8", "utf-16-le")]


def check_in(qtbot, ui: KioskUi) -> str:
    tap(qtbot, ui, "startButton")
    at(qtbot, ui, "present_document")
    ui.runner.simulators["sam"].insert_card()
    at(qtbot, ui, "result", timeout=90_000)
    assert ui.controller.decision == "pass"
    return ui.controller.reference


def printed(qtbot, ui: KioskUi) -> None:
    qtbot.waitUntil(lambda: ui.controller.receiptState == "printed", timeout=15_000)
    qtbot.waitUntil(lambda: shown(ui, "receiptStatus"), timeout=5_000)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_check_in_receipt_carries_the_reference_and_nothing_personal(qtbot, kiosk, language):
    kiosk.controller.setLanguage(language)
    printer = kiosk.runner.simulators["printer"]
    reference = check_in(qtbot, kiosk)
    assert find(kiosk, "printButton").property("visible")
    tap(qtbot, kiosk, "printButton")
    printed(qtbot, kiosk)
    assert not find(kiosk, "printButton").property("visible")  # one receipt per result
    screenshot(kiosk, f"result_receipt_printed_{language}")

    [job] = printer.jobs
    transcript = parse_job(job)
    lines = [line.text for line in transcript.lines]
    assert reference in lines and HEADLINE[language] in lines
    assert any("demo-hospital" in line for line in lines)
    assert transcript.cuts == 1 and transcript.qr_codes == []
    if language == "zh_CN":
        assert HEADLINE[language].encode("gb18030") in job
    for secret in personal_data():
        assert secret not in job
    # what the simulated printer wrote for the technician is the same job
    state = Path(kiosk.config.device.state_dir)
    assert (state / "printer.bin").read_bytes() == job

    tap(qtbot, kiosk, "doneButton")
    at(qtbot, kiosk, "welcome")
    assert not kiosk.runner.flow.holds_personal_data()
    assert kiosk.controller.receiptState == "" and kiosk.controller.reference == ""


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_empty_roll_is_named_and_the_kiosk_carries_on(qtbot, kiosk, language):
    kiosk.controller.setLanguage(language)
    printer = kiosk.runner.simulators["printer"]
    printer.run_out_of_paper()
    reference = check_in(qtbot, kiosk)
    tap(qtbot, kiosk, "printButton")
    qtbot.waitUntil(lambda: kiosk.controller.receiptError == "DRV_PRINTER_NO_PAPER", timeout=15_000)
    qtbot.waitUntil(lambda: shown(kiosk, "receiptReasonCode"), timeout=5_000)
    texts = visible_texts(kiosk)
    assert "DRV_PRINTER_NO_PAPER" in texts and reference in texts  # the reference stays
    assert printer.jobs == []
    screenshot(kiosk, f"result_receipt_no_paper_{language}")

    printer.restore()  # a new roll: the person may try again
    tap(qtbot, kiosk, "printButton")
    printed(qtbot, kiosk)
    assert reference in [line.text for line in parse_job(printer.jobs[0]).lines]
    tap(qtbot, kiosk, "doneButton")
    at(qtbot, kiosk, "welcome")
    # and the next person is served as usual
    kiosk.runner.simulators["sam"].remove_card()
    tap(qtbot, kiosk, "startButton")
    at(qtbot, kiosk, "present_document")
    tap(qtbot, kiosk, "backButton")
    at(qtbot, kiosk, "welcome")


def test_an_unplugged_printer_is_named(qtbot, kiosk):
    kiosk.runner.simulators["printer"].unplug()
    check_in(qtbot, kiosk)
    tap(qtbot, kiosk, "printButton")
    qtbot.waitUntil(
        lambda: kiosk.controller.receiptError == "DRV_PRINTER_UNAVAILABLE", timeout=15_000
    )
    assert find(kiosk, "printButton").property("visible")  # "try again"
    tap(qtbot, kiosk, "doneButton")
    at(qtbot, kiosk, "welcome")


@pytest.fixture
def pension_kiosk(qtbot, demo_config_file) -> Iterator[KioskUi]:
    text = demo_config_file.read_text(encoding="utf-8")
    text = text.replace('mode = "demo"', 'mode = "demo"\nflow = "pension_survival"', 1)
    demo_config_file.write_text(text, encoding="utf-8")
    with running_kiosk(qtbot, demo_config_file) as ui:
        ui.runner.simulators["sam"].remove_card()
        yield ui


def test_a_life_certificate_receipt_carries_its_qr_code(qtbot, pension_kiosk):
    ui = pension_kiosk
    ui.controller.setLanguage("zh_CN")
    tap(qtbot, ui, "startButton")
    at(qtbot, ui, "present_document")
    ui.runner.simulators["sam"].insert_card()
    at(qtbot, ui, "staff_pin", timeout=60_000)
    enter_pin(qtbot, ui, DEMO_PIN)
    at(qtbot, ui, "result", timeout=90_000)
    assert ui.controller.decision == "pass" and ui.controller.validUntil != ""
    code = ui.controller.certificateCode
    tap(qtbot, ui, "printButton")
    printed(qtbot, ui)

    [job] = ui.runner.simulators["printer"].jobs
    transcript = parse_job(job)
    assert transcript.qr_codes == [code]
    store = b"\x1d(k" + (len(code) + 3).to_bytes(2, "little") + b"1P0" + code.encode()
    assert store in job  # GS ( k, function 80: the code's data
    text = transcript.text()
    assert ui.controller.reference in text
    assert ui.controller.validUntil in text and ui.controller.nextDue in text
    for secret in personal_data():
        assert secret not in job
    tap(qtbot, ui, "doneButton")
    at(qtbot, ui, "welcome")
    assert not ui.runner.flow.holds_personal_data() and ui.controller.receiptState == ""
