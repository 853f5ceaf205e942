"""Batches of accepted results, their Merkle roots, and anchoring them on chain.

A batch is claimed in one transaction (``UPDATE ... WHERE batch IS NULL``), so gateways
sharing a PostgreSQL database never put one result in two batches; on SQLite there is one
writer anyway. The batch id is a UUIDv7 (16 bytes on chain). Anchoring is idempotent: the
contract refuses a second anchor of a batch id, so a gateway that crashed between
broadcasting and recording simply finds the anchor on chain (``get_anchor``) and records it;
a result is therefore anchored exactly once, however often gateways restart.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from peewee import Database

from edge_sync.gateway.chain import TxReceipt
from edge_sync.gateway.db import Batch, ReceivedResult
from edge_sync.protocol.anchor import Anchor
from edge_sync.protocol.merkle import all_audit_paths, leaf_hash, root_of
from edge_sync.protocol.result import uuid7
from edge_sync.protocol.wire import AckMessage

log = logging.getLogger(__name__)


class AnchorChain(Protocol):
    """What the batcher needs of ``edge_sync.gateway.chain.IdvRegistryClient``."""

    async def anchor(self, batch_id: bytes, root: bytes, count: int) -> TxReceipt:
        """Broadcast (after a successful test invocation) and wait for the receipt."""
        ...

    async def get_anchor(self, batch_id: bytes) -> Anchor | None:
        """The anchor stored on chain for ``batch_id``, or ``None``."""
        ...


@dataclass
class Batcher:
    db: Database
    chain: AnchorChain
    clock_ms: Callable[[], int]
    max_size: int = 500

    def claim(self) -> Batch | None:
        """Put up to ``max_size`` unbatched results, oldest first, into a new batch."""
        with self.db.atomic():
            ids = [
                r.result_id
                for r in ReceivedResult.select(ReceivedResult.result_id)
                .where(ReceivedResult.batch.is_null())
                .order_by(ReceivedResult.result_id)
                .limit(self.max_size)
            ]
            if not ids:
                return None
            batch = Batch.create(
                batch_id=uuid7(self.clock_ms()), created_at_ms=self.clock_ms(), size=0
            )
            (
                ReceivedResult.update(batch=batch)
                .where(ReceivedResult.result_id.in_(ids) & ReceivedResult.batch.is_null())
                .execute()
            )
            members = list(
                ReceivedResult.select(ReceivedResult.result_id, ReceivedResult.payload)
                .where(ReceivedResult.batch == batch)
                .order_by(ReceivedResult.result_id)
            )
            if not members:  # another gateway took them all
                batch.delete_instance()
                return None
            for index, member in enumerate(members):
                ReceivedResult.update(leaf_index=index).where(
                    ReceivedResult.result_id == member.result_id
                ).execute()
            batch.size = len(members)
            batch.root = root_of([leaf_hash(bytes(m.payload)) for m in members])
            batch.save()
            return batch

    async def anchor(self, batch: Batch) -> list[AckMessage]:
        """Anchor ``batch`` (or adopt an anchor already on chain) and return the
        ``anchored`` acks for its results, in leaf order."""
        batch_key = uuid.UUID(batch.batch_id).bytes
        root = bytes(batch.root)
        existing = await self.chain.get_anchor(batch_key)
        if existing is not None:
            if (existing.merkle_root, existing.count) != (root, batch.size):
                raise RuntimeError(f"batch {batch.batch_id} is on chain with another root or count")
            # Anchored by an earlier run that died before recording it: the proof is checked
            # against get_anchor(batch_id), so the missing hash costs nothing but a lookup.
            tx_hash = batch.tx_hash or ""
        else:
            receipt = await self.chain.anchor(batch_key, root, batch.size)
            tx_hash = f"0x{receipt.tx_hash}"
        with self.db.atomic():
            Batch.update(state="anchored", tx_hash=tx_hash, anchored_at_ms=self.clock_ms()).where(
                Batch.batch_id == batch.batch_id
            ).execute()
        batch = Batch.get_by_id(batch.batch_id)
        log.info("batch anchored", extra={"batch_id": batch.batch_id, "size": batch.size})
        return acks_for_batch(batch)

    async def anchor_pending(self) -> list[AckMessage]:
        """Every claimed batch not yet anchored (after a crash), then new ones."""
        acks: list[AckMessage] = []
        for batch in Batch.select().where(Batch.state == "open").order_by(Batch.batch_id):
            acks += await self.anchor(batch)
        while (batch := self.claim()) is not None:
            acks += await self.anchor(batch)
        return acks


class AnchoredProofs:
    """Each anchored batch's acks, proofs included, kept for the batches most recently asked
    about: a device that resends an anchored result (its ack was lost) is answered from here,
    instead of the gateway reloading and re-hashing the whole batch for every resend
    (65-94 replays a second before). Bounded by batches, shared by the intake and anchoring
    threads."""

    def __init__(self, batches: int = 8) -> None:
        self._batches = batches
        self._acks: OrderedDict[str, dict[str, AckMessage]] = OrderedDict()
        self._lock = threading.Lock()

    def ack(self, batch: Batch, result_id: str) -> AckMessage:
        with self._lock:
            acks = self._acks.get(batch.batch_id)
            if acks is not None:
                self._acks.move_to_end(batch.batch_id)
                return acks[result_id]
        return self.keep(batch, _compute_acks(batch))[result_id]

    def keep(self, batch: Batch, acks: list[AckMessage]) -> dict[str, AckMessage]:
        by_id = {ack.result_id: ack for ack in acks}
        with self._lock:
            self._acks[batch.batch_id] = by_id
            self._acks.move_to_end(batch.batch_id)
            while len(self._acks) > self._batches:
                self._acks.popitem(last=False)
        return by_id


PROOFS = AnchoredProofs()


def acks_for_batch(batch: Batch) -> list[AckMessage]:
    """The ``anchored`` acks of a batch just anchored, kept for the resends that follow."""
    acks = _compute_acks(batch)
    PROOFS.keep(batch, acks)
    return acks


def _compute_acks(batch: Batch) -> list[AckMessage]:
    members = list(
        ReceivedResult.select(ReceivedResult.result_id, ReceivedResult.payload)
        .where(ReceivedResult.batch == batch)
        .order_by(ReceivedResult.result_id)
    )
    leaves = [leaf_hash(bytes(m.payload)) for m in members]
    root = bytes(batch.root)
    paths = all_audit_paths(leaves)
    return [
        AckMessage(
            m.result_id,
            "anchored",
            batch_id=batch.batch_id,
            tx_hash=batch.tx_hash,
            root=root,
            leaf_index=index,
            tree_size=len(leaves),
            path=tuple(paths[index]),
        )
        for index, m in enumerate(members)
    ]
