"""``bdmi-health``: one round publishes a retained health message that a client reads back
from the real Mosquitto, a failed camera is re-opened and the attempt lands in the audit log
(which still verifies), attempts are rate-limited through that log, and services are watched
through real pid files of real processes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from edge_sync.protocol.wire import decode_health, health_topic
from kiosk.ops.health import run_round
from kiosk.ops.services import PidFileProbe
from kiosk.security.identity import device_id_from_config
from kiosk.store import audit
from kiosk.store.audit import verify_chain
from kiosk.store.database import open_from_config

pytestmark = pytest.mark.services

BDMI_HEALTH = Path(sys.executable).parent / "bdmi-health"


def read_retained(broker, topic: str, timeout: float = 10.0) -> bytes:
    """Subscribe after the fact: only a retained message arrives."""
    got: list[bytes] = []
    arrived = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="ops-test-reader",
                         protocol=mqtt.MQTTv5)  # fmt: skip
    monitor = broker.identity("bdmi-gateway-monitor")  # the site's role that reads health
    client.tls_set(ca_certs=str(broker.ca_cert), certfile=str(monitor.cert),
                   keyfile=str(monitor.key))  # fmt: skip

    def on_message(_c, _u, message):
        if message.retain:
            got.append(message.payload)
            arrived.set()

    client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
    client.on_message = on_message
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        assert arrived.wait(timeout), f"no retained message on {topic}"
    finally:
        client.loop_stop()
        client.disconnect()
    return got[-1]


def pid_dir_with(tmp_path, **pids: int) -> Path:
    directory = tmp_path / "run"
    directory.mkdir(exist_ok=True)
    for service, pid in pids.items():
        (directory / f"{service}.pid").write_text(f"{pid}\n")
    return directory


def recoveries(config) -> list[tuple[str, dict]]:
    db = open_from_config(config)
    try:
        rows = db.execute_sql(
            "SELECT actor_kind, record_id, detail FROM audit_entry "
            "WHERE action = 'device_recovery' ORDER BY seq"
        ).fetchall()
        assert verify_chain(db).ok
    finally:
        db.close()
    return [(kind, {"device": device, **json.loads(detail)}) for kind, device, detail in rows]


def test_a_round_publishes_retained_health_the_broker_hands_back(rig, tmp_path, mosquitto_tls):
    with subprocess.Popen(["sleep", "60"]) as kiosk, subprocess.Popen(["sleep", "60"]) as sync:
        rig.health = {"pid_dir": pid_dir_with(tmp_path, **{"bdmi-kiosk": kiosk.pid,
                                                          "bdmi-sync": sync.pid})}  # fmt: skip
        config = rig.config()
        result = run_round(config, probe=PidFileProbe(config.health.pid_dir))
        kiosk.kill()
        sync.kill()
    assert result.published and result.exit_code == 0, result.message()
    topic = health_topic(config.device.site, device_id_from_config(config))
    report = decode_health(read_retained(mosquitto_tls, topic))
    assert report["source"] == "bdmi-health"
    assert report["checks"]["service.bdmi-kiosk"] == {"status": "ok", "reason": None}
    # bdmi-kiosk runs, so it owns the devices: they are looked at, not opened.
    assert report["checks"]["reader.sam"] == {"status": "ok", "reason": None}
    assert report["checks"]["card.sam"] == {"status": "skipped", "reason": "OPS_DEVICE_IN_USE"}
    assert report["checks"]["reader.pcsc"] == {"status": "ok", "reason": None}
    assert report["checks"]["sync"]["status"] == "ok"
    assert report["outbox"] == {"pending": 0, "sending": 0, "accepted": 0, "anchored": 0}
    assert report["disk_free_mb"] > 0
    db = open_from_config(config)
    try:
        assert report["audit_head"] == (str(audit.head(db)) if audit.head(db) else None)
    finally:
        db.close()
    # Nothing personal and no message text: statuses, codes and numbers only.
    text = json.dumps(report, ensure_ascii=False)
    assert "测试" not in text and str(rig.home) not in text and "message" not in text


def test_a_failed_camera_is_reopened_and_the_attempt_is_audited_once(rig, tmp_path):
    rig.camera = str(tmp_path / "unplugged-camera.avi")
    rig.sam_port = rig.pcsc_reader = None  # the camera alone: one recovery to account for
    rig.health = {"services": [], "recovery_min_interval_s": 600}
    config = rig.config()
    first = run_round(config, probe=PidFileProbe(tmp_path), publisher=None)
    [done] = first.recoveries
    assert (done.device, done.action, done.outcome) == ("camera", "camera_reopen", "failed")
    assert done.trigger == "DRV_CAMERA_UNAVAILABLE"
    assert {c.name: c.reason for c in first.checks}["camera"] == "DRV_CAMERA_UNAVAILABLE"
    assert first.exit_code == 1
    [(actor, entry)] = recoveries(config)
    assert actor == "system"
    assert entry == {"device": "camera", "action": "camera_reopen",
                     "reason": "OPS_RECOVERY_CAMERA_REOPEN", "trigger": "DRV_CAMERA_UNAVAILABLE",
                     "outcome": "failed", "result": "DRV_CAMERA_UNAVAILABLE"}  # fmt: skip
    # The next round comes before the rate limit allows another try: nothing is done, and
    # the audit log says why there is no second entry (the limit lives in it).
    second = run_round(config, probe=PidFileProbe(tmp_path), publisher=None)
    [held] = second.recoveries
    assert held.outcome == "rate_limited" and held.next_allowed_ms > time.time() * 1000
    assert len(recoveries(config)) == 1


def test_healthy_devices_are_not_acted_on(rig, tmp_path):
    rig.health = {"services": []}
    config = rig.config()
    result = run_round(config, probe=PidFileProbe(tmp_path), publisher=None)
    assert result.recoveries == [] and recoveries(config) == []


def test_recovery_off_takes_no_action(rig, tmp_path):
    rig.camera = str(tmp_path / "gone.avi")
    rig.health = {"services": [], "recovery": False}
    config = rig.config()
    result = run_round(config, probe=PidFileProbe(tmp_path), publisher=None)
    assert result.recoveries == [] and recoveries(config) == []


def test_dead_services_and_an_unreachable_broker_are_reported_without_a_crash(rig, tmp_path):
    with subprocess.Popen(["sleep", "60"]) as gone:
        pid = gone.pid
        gone.kill()
        gone.wait()
    rig.health = {"pid_dir": pid_dir_with(tmp_path, **{"bdmi-kiosk": pid})}
    from tests.harness.ports import free_port

    rig.broker_port = free_port()
    rig.config()
    done = subprocess.run(
        [BDMI_HEALTH, "run", "--once", "--config", str(rig.path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "OPS_SERVICE_DOWN" in done.stderr  # the round's log line names the problems
    assert "OPS_MQTT_UNREACHABLE" in done.stderr
    assert "OPS_HEALTH_NOT_PUBLISHED" in done.stderr
    assert "bdmi-health [1/" in done.stderr  # progress


def test_the_daemon_loops_and_stops_on_sigterm(rig, tmp_path):
    rig.health = {"services": [], "interval_s": 10}
    rig.config()
    process = subprocess.Popen(
        [BDMI_HEALTH, "run", "--config", str(rig.path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        seen = ""
        while "health round" not in seen and time.monotonic() < deadline:
            seen += process.stderr.readline()
        assert "health round" in seen
        process.terminate()
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_while_the_kiosk_runs_devices_are_only_looked_at(rig, tmp_path, sam):
    """An unplugged SAM reader is seen as absent, and nothing opens or resets what the
    kiosk holds (a status request on its serial line would break a read in progress)."""
    with subprocess.Popen(["sleep", "60"]) as kiosk:
        rig.health = {"pid_dir": pid_dir_with(tmp_path, **{"bdmi-kiosk": kiosk.pid}),
                      "services": ["bdmi-kiosk"]}  # fmt: skip
        rig.camera = str(tmp_path / "unplugged.avi")
        config = rig.config()
        sam.stop()
        result = run_round(config, probe=PidFileProbe(config.health.pid_dir), publisher=None)
        kiosk.kill()
    found = {c.name: (c.status, c.reason) for c in result.checks}
    assert found["reader.sam"] == ("fail", "OPS_DEVICE_ABSENT")
    assert found["camera"] == ("fail", "OPS_DEVICE_ABSENT")
    assert found["card.sam"] == ("skipped", "OPS_DEVICE_IN_USE")
    assert found["service.bdmi-kiosk"] == ("ok", None)
    assert result.recoveries == [] and recoveries(config) == []
