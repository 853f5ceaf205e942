"""Benchmark: how long a call for staff takes from the kiosk's audit entry to a subscriber on
the site's broker, against the raw MQTT publish it rests on.

Anchor: ``raw``: paho connects with the device's mTLS identity, publishes the same payload
QoS 1, waits for the PUBACK and disconnects (what any forwarder pays per message). Ours:
``forward``: the audit entry is appended, then one ``forward_from_config`` pass (open the
encrypted store, find the entry, publish as above, move the cursor). Both measured to the
moment a subscriber that was listening before holds the message; interleaved, same broker
(the harness's Mosquitto with mTLS), same run. Not included: the daemon's poll interval
(``[assist] staff_call_poll_s``, 3 s), which adds half of itself on average.

Prints JSON: per variant the median and p90 in ms, and ``forward_over_raw`` (median ratio).

    .venv/bin/python -m bench.staff_call [--rounds 30]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from kiosk.config import KioskConfig, load_config  # noqa: E402
from kiosk.ops.staff_call import STAFF_CALLED, forward_from_config, staff_call_topic  # noqa: E402
from kiosk.security.identity import device_id_from_config, ensure_demo_identity  # noqa: E402
from kiosk.store import audit  # noqa: E402
from kiosk.store.database import open_from_config  # noqa: E402
from tests.harness.mosquitto import MosquittoBroker  # noqa: E402
from tests.harness.pki import create_test_pki  # noqa: E402


def kiosk_config(work: Path, broker: MosquittoBroker) -> KioskConfig:
    """A demo kiosk whose TLS identity is its device id, as the broker's ACL requires."""
    path = work / "kiosk.toml"

    def write(cert: Path, key: Path) -> KioskConfig:
        path.write_text(
            f'[device]\nsite = "bench-site"\nmode = "demo"\nstate_dir = "{work / "state"}"\n'
            '[camera]\nkind = "simulated_subject"\n'
            f'[sync]\nenabled = true\nbroker_host = "{broker.host}"\n'
            f'broker_port = {broker.port}\nca_file = "{broker.ca_cert}"\n'
            f'cert_file = "{cert}"\nkey_file = "{key}"\n',
            encoding="utf-8",
        )
        return load_config(path)

    config = write(broker.client_cert, broker.client_key)
    device = broker.identity(ensure_demo_identity(config).device_id)
    config = write(device.cert, device.key)
    open_from_config(config, create=True).close()
    return config


class Listener:
    def __init__(self, broker: MosquittoBroker, topic: str) -> None:
        self.got = threading.Event()
        ready = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-listener",
                                  protocol=mqtt.MQTTv5)  # fmt: skip
        monitor = broker.identity("bdmi-gateway-monitor")  # the site's reading role
        self.client.tls_set(ca_certs=str(broker.ca_cert), certfile=str(monitor.cert),
                            keyfile=str(monitor.key))  # fmt: skip
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *_: ready.set()
        self.client.on_message = lambda *_: self.got.set()
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        if not ready.wait(10):
            raise RuntimeError("the listener could not subscribe")

    def wait(self) -> None:
        if not self.got.wait(10):
            raise RuntimeError("no message arrived")
        self.got.clear()

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def raw_publish(config: KioskConfig, broker: MosquittoBroker, topic: str, payload: bytes) -> None:
    """The same message with paho alone: mTLS connect, QoS 1 publish, PUBACK, disconnect."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-raw",
                         protocol=mqtt.MQTTv5)  # fmt: skip
    client.tls_set(ca_certs=str(broker.ca_cert), certfile=str(config.sync.cert_file),
                   keyfile=str(config.sync.key_file))  # fmt: skip
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        client.publish(topic, payload, qos=1).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-staff-call-"))
    broker = MosquittoBroker(work / "mosquitto", create_test_pki(work / "pki"))
    broker.start()
    try:
        config = kiosk_config(work, broker)
        topic = staff_call_topic(config.device.site, device_id_from_config(config))
        listener = Listener(broker, topic)
        payload = json.dumps({"source": "bdmi-health", "seq": 0, "at_ms": 0,
                              "screen": "face", "reason": None}).encode()  # fmt: skip
        forward_from_config(config)  # the cursor exists: every round is a steady-state pass
        times: dict[str, list[float]] = {"raw": [], "forward": []}
        for _ in range(args.rounds):
            started = time.perf_counter()
            raw_publish(config, broker, topic, payload)
            listener.wait()
            times["raw"].append(time.perf_counter() - started)

            started = time.perf_counter()
            db = open_from_config(config)
            try:
                audit.append(db, at_ms=int(time.time() * 1000), actor_kind="patient_session",
                             actor_id="bench", action=STAFF_CALLED, record_kind="session",
                             detail={"screen": "face", "reason": None})  # fmt: skip
            finally:
                db.close()
            if forward_from_config(config) != 1:
                raise RuntimeError("the call was not forwarded")
            listener.wait()
            times["forward"].append(time.perf_counter() - started)
        listener.close()
    finally:
        broker.stop()

    def summary(values: list[float]) -> dict[str, float]:
        ordered = sorted(values)
        return {"median_ms": round(statistics.median(ordered) * 1000, 2),
                "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 2)}  # fmt: skip

    report = {
        "anchor": "raw: paho mTLS connect + QoS 1 publish + PUBACK + disconnect, to receipt",
        "rounds": args.rounds,
        "raw": summary(times["raw"]),
        "forward": summary(times["forward"]),
        "forward_over_raw": round(
            statistics.median(times["forward"]) / statistics.median(times["raw"]), 3
        ),
        "poll_interval_s_not_included": config.assist.staff_call_poll_s,
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
