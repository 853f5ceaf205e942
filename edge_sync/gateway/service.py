"""The gateway process: MQTT in, database, batches on chain, acks out.

Threads: paho's network thread only queues incoming messages; the intake thread takes
whatever has queued up (up to ``intake_batch``) and stores it in one transaction (group
commit: one fsync for many results, which is what lets one gateway keep up with many
kiosks), then publishes the acks, so an ``accepted`` ack is a promise the database keeps.
The main thread runs the batcher on a timer in its own asyncio loop (neo-mamba is async).
All publish through the same client, which paho makes thread-safe. A message lost between
the broker's delivery and the commit (a crash) was never acknowledged to its device, which
sends it again. A message that fails in any way is answered or logged and dropped: nothing
a device sends can stop the gateway.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from peewee import Database

from edge_sync.gateway.batcher import AnchorChain, Batcher
from edge_sync.gateway.db import ReceivedResult
from edge_sync.gateway.followup import FollowUps
from edge_sync.gateway.intake import Intake
from edge_sync.gateway.registration import Registrar
from edge_sync.protocol.ack_signature import Signer, sign_ack
from edge_sync.protocol.mqtt_session import Backoff, BrokerSettings, connect_properties, make_client
from edge_sync.protocol.registration_wire import gateway_register
from edge_sync.protocol.wire import (
    MAX_MESSAGE,
    AckMessage,
    acks_topic,
    gateway_results,
    parse_topic,
)

log = logging.getLogger(__name__)


@dataclass
class GatewayService:
    db: Database
    chain: AnchorChain
    broker: BrokerSettings
    client_id: str
    share_group: str
    sign: Signer
    """Signs every ack (the gateway's anchoring account); devices pin its public key."""
    batch_size: int = 500
    batch_interval_s: float = 10.0
    intake_batch: int = 200
    clock_ms: Callable[[], int] = lambda: int(time.time() * 1000)
    follow_ups: FollowUps | None = None
    """Fee settlement and consent recording after each anchoring round
    (edge_sync/gateway/followup.py)."""
    registrar: Registrar | None = None
    """Devices registering over MQTT (edge_sync/gateway/registration.py), on a thread of its own."""
    counters: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("received", "accepted", "rejected", "anchored", "oversized"), 0
        )
    )

    def __post_init__(self) -> None:
        self.intake = Intake(self.db, self.clock_ms)
        self.batcher = Batcher(self.db, self.chain, self.clock_ms, self.batch_size)
        self.client = make_client(self.client_id, self.broker)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.connected = threading.Event()
        self.backoff = Backoff()
        # Bounded: when intake falls behind, paho's network thread waits on put(), the broker
        # stops sending once RECEIVE_MAXIMUM messages are unacknowledged, and the flood waits
        # at the broker (and the devices resend what no gateway acknowledged).
        self.inbox: queue.Queue[tuple[str, bytes]] = queue.Queue(maxsize=4 * self.intake_batch)
        self.registrations: queue.Queue[tuple[str, bytes]] = queue.Queue(maxsize=64)

    def _on_connect(
        self, client: mqtt.Client, _u: object, _f: object, rc: object, _p: object
    ) -> None:
        if getattr(rc, "is_failure", False):
            log.warning("broker refused the gateway", extra={"reason": str(rc)})
            return
        client.subscribe(gateway_results(self.share_group), qos=1)
        if self.registrar is not None:
            client.subscribe(gateway_register(self.share_group), qos=1)
        self.connected.set()
        log.info("gateway connected", extra={"client_id": self.client_id})

    def _on_disconnect(self, *_args: object) -> None:
        self.connected.clear()

    def _on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        if len(message.payload) > MAX_MESSAGE:  # checked before anything is queued or decoded
            self.counters["oversized"] += 1
            log.warning("oversized message dropped", extra={"reason": "WIRE_SIZE"})
            return
        if self.registrar is not None and message.topic.endswith("/register"):
            self.registrations.put((message.topic, message.payload))
            return
        self.counters["received"] += 1
        self.inbox.put((message.topic, message.payload))

    def intake_once(self, timeout: float = 0.5) -> int:
        """Store what has queued (waiting up to ``timeout`` for the first), then ack it."""
        try:
            messages = [self.inbox.get(timeout=timeout)]
        except queue.Empty:
            return 0
        while len(messages) < self.intake_batch:
            try:
                messages.append(self.inbox.get_nowait())
            except queue.Empty:
                break
        try:
            answers = self.intake.receive_batch(messages)
        except Exception:  # a database outage: do not ack; the devices will resend
            log.exception("intake failed; the results will be resent by their devices")
            return 0
        for topic, ack in answers:
            if ack is None:
                continue
            self.counters["rejected" if ack.status == "rejected" else "accepted"] += 1
            site, device_id, _ = parse_topic(topic)
            self.publish_ack(site, device_id, ack)
        return len(messages)

    def _intake_loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.intake_once()

    def _registration_loop(self, stop: threading.Event) -> None:
        """Registrations wait for a block (seconds): never on the intake thread."""
        assert self.registrar is not None
        loop = asyncio.new_event_loop()
        try:
            while not stop.is_set():
                try:
                    topic, payload = self.registrations.get(timeout=0.5)
                except queue.Empty:
                    continue
                try:
                    answer = loop.run_until_complete(self.registrar.receive(topic, payload))
                except Exception:  # a database outage: no answer; the device asks again
                    log.exception("registration failed; the device will ask again")
                    continue
                if answer is not None:
                    self.client.publish(answer[0], answer[1].encode(), qos=1)
        finally:
            loop.close()

    def publish_ack(self, site: str, device_id: str, ack: AckMessage) -> None:
        signed = sign_ack(ack, device_id, self.sign)
        self.client.publish(acks_topic(site, device_id), signed.encode(), qos=1)

    async def anchor_once(self) -> int:
        acks = await self.batcher.anchor_pending()
        for ack in acks:
            row = ReceivedResult.get_by_id(ack.result_id)
            self.publish_ack(row.site, row.device_id, ack)
        self.counters["anchored"] += len(acks)
        return len(acks)

    async def follow_up_once(self) -> int:
        """Settle fees and record consents of anchored batches (edge_sync/gateway/followup.py)."""
        return 0 if self.follow_ups is None else await self.follow_ups.run_once()

    def _follow_up_loop(self, stop: threading.Event) -> None:
        # Its own thread and event loop: a follow-up waits for a receipt per payment and per
        # consent (a block each: 15 s on MainNet), which must never hold up anchoring or acks.
        loop = asyncio.new_event_loop()
        try:
            while not stop.is_set():
                try:
                    loop.run_until_complete(self.follow_up_once())
                except Exception:
                    log.exception("follow-ups failed; retrying at the next interval")
                stop.wait(self.batch_interval_s)
        finally:
            loop.close()

    def connect(self) -> None:
        self.client.connect_async(
            self.broker.host, self.broker.port, keepalive=self.broker.keepalive_s,
            clean_start=self.broker.session_expiry_s == 0,
            properties=connect_properties(self.broker),
        )  # fmt: skip
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.loop_start()

    def run(self, stop: threading.Event) -> None:
        self.connect()
        intake = threading.Thread(target=self._intake_loop, args=(stop,), name="intake")
        intake.start()
        follow = threading.Thread(target=self._follow_up_loop, args=(stop,), name="follow-ups")
        if self.follow_ups is not None:
            follow.start()
        registration = threading.Thread(
            target=self._registration_loop, args=(stop,), name="registration"
        )
        if self.registrar is not None:
            registration.start()
        loop = asyncio.new_event_loop()
        try:
            while not stop.is_set():
                try:
                    loop.run_until_complete(self.anchor_once())
                except Exception:
                    log.exception("anchoring failed; retrying at the next interval")
                stop.wait(self.batch_interval_s)
        finally:
            loop.close()
            intake.join()
            if follow.is_alive():
                follow.join()
            if registration.is_alive():
                registration.join()
            self.client.disconnect()
            self.client.loop_stop()
