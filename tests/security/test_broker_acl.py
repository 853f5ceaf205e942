"""A stolen device certificate against the shipped broker configuration.

The broker is the harness's Mosquitto, started with exactly what ``bdmi-gateway broker-config``
writes for a site (``edge_sync.gateway.broker_config``). The thief holds a valid certificate of the
site (CN = its own device id) and tries what issue 18 found possible before there was an ACL:
writing for another kiosk, reading everything (``#``, ``$SYS``), joining ``$share/gateway``, and
flooding with oversized messages.

How "never arrives" is proven without a timing guess: the broker handles one client's messages
in order, so after each forbidden publish the same client publishes an allowed control message
that the watcher does receive; had the forbidden one been delivered, it would have come first.
For subscriptions, the watched traffic is followed by a message the thief may read (its own
ack), so the thief's queue at that point holds everything it was ever going to get.
"""

from __future__ import annotations

import queue
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from edge_sync.gateway.broker_config import BrokerConfigError, BrokerSite, render_acl, render_config
from edge_sync.protocol.registration_wire import gateway_register
from edge_sync.protocol.wire import MAX_MESSAGE, acks_topic, gateway_results, results_topic
from tests.harness.mosquitto import MosquittoBroker

pytestmark = pytest.mark.services

SITE = "acl-site"
THIEF = "0x" + "11" * 20
VICTIM = "0x" + "22" * 20
GATEWAY = "bdmi-gateway-monitor"
WAIT_S = 20.0
SHARE_GROUP = "acl-test-" + secrets.token_hex(12)


class Client:
    """A real paho client with the given certificate; received messages land in a queue."""

    def __init__(self, broker: MosquittoBroker, cn: str, client_id: str) -> None:
        identity = broker.identity(cn)
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.subscribed: queue.Queue[list[int]] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=mqtt.MQTTv5)  # fmt: skip
        self.client.tls_set(ca_certs=str(broker.ca_cert), certfile=str(identity.cert),
                            keyfile=str(identity.key))  # fmt: skip
        self.client.on_message = lambda _c, _u, message: self.messages.put(message)
        self.client.on_subscribe = lambda _c, _u, _mid, codes, _p: self.subscribed.put(
            [code.value for code in codes]
        )
        connected: queue.Queue[int] = queue.Queue()
        self.client.on_connect = lambda _c, _u, _f, code, _p: connected.put(code.value)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        assert connected.get(timeout=WAIT_S) == 0

    def subscribe(self, topic: str) -> list[int]:
        """The SUBACK's reason codes (0-2 granted, 0x87 not authorized)."""
        self.client.subscribe(topic, qos=1)
        return self.subscribed.get(timeout=WAIT_S)

    def publish(self, topic: str, payload: bytes) -> None:
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(timeout=WAIT_S)
        assert info.is_published()

    def received(self) -> list[tuple[str, bytes]]:
        out = []
        while True:
            try:
                message = self.messages.get_nowait()
            except queue.Empty:
                return out
            out.append((message.topic, message.payload))

    def wait_for(self, payload: bytes) -> list[tuple[str, bytes]]:
        """Everything received up to and including ``payload``."""
        seen = []
        while True:
            message = self.messages.get(timeout=WAIT_S)
            seen.append((message.topic, message.payload))
            if message.payload == payload:
                return seen

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def clients(mosquitto_tls: MosquittoBroker) -> Iterator[dict[str, Client]]:
    made = {
        "thief": Client(mosquitto_tls, THIEF, f"bdmi-{THIEF}"),
        "victim": Client(mosquitto_tls, VICTIM, f"bdmi-{VICTIM}"),
        "gateway": Client(mosquitto_tls, GATEWAY, "acl-test-gateway"),
    }
    yield made
    for client in made.values():
        client.close()


def test_a_device_cannot_publish_for_another_device(clients):
    gateway, thief = clients["gateway"], clients["thief"]
    assert gateway.subscribe("bdmi/v1/+/+/results")[0] <= 2
    for topic in (
        results_topic(SITE, VICTIM),
        results_topic("other-site", VICTIM),
        acks_topic(SITE, VICTIM),
        f"bdmi/v1/{SITE}/{VICTIM}/registered",
    ):
        thief.publish(topic, b"forged")
    thief.publish(results_topic(SITE, THIEF), b"control")
    seen = gateway.wait_for(b"control")
    assert seen == [(results_topic(SITE, THIEF), b"control")]


def test_a_device_reads_only_its_own_acks_whatever_it_subscribes_to(clients):
    gateway, thief, victim = clients["gateway"], clients["thief"], clients["victim"]
    for topic in (
        "#",
        "$SYS/#",
        "bdmi/v1/+/+/results",
        "bdmi/v1/+/+/acks",
        acks_topic(SITE, THIEF),
    ):
        thief.subscribe(topic)
    assert victim.subscribe(acks_topic(SITE, VICTIM))[0] <= 2
    victim.publish(results_topic(SITE, VICTIM), b"victim-result")
    gateway.publish(acks_topic(SITE, VICTIM), b"victim-ack")
    assert victim.wait_for(b"victim-ack") == [(acks_topic(SITE, VICTIM), b"victim-ack")]
    gateway.publish(acks_topic(SITE, THIEF), b"thief-ack")
    seen = thief.wait_for(b"thief-ack")
    assert all(topic == acks_topic(SITE, THIEF) for topic, _ in seen), seen
    assert not any(topic.startswith("$SYS") for topic, _ in seen)


