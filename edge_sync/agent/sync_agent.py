"""The device agent behind ``bdmi-sync``: it publishes outbox rows over MQTT.

What it promises: every result in the outbox reaches the gateway (QoS 1, resent until the
gateway says ``accepted``), in result-id order per device, with at most ``window`` results
unacknowledged at once; a result is never removed from the outbox by sending it, only by the
retention policy once it is anchored. Acks arrive on the device's ``acks`` topic:
``accepted`` stops the resending, ``anchored`` stores the transaction hash and Merkle proof
with the result, ``rejected`` parks the result with the gateway's reason for a technician.

Crash safety: the outbox state lives in the store, not in this process. After a SIGKILL
the next start treats every ``sending`` row as unsent and publishes it again; the gateway
stores each ``result_id`` once, so a resend is harmless.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt

from edge_sync.protocol.ack_signature import proves_payload, signed_by_gateway
from edge_sync.protocol.mqtt_session import Backoff, BrokerSettings, connect_properties, make_client
from edge_sync.protocol.outbox import Outbox, OutboxError
from edge_sync.protocol.proof import InclusionProof
from edge_sync.protocol.wire import (
    AckMessage,
    ResultMessage,
    WireError,
    acks_topic,
    encode_health,
    encode_status,
    health_topic,
    results_topic,
    status_topic,
)

log = logging.getLogger(__name__)


@dataclass
class AgentSettings:
    site: str
    device_id: str
    broker: BrokerSettings
    window: int = 32
    resend_after_s: float = 30.0
    health_interval_s: float = 60.0
    state_dir: Path = Path("/var/lib/bdmi-kiosk")
    gateway_keys: tuple[bytes, ...] = ()
    """The gateway keys this device pinned (``[sync] gateway_public_keys``): an ack signed by
    none of them changes nothing."""


@dataclass
class SyncAgent:
    settings: AgentSettings
    outbox: Outbox
    clock: Callable[[], float] = time.monotonic
    wall_ms: Callable[[], int] = lambda: int(time.time() * 1000)
    backoff: Backoff = field(default_factory=Backoff)
    inflight: dict[str, float] = field(default_factory=dict)
    """result_id -> when it was last published (monotonic seconds)."""
    counters: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("published", "accepted", "anchored", "rejected", "rechecked", "refused"), 0
        )
    )

    def __post_init__(self) -> None:
        s = self.settings
        self.client = make_client(f"bdmi-{s.device_id}", s.broker)
        self.client.will_set(
            status_topic(s.site, s.device_id), encode_status("offline", 0), qos=1, retain=True
        )
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.connected = False
        self._next_health = 0.0
        self._retry_at = 0.0
        self._acks: list[AckMessage] = []
        """Acks received during this turn, applied together in one store transaction."""
        self._lost: list[str] = []
        """Results in flight when the connection dropped: sent again after reconnecting."""
        self._refused: dict[str, int] = {}
        """Acks of this turn that failed their checks, by reason: one audit entry per turn."""

    # -- paho callbacks (all on the agent's own thread) ---------------------------------
    def _on_connect(
        self, client: mqtt.Client, _u: object, _f: object, rc: object, _p: object
    ) -> None:
        if getattr(rc, "is_failure", False):
            log.warning("broker refused the connection", extra={"reason": str(rc)})
            return
        s = self.settings
        self.connected = True
        self.backoff.reset()
        client.subscribe(acks_topic(s.site, s.device_id), qos=1)
        client.publish(
            status_topic(s.site, s.device_id), encode_status("online", self.wall_ms()), qos=1,
            retain=True,
        )  # fmt: skip
        # Anything published before the connection dropped may not have reached the gateway.
        self._lost.extend(self.inflight)
        self.inflight.clear()
        log.info("connected to the broker", extra={"host": s.broker.host})

    def _on_disconnect(
        self, _c: mqtt.Client, _u: object, _f: object, rc: object, _p: object
    ) -> None:
        self.connected = False
        log.warning("disconnected from the broker", extra={"reason": str(rc)})

    def _on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        try:
            ack = AckMessage.decode(message.payload)
        except WireError as exc:
            log.warning("malformed ack ignored", extra={"reason": exc.reason})
            return
        self._acks.append(ack)

    def apply_acks(self) -> None:
        """Apply the acks of this turn in one transaction (one fsync however many).

        Each ack is verified first (a pinned gateway key signed it); the ``accepted`` ones
        are then marked together, one statement for the run of them (issue 19: a SELECT and
        an UPDATE per result were half the agent's time). A run is flushed before any other
        kind of ack, so the store sees the acks' effects in the order they arrived."""
        acks, self._acks = self._acks, []
        lost, self._lost = self._lost, []
        if not acks and not lost:
            return
        with self.outbox.transaction():
            for result_id in lost:
                self._requeue(result_id, "connection lost before the gateway acknowledged")
            accepted: list[AckMessage] = []
            for ack in acks:
                if not self._usable(ack):
                    continue
                if ack.status == "accepted":
                    accepted.append(ack)
                    continue
                self._accept(accepted)
                accepted = []
                self._apply_verified(ack)
            self._accept(accepted)
            refused, self._refused = self._refused, {}
            if refused:
                self.outbox.audit_refused_acks(refused)

    def _accept(self, acks: list[AckMessage]) -> None:
        """Mark a run of verified ``accepted`` acks in one go."""
        if not acks:
            return
        for ack in acks:
            self.inflight.pop(ack.result_id, None)
        try:
            unknown = self.outbox.mark_accepted_many([ack.result_id for ack in acks])
        except OutboxError as exc:
            log.warning("acks not applied", extra={"reason": exc.reason, "count": len(acks)})
            return
        for ack in acks:
            if ack.result_id in unknown:
                log.warning(
                    "ack not applied",
                    extra={"reason": "STORE_RESULT_UNKNOWN", "result_id": ack.result_id},
                )
            else:
                self.counters["accepted"] += 1

    def _refuse(self, ack: AckMessage, reason: str) -> None:
        """Count and log an ack that failed a check; the result stays due, so it is sent
        again and a genuine gateway answers it."""
        self._refused[reason] = self._refused.get(reason, 0) + 1
        self.counters["refused"] += 1
        log.warning("ack refused", extra={"reason": reason, "result_id": ack.result_id})

    def _verified(self, ack: AckMessage) -> bool:
        """The ack is signed by a pinned gateway key for this device, and an ``anchored`` ack
        proves this device's own payload. Nothing else may move a result forward."""
        if not signed_by_gateway(ack, self.settings.device_id, self.settings.gateway_keys):
            self._refuse(ack, "SYNC_ACK_UNVERIFIED")
            return False
        if ack.status == "anchored":
            payload = self.outbox.payload_of(ack.result_id)
            if payload is not None and not proves_payload(ack, payload):
                self._refuse(ack, "SYNC_ACK_PROOF_MISMATCH")
                return False
        return True

    def _requeue(self, result_id: str, why: str) -> None:
        try:
            self.outbox.requeue(result_id, why)
        except OutboxError as exc:
            log.warning("cannot requeue", extra={"reason": exc.reason, "result_id": result_id})

    def handle_ack(self, ack: AckMessage) -> None:
        if self._usable(ack):
            self._apply_verified(ack)

    def _usable(self, ack: AckMessage) -> bool:
        """Verified, and about a result (not the answer to an undecodable message)."""
        if not self._verified(ack):
            return False
        if not ack.result_id:
            log.warning("gateway rejected an undecodable message", extra={"reason": ack.reason})
            return False
        return True

    def _apply_verified(self, ack: AckMessage) -> None:
        self.inflight.pop(ack.result_id, None)
        try:
            self._apply(ack)
        except OutboxError as exc:
            # An ack for a result this store does not hold (another device's, or one
            # purged since) changes nothing; it is logged, never fatal.
            log.warning("ack not applied", extra={"reason": exc.reason, "result_id": ack.result_id})
            return
        self.counters[ack.status] += 1

    def _apply(self, ack: AckMessage) -> None:
        if ack.status == "accepted":
            self.outbox.mark_accepted(ack.result_id)
        elif ack.status == "anchored":
            proof = InclusionProof(
                ack.batch_id or "", ack.tx_hash or "", ack.leaf_index or 0, ack.tree_size or 0,
                tuple(ack.path),
            ).encode()  # fmt: skip
            self.outbox.mark_anchored(ack.result_id, ack.tx_hash or "", ack.batch_id or "", proof)
        else:
            log.warning(
                "gateway rejected a result; it waits for a retry",
                extra={"reason": ack.reason, "result_id": ack.result_id},
            )
            self.outbox.mark_rejected(ack.result_id, ack.reason or "GW_REJECTED")

    # -- the loop -------------------------------------------------------------------------
    def start(self) -> None:
        requeued = self.outbox.reset_sending()
        if requeued:
            log.info("requeued results left in flight", extra={"count": requeued})

    def step(self, timeout: float = 0.1) -> None:
        """One turn: (re)connect when due, network I/O and callbacks, publish, health."""
        now = self.clock()
        if not self.connected:
            if now < self._retry_at:
                time.sleep(min(timeout, self._retry_at - now))
                return
            self._connect()
            if not self.connected:
                return
        self.client.loop(timeout=timeout)
        # The turn's acks and new sends in one commit: one fsync per turn, however many.
        with self.outbox.transaction():
            self.apply_acks()
            if self.connected:
                self._publish_due()
        if not self.connected:
            return
        if now >= self._next_health:
            self._next_health = now + self.settings.health_interval_s
            self.publish_health()

    def _connect(self) -> None:
        broker = self.settings.broker
        try:
            self.client.connect(
                broker.host, broker.port, keepalive=broker.keepalive_s, clean_start=False,
                properties=connect_properties(broker),
            )  # fmt: skip
            # CONNACK and on_connect arrive through loop().
            deadline = self.clock() + 10.0
            while not self.connected and self.clock() < deadline:
                if self.client.loop(timeout=0.1) != mqtt.MQTT_ERR_SUCCESS:
                    break
        except (OSError, ValueError) as exc:
            log.info("broker unreachable", extra={"error": type(exc).__name__})
        if not self.connected:
            delay = self.backoff.next_delay()
            self._retry_at = self.clock() + delay

    def _publish_due(self) -> None:
        s = self.settings
        now = self.clock()
        overdue = [r for r, sent in self.inflight.items() if now - sent >= s.resend_after_s]
        if overdue:
            with self.outbox.transaction():
                for result_id in overdue:  # republished below, in result order
                    del self.inflight[result_id]
                    self._requeue(result_id, f"no ack within {s.resend_after_s:g} s")
        room = s.window - len(self.inflight)
        if room <= 0:
            return
        due = self.outbox.next_unsent(room, set(self.inflight))
        topic = results_topic(s.site, s.device_id)
        if due:
            with self.outbox.transaction():
                # Marked before publishing, the whole window in one statement: a crash in
                # between leaves them "sending", which the next start puts back to pending;
                # the reverse could not be undone.
                self.outbox.mark_sending_many([signed.result_id for signed in due])
                for n, signed in enumerate(due):
                    info = self.client.publish(topic, ResultMessage(signed).encode(), qos=1)
                    if info.rc != mqtt.MQTT_ERR_SUCCESS:
                        why = f"publish failed: {mqtt.error_string(info.rc)}"
                        for unsent in due[n:]:
                            self._requeue(unsent.result_id, why)
                        return
                    self.inflight[signed.result_id] = now
                    self.counters["published"] += 1
            room -= len(due)
        if room <= 0:
            return
        # Accepted long ago and still no proof: ask again (the gateway answers a known
        # result_id with its state, the proof included once anchored).
        overdue = self.outbox.overdue_anchors(room)
        if overdue:
            with self.outbox.transaction():
                for signed in overdue:
                    info = self.client.publish(topic, ResultMessage(signed).encode(), qos=1)
                    if info.rc != mqtt.MQTT_ERR_SUCCESS:
                        return
                    self.outbox.recheck_later(signed.result_id)
                    self.counters["rechecked"] += 1

    def publish_health(self) -> None:
        s = self.settings
        report = dict(self.outbox.health())
        try:
            usage = shutil.disk_usage(s.state_dir)
            report["disk_free_mb"] = usage.free // (1024 * 1024)
        except OSError:
            report["disk_free_mb"] = None
        report["inflight"] = len(self.inflight)
        report["at_ms"] = self.wall_ms()
        self.client.publish(health_topic(s.site, s.device_id), encode_health(report), qos=0)

    def stop(self) -> None:
        s = self.settings
        if self.connected:
            info = self.client.publish(
                status_topic(s.site, s.device_id), encode_status("offline", self.wall_ms()),
                qos=1, retain=True,
            )  # fmt: skip
            deadline = self.clock() + 2.0
            while not info.is_published() and self.clock() < deadline:
                self.client.loop(timeout=0.1)
            self.client.disconnect()
        self.connected = False

    def run(self, stop: threading.Event) -> None:
        self.start()
        while not stop.is_set():
            self.step()
        self.stop()
