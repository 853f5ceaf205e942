"""Shared fixtures. Real services (Mosquitto, pcscd+vpcd, neo-go, Xvfb) come from
``tests/harness``; see docs/development.md for how they start and how to add one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.harness.fixtures"]

REPO = Path(__file__).resolve().parents[1]
LONGEST_FIRST = (
    "tests/store/test_crash_safety.py",
    "tests/sync/test_faults.py",
    "tests/unit/test_packaging.py",
    "tests/sync/test_end_to_end_followups.py",
)
"""The files that take a minute or more. ``make test`` hands whole files to its workers in
collection order (``--dist loadfile``); one of these collected last kept a worker busy alone
at the end of the run. Started first, they overlap with the rest."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


@pytest.fixture(scope="session")
def qapp(xvfb_display) -> Iterator[object]:
    """The one QGuiApplication of the test session, on a real X server (Xvfb), so what
    the tests click and photograph is what a kiosk screen shows. Overrides pytest-qt's."""
    os.environ["DISPLAY"] = xvfb_display.display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    # The basic render loop renders on the GUI thread: grabWindow() for the screenshots then
    # cannot deadlock against a render thread (seen once in a full run with the threaded
    # loop). The kiosk itself keeps Qt's default loop.
    os.environ["QSG_RENDER_LOOP"] = "basic"
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(["bdmi-kiosk-tests"])
    yield app
    # Close the X connection before the Xvfb fixture stops the server: an X client whose
    # server vanishes is killed by Xlib with exit status 1, which would fail the run.
    app.processEvents()
    app.shutdown()


@pytest.fixture
def demo_config_file(tmp_path: Path) -> Path:
    """The demo config with its state in a temp dir, so a test never touches $HOME."""
    text = (REPO / "kiosk" / "config" / "demo.toml").read_text(encoding="utf-8")
    text = text.replace(
        'state_dir = "~/.local/state/bdmi-kiosk-demo"', f'state_dir = "{tmp_path / "state"}"'
    )
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path
