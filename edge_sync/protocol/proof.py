"""A result's inclusion proof, as the device stores it, and its check against the chain.

The device keeps, with each anchored result, the proof the gateway sent in its ``anchored``
ack (CBOR: ``batch_id``, ``tx_hash``, ``root``, ``leaf_index``, ``tree_size``, ``path``). The
check recomputes the root from the result's own signed payload and the path (RFC 9162
2.1.3.2), then compares it, and the tree size, with what the IdvRegistry contract stores
for the batch. The root in the ack is *not* trusted: only the chain's is. The same check
runs on the gateway (``bdmi-gateway proof verify``) from the gateway's database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import cbor2

from edge_sync.protocol.anchor import Anchor
from edge_sync.protocol.merkle import leaf_hash, root_from_path


class ProofError(ValueError):
    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class InclusionProof:
    batch_id: str
    tx_hash: str
    leaf_index: int
    tree_size: int
    path: tuple[bytes, ...]

    def encode(self) -> bytes:
        return cbor2.dumps(
            {
                "batch_id": self.batch_id,
                "tx_hash": self.tx_hash,
                "leaf_index": self.leaf_index,
                "tree_size": self.tree_size,
                "path": list(self.path),
            },
            canonical=True,
        )

    @classmethod
    def decode(cls, blob: bytes) -> InclusionProof:
        """``PROOF_MALFORMED`` on anything that is not a well-formed proof map."""
        try:
            data: Any = cbor2.loads(blob)
        except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError) as exc:
            raise ProofError(
                f"the stored proof is not CBOR: {exc}", reason="PROOF_MALFORMED"
            ) from None
        if not isinstance(data, dict):
            raise ProofError("the stored proof is not a map", reason="PROOF_MALFORMED")
        try:
            batch_id = str(uuid.UUID(data["batch_id"]))
            index, size = data["leaf_index"], data["tree_size"]
            path = tuple(data["path"])
            tx_hash = data.get("tx_hash") or ""
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ProofError(f"the stored proof lacks {exc}", reason="PROOF_MALFORMED") from None
        if not (isinstance(index, int) and isinstance(size, int) and 0 <= index < size):
            raise ProofError(
                f"leaf index {index!r} outside a tree of {size!r}", reason="PROOF_MALFORMED"
            )
        if not all(isinstance(p, bytes) and len(p) == 32 for p in path):
            raise ProofError("a path node is not 32 bytes", reason="PROOF_MALFORMED")
        return cls(batch_id, str(tx_hash), index, size, path)


@dataclass(frozen=True, slots=True)
class ProofCheck:
    ok: bool
    reason: str
    """``PROOF_OK`` or why not."""
    computed_root: bytes | None
    chain_root: bytes | None
    block_index: int | None

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "reason": self.reason,
            "computed_root": self.computed_root.hex() if self.computed_root else None,
            "chain_root": self.chain_root.hex() if self.chain_root else None,
            "block_index": self.block_index,
        }


def check_proof(payload: bytes, proof: InclusionProof, anchor: Anchor | None) -> ProofCheck:
    """Does ``payload`` belong to the batch the chain anchored? Pure: the caller fetched
    ``anchor`` (``IdvRegistryClient.get_anchor(proof.batch_id)``)."""
    computed = root_from_path(leaf_hash(payload), proof.leaf_index, proof.tree_size, proof.path)
    if computed is None:
        return ProofCheck(False, "PROOF_PATH_SHAPE", None, None, None)
    if anchor is None:
        return ProofCheck(False, "PROOF_NOT_ON_CHAIN", computed, None, None)
    if anchor.count != proof.tree_size:
        return ProofCheck(False, "PROOF_SIZE_MISMATCH", computed, anchor.merkle_root,
                          anchor.block_index)  # fmt: skip
    if anchor.merkle_root != computed:
        return ProofCheck(False, "PROOF_ROOT_MISMATCH", computed, anchor.merkle_root,
                          anchor.block_index)  # fmt: skip
    return ProofCheck(True, "PROOF_OK", computed, anchor.merkle_root, anchor.block_index)
