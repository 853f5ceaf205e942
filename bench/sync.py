"""Benchmark: how fast results go from a kiosk's store to the gateway, and what anchoring costs.

Anchor: raw paho, QoS 1 over the same mutual-TLS Mosquitto with the agent's window (64 in
flight), measured in the same run. Two raw figures, because the one-way one is easier work
than ours: ``raw_paho_qos1_per_s`` (publisher to subscriber, PUBACK-paced; the issue's
anchor) and ``raw_paho_roundtrip_per_s`` (the fair one: the subscriber answers each message
with a QoS 1 message back, and the publisher counts the answers, which is the shape of
result -> ack). Neither side's start-up is counted: the raw clock starts after CONNACK, ours
at the agent's ``online`` status (its wall clock at CONNACK, read back from the retained
message) and stops at the last ``accepted_at_ms`` the agent wrote into the store. The same
figures with start-up included (process start, imports, TLS connect) are printed beside them.

Real parts, started here: Mosquitto with mutual TLS, a neo-go node with the IdvRegistry
deployed by ``bdmi-gateway deploy``, one ``bdmi-gateway run`` (SQLite) and one ``bdmi-sync``
on an encrypted store holding ``--results`` signed results (tests/sync/rig.py builds them the
way the tests do). Prints JSON:

* ``raw_paho_qos1_per_s`` / ``raw_paho_roundtrip_per_s``: the anchors above, no store, no
  signature check, no database; ``..._with_connect_per_s``: the same with the TLS connect.
* ``agent_accepted_per_s``: results per second from the agent's CONNACK until every one is
  ``accepted`` in the kiosk's store (the gateway verified and stored each, its signed ack came
  back and was verified, the store recorded it). ``ratio_to_raw`` = agent / one-way raw,
  ``ratio_to_roundtrip`` = agent / round-trip raw. ``agent_accepted_with_startup_per_s``
  counts from starting ``bdmi-sync`` (``ratio_with_startup`` against raw with its connect).
* ``all_anchored_s``: until every result is ``anchored`` with its proof.
* GAS: the network and system fee of each anchor transaction (read back from the chain);
  ``gas_per_result_batched`` (a full batch's fee / its size) against ``gas_single_anchor``
  (a batch of one: what anchoring each result on its own would cost).

    .venv/bin/python -m bench.sync [--results 2000] [--batch 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from neo3.api import noderpc  # noqa: E402
from neo3.core import types  # noqa: E402

from edge_sync.gateway.db import Batch, open_gateway_db  # noqa: E402
from edge_sync.protocol.mqtt_session import BrokerSettings, make_client  # noqa: E402
from edge_sync.protocol.wire import ResultMessage, decode_status, status_topic  # noqa: E402
from kiosk.store.database import open_store, store_key_path  # noqa: E402
from kiosk.store.key import load_key  # noqa: E402
from tests.harness.mosquitto import MosquittoBroker  # noqa: E402
from tests.harness.neogo import NeoGoNode  # noqa: E402
from tests.harness.pki import create_test_pki, issue_certificate  # noqa: E402
from tests.sync.rig import deploy_registry, make_gateway, make_kiosk, wait_for  # noqa: E402

GAS = 10**8


def _settings(broker: MosquittoBroker, pki, cert) -> BrokerSettings:
    return BrokerSettings(broker.host, broker.port, pki.ca.cert, cert.cert, cert.key)


def _connected(client, broker: MosquittoBroker) -> None:
    """Connect and wait for CONNACK, so the caller's clock can start after it."""
    up = threading.Event()
    client.on_connect = lambda *_: up.set()
    client.connect(broker.host, broker.port)
    client.loop_start()
    if not up.wait(30):
        raise RuntimeError("raw baseline: no CONNACK")


def raw_paho_rate(broker: MosquittoBroker, pki, workdir: Path, payload: bytes, count: int,
                  window: int) -> tuple[float, float]:  # fmt: skip
    """One way, QoS 1, ``window`` in flight: (messages per second after CONNACK, the same
    with the publisher's TLS connect counted)."""
    # Through the same ACL as the product: the publisher is a device (its CN in its topic),
    # the subscriber has the gateway role.
    sub_cert = broker.identity("bdmi-gateway-monitor")
    pub_cert = issue_certificate(pki.ca, workdir, "raw-pub", "raw-pub", server=False)
    topic = "bdmi/v1/bench/raw-pub/results"
    received = threading.Event()
    seen = [0]

    def on_message(_c, _u, _m) -> None:
        seen[0] += 1
        if seen[0] >= count:
            received.set()

    subscribed = threading.Event()
    sub = make_client("raw-sub", _settings(broker, pki, sub_cert))
    sub.on_message = on_message
    sub.on_subscribe = lambda *_: subscribed.set()
    _connected(sub, broker)
    sub.subscribe(topic, qos=1)
    subscribed.wait(10)
    began_connect = time.perf_counter()
    pub = make_client("raw-pub", _settings(broker, pki, pub_cert))
    pub.max_inflight_messages_set(window)
    _connected(pub, broker)
    began = time.perf_counter()
    for _ in range(count):
        pub.publish(topic, payload, qos=1)
    received.wait(300)
    ended = time.perf_counter()
    for client in (pub, sub):
        client.disconnect()
        client.loop_stop()
    if seen[0] < count:
        raise RuntimeError(f"raw baseline: only {seen[0]} of {count} messages arrived")
    return count / (ended - began), count / (ended - began_connect)


