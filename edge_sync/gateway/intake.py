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

from peewee import Database

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
        return self.receive_batch([(topic, data)])[0][1]

    def receive_batch(
        self, messages: list[tuple[str, bytes]]
    ) -> list[tuple[str, AckMessage | None]]:
        """Several messages in ONE transaction (one fsync, one commit): ``(topic, ack)`` for
        each message, in order (``None`` where there is no one to answer), to be published
        only after this returns, so an ``accepted`` ack is never sent for a result that is not
        durably stored.

        Why it works per batch (issue 19): the devices and keys the batch names are read in
        one query each (per-message look-ups were 19% of the gateway's time), read inside
        the transaction, so a revocation committed before it counts; and the results that
        pass every check are written in one INSERT that skips a ``result_id`` already
        stored, then read back in one query, so a resend (or a duplicate within the batch,
        or another gateway's insert of the same result) is answered from what is stored,
        and other content under a known id is ``GW_RESULT_CONFLICT``, as before."""
        answers: list[tuple[str, AckMessage | None]] = []
        with self.db.atomic():
            decoded: list[tuple[int, str, ResultMessage]] = []
            for topic, data in messages:
                answers.append((topic, None))
                try:
                    site, device_id, _ = parse_topic(topic)
                except WireError as exc:
                    self._reject(topic, None, exc.reason, str(exc))
                    continue
                try:
                    message = ResultMessage.decode(data)
                except WireError as exc:
                    if self._reject(topic, None, exc.reason, str(exc)):
                        # No trustworthy result id: answer with the reason under a null id so
                        # the device sees something is wrong; it matches no outbox row. A
                        # held-back one is not answered: garbage in a loop is not relayed
                        # back in a loop.
                        answers[-1] = (topic, AckMessage("", "rejected", reason=exc.reason))
                    continue
                decoded.append((len(answers) - 1, site, message))
            registry = self._registry({m.signed.device_id for _, _, m in decoded})
            passed: list[tuple[int, str, ResultMessage]] = []
            for index, site, message in decoded:
                topic = answers[index][0]
                _, device_id, _ = parse_topic(topic)
                reason = self._check(site, device_id, message, registry)
                if reason is None:
                    passed.append((index, site, message))
                    continue
                code, detail = reason
                # Always answered (the device then waits its rejected_retry_s instead of
                # resending every few seconds); only the row and the log line are limited.
                signed = message.signed
                self._reject(topic, signed.result_id, code, detail)
                answers[index] = (topic, AckMessage(signed.result_id, "rejected", reason=code))
            for index, ack in self._store(passed).items():
                answers[index] = (answers[index][0], ack)
        return answers

    def _registry(self, device_ids: set[str]) -> dict[str, tuple[Device, dict[str, bytes]]]:
        """device_id -> (device, key_id -> public key) for the devices named, in two queries."""
        if not device_ids:
            return {}
        devices = {
            d.device_id: (d, {}) for d in Device.select().where(Device.device_id.in_(device_ids))
        }
        query = DeviceKey.select(DeviceKey.key_id, DeviceKey.device, DeviceKey.public_key).where(
            DeviceKey.device.in_(list(devices))
        )
        for key in query:
            devices[key.device_id][1][key.key_id] = bytes(key.public_key)
        return devices

    def _check(
        self,
        site: str,
        device_id: str,
        message: ResultMessage,
        registry: dict[str, tuple[Device, dict[str, bytes]]],
    ) -> tuple[str, str] | None:
        signed = message.signed
        if signed.device_id != device_id:
            return "GW_TOPIC_MISMATCH", f"{signed.device_id} published on {device_id}'s topic"
        found = registry.get(device_id)
        if found is None:
            return "GW_DEVICE_UNKNOWN", f"device {device_id} is not registered"
        device, keys = found
        if device.revoked:
            return "GW_DEVICE_REVOKED", f"device {device_id} is revoked"
        if device.site != site:
            return "GW_SITE_MISMATCH", f"device {device_id} belongs to site {device.site}"
        public_key = keys.get(signed.key_id)
        if public_key is None:
            return "GW_KEY_UNKNOWN", f"key {signed.key_id} is not one of {device_id}'s keys"
        try:
            result = verify_signed(signed, {signed.key_id: public_key})
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

    def _store(self, passed: list[tuple[int, str, ResultMessage]]) -> dict[int, AckMessage]:
        """Write the checked results in one statement; the ack for each, by message index."""
        if not passed:
            return {}
        now = self.clock_ms()
        rows = {}
        for _, site, message in passed:
            signed = message.signed
            rows.setdefault(signed.result_id, {
                "result_id": signed.result_id, "device": signed.device_id,
                "key_id": signed.key_id, "site": site, "payload": signed.payload,
                "signature": signed.signature, "received_at_ms": now,
            })  # fmt: skip
        ReceivedResult.insert_many(list(rows.values())).on_conflict_ignore().execute()
        stored = {
            row.result_id: row
            for row in ReceivedResult.select().where(ReceivedResult.result_id.in_(list(rows)))
        }
        acks = {}
        for index, _, message in passed:
            signed = message.signed
            row = stored.get(signed.result_id)
            if row is None:  # lost a race with a delete that never happens; be safe
                raise RuntimeError(f"result {signed.result_id} not stored")
            if bytes(row.payload) != signed.payload:
                self._reject("", signed.result_id, "GW_RESULT_CONFLICT", "same id, other payload")
                acks[index] = AckMessage(signed.result_id, "rejected", reason="GW_RESULT_CONFLICT")
            else:
                acks[index] = ack_for_stored(row)
        return acks

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
