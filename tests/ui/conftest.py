"""UI tests share one QGuiApplication: what one test's kiosk leaves for Qt to delete later
is deleted at that test's end, not half-way through the next test's start-up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QEvent


@pytest.fixture(autouse=True)
def _qt_objects_deleted_at_the_end(request: pytest.FixtureRequest) -> Iterator[None]:
    # Set up before the test's kiosk fixture, so torn down after it: KioskUi.close() calls
    # engine.deleteLater(), and the engine with its image providers, screens and controller
    # goes now. A CI run once crashed (SIGSEGV) in the test after a kiosk's teardown.
    yield
    if "qtbot" in request.fixturenames:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()
