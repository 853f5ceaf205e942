"""A person's settings are on every screen and leave with them; the time limits leave room.

On the real kiosk (simulated devices): the language, larger text and contrast chosen on one
screen are offered on the next, and the wipe (Back, Done or the timeout) puts back the site's
defaults for the next person. The "still there?" panel never lies on the reference or the
life certificate's QR code, in any mode.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QRectF

from kiosk.config import ConfigError, load_config
from kiosk.flows.pension import LifeCertificate, PensionView
from kiosk.flows.verification import Step
from kiosk.idv.decision import Decision
from kiosk.ui.app import KioskUi
from tests.ui.kiosk_window import running_kiosk
from tests.ui.test_checkin_ui import at
from tests.ui.test_screen_layout import MODES, set_mode, show
from tests.ui.test_welcome import find, screenshot, shown, tap

pytestmark = pytest.mark.ui
SETTINGS = ("languageZh", "languageEn", "largeTextToggle", "highContrastToggle", "volumeButton",
            "repeatButton",
            "callStaffButton")  # fmt: skip


@pytest.fixture
def kiosk(qtbot, demo_config_file) -> Iterator[KioskUi]:
    with running_kiosk(qtbot, demo_config_file) as ui:
        ui.runner.simulators["sam"].remove_card()  # these tests stay before the read
        yield ui


def test_settings_are_on_every_screen_and_the_wipe_restores_the_sites(qtbot, kiosk):
    controller = kiosk.controller
    assert (controller.language, controller.largeText, controller.highContrast) == (
        "zh_CN",
        False,
        False,
    )  # fmt: skip  (the demo site's defaults)
    tap(qtbot, kiosk, "languageEn")
    tap(qtbot, kiosk, "largeTextToggle")
    tap(qtbot, kiosk, "startButton")
    at(qtbot, kiosk, "present_document")
    for name in SETTINGS:  # the banner is the window's: the same buttons on this screen
        assert shown(kiosk, name), name
    tap(qtbot, kiosk, "highContrastToggle")
    qtbot.waitUntil(lambda: kiosk.window.property("color").name() == "#000000")
    assert controller.language == "en" and controller.largeText and controller.highContrast

    tap(qtbot, kiosk, "backButton")  # the session is wiped
    at(qtbot, kiosk, "welcome")
    qtbot.waitUntil(lambda: controller.language == "zh_CN")
    assert not controller.largeText and not controller.highContrast
    qtbot.waitUntil(lambda: kiosk.window.property("color").name() != "#000000")
    assert find(kiosk, "startButton").property("text") == "开始核验"


def test_site_defaults_come_from_the_config(qtbot, demo_config_file):
    text = demo_config_file.read_text(encoding="utf-8").replace(
        'default_language = "zh_CN"', 'default_language = "en"\nlarge_text = true'
    )
    demo_config_file.write_text(text, encoding="utf-8")
    with running_kiosk(qtbot, demo_config_file) as ui:
        ui.runner.simulators["sam"].remove_card()
        assert ui.controller.language == "en" and ui.controller.largeText
        tap(qtbot, ui, "largeTextToggle")  # this person wants it smaller ...
        tap(qtbot, ui, "startButton")
        at(qtbot, ui, "present_document")
        assert not ui.controller.largeText
        tap(qtbot, ui, "backButton")  # ... the next gets the site's larger text again
        at(qtbot, ui, "welcome")
        qtbot.waitUntil(lambda: ui.controller.largeText)


def _config_with(demo_config_file: Path, lines: str) -> Path:
    text = demo_config_file.read_text(encoding="utf-8")
    text = text.replace("inactivity_timeout_s = 60", lines)
    demo_config_file.write_text(text, encoding="utf-8")
    return demo_config_file


def test_the_answer_time_and_the_result_time_come_from_the_config(demo_config_file):
    config = load_config(
        _config_with(
            demo_config_file,
            "inactivity_timeout_s = 90\ninactivity_warning_s = 25\nresult_display_s = 120",
        )
    )
    from kiosk.shell.factory import hospital_checkin

    flow = hospital_checkin(config)
    assert (flow.inactivity_s, flow.inactivity_warning_s, flow.result_display_s) == (90, 25, 120)


def test_the_defaults_give_20_s_to_answer_and_a_minute_to_read_the_result(demo_config_file):
    from kiosk.shell.factory import hospital_checkin

    flow = hospital_checkin(load_config(demo_config_file))
    assert flow.inactivity_warning_s >= 20
    assert flow.result_display_s >= 60


@pytest.mark.parametrize(
    "lines",
    [
        "inactivity_timeout_s = 60\ninactivity_warning_s = 10",  # under WCAG 2.2.1's 20 s
        "inactivity_timeout_s = 40\ninactivity_warning_s = 45",  # longer than the limit
        "inactivity_timeout_s = 60\nresult_display_s = 20",
    ],
)
def test_a_config_that_leaves_too_little_time_is_refused(demo_config_file, lines):
    with pytest.raises(ConfigError):
        load_config(_config_with(demo_config_file, lines))


# -- the panel and the result -------------------------------------------------------------
@pytest.fixture
def pension_ui(qtbot, demo_config_file) -> Iterator[KioskUi]:
    text = demo_config_file.read_text(encoding="utf-8")
    text = text.replace('mode = "demo"', 'mode = "demo"\nflow = "pension_survival"', 1)
    demo_config_file.write_text(text, encoding="utf-8")
    ui = KioskUi(load_config(demo_config_file))  # the screen only: no devices needed
    try:
        qtbot.waitExposed(ui.window)
        qtbot.waitUntil(lambda: ui.window.size() == ui.window.screen().size())
        yield ui
    finally:
        ui.close()


def _rect(item) -> QRectF:
    return item.mapRectToScene(QRectF(0, 0, item.width(), item.height()))


@pytest.mark.parametrize("mode", MODES, ids=[m.name for m in MODES])
def test_the_still_there_panel_never_covers_the_reference_or_the_qr_code(qtbot, pension_ui, mode):
    set_mode(qtbot, pension_ui, mode)
    certificate = LifeCertificate(dt.date(2027, 12, 6), dt.date(2027, 11, 6), "7K3M-Q9TX")
    view = PensionView(step=Step.RESULT, language=mode.language, decision=Decision.PASS,
                       reference="7K3M-Q9TX", certificate=certificate, countdown=25)  # fmt: skip
    show(qtbot, pension_ui, view)
    panel = find(pension_ui, "countdownOverlay")
    assert panel.isVisible()
    for name in ("referenceText", "certificateQr"):
        item = find(pension_ui, name)
        assert item.isVisible(), name
        overlap = _rect(panel).intersected(_rect(item))
        assert overlap.isEmpty(), f"the panel lies on {name} in {mode.name}"
    assert find(pension_ui, "continueButton").isVisible()
    if mode.large and not mode.contrast:
        screenshot(pension_ui, f"countdown_large_{mode.language}")
