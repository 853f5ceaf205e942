"""The skeleton kiosk on a real X server: welcome screen, tap Start, next screen, Back.

Taps are real mouse events delivered by Qt to the window at the button's position, so a
button hidden, covered or too small to hit fails the test. Screenshots are written to
docs/screens/ for the README.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QPoint, QPointF, Qt
from PySide6.QtQuick import QQuickItem, QQuickWindow
from PySide6.QtTest import QTest

from kiosk.ui.app import KioskUi
from tests.ui.kiosk_window import running_kiosk

pytestmark = pytest.mark.ui

SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"
MIN_TOUCH_MM = 15


@pytest.fixture
def kiosk(qtbot, demo_config_file) -> Iterator[KioskUi]:
    with running_kiosk(qtbot, demo_config_file) as ui:
        ui.runner.simulators["sam"].remove_card()  # these tests stop at "present your document"
        yield ui


def _in_visual_tree(item: QQuickItem, name: str) -> QQuickItem | None:
    # Repeater delegates are children of their parent item, not of any QObject: findChild
    # does not see them.
    for child in item.childItems():
        if not isinstance(child, QQuickItem):
            # An item being deleted (a screen just replaced) can come back from PySide as a
            # bare QMetaObject: it is on its way out and holds nothing to find.
            continue
        if child.objectName() == name:
            return child
        found = _in_visual_tree(child, name)
        if found is not None:
            return found
    return None


def find(ui: KioskUi, name: str) -> QQuickItem:
    item = ui.window.findChild(QObject, name) or _in_visual_tree(ui.window.contentItem(), name)
    assert item is not None, f"no item named {name!r} on screen {ui.controller.screen!r}"
    return item


def shown(ui: KioskUi, name: str) -> bool:
    """Whether the item is on screen now, for ``waitUntil``: a screen the Loader is replacing
    may still be found while Qt deletes it, and its items then raise ``RuntimeError``."""
    try:
        return bool(find(ui, name).property("visible"))
    except (RuntimeError, AssertionError):
        return False


def rendered(qtbot, ui: KioskUi) -> None:
    """Wait for one rendered frame: layouts are polished just before a frame, so item
    positions read after it are the ones a finger would see."""
    with qtbot.waitSignal(ui.window.frameSwapped, timeout=5000):
        ui.window.update()


def tap(qtbot, ui: KioskUi, name: str) -> None:
    # A frame first, then the look-up: during the frame Qt deletes a screen the Loader has
    # just replaced, and an item found before it could be one of that screen's.
    rendered(qtbot, ui)
    item = find(ui, name)
    assert item.isVisible() and item.isEnabled()
    centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2)).toPoint()
    QTest.mouseClick(
        ui.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(centre)
    )


def screenshot(ui: KioskUi, name: str) -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    image = ui.window.grabWindow()
    assert not image.isNull()
    assert image.save(str(path))
    return path


def visible_texts(ui: KioskUi) -> set[str]:
    root = ui.window.contentItem()
    found: set[str] = set()

    def walk(item: QQuickItem) -> None:
        if not item.isVisible():
            return
        text = item.property("text")
        if isinstance(text, str) and text:
            found.add(text)
        for child in item.childItems():
            walk(child)

    walk(root)
    return found


def test_start_leads_to_present_document_and_back_returns(qtbot, kiosk):
    assert kiosk.controller.screen == "welcome"
    assert kiosk.window.visibility() == QQuickWindow.Visibility.FullScreen
    assert "开始核验" in visible_texts(kiosk)  # demo config starts in Simplified Chinese
    screenshot(kiosk, "welcome_zh_CN")

    tap(qtbot, kiosk, "startButton")
    qtbot.waitUntil(lambda: kiosk.controller.screen == "present_document")
    qtbot.waitUntil(lambda: kiosk.window.findChild(QObject, "presentDocumentScreen") is not None)
    assert "请出示您的证件" in visible_texts(kiosk)
    screenshot(kiosk, "present_document_zh_CN")

    tap(qtbot, kiosk, "backButton")
    qtbot.waitUntil(lambda: kiosk.controller.screen == "welcome")
    assert kiosk.window.findChild(QObject, "welcomeScreen") is not None


def test_language_switch_retranslates_every_string(qtbot, kiosk):
    tap(qtbot, kiosk, "languageEn")
    qtbot.waitUntil(lambda: kiosk.controller.language == "en")
    texts = visible_texts(kiosk)
    assert "Start verification" in texts and "开始核验" not in texts
    screenshot(kiosk, "welcome_en")
    tap(qtbot, kiosk, "startButton")
    qtbot.waitUntil(lambda: "Present your document" in visible_texts(kiosk))
    screenshot(kiosk, "present_document_en")
    tap(qtbot, kiosk, "backButton")
    tap(qtbot, kiosk, "languageZh")
    qtbot.waitUntil(lambda: "开始核验" in visible_texts(kiosk))


def test_touch_targets_are_at_least_15_mm(qtbot, kiosk):
    px_per_mm = kiosk.window.screen().physicalDotsPerInch() / 25.4
    for name in ("startButton", "languageZh", "languageEn"):
        item = find(kiosk, name)
        assert min(item.width(), item.height()) >= MIN_TOUCH_MM * px_per_mm * 0.99, name
    tap(qtbot, kiosk, "startButton")
    qtbot.waitUntil(lambda: kiosk.controller.screen == "present_document")
    back = find(kiosk, "backButton")
    assert min(back.width(), back.height()) >= MIN_TOUCH_MM * px_per_mm * 0.99
