"""What the store keeps and the sync agent sends: a result's canonical bytes and the device
signature over them, with the few fields the outbox needs to sort and route it.

This is the contract between ``kiosk/security`` (which makes it), ``kiosk/store`` (which
persists it in one transaction with its outbox row and audit entry) and ``edge_sync``
(which publishes it). The fields outside ``payload`` are copies of fields inside it, for
indexing; only ``payload`` and ``signature`` are authoritative.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SignedResult:
    result_id: str
    """UUIDv7 (RFC 9562), text form: time-ordered, so the outbox sends in creation order."""
    device_id: str
    """The device's NEO script hash, 0x-prefixed big-endian hex (as NEO tools print it)."""
    key_id: str
    """Script hash of the key that signed: equals ``device_id`` until a key rotation."""
    kind: str
    """``verification`` or ``consent``."""
    flow: str
    decision: str
    created_at_ms: int
    payload: bytes
    """Deterministic CBOR (RFC 8949 section 4.2) of the record."""
    signature: bytes
    """ECDSA P-256 / SHA-256 over ``payload``, 64 bytes r||s (NEO's format)."""
