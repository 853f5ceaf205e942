"""Benchmark: how fast results go from a kiosk's store to the gateway, and what anchoring costs.

Real parts, started here: Mosquitto with mutual TLS, a neo-go node with the IdvRegistry
deployed by ``bdmi-gateway deploy``, one ``bdmi-gateway run`` (SQLite) and one ``bdmi-sync``
on an encrypted store holding ``--results`` signed results (tests/sync/rig.py builds them the
way the tests do). Prints JSON:

* ``raw_paho_qos1_per_s``: the baseline: one paho client publishing messages of a result's
  size at QoS 1 with the agent's window through the same broker to one subscriber. What the
  network and broker allow, with no store, no signature check, no database.
* ``agent_accepted_per_s``: results per second from starting ``bdmi-sync`` until every one is
  ``accepted`` in the kiosk's store (the gateway verified and stored each, its ack came back,
  the store recorded it). ``ratio_to_raw`` = agent / raw.
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
from edge_sync.protocol.wire import ResultMessage  # noqa: E402
from tests.harness.mosquitto import MosquittoBroker  # noqa: E402
from tests.harness.neogo import NeoGoNode  # noqa: E402
from tests.harness.pki import create_test_pki, issue_certificate  # noqa: E402
from tests.sync.rig import deploy_registry, make_gateway, make_kiosk, wait_for  # noqa: E402

GAS = 10**8


def raw_paho_rate(broker: MosquittoBroker, pki, workdir: Path, payload: bytes, count: int,
                  window: int) -> float:  # fmt: skip
    """Messages per second, publisher to subscriber, QoS 1, ``window`` in flight."""
    # Through the same ACL as the product: the publisher is a device (its CN in its topic),
    # the subscriber has the gateway role.
    sub_cert = broker.identity("bdmi-gateway-monitor")
    pub_cert = issue_certificate(pki.ca, workdir, "raw-pub", "raw-pub", server=False)
    topic = "bdmi/v1/bench/raw-pub/results"

    def settings(cert) -> BrokerSettings:
        return BrokerSettings(broker.host, broker.port, pki.ca.cert, cert.cert, cert.key)

    received = threading.Event()
    seen = [0]

    def on_message(_c, _u, _m) -> None:
        seen[0] += 1
        if seen[0] >= count:
            received.set()

    subscribed = threading.Event()
    sub = make_client("raw-sub", settings(sub_cert))
    sub.on_message = on_message
    sub.on_subscribe = lambda *_: subscribed.set()
    sub.connect(broker.host, broker.port)
    sub.subscribe(topic, qos=1)
    sub.loop_start()
    subscribed.wait(10)
    pub = make_client("raw-pub", settings(pub_cert))
    pub.max_inflight_messages_set(window)
    pub.connect(broker.host, broker.port)
    pub.loop_start()
    began = time.perf_counter()
    for _ in range(count):
        pub.publish(topic, payload, qos=1)
    received.wait(300)
    elapsed = time.perf_counter() - began
    for client in (pub, sub):
        client.disconnect()
        client.loop_stop()
    if seen[0] < count:
        raise RuntimeError(f"raw baseline: only {seen[0]} of {count} messages arrived")
    return count / elapsed


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
                               broker.port, pki, "bench")  # fmt: skip
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
        raw = raw_paho_rate(broker, pki, work, payload, args.results, 64)
        kiosk.record(results)
        gateway.start()
        time.sleep(2)  # the gateway subscribed before the clock starts
        print(f"bdmi-sync: {args.results} results ...", file=sys.stderr)
        began = time.perf_counter()
        kiosk.start_sync()

        def synced() -> bool:
            states = kiosk.states()
            return states["accepted"] + states["anchored"] == args.results

        wait_for(synced, 600, "all accepted", poll=0.1)
        accepted_s = time.perf_counter() - began
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
        report |= {
            "raw_paho_qos1_per_s": round(raw, 1),
            "agent_accepted_per_s": round(agent, 1),
            "ratio_to_raw": round(agent / raw, 3),
            "all_accepted_s": round(accepted_s, 2),
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
