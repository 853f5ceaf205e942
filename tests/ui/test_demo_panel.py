"""The demo control panel beside the kiosk, tapped like the kiosk: real mouse events on its
own window drive the simulated devices, and the kiosk window answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject, QPoint, QPointF, Qt
from PySide6.QtGui import QWindow
from PySide6.QtTest import QTest

from drivers.sam.frame import Command
from kiosk.idv.gestures import Gesture
from kiosk.ui.app import KioskUi, show_demo_panel
from tests.ui.kiosk_window import running_kiosk
from tests.ui.test_checkin_ui import at
from tests.ui.test_welcome import SCREENS, rendered, shown, tap

pytestmark = pytest.mark.ui


@pytest.fixture
def kiosk(qtbot, demo_config_file) -> Iterator[tuple[KioskUi, QWindow]]:
    with running_kiosk(qtbot, demo_config_file) as ui:
        panel = show_demo_panel(ui)
        assert panel is not None
        qtbot.waitExposed(panel)
        try:
            yield ui, panel
        finally:
            panel.close()


def press(qtbot, panel: QWindow, name: str) -> None:
    """A tap on the panel's button ``name``, where a finger would touch it."""
    with qtbot.waitSignal(panel.frameSwapped, timeout=5000):
        panel.update()
    item = panel.findChild(QObject, name) or _find(panel.contentItem(), name)
    assert item is not None and item.isVisible() and item.isEnabled(), name
    centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2)).toPoint()
    QTest.mouseClick(panel, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(centre))  # fmt: skip


def _find(item, name: str):
    for child in item.childItems():
        if child.objectName() == name:
            return child
        found = _find(child, name)
        if found is not None:
            return found
    return None


def test_the_card_goes_on_and_off_the_reader_from_the_panel(qtbot, kiosk):
    ui, panel = kiosk
    press(qtbot, panel, "demoRemoveIdCard")
    tap(qtbot, ui, "startButton")
    at(qtbot, ui, "present_document")
    rendered(qtbot, ui)
    assert ui.controller.screen == "present_document"  # nothing on the reader: it waits
    image = panel.grabWindow()
    assert not image.isNull() and image.save(str(SCREENS / "demo_panel.png"))
    press(qtbot, panel, "demoInsertIdCard")
    at(qtbot, ui, "face")
    tap(qtbot, ui, "backButton")
    at(qtbot, ui, "welcome")


def test_a_wrong_card_from_the_panel_is_named(qtbot, kiosk):
    ui, panel = kiosk
    press(qtbot, panel, "demoWrongCard")
    tap(qtbot, ui, "startButton")
    qtbot.waitUntil(lambda: ui.controller.error == "DRV_SAM_CARD_TYPE", timeout=30_000)
    qtbot.waitUntil(lambda: shown(ui, "documentError"), timeout=5_000)
    sam = ui.runner.simulators["sam"]
    seen = len(sam.received)
    press(qtbot, panel, "demoRemoveIdCard")
    # The refused card is read again only once it has left: two polls see the reader empty.
    qtbot.waitUntil(lambda: sam.received[seen:].count(Command.FIND_CARD) >= 2, timeout=10_000)
    press(qtbot, panel, "demoInsertIdCard")
    at(qtbot, ui, "face")
    tap(qtbot, ui, "backButton")
    at(qtbot, ui, "welcome")


def test_a_silent_person_chosen_on_the_panel_ends_at_the_staff_desk(qtbot, kiosk):
    ui, panel = kiosk
    press(qtbot, panel, "demoPersonSilent")
    assert ui.runner.subject is not None
    assert ui.runner.subject.respond(Gesture.BLINK) is None
    tap(qtbot, ui, "startButton")
    at(qtbot, ui, "result", timeout=90_000)
    assert ui.controller.decision == "fail"
    press(qtbot, panel, "demoPersonFollows")  # the next person follows the prompts again
    assert ui.runner.subject.respond(Gesture.BLINK) == "blink"
    tap(qtbot, ui, "doneButton")
    at(qtbot, ui, "welcome")


@pytest.fixture
def passport_kiosk(qtbot, demo_config_file, pcscd_vpcd) -> Iterator[tuple[KioskUi, QWindow]]:
    """The demo with its specimen passport on the harness's pcscd (``make demo`` starts the
    machine's own pcscd); the ID card off the reader, so the passport is what is read."""
    text = demo_config_file.read_text(encoding="utf-8").replace(
        '[readers.pcsc]\nkind = "simulated"',
        f'[readers.pcsc]\nkind = "simulated"\nsimulated_vpcd_port = {pcscd_vpcd.vpcd_port}',
    )
    demo_config_file.write_text(text, encoding="utf-8")
    with running_kiosk(qtbot, demo_config_file) as ui:
        assert "pcsc" not in ui.runner.unavailable, ui.runner.unavailable
        panel = show_demo_panel(ui)
        assert panel is not None
        qtbot.waitExposed(panel)
        try:
            press(qtbot, panel, "demoRemoveIdCard")
            yield ui, panel
        finally:
            panel.close()


@pytest.mark.services
def test_the_passport_without_its_key_from_the_panel_asks_for_the_photo_page(qtbot, passport_kiosk):
    """The MRZ entry path, reachable from the windows: on the panel the specimen's MRZ is
    no longer "swiped", so the kiosk asks for the photo page's details; switched back, the
    chip opens at once and the face check follows."""
    ui, panel = passport_kiosk
    assert ui.runner.passport_key_known
    press(qtbot, panel, "demoPassportKeyTyped")
    qtbot.waitUntil(lambda: not ui.runner.passport_key_known, timeout=5_000)
    tap(qtbot, ui, "startButton")
    at(qtbot, ui, "mrz_entry", timeout=30_000)
    tap(qtbot, ui, "backButton")
    at(qtbot, ui, "welcome")

    press(qtbot, panel, "demoPassportKeySwiped")
    qtbot.waitUntil(lambda: ui.runner.passport_key_known, timeout=5_000)
    tap(qtbot, ui, "startButton")
    at(qtbot, ui, "face", timeout=60_000)
    tap(qtbot, ui, "backButton")
    at(qtbot, ui, "welcome")
