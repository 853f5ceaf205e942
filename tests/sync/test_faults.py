"""Zero loss under faults: 5,000 results from one kiosk reach the chain exactly once while
the sync agent is SIGKILLed, the broker restarts, one of two gateways (sharing PostgreSQL)
is SIGKILLed, and the kiosk's network link is cut twice.

Every part is real: Mosquitto with mTLS, two ``bdmi-gateway run`` processes on the private
PostgreSQL, neo-go with the IdvRegistry, ``bdmi-sync`` on an encrypted store. The only
injected part is the TCP proxy between the kiosk and the broker (tests/harness/tcp_proxy.py):
a cable pulled is a fault no real broker produces on demand. The counts are printed (run with
``-s`` to see them) and written to the test's temp dir as ``fault-report.json``.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid

import pytest
from neo3.api.wrappers import ChainFacade

from edge_sync.gateway.chain import IdvRegistryClient
from edge_sync.gateway.db import Batch, ReceivedResult, open_gateway_db
from kiosk.store.database import open_from_config
from kiosk.store.models import Outbox
from tests.harness.tcp_proxy import TcpProxy
from tests.sync.rig import deploy_registry, make_gateway, make_kiosk, wait_for

pytestmark = pytest.mark.services

RESULTS = 5000


@pytest.fixture(scope="module")
def chain(_neo_session, tmp_path_factory):
    return deploy_registry(_neo_session, tmp_path_factory.mktemp("chain"))


def test_5000_results_survive_every_fault_exactly_once(
    chain, mosquitto_factory, postgres, test_pki, tmp_path
):
    broker = mosquitto_factory()
    proxy = TcpProxy(broker.host, broker.port)
    gateways = [
        make_gateway(tmp_path, chain, postgres.url, broker.host, broker.port, test_pki, name)
        for name in ("a", "b")
    ]
    kiosk = make_kiosk(tmp_path, proxy.host, proxy.port, test_pki, chain, resend_after_s=10)
    registered = gateways[0].run("device", "register", "--public-key",
                                 kiosk.key.public_key.hex(), "--site", "demo-hospital")  # fmt: skip
    assert registered.returncode == 0, registered.stderr
    began = time.monotonic()
    kiosk.record(kiosk.results(RESULTS))
    recorded_s = time.monotonic() - began

    def synced() -> int:
        states = kiosk.states()
        return states["accepted"] + states["anchored"]

    faults: list[dict[str, object]] = []

    def at(threshold: int, what: str) -> None:
        wait_for(lambda: synced() >= threshold, 300, f"{threshold} results accepted")
        faults.append(
            {"fault": what, "at_synced": synced(), "t_s": round(time.monotonic() - began, 1)}
        )

    started = time.monotonic()
    for gateway in gateways:
        gateway.start()
    kiosk.start_sync()
    try:
        at(1000, "SIGKILL bdmi-sync")
        kiosk.stop_sync(signal.SIGKILL)
        kiosk.start_sync()

        at(2000, "broker restart")
        broker.stop()
        time.sleep(1)
        broker.start()

        at(3000, "SIGKILL gateway a")
        gateways[0].stop(signal.SIGKILL)

        at(4000, "link cut, 3 s outage")
        proxy.block()
        time.sleep(3)
        proxy.unblock()
        at(4500, "link cut")
        proxy.cut()

        wait_for(lambda: kiosk.states()["anchored"] == RESULTS, 600, "all results anchored")
        elapsed = time.monotonic() - started
    finally:
        kiosk.stop_sync()
        for gateway in gateways:
            gateway.stop()
        proxy.close()

    # The kiosk: every result anchored, each with a proof naming its batch.
    states = kiosk.states()
    db = open_from_config(kiosk.config)
    with db.bound():
        kiosk_batches = {r.result_id: r.batch_id for r in Outbox.select()}
    db.close()
    assert states == {"pending": 0, "sending": 0, "accepted": 0, "anchored": RESULTS}

    # The gateways' shared database: each result stored once, in exactly one anchored batch.
    gdb = open_gateway_db(postgres.url)
    stored = ReceivedResult.select().count()
    unbatched = ReceivedResult.select().where(ReceivedResult.batch.is_null()).count()
    batches = list(Batch.select())
    gateway_batches = {r.result_id: r.batch_id for r in ReceivedResult.select()}
    gdb.close()
    assert stored == RESULTS and unbatched == 0
    assert all(b.state == "anchored" for b in batches)
    assert sum(b.size for b in batches) == RESULTS
    assert kiosk_batches == gateway_batches

    # The chain: every batch's root and count as the gateway computed them.
    client = IdvRegistryClient(ChainFacade(rpc_host=chain.rpc_url), chain.contract_hash, None)

    async def anchors() -> list[tuple[bytes, int] | None]:
        found = []
        for b in batches:
            anchor = await client.get_anchor(uuid.UUID(b.batch_id))
            found.append(None if anchor is None else (anchor.merkle_root, anchor.count))
        return found

    assert asyncio.run(anchors()) == [(bytes(b.root), b.size) for b in batches]

    report = {
        "results": RESULTS,
        "recorded_in_s": round(recorded_s, 1),
        "synced_and_anchored_in_s": round(elapsed, 1),
        "anchored_on_kiosk": states["anchored"],
        "stored_at_gateway": stored,
        "batches_on_chain": len(batches),
        "results_on_chain": sum(b.size for b in batches),
        "lost": RESULTS - states["anchored"],
        "faults": faults,
        "proxy_cuts": proxy.cuts,
    }
    (tmp_path / "fault-report.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report))
