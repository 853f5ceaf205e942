"""The kiosk as ``bdmi-kiosk`` starts it, in a real full-screen window with its devices open:
one helper for every UI test's fixture."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kiosk.config import load_config
from kiosk.ui.app import KioskUi


@contextmanager
def running_kiosk(qtbot, config_file: Path) -> Iterator[KioskUi]:
    ui = KioskUi(load_config(config_file))
    try:
        window = ui.window
        qtbot.waitExposed(window)
        # Full screen arrives as a resize after the first expose; on a loaded machine the
        # first frames still have the windowed layout. Wait for the final geometry.
        qtbot.waitUntil(lambda: window.size() == window.screen().size())
        ui.start_devices()
        qtbot.waitUntil(lambda: ui.controller.ready, timeout=60_000)
        yield ui
    finally:
        ui.close()
