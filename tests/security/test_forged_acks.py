"""Forged acks against a real kiosk: the attack of issue 18, through the real broker.

A thief holding a gateway-role certificate (so the shipped ACL lets it write acks) but not the
gateway's key answers a running ``bdmi-sync`` while no gateway is up: ``accepted`` acks
without a signature, and ``anchored`` acks with single-leaf proofs signed by a key of its own.
Before acks were signed the kiosk showed them accepted and anchored and never sent them again.
Now nothing moves, the refusals are audited, and when the real gateway comes up every result is
anchored for real.
"""

from __future__ import annotations

import json
import threading

import paho.mqtt.client as mqtt
import pytest
from neo3.wallet.account import Account
from paho.mqtt.enums import CallbackAPIVersion

from edge_sync.protocol.ack_signature import sign_ack
from edge_sync.protocol.merkle import leaf_hash
from edge_sync.protocol.wire import AckMessage, acks_topic, results_topic
from kiosk.store.database import open_from_config
from tests.harness.neogo import _FAST_SCRYPT
from tests.sync.rig import SITE, deploy_registry, make_gateway, make_kiosk, wait_for

pytestmark = pytest.mark.services
FAKE_TX = "0x" + "ab" * 32


@pytest.fixture(scope="module")
def chain(_neo_session, tmp_path_factory):
    return deploy_registry(_neo_session, tmp_path_factory.mktemp("chain"))


def refused_acks(kiosk) -> int:
    db = open_from_config(kiosk.config)
    try:
        rows = db.execute_sql(
            "SELECT detail FROM audit_entry WHERE action = 'ack_refused'"
        ).fetchall()
    finally:
        db.close()
    return sum(sum(json.loads(detail).values()) for (detail,) in rows)


def test_forged_acks_change_nothing_and_the_real_gateway_anchors_everything(
    chain, mosquitto_tls, test_pki, tmp_path
):
    broker = (mosquitto_tls.host, mosquitto_tls.port)
    gateway = make_gateway(tmp_path, chain, f"sqlite:///{tmp_path / 'gw.sqlite'}", *broker,
                           test_pki, "a")  # fmt: skip
    kiosk = make_kiosk(tmp_path, *broker, test_pki, chain)
    registered = gateway.run(
        "device", "register", "--public-key", kiosk.key.public_key.hex(), "--site", SITE
    )
    assert registered.returncode == 0, registered.stderr
    results = kiosk.results(10)
    kiosk.record(results)

    thief_key = Account.create_new(_FAST_SCRYPT)
    identity = mosquitto_tls.identity("bdmi-gateway-b")  # the gateway role, not its key
    thief = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="thief", protocol=mqtt.MQTTv5)
    thief.tls_set(ca_certs=str(mosquitto_tls.ca_cert), certfile=str(identity.cert),
                  keyfile=str(identity.key))  # fmt: skip
    # The thief answers once it sees the kiosk's results: the agent is subscribed by then.
    seen = threading.Event()
    thief.on_connect = lambda client, *_: client.subscribe(
        results_topic(SITE, kiosk.key.device_id), qos=1
    )
    thief.on_message = lambda *_: seen.set()
    thief.connect(*broker)
    thief.loop_start()
    kiosk.start_sync()
    try:
        assert seen.wait(60), "the kiosk never published"
        topic = acks_topic(SITE, kiosk.key.device_id)
        for result in results[:5]:
            thief.publish(topic, AckMessage(result.result_id, "accepted").encode(), qos=1)
        for result in results[5:]:
            forged = AckMessage(
                result.result_id, "anchored", batch_id="b", tx_hash=FAKE_TX,
                root=leaf_hash(result.payload), leaf_index=0, tree_size=1,
            )  # fmt: skip
            signed = sign_ack(forged, kiosk.key.device_id, thief_key.sign)
            thief.publish(topic, signed.encode(), qos=1).wait_for_publish(20)
        wait_for(lambda: refused_acks(kiosk) == 10, 60, "10 forged acks refused and audited")
        states = kiosk.states()
        assert states["accepted"] == 0 and states["anchored"] == 0, states

        gateway.start()
        wait_for(lambda: kiosk.states()["anchored"] == 10, 120, "10 results anchored for real")
    finally:
        thief.loop_stop()
        thief.disconnect()
        kiosk.stop_sync()
        gateway.stop()
    status = kiosk.kioskctl("outbox", "status", "--config", str(kiosk.config_path), "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["counts"]["anchored"] == 10
