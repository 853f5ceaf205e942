"""The VerificationResult record, its canonical bytes, and the device signature over them.

A result is what leaves the kiosk: who verified (device, key), where (site, flow), how well
(assurance, decision, reasons, scores), about whom (a pseudonymous ``subject_ref``, never a
name or number), when, and with which app version. Failed and referred verifications are
results too: a pension office must see that someone tried and was turned away.

Encoding: deterministic CBOR (RFC 8949 section 4.2: shortest integer forms, definite
lengths, map keys sorted by their encoded bytes; cbor2's ``canonical`` mode produces exactly
that for our text keys, all shorter than 24 bytes). No floats at all: distances and scores
are integers in millionths, times are integer milliseconds, so any language re-encodes the
same bytes. A decoded payload is re-encoded and compared, so a non-canonical payload is
refused rather than verified "by accident". The signature is ECDSA P-256 over SHA-256 of
the bytes, 64 bytes r||s, which NEO's ``CryptoLib.verifyWithECDsa`` checks on chain.
"""

from __future__ import annotations

from functools import cached_property
from typing import Literal

import cbor2
from pydantic import ValidationError

from edge_sync.protocol.consent_record import ConsentRecord
from edge_sync.protocol.errors import SecurityError
from edge_sync.protocol.fields import (
    MICRO,
    SCHEMA_VERSION,
    Code,
    Hex64,
    ScriptHash,
    SigningKey,
    _Record,
    micro,
    uuid7,
)
from edge_sync.protocol.signature import verify
from edge_sync.protocol.signed import SignedResult
from edge_sync.protocol.version import APP_VERSION

__all__ = [
    "APP_VERSION",
    "MICRO",
    "SCHEMA_VERSION",
    "ChallengeRecord",
    "Code",
    "DocumentRecord",
    "Hex64",
    "LivenessRecord",
    "MatchRecord",
    "Scores",
    "ScriptHash",
    "SignedRecord",
    "VerificationResult",
    "decode_payload",
    "micro",
    "sign_result",
    "uuid7",
    "verify_signed",
]


class DocumentRecord(_Record):
    type: str
    chip_authentication: Literal["passed", "failed", "unknown_csca", "not_applicable"]
    sam_authenticated: bool = False


class MatchRecord(_Record):
    model: str
    mode: Literal["single", "probe_fused", "both_fused"]
    distance_u: int
    """Distance in millionths."""
    accept_max_u: int
    refer_max_u: int
    zone: Literal["accept", "refer", "reject"]
    probe_images: int
    template_images: int


class ChallengeRecord(_Record):
    challenge: str
    issued_ms: int | None
    """Milliseconds from the session's start."""
    completed_ms: int | None


class LivenessRecord(_Record):
    passed: bool
    reason: Code | None
    challenges: tuple[ChallengeRecord, ...]


class Scores(_Record):
    match: MatchRecord | None = None
    liveness: LivenessRecord | None = None
    passive_live_u: int | None = None


class VerificationResult(_Record):
    v: Literal[1] = SCHEMA_VERSION
    kind: Literal["verification"] = "verification"
    result_id: str
    device_id: ScriptHash
    key_id: ScriptHash
    site: str
    flow: str
    assurance: Literal["EA5+", "EA5-", "none"]
    decision: Literal["pass", "fail", "referred"]
    reasons: tuple[Code, ...]
    scores: Scores
    document: DocumentRecord | None
    subject_ref: Hex64 | None
    started_ms: int
    """Unix time in milliseconds when the person started (pressed Start)."""
    decided_ms: int
    app_version: str

    def encode(self) -> bytes:
        """The canonical bytes, computed once per (frozen) record: signing, storing and
        checking all ask for them, and encoding is most of a record's Python cost."""
        return self._canonical

    @cached_property
    def _canonical(self) -> bytes:
        return cbor2.dumps(self.model_dump(mode="python"), canonical=True)


def sign_result(result: SignedRecord, key: SigningKey) -> SignedResult:
    """Sign a verification result or a consent record (``kind``): one envelope for both,
    so the store, the agent and the gateway handle them alike."""
    if (result.device_id, result.key_id) != (key.device_id, key.key_id):
        raise SecurityError(
            f"the {result.kind} record names another device or key than the one signing it",
            reason="SEC_RESULT_ENVELOPE",
        )
    payload = result.encode()
    return SignedResult(
        result_id=result.result_id,
        device_id=result.device_id,
        key_id=result.key_id,
        kind=result.kind,
        flow=result.flow,
        decision=result.decision,
        created_at_ms=result.decided_ms,
        payload=payload,
        signature=key.sign(payload),
    )


def _model_for(kind: object) -> type[VerificationResult] | type[ConsentRecord]:
    if kind == "consent":
        return ConsentRecord
    return VerificationResult  # and a wrong kind fails its validation, naming the field


def decode_payload(payload: bytes) -> SignedRecord:
    """Parse and validate a payload; refuse anything that is not canonical CBOR of a valid
    record (the bytes that were signed must be the bytes a verifier would produce)."""
    try:
        data = cbor2.loads(payload)
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError) as exc:
        raise SecurityError(f"payload is not CBOR: {exc}", reason="SEC_RESULT_NOT_CBOR") from exc
    if not isinstance(data, dict):
        raise SecurityError("payload is not a CBOR map", reason="SEC_RESULT_SCHEMA")
    if data.get("v") != SCHEMA_VERSION:
        raise SecurityError(
            f"schema version {data.get('v')!r} is not {SCHEMA_VERSION}",
            reason="SEC_RESULT_VERSION",
        )
    try:
        result = _model_for(data.get("kind")).model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SecurityError(
            f"payload field {where}: {first['msg']}", reason="SEC_RESULT_SCHEMA"
        ) from exc
    if result.encode() != payload:
        raise SecurityError(
            "payload is valid CBOR but not in the deterministic encoding",
            reason="SEC_RESULT_NOT_CANONICAL",
        )
    return result


def verify_signed(signed: SignedResult, public_keys: dict[str, bytes]) -> SignedRecord:
    """The record inside ``signed`` if its signature verifies under the key it names and
    the envelope agrees with the payload; a ``SecurityError`` naming what failed if not."""
    public_key = public_keys.get(signed.key_id)
    if public_key is None:
        raise SecurityError(f"unknown signing key {signed.key_id}", reason="SEC_KEY_UNKNOWN")
    if not verify(signed.payload, signed.signature, public_key):
        raise SecurityError(
            f"signature of result {signed.result_id} does not verify",
            reason="SEC_RESULT_SIGNATURE",
        )
    result = decode_payload(signed.payload)
    envelope = (signed.result_id, signed.device_id, signed.key_id, signed.kind, signed.flow,
                signed.decision)  # fmt: skip
    inside = (result.result_id, result.device_id, result.key_id, result.kind, result.flow,
              result.decision)  # fmt: skip
    if envelope != inside:
        raise SecurityError(
            "the envelope's fields differ from the signed payload's",
            reason="SEC_RESULT_ENVELOPE",
        )
    return result


type SignedRecord = VerificationResult | ConsentRecord
"""What a signed payload holds: a verification result or a consent record (``kind``)."""
