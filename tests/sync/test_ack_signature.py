"""Acks the agent can check: signed by a pinned gateway key for this device, and an
``anchored`` ack proves this device's own payload. Everything else changes nothing in the real
store and leaves one audit entry per turn; the result stays due and is sent again.

The agent here runs against a real SQLCipher store through ``StoreOutbox``; acks are handed
to it as its MQTT callback would (the broker path is in tests/security/test_forged_acks.py).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo3.wallet.account import Account

from edge_sync.agent import AgentSettings, SyncAgent
from edge_sync.protocol.ack_signature import proves_payload, sign_ack, signed_by_gateway
from edge_sync.protocol.merkle import audit_path, leaf_hash, root_of
from edge_sync.protocol.mqtt_session import BrokerSettings
from edge_sync.protocol.wire import AckMessage
from kiosk.store import outbox
from kiosk.store.database import open_store
from kiosk.store.key import create_key_file
from kiosk.sync.store_outbox import StoreOutbox
from tests.harness.neogo import _FAST_SCRYPT
from tests.sync.conftest import make_result

GATEWAY = Account.create_new(_FAST_SCRYPT)
GATEWAY_KEY = GATEWAY.public_key.encode_point(True)
IMPOSTOR = Account.create_new(_FAST_SCRYPT)
OTHER_DEVICE = "0x" + "33" * 20


@pytest.fixture
def store(tmp_path: Path):
    db = open_store(tmp_path / "kiosk.db", create_key_file(tmp_path / "key"), create=True)
    yield db
    db.close()


@pytest.fixture
def agent(store, device_key):
    settings = AgentSettings(
        site="demo-hospital",
        device_id=device_key.device_id,
        broker=BrokerSettings("127.0.0.1", 1),  # never connected: acks are handed in below
        gateway_keys=(GATEWAY_KEY,),
    )
    return SyncAgent(settings, StoreOutbox(store))


def queued(store, device_key, n: int):
    made = [make_result(device_key, decided_ms=1_790_000_000_000 + i) for i in range(n)]
    for signed in made:
        outbox.record_result(store, signed, actor_kind="patient_session", actor_id="s",
                             now_ms=1_790_000_000_000)  # fmt: skip
    return made


def anchored_acks(results) -> list[AckMessage]:
    """Real proofs for a batch of these results' payloads, as the gateway's batcher builds."""
    leaves = [leaf_hash(r.payload) for r in results]
    root = root_of(leaves)
    return [
        AckMessage(r.result_id, "anchored", batch_id="b1", tx_hash="0x" + "ab" * 32, root=root,
                   leaf_index=i, tree_size=len(leaves), path=tuple(audit_path(leaves, i)))
        for i, r in enumerate(results)
    ]  # fmt: skip


def states(store) -> dict[str, int]:
    return outbox.status(store, now_ms=1_790_000_000_000).counts


def refusals(store) -> list[dict[str, int]]:
    rows = store.execute_sql(
        "SELECT detail FROM audit_entry WHERE action = 'ack_refused' ORDER BY seq"
    ).fetchall()
    return [json.loads(detail) for (detail,) in rows]


def deliver(agent: SyncAgent, device_id: str, *acks: AckMessage) -> None:
    for ack in acks:
        agent._acks.append(AckMessage.decode(ack.encode()))  # through the wire codec
    agent.apply_acks()


def test_a_genuine_signed_ack_moves_the_result_forward(agent, store, device_key):
    (result,) = queued(store, device_key, 1)
    accepted = AckMessage(result.result_id, "accepted")
    deliver(agent, device_key.device_id, sign_ack(accepted, device_key.device_id, GATEWAY.sign))
    assert states(store)["accepted"] == 1
    (ack,) = anchored_acks([result])
    deliver(agent, device_key.device_id, sign_ack(ack, device_key.device_id, GATEWAY.sign))
    assert states(store)["anchored"] == 1 and refusals(store) == []


@pytest.mark.parametrize(
    "forge",
    [
        lambda ack, device: ack,  # unsigned
        lambda ack, device: sign_ack(ack, device, IMPOSTOR.sign),  # another key
        lambda ack, device: sign_ack(ack, OTHER_DEVICE, GATEWAY.sign),  # signed for another device
        lambda ack, device: replace(  # a genuine signature, then a field changed
            sign_ack(ack, device, GATEWAY.sign), tx_hash="0x" + "cd" * 32
        ),
    ],
    ids=["unsigned", "other-key", "other-device", "tampered"],
)
def test_an_ack_no_pinned_key_signed_for_this_device_changes_nothing(agent, store, device_key,
                                                                      forge):  # fmt: skip
    results = queued(store, device_key, 4)
    accepted = [AckMessage(r.result_id, "accepted") for r in results[:2]]
    anchored = anchored_acks(results[2:])
    deliver(
        agent, device_key.device_id, *(forge(a, device_key.device_id) for a in accepted + anchored)
    )
    assert states(store) == {"pending": 4, "sending": 0, "accepted": 0, "anchored": 0}
    assert refusals(store) == [{"sync_ack_unverified": 4}]  # one entry for the turn
    assert agent.counters["refused"] == 4
    # the results are still due: the agent sends them again
    assert {r.result_id for r in agent.outbox.next_unsent(10, set())} == {
        r.result_id for r in results
    }


def test_a_signed_anchored_ack_whose_proof_is_not_of_this_payload_changes_nothing(
    agent, store, device_key
):
    """A single-leaf proof (root = the leaf's own hash) made for another payload: signed by
    the pinned key, it still does not prove this result is on chain."""
    (result,) = queued(store, device_key, 1)
    fake = AckMessage(result.result_id, "anchored", batch_id="b", tx_hash="0x" + "ab" * 32,
                      root=leaf_hash(b"another payload"), leaf_index=0, tree_size=1)  # fmt: skip
    deliver(agent, device_key.device_id, sign_ack(fake, device_key.device_id, GATEWAY.sign))
    assert states(store)["anchored"] == 0
    assert refusals(store) == [{"sync_ack_proof_mismatch": 1}]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    index=st.integers(0, 6),
    other=st.integers(0, 6),
    flip=st.integers(0, 31),
)
def test_a_proof_proves_its_own_leaf_and_no_other(index, other, flip):
    payloads = [f"payload-{i}".encode() for i in range(7)]
    leaves = [leaf_hash(p) for p in payloads]
    root = root_of(leaves)
    ack = AckMessage("r", "anchored", batch_id="b", tx_hash="t", root=root, leaf_index=index,
                     tree_size=7, path=tuple(audit_path(leaves, index)))  # fmt: skip
    assert proves_payload(ack, payloads[index])
    if other != index:
        assert not proves_payload(ack, payloads[other])
    bent = bytearray(root)
    bent[flip] ^= 1
    assert not proves_payload(replace(ack, root=bytes(bent)), payloads[index])


def test_signatures_bind_every_field_and_the_device(device_key):
    ack = sign_ack(AckMessage("r1", "rejected", reason="GW_SIGNATURE"), "0x" + "11" * 20,
                   GATEWAY.sign)  # fmt: skip
    assert signed_by_gateway(ack, "0x" + "11" * 20, [IMPOSTOR.public_key.encode_point(True),
                                                      GATEWAY_KEY])  # fmt: skip
    assert not signed_by_gateway(ack, "0x" + "12" * 20, [GATEWAY_KEY])
    assert not signed_by_gateway(replace(ack, reason="GW_OTHER"), "0x" + "11" * 20, [GATEWAY_KEY])
    assert not signed_by_gateway(ack, "0x" + "11" * 20, [b"\x02" + b"\x00" * 32])  # not a point
    assert not signed_by_gateway(ack, "0x" + "11" * 20, [])
