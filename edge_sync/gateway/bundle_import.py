"""``bdmi-gateway import``: a USB bundle (bundle.py) into the gateway database.

The bundle as a whole is checked first, against the gateway's own registry: its device is
registered and not revoked (``GW_DEVICE_UNKNOWN``, ``GW_DEVICE_REVOKED``), the key that
signed it is one of that device's keys (``GW_KEY_UNKNOWN``), and the signature holds
(``BUNDLE_SIGNATURE``). A refused bundle imports nothing and leaves one row in the
rejection log. A bundle from an unknown device is refused rather than opened, because
without a registered key nothing in it can be authenticated.

Then every result goes through ``edge_sync.gateway.intake.Intake.receive`` on the topic the device
would have published it on, as the very bytes the sync agent would have sent, so the checks
are exactly those of MQTT: registry, signature, canonical payload, site, timestamps,
dedupe by ``result_id``. A result the gateway already holds (the device synced it before,
or the same bundle is imported twice) counts as a duplicate and changes nothing, so import
is idempotent. Imported results wait for the next batch like any other; the kiosk learns
they are anchored when its agent next reaches a gateway (the resend is answered with the
proof).

Results are written in transactions of ``chunk_size``: one fsync per chunk instead of per
result on SQLite, while a running gateway service on the same database waits at most one
chunk for its own writes.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from peewee import Database

from edge_sync.gateway.db import Device, DeviceKey, ReceivedResult, Rejection
from edge_sync.gateway.intake import MAX_AGE_MS, Intake
from edge_sync.protocol.bundle import Bundle, BundleError, read_bundle, verify_bundle_signature
from edge_sync.protocol.wire import ResultMessage, results_topic

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def _refuse(db: Database, clock_ms: Callable[[], int], source: str, error: BundleError) -> None:
    log.warning("bundle refused", extra={"reason": error.reason, "source": source})
    with db.atomic():
        Rejection.create(
            at_ms=clock_ms(),
            topic=f"usb-bundle:{source}"[:200],
            result_id=None,
            reason=error.reason,
            detail=json.dumps(str(error))[:500],
        )


def _check_bundle(bundle: Bundle) -> None:
    """The bundle's device and signature against the registry; ``BundleError`` if not."""
    device = Device.get_or_none(Device.device_id == bundle.device_id)
    if device is None:
        raise BundleError(
            f"device {bundle.device_id} is not registered at this gateway",
            reason="GW_DEVICE_UNKNOWN",
        )
    if device.revoked:
        raise BundleError(f"device {bundle.device_id} is revoked", reason="GW_DEVICE_REVOKED")
    keys = {
        k.key_id: bytes(k.public_key)
        for k in DeviceKey.select().where(DeviceKey.device == bundle.device_id)
    }
    if bundle.key_id not in keys:
        raise BundleError(
            f"key {bundle.key_id} is not one of {bundle.device_id}'s keys",
            reason="GW_KEY_UNKNOWN",
        )
    verify_bundle_signature(bundle, keys)


def import_bundle(
    db: Database,
    data: bytes,
    clock_ms: Callable[[], int],
    *,
    max_age_ms: int = MAX_AGE_MS,
    source: str = "",
    chunk_size: int = 100,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Import one bundle file's bytes. Returns the counts: ``results`` in the bundle,
    ``accepted`` (new, stored), ``duplicate`` (already stored, unchanged) and ``rejected``
    (reason code -> count, as ``bdmi-gateway rejections`` lists them). Raises ``BundleError``
    when the bundle itself is refused; then nothing was imported.

    ``max_age_ms`` widens the intake's 90-day limit for a backlog an operator has checked
    (``GW_TIME_TOO_OLD`` otherwise); ``source`` (the file name) goes into the rejection log.
    """
    try:
        bundle = read_bundle(data)
        _check_bundle(bundle)
    except BundleError as error:
        _refuse(db, clock_ms, source, error)
        raise
    intake = Intake(db, clock_ms=clock_ms, max_age_ms=max_age_ms)
    topic = results_topic(bundle.site, bundle.device_id)
    accepted = duplicate = 0
    rejected: Counter[str] = Counter()
    total = len(bundle.results)
    for start in range(0, total, chunk_size):
        with db.atomic():
            for signed in bundle.results[start : start + chunk_size]:
                known = (
                    ReceivedResult.select(ReceivedResult.result_id)
                    .where(ReceivedResult.result_id == signed.result_id)
                    .exists()
                )
                ack = intake.receive(topic, ResultMessage(signed).encode())
                if ack is None or ack.status == "rejected":
                    # None: a malformed topic, which read_bundle's site/device checks exclude.
                    rejected[ack.reason if ack and ack.reason else "WIRE_TOPIC"] += 1
                elif known:
                    duplicate += 1
                else:
                    accepted += 1
        if progress is not None:
            progress(min(start + chunk_size, total), total)
    report = {
        "device_id": bundle.device_id,
        "site": bundle.site,
        "created_at_ms": bundle.created_at_ms,
        "results": total,
        "accepted": accepted,
        "duplicate": duplicate,
        "rejected": dict(sorted(rejected.items())),
    }
    log.info(
        "bundle imported",
        extra={k: v for k, v in report.items() if k in ("results", "accepted", "duplicate")},
    )
    return report
