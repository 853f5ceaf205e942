"""What service mode can do at the kiosk while the kiosk owns its devices: the self-test,
a test print and the camera's picture.

The self-test is the one ``kioskctl selftest`` and ``bdmi-health`` run (kiosk/ops), except
that the readers and the camera are only looked at (kiosk/ops/presence.py): opening them
here would take them from the running kiosk. Nothing here is personal: the test print
carries the site, the software version and the time.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from drivers.printer.codec import Block, Feed, PaperWidth, QrCode, Text, encode_receipt
from kiosk import __version__

if TYPE_CHECKING:
    from kiosk.config.schema import KioskConfig
    from kiosk.ops.check import Check

_DEVICE_CHECKS = frozenset({"camera", "reader.sam", "reader.pcsc"})


def selftest_while_running(config: KioskConfig) -> list[Check]:
    """The self-test's checks, devices by presence only; never raises for what it finds."""
    from kiosk.ops.check import Planned, run_checks
    from kiosk.ops.context import CheckContext
    from kiosk.ops.presence import check_presence
    from kiosk.ops.selftest import plan

    ctx = CheckContext(config)
    try:
        planned = [Planned("devices", lambda: check_presence(ctx))]
        planned += [p for p in plan(ctx) if p.name not in _DEVICE_CHECKS]
        return run_checks(planned)
    finally:
        ctx.close()


def test_print(site: str, paper: PaperWidth, now: dt.datetime) -> bytes:
    """A short page that shows the printer prints, cuts and renders a QR code and Chinese."""
    blocks: list[Block] = [
        Text("BDMI 测试打印 / test print", bold=True, align="center"),
        Feed(),
        Text(f"{site}", align="center"),
        Text(f"bdmi-kiosk {__version__}", align="center"),
        Text(f"{now:%Y-%m-%d %H:%M:%S}", align="center"),
        QrCode(f"BDMI-TEST {site}"),
    ]
    return encode_receipt(blocks, paper=paper)