def raw_roundtrip_rate(broker: MosquittoBroker, pki, workdir: Path, payload: bytes,
                       answer: bytes, count: int, window: int) -> tuple[float, float]:  # fmt: skip
    """The fair anchor: each message answered by the subscriber with a QoS 1 message back
    (an ack's size) and at most ``window`` unanswered at once, the agent's rule. (messages
    answered per second after CONNACK, the same with the publisher's connect counted)."""
    sub_cert = broker.identity("bdmi-gateway-monitor")
    pub_cert = issue_certificate(pki.ca, workdir, "raw-rt", "raw-rt", server=False)
    topic, back = "bdmi/v1/bench/raw-rt/results", "bdmi/v1/bench/raw-rt/acks"
    sub = make_client("raw-rt-sub", _settings(broker, pki, sub_cert))
    sub.on_message = lambda c, _u, _m: c.publish(back, answer, qos=1)
    subscribed = threading.Event()
    sub.on_subscribe = lambda *_: subscribed.set()
    _connected(sub, broker)
    sub.subscribe(topic, qos=1)
    subscribed.wait(10)
    slots = threading.Semaphore(window)
    done = threading.Event()
    answered = [0]

    def on_answer(_c, _u, _m) -> None:
        answered[0] += 1
        slots.release()
        if answered[0] >= count:
            done.set()

    began_connect = time.perf_counter()
    pub = make_client("raw-rt", _settings(broker, pki, pub_cert))
    pub.max_inflight_messages_set(window)
    pub.on_message = on_answer
    _connected(pub, broker)
    ready = threading.Event()
    pub.on_subscribe = lambda *_: ready.set()
    pub.subscribe(back, qos=1)
    ready.wait(10)
    began = time.perf_counter()
    for _ in range(count):
        slots.acquire()
        pub.publish(topic, payload, qos=1)
    done.wait(300)
    ended = time.perf_counter()
    for client in (pub, sub):
        client.disconnect()
        client.loop_stop()
    if answered[0] < count:
        raise RuntimeError(f"raw round trip: only {answered[0]} of {count} answered")
    return count / (ended - began), count / (ended - began_connect)


def online_at_ms(broker: MosquittoBroker, pki, site: str, device_id: str) -> int:
    """The agent's wall clock at its last CONNACK: its retained ``online`` status."""
    got: list[int] = []
    arrived = threading.Event()

    def on_message(_c, _u, message) -> None:
        status = decode_status(message.payload)
        if status["state"] == "online":
            got.append(int(status["at_ms"]))
            arrived.set()

    client = make_client(
        "raw-status", _settings(broker, pki, broker.identity("bdmi-gateway-monitor"))
    )
    client.on_message = on_message
    _connected(client, broker)
    client.subscribe(status_topic(site, device_id), qos=1)
    arrived.wait(10)
    client.disconnect()
    client.loop_stop()
    if not got:
        raise RuntimeError("no retained online status from the agent")
    return got[0]


def last_accepted_ms(kiosk) -> int:
    """When the agent recorded the last ``accepted`` (its wall clock, in its own store)."""
    db = open_store(kiosk.config.database_path, load_key(store_key_path(kiosk.config)),
                    migrate=False)  # fmt: skip
    try:
        return int(db.execute_sql("SELECT max(accepted_at_ms) FROM outbox").fetchone()[0])
    finally:
        db.close()


