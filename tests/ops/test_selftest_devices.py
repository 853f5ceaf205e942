"""``kioskctl selftest`` on the demo devices, each on its real transport (tests/ops/conftest.py):
all present, then one unplugged at a time. The report must name the missing part with its
reason code, the other checks must still run, and the process must end with exit 1, not a
traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.ops.selftest import run_selftest
from kiosk.store import audit
from kiosk.store.database import open_from_config
from tests.harness.ports import free_port

pytestmark = pytest.mark.services

KIOSKCTL = Path(sys.executable).parent / "kioskctl"
REPO = Path(__file__).resolve().parents[2]
NAMES = [
    "camera", "reader.sam", "card.sam", "reader.pcsc", "card.pcsc",
    "mqtt", "clock", "disk", "store", "audit", "in_service",
]  # fmt: skip


def kioskctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KIOSKCTL, *args], capture_output=True, text=True, timeout=120)


def statuses(report) -> dict[str, tuple[str, str | None]]:
    return {c.name: (c.status, c.reason) for c in report.checks}


def assert_clock_sane(found: tuple[str, str | None]) -> None:
    """This machine's kernel may not be NTP-disciplined: that is the one honest warning."""
    assert found in {("ok", None), ("warn", "OPS_CLOCK_NOT_SYNCED")}, found


def test_every_demo_device_present_is_ok(rig):
    report = run_selftest(rig.config())
    found = statuses(report)
    assert [c.name for c in report.checks] == NAMES
    assert_clock_sane(found.pop("clock"))
    assert found.pop("in_service") == ("skipped", "OPS_FREEZE_OFF")  # a demo is never frozen
    assert found == dict.fromkeys(found, ("ok", None)), report.to_dict()
    assert report.exit_code == 0
    assert report.get("card.sam").detail["doc_type"] == "cn_resident_id"
    assert report.get("mqtt").detail["tls"] is True
    assert 80 < report.get("camera").detail["mean_brightness"] < 160


