"""A gateway behind a broker without the size limit (misconfigured, or hostile) stays flat.

The shipped broker refuses messages over 64 KiB (tests/security/test_broker_acl.py). Here the
broker has no limit, and a device floods its own results topic with 20 MB messages while the
real ``bdmi-gateway run`` is subscribed: the gateway's CONNECT says Maximum Packet Size
(``edge_sync.protocol.mqtt_session.MAX_PACKET``), so the broker never delivers them and the
gateway's memory does not grow by their size; a normal result sent after the flood is accepted.
Measured as resident memory (VmRSS), a resource bound, not a time.
"""

from __future__ import annotations

import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from edge_sync.protocol.wire import ResultMessage, acks_topic, results_topic
from tests.sync.rig import SITE, deploy_registry, make_gateway, make_kiosk, wait_for

pytestmark = pytest.mark.services
FLOOD = 10
FLOOD_BYTES = 20 * 1024 * 1024


@pytest.fixture(scope="module")
def chain(_neo_session, tmp_path_factory):
    return deploy_registry(_neo_session, tmp_path_factory.mktemp("chain"))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_oversized_messages_never_reach_the_gateways_memory(
    chain, mosquitto_factory, test_pki, tmp_path
):
    broker = mosquitto_factory(message_size_limit=0)  # 0: no limit at all
    address = (broker.host, broker.port)
    gateway = make_gateway(tmp_path, chain, f"sqlite:///{tmp_path / 'gw.sqlite'}", *address,
                           test_pki, "a")  # fmt: skip
    kiosk = make_kiosk(tmp_path, *address, test_pki, chain)
    registered = gateway.run(
        "device", "register", "--public-key", kiosk.key.public_key.hex(), "--site", SITE
    )
    assert registered.returncode == 0, registered.stderr
    identity = broker.identity(kiosk.key.device_id)
    device = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="flooder", protocol=mqtt.MQTTv5)
    device.tls_set(ca_certs=str(broker.ca_cert), certfile=str(identity.cert),
                   keyfile=str(identity.key))  # fmt: skip
    acked = threading.Event()
    device.on_connect = lambda client, *_: client.subscribe(
        acks_topic(SITE, kiosk.key.device_id), qos=1
    )
    device.on_message = lambda *_: acked.set()
    gateway.start()
    try:
        wait_for(lambda: "gateway connected" in gateway.log.read_text(errors="replace"), 60,
                 "the gateway connected")  # fmt: skip
        before = rss_kib(gateway.process.pid)
        device.connect(*address)
        device.loop_start()
        topic = results_topic(SITE, kiosk.key.device_id)
        for _ in range(FLOOD):
            device.publish(topic, b"\xa0" * FLOOD_BYTES, qos=1).wait_for_publish(120)
        (result,) = kiosk.results(1)
        device.publish(topic, ResultMessage(result).encode(), qos=1).wait_for_publish(60)
        assert acked.wait(60), "the gateway never answered the normal result"
        after = rss_kib(gateway.process.pid)
    finally:
        device.loop_stop()
        device.disconnect()
        gateway.stop()
    growth_mib = (after - before) / 1024
    print(f"gateway RSS before {before // 1024} MiB, after {FLOOD} x 20 MiB: {after // 1024} MiB")
    assert growth_mib < FLOOD_BYTES / 1024 / 1024  # not even one of the messages was held