async def tx_fees(rpc_url: str, tx_hashes: list[str]) -> list[int]:
    async with noderpc.NeoRpcClient(rpc_url) as client:
        fees = []
        for tx_hash in tx_hashes:
            tx = await client.get_transaction(types.UInt256.from_string(tx_hash.removeprefix("0x")))
            fees.append(tx.system_fee + tx.network_fee)
        return fees


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    pki = create_test_pki(work / "pki")
    broker = MosquittoBroker(work / "mosquitto", pki)
    node = NeoGoNode(work / "neo")
    broker.start()
    node.start()
    report: dict[str, object] = {"results": args.results, "window": 64}
    gateway = None
    kiosk = None
    try:
        print("deploying the IdvRegistry ...", file=sys.stderr)
        chain = deploy_registry(node, work / "chain")
        gateway = make_gateway(work, chain, f"sqlite:///{work / 'gw.sqlite'}", broker.host,
                               broker.port, pki, "a")  # fmt: skip
        text = gateway.config.read_text().replace("max_size = 500", f"max_size = {args.batch}")
        gateway.config.write_text(text)
        kiosk = make_kiosk(work, broker.host, broker.port, pki, chain)
        done = gateway.run("device", "register", "--public-key", kiosk.key.public_key.hex(),
                           "--site", "demo-hospital")  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        results = kiosk.results(args.results)
        payload = ResultMessage(results[0]).encode()
        report["message_bytes"] = len(payload)
        print(f"baseline: raw paho QoS 1, {args.results} messages ...", file=sys.stderr)
        raw, raw_connect = raw_paho_rate(broker, pki, work, payload, args.results, 64)
        ack_bytes = 180  # a signed ``accepted`` ack's size
        print(f"fair baseline: raw paho round trip, {args.results} ...", file=sys.stderr)
        trip, trip_connect = raw_roundtrip_rate(broker, pki, work, payload, b"a" * ack_bytes,
                                                args.results, 64)  # fmt: skip
        kiosk.record(results)
        gateway.start()
        time.sleep(2)  # the gateway subscribed before the clock starts
        print(f"bdmi-sync: {args.results} results ...", file=sys.stderr)
        began = time.perf_counter()
        began_ms = int(time.time() * 1000)
        kiosk.start_sync()

        def synced() -> bool:
            states = kiosk.states()
            return states["accepted"] + states["anchored"] == args.results

        wait_for(synced, 600, "all accepted", poll=0.1)
        last_ms = last_accepted_ms(kiosk)
        online_ms = online_at_ms(broker, pki, "demo-hospital", kiosk.key.device_id)
        accepted_s = (last_ms - online_ms) / 1000
        startup_s = (last_ms - began_ms) / 1000
        wait_for(lambda: kiosk.states()["anchored"] == args.results, 600, "all anchored", 0.2)
        anchored_s = time.perf_counter() - began
        # One more result on its own: the fee of anchoring a single result.
        kiosk.record(kiosk.results(1))
        wait_for(lambda: kiosk.states()["anchored"] == args.results + 1, 120, "single anchored")
        db = open_gateway_db(f"sqlite:///{work / 'gw.sqlite'}")
        batches = [(b.size, b.tx_hash) for b in Batch.select().order_by(Batch.batch_id)]
        db.close()
        fees = asyncio.run(tx_fees(chain.rpc_url, [h for _, h in batches]))
        full = [(size, fee) for (size, _), fee in zip(batches, fees, strict=True)]
        biggest = max(full)
        single = full[-1]
        agent = args.results / accepted_s
        agent_startup = args.results / startup_s
        report |= {
            "anchor": "raw paho QoS 1 over the same mTLS broker, window 64, same run",
            "raw_paho_qos1_per_s": round(raw, 1),
            "raw_paho_roundtrip_per_s": round(trip, 1),
            "agent_accepted_per_s": round(agent, 1),
            "ratio_to_raw": round(agent / raw, 3),
            "ratio_to_roundtrip": round(agent / trip, 3),
            "with_startup": {
                "raw_paho_qos1_with_connect_per_s": round(raw_connect, 1),
                "raw_paho_roundtrip_with_connect_per_s": round(trip_connect, 1),
                "agent_accepted_with_startup_per_s": round(agent_startup, 1),
                "ratio_with_startup": round(agent_startup / raw_connect, 3),
            },
            "all_accepted_s": round(accepted_s, 3),
            "agent_startup_to_online_s": round((online_ms - began_ms) / 1000, 3),
            "all_anchored_s": round(anchored_s, 2),
            "batches": [size for size, _ in full],
            "gas_per_batch_of": {"size": biggest[0], "gas": biggest[1] / GAS},
            "gas_per_result_batched": round(biggest[1] / biggest[0] / GAS, 8),
            "gas_single_anchor": single[1] / GAS if single[0] == 1 else None,
            "gas_saving_factor": round(single[1] / (biggest[1] / biggest[0]), 1),
        }
    finally:
        if kiosk is not None:
            kiosk.stop_sync()
        if gateway is not None:
            gateway.stop()
        node.stop()
        broker.stop()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
