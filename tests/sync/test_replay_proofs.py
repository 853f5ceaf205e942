"""Resends of anchored results are answered from the proofs kept at anchoring: the gateway
does not reload and re-hash the whole batch for each one. Real gateway database (SQLite and
PostgreSQL); the batch is claimed by the real batcher and marked anchored as the chain step
would (the chain itself is exercised in tests/sync/test_end_to_end.py)."""

from __future__ import annotations

from edge_sync.gateway.batcher import PROOFS, Batcher, acks_for_batch
from edge_sync.gateway.db import Batch, ReceivedResult
from edge_sync.gateway.intake import Intake
from edge_sync.protocol.merkle import leaf_hash, root_of, verify_inclusion
from edge_sync.protocol.wire import ResultMessage
from tests.sync.conftest import NOW_MS, SITE, make_result, register


class NoChain:
    """The batcher's chain is never called here: claim() alone needs none."""

    async def anchor(self, *_args: object) -> object:  # pragma: no cover - never called
        raise AssertionError("not used")


def test_a_replayed_anchored_result_is_answered_from_the_kept_proofs(gateway_db, device_key):
    register(device_key)
    intake = Intake(gateway_db, clock_ms=lambda: NOW_MS + 1000)
    topic = f"bdmi/v1/{SITE}/{device_key.device_id}/results"
    results = [make_result(device_key, decided_ms=NOW_MS - i) for i in range(9)]
    for result in results:
        assert intake.receive(topic, ResultMessage(result).encode()).status == "accepted"
    batch = Batcher(gateway_db, NoChain(), lambda: NOW_MS + 2000).claim()  # type: ignore[arg-type]
    assert batch is not None
    members = list(ReceivedResult.select().where(ReceivedResult.batch == batch))
    batch.root = root_of(
        [leaf_hash(bytes(m.payload)) for m in sorted(members, key=lambda m: m.result_id)]
    )
    batch.state, batch.tx_hash = "anchored", "0x" + "ab" * 32
    batch.save()
    sent = {a.result_id: a for a in acks_for_batch(Batch.get_by_id(batch.batch_id))}

    # One member's stored bytes change: a replay that reloaded and re-hashed the batch would
    # now answer the others with other paths and another root.
    changed = results[0]
    ReceivedResult.update(payload=b"changed").where(
        ReceivedResult.result_id == changed.result_id
    ).execute()
    for result in results[1:]:
        replayed = intake.receive(topic, ResultMessage(result).encode())
        assert replayed == sent[result.result_id]
        assert replayed.status == "anchored"
        assert verify_inclusion(
            result.payload, replayed.leaf_index, replayed.tree_size, replayed.path, replayed.root
        )


def test_the_kept_proofs_are_bounded_and_recomputed_when_forgotten(gateway_db, device_key):
    """Only the most recent batches are kept; an older one is recomputed from the database,
    with the same answer."""
    register(device_key)
    intake = Intake(gateway_db, clock_ms=lambda: NOW_MS + 1000)
    topic = f"bdmi/v1/{SITE}/{device_key.device_id}/results"
    result = make_result(device_key)
    intake.receive(topic, ResultMessage(result).encode())
    batch = Batcher(gateway_db, NoChain(), lambda: NOW_MS + 2000).claim()  # type: ignore[arg-type]
    assert batch is not None
    batch.root = leaf_hash(result.payload)
    batch.state, batch.tx_hash = "anchored", "0x" + "cd" * 32
    batch.save()
    first = intake.receive(topic, ResultMessage(result).encode())
    for n in range(PROOFS._batches):  # push it out with other batches' entries
        PROOFS.keep(Batch(batch_id=f"other-{n}"), [])
    assert batch.batch_id not in PROOFS._acks
    again = intake.receive(topic, ResultMessage(result).encode())
    assert again == first and again.root == leaf_hash(result.payload)
