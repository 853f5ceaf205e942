"""The out-of-service screen that bdmi-kiosk-maintenance.service shows after a crash loop."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PySide6.QtGui import QImage, QPainter

from kiosk.ui.maintenance import BACKGROUND, paint_screen


@pytest.mark.ui
def test_screen_paints_text_on_the_background(qapp, tmp_path):
    image = QImage(1280, 800, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    paint_screen(painter, 1280, 800, "UI_CRASH_LOOP")
    painter.end()
    image.save(str(tmp_path / "out_of_service.png"))
    assert image.pixelColor(5, 5) == BACKGROUND
    # Text was drawn: some pixels in the headline band are not the background.
    band = {image.pixel(x, y) for x in range(0, 1280, 4) for y in range(200, 300, 2)}
    assert len(band) > 2


@pytest.mark.ui
def test_screen_runs_as_the_unit_starts_it(xvfb_display):
    env = {**os.environ, "DISPLAY": xvfb_display.display, "QT_QPA_PLATFORM": "xcb"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk.ui.maintenance", "--reason", "UI_CRASH_LOOP"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "out-of-service screen shown (reason=UI_CRASH_LOOP)" in line
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_reason_must_be_a_reason_code():
    result = subprocess.run(
        [sys.executable, "-m", "kiosk.ui.maintenance", "--reason", "crash; rm -rf /"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "not a reason code" in result.stderr
