"""When a kiosk stops taking new verifications: it has been left alone too long to be trusted.

A kiosk whose results have not left it for weeks, whose store is nearly full, whose client
certificate is about to expire, whose list of trusted passport signers or face calibration is
old, or whose clock is not synchronised, would go on verifying people with results nobody
receives, or with trust nobody renewed. MOSIP's registration client freezes in the same way.
The person then meets an out-of-service screen with the reason code (staff are one tap away),
never a check that silently goes nowhere; the service mode, ``kioskctl selftest`` and the
health daemon say why, and docs/operations.md says how to clear each one.

``freeze_reasons`` is the rule, pure; ``gather`` collects the facts from the device;
``FreezeWatch`` re-evaluates on a thread of its own every minute, because a fact may need a
subprocess (``timedatectl``) or a store query, which the UI's thread must never wait for.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.config.schema import KioskConfig
from kiosk.ops.check import Check, fail, ok, skipped
from kiosk.ops.clock_check import NtpState, ntp_state
from kiosk.ops.context import CheckContext
from kiosk.ops.mqtt_check import soonest_expiry
from kiosk.store import outbox
from kiosk.store.capacity import check_capacity
from kiosk.store.errors import StoreError

log = logging.getLogger(__name__)

NAME = "in_service"
DAY_S = 86_400
OPS_FROZEN_SYNC_STALE = "OPS_FROZEN_SYNC_STALE"
OPS_FROZEN_STORE_FULL = "OPS_FROZEN_STORE_FULL"
OPS_FROZEN_CERT_EXPIRING = "OPS_FROZEN_CERT_EXPIRING"
OPS_FROZEN_CSCA_STALE = "OPS_FROZEN_CSCA_STALE"
OPS_FROZEN_CALIBRATION_STALE = "OPS_FROZEN_CALIBRATION_STALE"
OPS_FROZEN_CLOCK_UNSYNCED = "OPS_FROZEN_CLOCK_UNSYNCED"


@dataclass(frozen=True, slots=True)
class Facts:
    now: dt.datetime
    sync_enabled: bool
    oldest_unsent_age_s: int | None
    """The oldest result no gateway accepted yet; ``None``: nothing waits."""
    store_used_percent: float
    cert_not_after: dt.datetime | None
    """The soonest expiry of the MQTT client certificate and its CA; ``None``: none set."""
    csca_age_days: float | None
    """Days since the CSCA trust directory last changed; ``None``: none configured."""
    calibration_age_days: float | None
    clock: NtpState


def freeze_reasons(facts: Facts, config: KioskConfig) -> list[str]:
    """The reason codes that keep the kiosk out of service now (empty: in service)."""
    rules = config.freeze
    if not rules.in_force(config.device.mode):
        return []
    found = []
    age = facts.oldest_unsent_age_s
    if facts.sync_enabled and age is not None and age > rules.max_unsent_days * DAY_S:
        found.append(OPS_FROZEN_SYNC_STALE)
    if facts.store_used_percent >= rules.store_full_percent:
        found.append(OPS_FROZEN_STORE_FULL)
    if facts.sync_enabled and facts.cert_not_after is not None:
        left = facts.cert_not_after - facts.now
        if left < dt.timedelta(days=rules.cert_min_days):
            found.append(OPS_FROZEN_CERT_EXPIRING)
    if facts.csca_age_days is not None and facts.csca_age_days > rules.csca_max_age_days:
        found.append(OPS_FROZEN_CSCA_STALE)
    calibration = facts.calibration_age_days
    if calibration is not None and calibration > rules.calibration_max_age_days:
        found.append(OPS_FROZEN_CALIBRATION_STALE)
    if rules.require_clock_sync and facts.clock == "unsynchronized":
        found.append(OPS_FROZEN_CLOCK_UNSYNCED)
    return found


def _age_days(path: Path | None, now: float) -> float | None:
    """Days since ``path`` (a file, or the newest file of a directory) last changed."""
    if path is None or not path.exists():
        return None
    times = [path.stat().st_mtime]
    if path.is_dir():
        times += [p.stat().st_mtime for p in path.iterdir() if p.is_file()]
    return max(0.0, now - max(times)) / DAY_S


def gather(config: KioskConfig, unsent_age_s: int | None, store_used_percent: float) -> Facts:
    """The device's facts; the store's two come from the caller, who holds the store."""
    now = time.time()
    cert_files = [p for p in (config.sync.cert_file, config.sync.ca_file) if p is not None]
    try:
        soonest = soonest_expiry(cert_files) if config.sync.enabled and cert_files else None
    except Exception:  # an unreadable certificate is the self-test's OPS_CERT_* to report
        soonest = None
    pcsc = config.readers.pcsc
    clock = ntp_state()[0] if config.freeze.require_clock_sync else "unknown"
    return Facts(
        now=dt.datetime.fromtimestamp(now, dt.UTC),
        sync_enabled=config.sync.enabled,
        oldest_unsent_age_s=unsent_age_s,
        store_used_percent=store_used_percent,
        cert_not_after=soonest.not_after if soonest is not None else None,
        csca_age_days=_age_days(pcsc.csca_dir if pcsc else None, now),
        calibration_age_days=_age_days(config.idv.match.site_calibration, now),
        clock=clock,
    )


class FreezeWatch:
    """Re-evaluates every ``interval_s`` on a daemon thread; ``reasons`` is the last verdict.
    ``facts`` is called on that thread (it reads the store under the caller's lock)."""

    def __init__(self, config: KioskConfig, facts: Callable[[], Facts],
                 interval_s: float = 60.0) -> None:  # fmt: skip
        self._config = config
        self._facts = facts
        self.interval_s = interval_s
        self._reasons: tuple[str, ...] = ()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def reasons(self) -> tuple[str, ...]:
        return self._reasons

    def evaluate(self) -> tuple[str, ...]:
        try:
            found = tuple(freeze_reasons(self._facts(), self._config))
        except Exception as exc:  # a fact that cannot be read: the kiosk keeps its last state
            log.error("freeze check failed", extra={"reason": "OPS_CHECK_CRASHED",
                                                    "error": type(exc).__name__})  # fmt: skip
            return self._reasons
        if found != self._reasons:
            if found:
                log.warning("out of service", extra={"reason": found[0], "reasons": list(found)})
            else:
                log.info("back in service")
        self._reasons = found
        return found

    def start(self) -> None:
        self.evaluate()
        self._thread = threading.Thread(target=self._loop, name="freeze-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.evaluate()


def check_in_service(ctx: CheckContext) -> Check:
    """The self-test's line (``kioskctl selftest``, the health daemon, the service mode's
    self-test): whether this kiosk would be out of service now, and why."""
    config = ctx.config
    if not config.freeze.in_force(config.device.mode):
        return skipped(NAME, "OPS_FREEZE_OFF", "[freeze] is not in force (a demo config)")
    try:
        db = ctx.store()
    except StoreError as exc:
        return fail(NAME, exc.reason, str(exc.args[0]))
    status = outbox.status(db, now_ms=ctx.wall_ms())
    capacity = check_capacity(db)
    age_ms = status.oldest_pending_age_ms
    facts = gather(config, None if age_ms is None else age_ms // 1000,
                   100.0 * capacity.store_bytes / max(1, capacity.quota_bytes))  # fmt: skip
    reasons = freeze_reasons(facts, config)
    if reasons:
        return fail(NAME, reasons[0], "out of service: " + ", ".join(reasons), reasons=reasons)
    return ok(NAME, "in service: sync, store, certificate, trust lists and clock are fresh")
