"""A kiosk's results reach the chain: store -> bdmi-sync -> Mosquitto (mTLS, MQTT v5) ->
bdmi-gateway -> IdvRegistry on neo-go -> anchored acks with proofs -> the kiosk's store, and
``kioskctl proof verify`` proves a result against the root on chain."""

from __future__ import annotations

import json

import pytest

from kiosk.store.database import open_from_config
from kiosk.store.models import Outbox
from tests.sync.rig import deploy_registry, make_gateway, make_kiosk, wait_for

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def chain(_neo_session, tmp_path_factory):
    return deploy_registry(_neo_session, tmp_path_factory.mktemp("chain"))


def test_results_flow_from_the_store_to_the_chain_and_prove(
    chain, mosquitto_tls, test_pki, tmp_path
):
    broker = (mosquitto_tls.host, mosquitto_tls.port)
    gateway = make_gateway(tmp_path, chain, f"sqlite:///{tmp_path / 'gw.sqlite'}", *broker,
                           test_pki, "a")  # fmt: skip
    kiosk = make_kiosk(tmp_path, *broker, test_pki, chain)
    registered = gateway.run(
        "device", "register", "--public-key", kiosk.key.public_key.hex(), "--site", "demo-hospital"
    )
    assert registered.returncode == 0, registered.stderr
    assert json.loads(registered.stdout)["device_id"] == kiosk.key.device_id

    results = kiosk.results(40)
    kiosk.record(results)
    gateway.start()
    kiosk.start_sync()
    try:
        wait_for(lambda: kiosk.states()["anchored"] == 40, 120, "40 results anchored")
    finally:
        kiosk.stop_sync()
        gateway.stop()
    assert kiosk.states() == {"pending": 0, "sending": 0, "accepted": 0, "anchored": 40}

    db = open_from_config(kiosk.config)
    with db.bound():
        rows = list(Outbox.select())
    db.close()
    assert all(r.tx_hash and r.tx_hash.startswith("0x") and r.merkle_proof for r in rows)

    some = results[17].result_id
    proved = kiosk.kioskctl("proof", "verify", some, "--config", str(kiosk.config_path))
    assert proved.returncode == 0, proved.stderr
    report = json.loads(proved.stdout)
    assert report["ok"] and report["reason"] == "PROOF_OK"
    assert report["computed_root"] == report["chain_root"]

    on_gateway = gateway.run("proof", "verify", some)
    assert on_gateway.returncode == 0, on_gateway.stderr
    assert json.loads(on_gateway.stdout)["chain_root"] == report["chain_root"]


def test_a_result_of_an_unregistered_device_is_parked_not_lost(
    chain, mosquitto_tls, test_pki, tmp_path
):
    broker = (mosquitto_tls.host, mosquitto_tls.port)
    gateway = make_gateway(tmp_path, chain, f"sqlite:///{tmp_path / 'gw.sqlite'}", *broker,
                           test_pki, "b")  # fmt: skip
    kiosk = make_kiosk(tmp_path, *broker, test_pki, chain)
    kiosk.record(kiosk.results(3))
    gateway.start()
    kiosk.start_sync()
    try:
        wait_for(lambda: json.loads(gateway.run("rejections").stdout), 60, "a rejection")
        rejected = json.loads(gateway.run("rejections").stdout)
        assert {r["reason"] for r in rejected} == {"GW_DEVICE_UNKNOWN"}
        # Parked in the kiosk store with the gateway's reason, and retried: once the device
        # is registered, the same results go through.
        wait_for(lambda: kiosk.states()["pending"] == 3, 30, "3 results parked as pending")
        registered = gateway.run("device", "register", "--public-key",
                                 kiosk.key.public_key.hex(), "--site", "demo-hospital")  # fmt: skip
        assert registered.returncode == 0, registered.stderr
        wait_for(lambda: kiosk.states()["anchored"] == 3, 90, "3 results anchored after retry")
    finally:
        kiosk.stop_sync()
        gateway.stop()
