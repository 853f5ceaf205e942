"""The Mosquitto fixture is a real mTLS MQTT v5 broker that survives restarts.

Proves what the edge-sync agent relies on: client-certificate authentication (and refusal
without one), QoS 1 delivery, reconnection after a broker restart on the same port, and
persistence of a QoS 1 message queued for an offline persistent session.
"""

from __future__ import annotations

import queue
import ssl
import threading
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from tests.harness.mosquitto import MosquittoBroker
from tests.harness.pki import CertPair

pytestmark = pytest.mark.services

TIMEOUT = 10.0
DEVICE = "test-device-0001"
"""The CN of the harness's default client certificate: a device, to the broker's ACL."""


def device_acks_topic() -> str:
    """A topic the default client may read and only a gateway may write (the shipped ACL);
    a fresh site name per test keeps the tests apart."""
    return f"bdmi/v1/site-{uuid.uuid4().hex[:12]}/{DEVICE}/acks"


def gateway(broker: MosquittoBroker) -> Client:
    return Client(broker, identity=broker.identity("bdmi-gateway-monitor"))


class Client:
    """Small synchronous wrapper over paho's threaded loop for assertions."""

    def __init__(
        self,
        broker: MosquittoBroker,
        *,
        with_cert: bool = True,
        client_id: str | None = None,
        clean_start: bool = True,
        session_expiry: int = 0,
        identity: CertPair | None = None,
    ) -> None:
        self.broker = broker
        self.client_id = client_id or f"test-{uuid.uuid4().hex[:8]}"
        self.clean_start = clean_start
        self.session_expiry = session_expiry
        self.connects: queue.Queue[ReasonCode] = queue.Queue()
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.disconnected = threading.Event()
        self.mqtt = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5
        )
        if with_cert:
            identity = identity or broker.client
            self.mqtt.tls_set(
                ca_certs=str(broker.ca_cert),
                certfile=str(identity.cert),
                keyfile=str(identity.key),
            )
        else:
            self.mqtt.tls_set(ca_certs=str(broker.ca_cert))
        self.mqtt.reconnect_delay_set(min_delay=0.1, max_delay=0.5)  # type: ignore[arg-type]
        self.mqtt.on_connect = self._on_connect
        self.mqtt.on_message = lambda _c, _u, msg: self.messages.put(msg)
        self.mqtt.on_disconnect = lambda *_args: self.disconnected.set()
        self.subscriptions: list[str] = []

    def _on_connect(self, client, _userdata, _flags, reason_code, _props) -> None:
        for topic in self.subscriptions:
            client.subscribe(topic, qos=1)
        self.connects.put(reason_code)

    def connect(self) -> None:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.session_expiry
        self.mqtt.connect(
            self.broker.host,
            self.broker.port,
            keepalive=5,
            clean_start=self.clean_start,
            properties=props,
        )
        self.mqtt.loop_start()

    def wait_connected(self) -> ReasonCode:
        return self.connects.get(timeout=TIMEOUT)

    def close(self) -> None:
        self.mqtt.disconnect()
        self.mqtt.loop_stop()


def test_mtls_qos1_publish_and_receive(mosquitto_tls: MosquittoBroker) -> None:
    topic = device_acks_topic()
    client = Client(mosquitto_tls)
    client.subscriptions.append(topic)
    client.connect()
    sender = gateway(mosquitto_tls)
    sender.connect()
    try:
        assert not client.wait_connected().is_failure
        assert not sender.wait_connected().is_failure
        info = sender.mqtt.publish(topic, b"payload-1", qos=1)
        info.wait_for_publish(TIMEOUT)
        assert info.is_published()
        message = client.messages.get(timeout=TIMEOUT)
        assert message.payload == b"payload-1"
        assert message.qos == 1
    finally:
        client.close()
        sender.close()
    # use_identity_as_username: the certificate CN is the MQTT username.
    assert f"u'{DEVICE}'" in mosquitto_tls.log_text()


def test_client_without_certificate_is_refused(mosquitto_tls: MosquittoBroker) -> None:
    client = Client(mosquitto_tls, with_cert=False)
    try:
        # TLS 1.2 rejects inside the handshake (connect raises); with TLS 1.3 the rejection
        # arrives after it, so the client sees a disconnect instead of a CONNACK.
        client.connect()
    except (ssl.SSLError, OSError):
        return
    try:
        assert client.disconnected.wait(TIMEOUT), "broker kept a certificate-less client connected"
        assert client.connects.empty(), "broker sent a CONNACK to a certificate-less client"
    finally:
        client.close()


def test_broker_restart_same_port_client_reconnects(mosquitto_tls: MosquittoBroker) -> None:
    topic = device_acks_topic()
    port = mosquitto_tls.port
    client = Client(mosquitto_tls)
    client.subscriptions.append(topic)
    client.connect()
    sender = gateway(mosquitto_tls)
    sender.connect()
    try:
        assert not client.wait_connected().is_failure
        assert not sender.wait_connected().is_failure
        mosquitto_tls.stop()
        assert not mosquitto_tls.running
        mosquitto_tls.start()
        assert mosquitto_tls.port == port
        # paho's loop reconnects by itself; the new CONNACKs prove it.
        assert not client.wait_connected().is_failure
        assert not sender.wait_connected().is_failure
        info = sender.mqtt.publish(topic, b"after-restart", qos=1)
        info.wait_for_publish(TIMEOUT)
        assert client.messages.get(timeout=TIMEOUT).payload == b"after-restart"
    finally:
        client.close()
        sender.close()


def test_queued_qos1_message_survives_restart(mosquitto_tls: MosquittoBroker) -> None:
    """Persistence works in the temp dir: an offline session's QoS 1 message outlives a restart.

    Mosquitto 2.0.11 quirk found here: a v5 session *created* with ``clean_start=True`` (paho's
    default ``MQTT_CLEAN_START_FIRST_ONLY`` does that on the first connect) survives a
    reconnect but is NOT restored from the persistence file after a broker restart.  A session
    created with ``clean_start=False`` and a session expiry interval is restored, so clients
    that need durable sessions must always connect with ``clean_start=False``.
    """
    topic = device_acks_topic()
    subscriber_id = f"sub-{uuid.uuid4().hex[:8]}"
    subscriber = Client(
        mosquitto_tls, client_id=subscriber_id, clean_start=False, session_expiry=3600
    )
    subscriber.subscriptions.append(topic)
    subscriber.connect()
    assert not subscriber.wait_connected().is_failure
    subscriber.mqtt.subscribe(topic, qos=1)  # idempotent; make sure it is acked before leaving
    subscriber.close()

    publisher = gateway(mosquitto_tls)
    publisher.connect()
    try:
        assert not publisher.wait_connected().is_failure
        info = publisher.mqtt.publish(topic, b"queued", qos=1)
        info.wait_for_publish(TIMEOUT)
    finally:
        publisher.close()

    mosquitto_tls.restart()

    resumed = Client(mosquitto_tls, client_id=subscriber_id, clean_start=False, session_expiry=3600)
    resumed.connect()
    try:
        assert not resumed.wait_connected().is_failure
        message = resumed.messages.get(timeout=TIMEOUT)
        assert message.payload == b"queued"
    finally:
        resumed.close()
