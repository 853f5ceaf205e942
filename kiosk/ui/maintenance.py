"""The out-of-service screen: what the panel shows once ``bdmi-kiosk`` has crashed so often
that systemd stopped restarting it (``bdmi-kiosk-maintenance.service``, started by the kiosk
unit's ``OnFailure=``).

Why a separate, tiny program and not a screen of the kiosk: whatever made the kiosk crash
(its config, a model file, the store, a QML error) must not be able to take this screen down
too. So it loads no config, no QML, no store and no device: one raster window that paints two
sentences in both languages and the reason code for the technician. It runs until a
technician starts the kiosk again (the units conflict, so that stops this one).

    python -m kiosk.ui.maintenance [--reason UI_CRASH_LOOP]
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Sequence

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPainter, QPaintEvent, QRasterWindow

from kiosk import __version__

log = logging.getLogger(__name__)

FONT_FAMILY = "Noto Sans CJK SC"  # as kiosk/ui/app.py: Chinese and Latin in one face
BACKGROUND = QColor("#1f2a37")
TEXT = QColor("#ffffff")
DIM = QColor("#b8c2cc")
LINES = (
    ("暂停服务", "Out of service"),
    ("请联系工作人员", "Please ask a member of staff"),
)
REASON = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


def paint_screen(painter: QPainter, width: int, height: int, reason: str) -> None:
    """Draw the screen; separate from the window so a test can paint it into an image."""
    painter.fillRect(0, 0, width, height, BACKGROUND)
    painter.setPen(TEXT)
    big = QFont(FONT_FAMILY)
    big.setPixelSize(max(24, height // 12))
    small = QFont(FONT_FAMILY)
    small.setPixelSize(max(14, height // 40))
    y = height // 4
    for chinese, english in LINES:
        painter.setFont(big)
        painter.drawText(QRect(0, y, width, height // 8), Qt.AlignmentFlag.AlignCenter, chinese)
        y += height // 8
        painter.setFont(small)
        painter.drawText(QRect(0, y, width, height // 16), Qt.AlignmentFlag.AlignCenter, english)
        y += height // 8
    painter.setPen(DIM)
    painter.drawText(
        QRect(0, height - height // 10, width, height // 20),
        Qt.AlignmentFlag.AlignCenter,
        f"{reason} · bdmi-kiosk {__version__} · technician: docs/operations.md, 'The services'",
    )


class MaintenanceWindow(QRasterWindow):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason
        self.setTitle("BDMI kiosk: out of service")

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            paint_screen(painter, self.width(), self.height(), self.reason)
        finally:
            painter.end()


def _reason(text: str) -> str:
    if not REASON.match(text):
        raise argparse.ArgumentTypeError(f"not a reason code (UPPER_SNAKE): {text!r}")
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kiosk.ui.maintenance", description="BDMI out-of-service screen"
    )
    parser.add_argument("--reason", type=_reason, default="UI_CRASH_LOOP")
    args, qt_args = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = QGuiApplication([sys.argv[0], *qt_args])
    app.setApplicationName("bdmi-kiosk-maintenance")
    window = MaintenanceWindow(args.reason)
    window.showFullScreen()
    log.error("out-of-service screen shown (reason=%s)", args.reason)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
