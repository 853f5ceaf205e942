"""What the IdvRegistry contract holds for an anchored batch: its Merkle root, its size, and
the block that anchored it. A plain value, so the device's proof check (``proof.py``) needs no
chain client: the gateway's ``edge_sync.gateway.chain`` and the device's ``kioskctl proof``
read it from a node and hand it over."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Anchor:
    merkle_root: bytes
    count: int
    block_index: int
    block_time_ms: int