def test_the_shipped_demo_config_passes_on_its_simulated_devices(tmp_path, pcscd_vpcd):
    """demo.toml as shipped (simulated SAM, specimen passport, simulated subject), through
    the command a technician types."""
    text = (REPO / "kiosk" / "config" / "demo.toml").read_text(encoding="utf-8")
    text = text.replace('state_dir = "~/.local/state/bdmi-kiosk-demo"',
                        f'state_dir = "{tmp_path / "state"}"')  # fmt: skip
    text = text.replace('[readers.pcsc]\nkind = "simulated"\n',
                        f'[readers.pcsc]\nkind = "simulated"\n'
                        f"simulated_vpcd_port = {pcscd_vpcd.vpcd_port}\n")  # fmt: skip
    path = tmp_path / "demo.toml"
    path.write_text(text, encoding="utf-8")
    from kiosk.config import load_config

    open_from_config(load_config(path), create=True).close()
    done = kioskctl("selftest", "--config", str(path), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    found = {c["name"]: (c["status"], c["reason"]) for c in report["checks"]}
    assert_clock_sane(found.pop("clock"))
    assert found.pop("in_service") == ("skipped", "OPS_FREEZE_OFF")  # a demo is never frozen
    assert found.pop("mqtt") == ("skipped", "OPS_SYNC_DISABLED")
    assert found == dict.fromkeys(found, ("ok", None)), report
    assert "selftest [1/9] camera" in done.stderr  # progress, as each check starts


def test_an_unplugged_sam_reader_is_named_and_the_rest_still_runs(rig, sam):
    config = rig.config()
    sam.stop()  # the pty closes: the USB cable is out
    done = kioskctl("selftest", "--config", str(rig.path), "--json")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    found = {c["name"]: (c["status"], c["reason"]) for c in report["checks"]}
    status, reason = found.pop("reader.sam")
    assert status == "fail" and reason.startswith("DRV_SAM_"), reason
    assert found.pop("card.sam") == ("skipped", "OPS_READER_FAILED")
    found.pop("clock")
    assert found.pop("in_service") == ("skipped", "OPS_FREEZE_OFF")
    assert found == dict.fromkeys(found, ("ok", None)), report
    # and the table for people names it too
    table = kioskctl("selftest", "--config", str(rig.path))
    assert table.returncode == 1
    line = next(x for x in table.stdout.splitlines() if x.startswith("reader.sam"))
    assert "FAIL" in line and reason in line
    assert config.readers.sam is not None


def test_a_passport_taken_off_the_reader_is_no_test_card_not_a_failure(rig, passport):
    passport.card.stop()
    report = run_selftest(rig.config())
    assert statuses(report)["reader.pcsc"] == ("ok", None)
    assert statuses(report)["card.pcsc"] == ("skipped", "OPS_NO_TEST_CARD")
    assert report.exit_code == 0


def test_a_pcsc_reader_pcscd_does_not_list_fails(rig):
    rig.pcsc_reader = "Reader Nobody Plugged In"
    report = run_selftest(rig.config())
    assert statuses(report)["reader.pcsc"] == ("fail", "DRV_READER_UNAVAILABLE")
    assert statuses(report)["card.pcsc"] == ("skipped", "OPS_READER_FAILED")
    assert statuses(report)["reader.sam"] == ("ok", None)


def test_a_camera_pointed_at_a_missing_device_fails(rig, tmp_path):
    rig.camera = str(tmp_path / "no-such-camera.avi")
    report = run_selftest(rig.config())
    status, reason = statuses(report)["camera"]
    assert (status, reason) == ("fail", "DRV_CAMERA_UNAVAILABLE")
    assert "no such file" in report.get("camera").message
    assert statuses(report)["card.sam"] == ("ok", None)


def test_a_dark_camera_warns(rig, tmp_path):
    from tests.ops.conftest import write_clip

    rig.camera = str(write_clip(tmp_path / "dark.avi", level=20))
    report = run_selftest(rig.config())
    assert statuses(report)["camera"] == ("warn", "OPS_CAMERA_TOO_DARK")
    assert report.exit_code == 0


def test_an_unreachable_broker_fails_with_its_reason(rig):
    rig.broker_port = free_port()  # nothing listens there
    report = run_selftest(rig.config())
    assert statuses(report)["mqtt"] == ("fail", "OPS_MQTT_UNREACHABLE")
    assert statuses(report)["store"] == ("ok", None)


def test_a_stopped_broker_fails_and_a_restarted_one_passes(rig, mosquitto_tls):
    config = rig.config()
    mosquitto_tls.stop()
    assert statuses(run_selftest(config))["mqtt"] == ("fail", "OPS_MQTT_UNREACHABLE")
    mosquitto_tls.start()
    assert statuses(run_selftest(config))["mqtt"] == ("ok", None)


def test_a_broker_certificate_from_another_ca_is_a_tls_failure(rig, tmp_path):
    from tests.harness.pki import create_test_pki

    other = create_test_pki(tmp_path / "other-pki")
    rig.ca_file = other.ca.cert
    report = run_selftest(rig.config())
    assert statuses(report)["mqtt"] == ("fail", "OPS_MQTT_TLS")


def test_a_certificate_expiring_soon_warns(rig):
    rig.health = {"cert_warn_days": 60}  # the harness certificates live 30 days
    report = run_selftest(rig.config())
    assert statuses(report)["mqtt"] == ("warn", "OPS_CERT_EXPIRING")
    assert 29 < report.get("mqtt").detail["cert_expires_in_days"] <= 30


def test_a_corrupted_audit_chain_fails(rig):
    config = rig.config()
    db = open_from_config(config)
    try:
        for n in range(3):
            audit.append(db, at_ms=1_800_000_000_000 + n, actor_kind="technician",
                         actor_id="t-1", action="test_entry", record_kind="device",
                         detail={"n": n})  # fmt: skip
        db.execute_sql("UPDATE audit_entry SET action = 'rewritten' WHERE seq = 2")
    finally:
        db.close()
    report = run_selftest(config)
    assert statuses(report)["audit"] == ("fail", "AUDIT_ENTRY_ALTERED")
    assert report.get("audit").detail["first_bad_seq"] == 2
    assert statuses(report)["store"] == ("ok", None)  # the file itself is sound
    assert report.exit_code == 1


def test_a_clock_behind_the_store_fails(rig):
    config = rig.config()
    db = open_from_config(config)
    try:  # the store saw a time a day ahead of now: the clock went back since
        audit.append(db, at_ms=int(__import__("time").time() * 1000) + 86_400_000,
                     actor_kind="system", actor_id="t", action="test_entry",
                     record_kind="device")  # fmt: skip
    finally:
        db.close()
    report = run_selftest(config)
    assert statuses(report)["clock"] == ("fail", "OPS_CLOCK_BEHIND_STORE")


@pytest.mark.parametrize(
    ("health", "store", "expected"),
    [
        ({"disk_warn_free_mb": 1_048_576}, {}, ("warn", "OPS_DISK_LOW")),
        ({"disk_warn_free_mb": 1_048_576, "disk_fail_free_mb": 1_048_576}, {},
         ("fail", "OPS_DISK_CRITICAL")),
        ({}, {"min_free_mb": 1_048_576}, ("fail", "STORE_DISK_LOW")),
        ({"disk_warn_free_mb": 0, "disk_fail_free_mb": 0}, {}, ("ok", None)),
    ],
)  # fmt: skip
def test_disk_thresholds(rig, health, store, expected):
    """Real free space on the test machine's disk against thresholds above and below it
    (1 TiB is more than this machine has; 0 is less)."""
    rig.health, rig.store = health, store
    report = run_selftest(rig.config())
    assert statuses(report)["disk"] == expected
    assert report.get("disk").detail["free_mb"] > 0


def test_a_missing_store_is_named_and_the_devices_are_still_checked(rig):
    config = rig.config()
    config.database_path.unlink()
    report = run_selftest(config)
    assert statuses(report)["store"] == ("fail", "STORE_NOT_FOUND")
    assert statuses(report)["audit"] == ("fail", "STORE_NOT_FOUND")
    assert statuses(report)["card.sam"] == ("ok", None)
    assert statuses(report)["disk"][0] == "ok"


def test_json_report_schema(rig):
    rig.config()
    done = kioskctl("selftest", "--config", str(rig.path), "--json")
    report = json.loads(done.stdout)
    assert set(report) == {"version", "software", "site", "at", "status", "exit_code", "checks"}
    assert report["version"] == 1 and report["site"] == "ops-test-site"
    assert report["exit_code"] == done.returncode
    for check in report["checks"]:
        assert set(check) == {"name", "status", "reason", "message", "detail", "duration_s"}
        assert check["status"] in ("ok", "warn", "fail", "skipped")
        assert (check["reason"] is None) == (check["status"] == "ok")
        assert isinstance(check["detail"], dict) and check["duration_s"] >= 0
        json.dumps(check["detail"])  # plain JSON values only


def test_a_bad_config_is_usage_exit_2(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[device]\nsite = "x-1"\nmode = "demo"\n[health]\nintervall_s = 5\n')
    done = kioskctl("selftest", "--config", str(path))
    assert done.returncode == 2
    assert "CFG_UNKNOWN_KEY" in done.stderr and "health.intervall_s" in done.stderr
