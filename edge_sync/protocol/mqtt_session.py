"""The MQTT v5 connection both sync processes use: mutual TLS, a persistent session, and a
reconnect schedule with exponential backoff and full jitter.

Why the agent drives the network loop itself (``client.loop()`` from its own thread)
instead of paho's ``loop_start``: every callback then runs on the thread that owns the
SQLite store connection, and reconnects follow our own schedule (paho's has no jitter, so a
site whose broker restarts would see every kiosk reconnect in the same second).

Sessions: ``clean_start=False`` with a session expiry, because Mosquitto only keeps a v5
session (and the QoS 1 messages queued for it) across a broker restart when the session was
opened that way.
"""

from __future__ import annotations

import logging
import random
import ssl
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BrokerSettings:
    host: str
    port: int
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    keepalive_s: int = 30
    session_expiry_s: int = 7 * 24 * 3600


@dataclass
class Backoff:
    """Full-jitter exponential backoff (AWS architecture blog, 2015): a random wait between
    0 and min(cap, base * 2^attempt), so many clients spread their retries."""

    base_s: float = 0.5
    cap_s: float = 30.0
    attempt: int = 0
    rng: random.Random | None = None

    def next_delay(self) -> float:
        ceiling = min(self.cap_s, self.base_s * 2**self.attempt)
        self.attempt += 1
        return (self.rng or random).uniform(0, ceiling)

    def reset(self) -> None:
        self.attempt = 0


def make_client(client_id: str, broker: BrokerSettings) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    # paho's own packet log, visible with logging.level = "DEBUG" (never payloads).
    client.enable_logger(logging.getLogger("paho.mqtt"))
    if broker.ca_file is not None:
        client.tls_set(
            ca_certs=str(broker.ca_file),
            certfile=str(broker.cert_file) if broker.cert_file else None,
            keyfile=str(broker.key_file) if broker.key_file else None,
            cert_reqs=ssl.CERT_REQUIRED,
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
    # QoS 1 messages waiting for PUBACK are resent by paho after a reconnect; our window
    # keeps the count small, the library's limit must not be the one that bites.
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    return client


MAX_PACKET = 64 * 1024 + 4096
"""The largest MQTT packet a client of ours accepts: a 64 KiB message (wire.MAX_MESSAGE) plus
its topic and properties. Sent as CONNECT's Maximum Packet Size, so the broker never delivers
a larger one (MQTT 5, 3.1.2.11.4): a client cannot be made to read a 200 MB message into
memory only to refuse it afterwards."""
RECEIVE_MAXIMUM = 256
"""QoS 1 messages the broker may have in flight to one client: with a bounded intake queue
behind it, a flood waits at the broker instead of in the client's memory."""


def connect_properties(broker: BrokerSettings) -> Properties:
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = broker.session_expiry_s
    properties.MaximumPacketSize = MAX_PACKET
    properties.ReceiveMaximum = RECEIVE_MAXIMUM
    return properties
