"""The self-test: every device, the network, the clock, the disk, the store and its audit
log, checked in one pass that always finishes.

Order matters only for reading the report: devices first (what a technician came to fix),
then the network, then what lives on disk. Each check is independent (kiosk/ops/check.py):
an unplugged reader or a crashing check is one line of the report, never the end of it.
The health daemon (kiosk/ops/health.py) runs the same plan every round.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from kiosk import __version__
from kiosk.ops.camera_check import check_camera
from kiosk.ops.check import Check, Planned, Progress, exit_code, run_checks, worst
from kiosk.ops.clock_check import check_clock
from kiosk.ops.context import CheckContext
from kiosk.ops.mqtt_check import check_mqtt
from kiosk.ops.reader_checks import check_reader
from kiosk.ops.staleness import check_in_service
from kiosk.ops.store_checks import check_audit, check_disk, check_store

if TYPE_CHECKING:
    from kiosk.config.schema import KioskConfig

REPORT_VERSION = 1


def plan(ctx: CheckContext) -> list[Planned]:
    return [
        Planned("camera", partial(check_camera, ctx)),
        Planned("reader.sam", partial(check_reader, ctx, "sam")),
        Planned("reader.pcsc", partial(check_reader, ctx, "pcsc")),
        Planned("mqtt", partial(check_mqtt, ctx)),
        Planned("clock", partial(check_clock, ctx)),
        Planned("disk", partial(check_disk, ctx)),
        Planned("store", partial(check_store, ctx)),
        Planned("audit", partial(check_audit, ctx)),
        Planned("in_service", partial(check_in_service, ctx)),
    ]


@dataclass(frozen=True, slots=True)
class SelfTestReport:
    site: str
    at_ms: int
    checks: list[Check]

    @property
    def status(self) -> str:
        return worst(self.checks)

    @property
    def exit_code(self) -> int:
        return exit_code(self.checks)

    def get(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    def to_dict(self) -> dict[str, Any]:
        at = dt.datetime.fromtimestamp(self.at_ms / 1000, dt.UTC)
        return {
            "version": REPORT_VERSION,
            "software": __version__,
            "site": self.site,
            "at": f"{at:%Y-%m-%dT%H:%M:%SZ}",
            "status": self.status,
            "exit_code": self.exit_code,
            "checks": [c.to_dict() for c in self.checks],
        }


def run_selftest(
    config: KioskConfig,
    progress: Progress | None = None,
    *,
    context: Callable[[KioskConfig], CheckContext] = CheckContext,
) -> SelfTestReport:
    ctx = context(config)
    try:
        at_ms = ctx.wall_ms()
        checks = run_checks(plan(ctx), progress)
    finally:
        ctx.close()
    return SelfTestReport(config.device.site, at_ms, checks)
