"""The gateway's front door: one MQTT message in, one ack (or a logged drop) out.

Checks, in order, each with its reason code in the ``rejected`` ack and the rejection log:
the message decodes (``WIRE_*``); the topic's device is the message's device
(``GW_TOPIC_MISMATCH``: a device may only speak for itself, which the broker ACL also
enforces); the device is registered and not revoked, and the key is one of its keys
(``GW_DEVICE_UNKNOWN``, ``GW_DEVICE_REVOKED``, ``GW_KEY_UNKNOWN``); the signature verifies and
the payload is canonical and agrees with the envelope (``SEC_*``); the times are sane
(``GW_TIME_FUTURE``, ``GW_TIME_TOO_OLD``); the same ``result_id`` was not stored with
other content (``GW_RESULT_CONFLICT``). A resend of a stored result is acknowledged again
(``accepted``, or ``anchored`` with its proof if it already is): resends are idempotent.

Nothing here raises on bad input: the caller is a long-running service.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from peewee import Database, IntegrityError

from edge_sync.gateway.batcher import PROOFS
from edge_sync.gateway.db import Device, DeviceKey, ReceivedResult, Rejection
from edge_sync.gateway.rejection_limit import RejectionLimit
from edge_sync.protocol.errors import SecurityError
from edge_sync.protocol.result import verify_signed
from edge_sync.protocol.wire import AckMessage, ResultMessage, WireError, parse_topic

log = logging.getLogger(__name__)

MAX_FUTURE_MS = 5 * 60 * 1000
MAX_AGE_MS = 90 * 24 * 3600 * 1000


@dataclass
class Intake:
    db: Database
    clock_ms: Callable[[], int]
    max_future_ms: int = MAX_FUTURE_MS
    max_age_ms: int = MAX_AGE_MS
    limit: RejectionLimit = field(default_factory=RejectionLimit)
    """Refusals recorded and answered per (topic, reason): a flood costs bounded rows."""

    def receive(self, topic: str, data: bytes) -> AckMessage | None:
        """The ack to publish to the sending device, or ``None`` when there is no device
        to answer (the topic itself is malformed)."""
        try:
            site, device_id, _ = parse_topic(topic)
        except WireError as exc:
            self._reject(topic, None, exc.reason, str(exc))
            return None
        try:
            message = ResultMessage.decode(data)
        except WireError as exc:
            if not self._reject(topic, None, exc.reason, str(exc)):
                return None  # held back: garbage in a loop is not relayed back in a loop
            # No trustworthy result id: answer with the reason under a null id so the device
            # sees something is wrong; it matches no outbox row.
            return AckMessage("", "rejected", reason=exc.reason)
        signed = message.signed
        reason = self._check(site, device_id, message)
        if reason is not None:
            code, detail = reason
            # Always answered (the device then waits its rejected_retry_s instead of resending
            # every few seconds); only the row and the log line are limited.
            self._reject(topic, signed.result_id, code, detail)
            return AckMessage(signed.result_id, "rejected", reason=code)
        return self._store(site, message)

    def receive_batch(self, messages: list[tuple[str, bytes]]) -> list[tuple[str, AckMessage]]:
        """Several messages in ONE transaction (one fsync, one commit): ``(topic, ack)`` for
        each that gets an answer, to be published only after this returns, so an
        ``accepted`` ack is never sent for a result that is not durably stored. Each message
        runs in its own savepoint: a duplicate or a refusal does not undo the others."""
        answers: list[tuple[str, AckMessage]] = []
        with self.db.atomic():
            for topic, data in messages:
                ack = self.receive(topic, data)
                if ack is not None:
                    answers.append((topic, ack))
        return answers

    def _check(self, site: str, device_id: str, message: ResultMessage) -> tuple[str, str] | None:
        signed = message.signed
        if signed.device_id != device_id:
            return "GW_TOPIC_MISMATCH", f"{signed.device_id} published on {device_id}'s topic"
        device = Device.get_or_none(Device.device_id == device_id)
        if device is None:
            return "GW_DEVICE_UNKNOWN", f"device {device_id} is not registered"
        if device.revoked:
            return "GW_DEVICE_REVOKED", f"device {device_id} is revoked"
        if device.site != site:
            return "GW_SITE_MISMATCH", f"device {device_id} belongs to site {device.site}"
        key = DeviceKey.get_or_none(
            (DeviceKey.key_id == signed.key_id) & (DeviceKey.device == device_id)
        )
        if key is None:
            return "GW_KEY_UNKNOWN", f"key {signed.key_id} is not one of {device_id}'s keys"
        try:
            result = verify_signed(signed, {key.key_id: bytes(key.public_key)})
        except SecurityError as exc:
            return exc.reason, str(exc)
        if result.site != site:
            return "GW_SITE_MISMATCH", f"result names site {result.site}, topic {site}"
        now = self.clock_ms()
        if result.decided_ms > now + self.max_future_ms:
            return "GW_TIME_FUTURE", f"decided {result.decided_ms - now} ms in the future"
        if result.decided_ms < now - self.max_age_ms:
            return "GW_TIME_TOO_OLD", f"decided {now - result.decided_ms} ms ago"
        if result.started_ms > result.decided_ms:
            return "GW_TIME_ORDER", "started after it was decided"
        return None

    def _store(self, site: str, message: ResultMessage) -> AckMessage:
        signed = message.signed
        try:
            with self.db.atomic():
                ReceivedResult.create(
                    result_id=signed.result_id,
                    device=signed.device_id,
                    key_id=signed.key_id,
                    site=site,
                    payload=signed.payload,
                    signature=signed.signature,
                    received_at_ms=self.clock_ms(),
                )
        except IntegrityError:
            existing = ReceivedResult.get_or_none(ReceivedResult.result_id == signed.result_id)
            if existing is None:  # lost a race with a delete that never happens; be safe
                raise
            if bytes(existing.payload) != signed.payload:
                self._reject("", signed.result_id, "GW_RESULT_CONFLICT", "same id, other payload")
                return AckMessage(signed.result_id, "rejected", reason="GW_RESULT_CONFLICT")
            return ack_for_stored(existing)
        return AckMessage(signed.result_id, "accepted")

    def _reject(self, topic: str, result_id: str | None, reason: str, detail: str) -> bool:
        """Record a refusal, unless the limit holds it back; True when recorded (and so to be
        answered)."""
        now = self.clock_ms()
        held = self.limit.admit(topic[:200], reason, now)
        if held is None:
            return False
        if held:
            detail = f"{detail} (and {held} like it since the last one recorded)"
        log.warning(
            "result rejected", extra={"reason": reason, "result_id": result_id, "held_back": held}
        )
        with self.db.atomic():
            Rejection.create(
                at_ms=now,
                topic=topic[:200],
                result_id=result_id,
                reason=reason,
                detail=json.dumps(detail)[:500],
            )
        return True


def ack_for_stored(row: ReceivedResult) -> AckMessage:
    """``anchored`` with the proof when the result's batch is on chain, else ``accepted``."""
    batch = row.batch
    if batch is None or batch.state != "anchored":
        return AckMessage(row.result_id, "accepted")
    return PROOFS.ack(batch, row.result_id)
