"""``kioskctl deprovision``: keys and personal data go, unsynced results block it without
``--force``, a confirmation is needed, and the record of it survives the wipe."""

from __future__ import annotations

import json
import time

import pytest

from kiosk.config import load_config
from kiosk.security.identity import keyring_from_config
from kiosk.store import outbox
from kiosk.store.database import open_from_config
from tests.provisioning.conftest import TECHNICIAN, kioskctl
from tests.sync.rig import Kiosk

pytestmark = pytest.mark.services

PORTRAIT = b"PORTRAIT-OF-A-PATIENT-" * 40  # a recognisable plaintext marker


def _deprovision(device, *extra: str):
    return kioskctl(
        "deprovision", "--config", str(device.config), "--technician", TECHNICIAN, *extra
    )


def test_deprovision_wipes_keys_and_personal_data_and_keeps_its_record(device, broker_address):
    provisioned = device.provision(broker_address, *device.site_ca)
    assert provisioned.returncode == 0, provisioned.stderr
    device_id = json.loads(provisioned.stdout)["device_id"]
    config = load_config(device.config)
    kiosk = Kiosk(device.config, config, keyring_from_config(config).active(), device.home / "x")
    (signed,) = kiosk.results(1)
    db = open_from_config(config)
    now = int(time.time() * 1000)
    personal = [outbox.PersonalData("portrait", PORTRAIT, now + 600_000)]
    outbox.record_result(
        db, signed, actor_kind="patient_session", actor_id="s1", personal=personal, now_ms=now
    )
    db.close()
    before = device.files()

    # Without a terminal and without --yes: refused, nothing touched.
    unconfirmed = _deprovision(device)
    assert unconfirmed.returncode == 2 and "PROV_CONFIRM_REQUIRED" in unconfirmed.stderr
    # One result has reached no gateway: refused unless forced, nothing touched.
    blocked = _deprovision(device, "--yes", "--json")
    assert blocked.returncode == 1
    assert json.loads(blocked.stdout)["reason"] == "PROV_UNSYNCED_RESULTS"
    assert "1 results have not reached a gateway" in blocked.stderr
    assert device.files() == before

    forced = _deprovision(device, "--yes", "--force", "--json")
    assert forced.returncode == 0, forced.stderr
    record = json.loads(forced.stdout)
    assert record["device_id"] == device_id and record["forced"] and record["unsynced"] == 1
    assert record["technician"] == TECHNICIAN and record["audit_head"]

    for gone in (
        config.keyring_dir,
        config.machine_secret_path,
        config.database_path,
        config.store.key_file,
        config.security.site_key_file,
        config.sync.key_file,
        config.sync.cert_file,
        config.sync.key_file.with_suffix(".csr"),
    ):
        assert not gone.exists(), gone
    # The portrait is nowhere on the device (neither in clear nor in a file left behind).
    left = device.files()
    assert not any(PORTRAIT[:22] in data for data in left.values())
    # What stays: the config, the CA bundle, and the record of the wipe with its audit head.
    assert {"kiosk.toml", "state/tls/ca.pem", "state/deprovisioned.jsonl"} == set(left)
    (kept,) = [json.loads(line) for line in left["state/deprovisioned.jsonl"].splitlines()]
    assert kept == {k: v for k, v in record.items() if k != "ok"}

    # Blank again: provisioning makes a new device (a device id is never reused).
    again = device.provision(broker_address, *device.site_ca)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["device_id"] != device_id