def test_a_device_cannot_join_the_gateways_shared_subscription(clients, mosquitto_tls):
    """Mosquitto's ACL file cannot refuse a subscription, only deliveries: a device in the
    gateways' group would be dealt results that are then dropped. The group name is a site
    secret (broker.share_group), so the thief's guesses form groups of their own."""
    thief, victim = clients["thief"], clients["victim"]
    watcher = Client(mosquitto_tls, "bdmi-gateway-a", "acl-test-shared-gateway")
    try:
        assert watcher.subscribe(gateway_results(SHARE_GROUP))[0] <= 2
        assert thief.subscribe(acks_topic(SITE, THIEF))[0] <= 2
        for guess in ("gateway", "gateways", "bdmi", "bdmi-gateway"):
            thief.subscribe(f"$share/{guess}/bdmi/v1/+/+/results")
            thief.subscribe(gateway_register(guess))
        for n in range(10):
            victim.publish(results_topic(SITE, VICTIM), f"r{n}".encode())
        seen = watcher.wait_for(b"r9")
        assert [payload for _, payload in seen] == [f"r{n}".encode() for n in range(10)]
        clients["gateway"].publish(acks_topic(SITE, THIEF), b"thief-ack")
        assert [payload for _, payload in thief.wait_for(b"thief-ack")] == [b"thief-ack"]
    finally:
        watcher.close()


def test_an_oversized_message_is_refused_by_the_broker(clients, mosquitto_tls):
    gateway = clients["gateway"]
    assert gateway.subscribe(results_topic(SITE, THIEF))[0] <= 2
    flooder = Client(mosquitto_tls, THIEF, "acl-test-flooder")
    dropped: queue.Queue[object] = queue.Queue()
    flooder.client.on_disconnect = lambda _c, _u, _f, code, _p: dropped.put(code)
    flooder.client.reconnect_delay_set(60, 60)  # stay off after the broker's answer
    try:
        flooder.client.publish(results_topic(SITE, THIEF), b"x" * (MAX_MESSAGE + 1), qos=1)
        dropped.get(timeout=WAIT_S)  # the broker ends a connection that sends one
    finally:
        flooder.close()
    thief = clients["thief"]
    thief.publish(results_topic(SITE, THIEF), b"y" * MAX_MESSAGE)  # the largest allowed
    seen = gateway.wait_for(b"y" * MAX_MESSAGE)
    assert [len(payload) for _, payload in seen] == [MAX_MESSAGE]
    assert mosquitto_tls.running


def test_the_shipped_acl_grants_devices_their_own_topics_and_the_gateway_its_role():
    acl = render_acl(["bdmi-gateway-1"])
    assert "pattern write bdmi/v1/+/%u/results" in acl
    assert "pattern read bdmi/v1/+/%u/acks" in acl
    assert "user bdmi-gateway-1\ntopic read bdmi/v1/+/+/results" in acl
    assert "$SYS" not in acl and "#" not in acl.replace("# ", "")
    for bad in ("", "gw 1", "gw/1", "gw#", "gw+", "gw\nuser other"):
        with pytest.raises(BrokerConfigError):
            render_acl([bad])


def test_bdmi_gateway_broker_config_writes_what_the_harness_runs(tmp_path):
    out = tmp_path / "etc"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "bdmi-gateway"), "broker-config",
         "--out", str(out), "--gateway-cn", "bdmi-gateway-1", "--gateway-cn", "bdmi-gateway-2",
         "--cafile", "/etc/bdmi-broker/ca.pem", "--certfile", "/etc/bdmi-broker/server.pem",
         "--keyfile", "/etc/bdmi-broker/server.key"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    site = BrokerSite(
        ca_file=Path("/etc/bdmi-broker/ca.pem"),
        cert_file=Path("/etc/bdmi-broker/server.pem"),
        key_file=Path("/etc/bdmi-broker/server.key"),
        acl_file=out / "bdmi.acl",
        persistence_dir=Path("/var/lib/mosquitto"),
        gateway_usernames=("bdmi-gateway-1", "bdmi-gateway-2"),
    )
    assert (out / "bdmi.conf").read_text() == render_config(site)
    assert (out / "bdmi.acl").read_text() == render_acl(site.gateway_usernames)
    refused = subprocess.run(
        [str(Path(sys.executable).parent / "bdmi-gateway"), "broker-config",
         "--out", str(tmp_path / "bad"), "--gateway-cn", "gw/1",
         "--cafile", "a", "--certfile", "b", "--keyfile", "c"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 2 and "GW_USAGE" in refused.stderr
    assert not (tmp_path / "bad").exists()
