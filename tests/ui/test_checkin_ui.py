"""The hospital check-in through the real Qt window, on simulated devices: the ID card on
the SAM reader's pty, the simulated subject on the camera, real dlib, the real store.

Taps are real mouse events at the buttons' positions. Every screen is photographed in both
languages into docs/screens/ (docs/screens.md shows them).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject

from kiosk.flows.messages import ReadProgress
from kiosk.shell.jobs import SubjectScript
from kiosk.ui.app import KioskUi
from tests.ui.kiosk_window import running_kiosk
from tests.ui.test_welcome import find, screenshot, tap, visible_texts

pytestmark = pytest.mark.ui
LANGUAGES = ("zh_CN", "en")


@pytest.fixture
def kiosk(qtbot, demo_config_file) -> Iterator[KioskUi]:
    with running_kiosk(qtbot, demo_config_file) as ui:
        yield ui


def at(qtbot, ui: KioskUi, screen: str, timeout: int = 60_000) -> None:
    qtbot.waitUntil(lambda: ui.controller.screen == screen, timeout=timeout)
    qtbot.waitUntil(lambda: ui.window.findChild(QObject, f"{_camel(screen)}Screen") is not None)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_patient_checks_in_and_the_session_is_wiped(qtbot, kiosk, language):
    kiosk.controller.setLanguage(language)
    sam = kiosk.runner.simulators["sam"]
    sam.remove_card()
    tap(qtbot, kiosk, "startButton")
    at(qtbot, kiosk, "present_document")
    # The reading screen as the document job shows it half way through a read.
    kiosk.runner.events.put(ReadProgress("reading", 0.5))
    at(qtbot, kiosk, "reading")
    assert find(kiosk, "readProgress").property("value") == pytest.approx(0.5)
    screenshot(kiosk, f"reading_{language}")

    sam.insert_card()
    at(qtbot, kiosk, "face")
    qtbot.waitUntil(lambda: kiosk.controller.previewVersion > 5, timeout=30_000)
    qtbot.waitUntil(lambda: kiosk.controller.challenge != "", timeout=30_000)
    screenshot(kiosk, f"face_{language}")
    # The prompt and the challenge on screen were also said aloud, in the session's language.
    challenge = kiosk.controller.challenge
    qtbot.waitUntil(lambda: (challenge, language) in kiosk.voice.history, timeout=5_000)
    assert ("look_at_camera", language) in kiosk.voice.history

    at(qtbot, kiosk, "result")
    assert kiosk.controller.decision == "pass"
    reference = kiosk.controller.reference
    assert len(reference) == 9 and reference in visible_texts(kiosk)
    screenshot(kiosk, f"result_pass_{language}")

    tap(qtbot, kiosk, "doneButton")
    at(qtbot, kiosk, "welcome")
    assert not kiosk.runner.flow.holds_personal_data()
    assert kiosk.controller.reference == "" and kiosk.controller.decision == ""
    # Sync is off in the demo: the result waits in the outbox, and the screen says so.
    qtbot.waitUntil(lambda: kiosk.controller.waiting >= 1, timeout=15_000)
    qtbot.waitUntil(lambda: find(kiosk, "syncIndicator").property("visible"), timeout=5_000)
    screenshot(kiosk, f"welcome_waiting_to_sync_{language}")


def test_larger_text_and_high_contrast_take_effect_at_once(qtbot, kiosk):
    start = find(kiosk, "startButton")
    size = start.property("font").pixelSize()
    tap(qtbot, kiosk, "largeTextToggle")
    qtbot.waitUntil(lambda: find(kiosk, "startButton").property("font").pixelSize() > size * 1.3)
    tap(qtbot, kiosk, "highContrastToggle")
    qtbot.waitUntil(lambda: kiosk.window.property("color").name() == "#000000")
    screenshot(kiosk, "welcome_large_contrast_zh_CN")


@pytest.mark.parametrize("language", LANGUAGES)
def test_unanswered_prompts_end_at_the_staff_desk(qtbot, kiosk, language):
    kiosk.controller.setLanguage(language)
    kiosk.runner.subject = SubjectScript(respond=lambda g: None)
    tap(qtbot, kiosk, "startButton")
    at(qtbot, kiosk, "result", timeout=90_000)
    assert kiosk.controller.decision == "fail"
    assert find(kiosk, "resultTitle").property("text") != ""
    screenshot(kiosk, f"result_fail_{language}")
    tap(qtbot, kiosk, "doneButton")
    at(qtbot, kiosk, "welcome")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_card_pulled_mid_read_says_so(qtbot, kiosk, language):
    kiosk.controller.setLanguage(language)
    kiosk.runner.simulators["sam"].remove_card_after_select()
    tap(qtbot, kiosk, "startButton")
    qtbot.waitUntil(lambda: kiosk.controller.error.startswith("DRV_"), timeout=30_000)
    at(qtbot, kiosk, "present_document")
    # The screen was rebuilt (reading -> present_document): wait for the new one's binding.
    qtbot.waitUntil(lambda: find(kiosk, "documentError").property("visible"), timeout=5_000)
    screenshot(kiosk, f"present_document_error_{language}")
    tap(qtbot, kiosk, "backButton")
    at(qtbot, kiosk, "welcome")


@pytest.mark.parametrize("language", LANGUAGES)
def test_inactivity_warns_then_returns_to_welcome(qtbot, kiosk, language):
    kiosk.controller.setLanguage(language)
    kiosk.runner.simulators["sam"].remove_card()
    kiosk.runner.flow.inactivity_s = 12.0
    tap(qtbot, kiosk, "startButton")
    at(qtbot, kiosk, "present_document")
    qtbot.waitUntil(lambda: kiosk.controller.countdown > 0, timeout=10_000)
    qtbot.waitUntil(lambda: find(kiosk, "countdownOverlay").property("visible"), timeout=5_000)
    screenshot(kiosk, f"countdown_{language}")
    tap(qtbot, kiosk, "continueButton")
    qtbot.waitUntil(lambda: kiosk.controller.countdown == 0, timeout=5_000)
    at(qtbot, kiosk, "welcome", timeout=30_000)  # nobody touches it again
    assert kiosk.controller.error == "UI_TIMEOUT"
