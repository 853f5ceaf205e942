"""Fake-but-well-formed signed results for the store's tests and benchmark: a UUIDv7 id, a
canonical-CBOR payload shaped like a result, a 64-byte "signature" (the store does not
verify signatures; kiosk/security does)."""

from __future__ import annotations

import os
import uuid

import cbor2

from edge_sync.protocol.signed import SignedResult

DEVICE = "0x" + "5c" * 20


def uuid7(now_ms: int) -> str:
    """RFC 9562 UUIDv7: 48-bit milliseconds, version 7, variant 10, random bits."""
    value = (now_ms & ((1 << 48) - 1)) << 80 | 0x7 << 76
    value |= int.from_bytes(os.urandom(10)) & ((1 << 76) - 1) & ~(0x3 << 62) | 0x2 << 62
    return str(uuid.UUID(int=value))


def fake_result(now_ms: int, n: int) -> SignedResult:
    result_id = uuid7(now_ms)
    payload = cbor2.dumps(
        {
            "result_id": result_id,
            "device_id": DEVICE,
            "flow": "hospital_checkin",
            "decision": "pass",
            "created_at_ms": now_ms,
            "n": n,
            "scores": {"match_u": 312_000 + n % 1000},
            "subject_ref": os.urandom(32).hex(),
        },
        canonical=True,
    )
    return SignedResult(
        result_id=result_id,
        device_id=DEVICE,
        key_id=DEVICE,
        kind="verification",
        flow="hospital_checkin",
        decision="pass",
        created_at_ms=now_ms,
        payload=payload,
        signature=os.urandom(64),
    )
