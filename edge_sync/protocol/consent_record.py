"""The ConsentRecord: a person's answer to an insurer's consent request, signed like a result.

It travels exactly as a ``VerificationResult`` does (the same ``SignedResult`` envelope with
``kind = "consent"``, the same outbox, the same MQTT topic, the same Merkle batches), so a
consent can never be lost or duplicated where a result would not be. It names the terms
by their hash (``scope_hash``: ``ConsentTerms.digest()``), the person by the same
pseudonymous ``subject_ref`` as their verification, and the verification it rests on by its
id: the gateway and the insurer learn *that* this person, verified at EA5+ by this device,
answered these terms, never who the person is. A decline is recorded too: asked and refused
is not the same as never asked. ``edge_sync.protocol.result.sign_result`` signs it.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Literal

import cbor2
from pydantic import Field

from edge_sync.protocol.fields import (
    SCHEMA_VERSION,
    Hex64,
    ScriptHash,
    SigningKey,
    _Record,
    uuid7,
)
from edge_sync.protocol.version import APP_VERSION

RelyingParty = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
DAY_MS = 86_400_000


class ConsentRecord(_Record):
    v: Literal[1] = SCHEMA_VERSION
    kind: Literal["consent"] = "consent"
    result_id: str
    """UUIDv7; its 16 bytes are the consent id on chain."""
    device_id: ScriptHash
    key_id: ScriptHash
    site: str
    flow: Literal["insurance_consent"] = "insurance_consent"
    decision: Literal["accepted", "declined"]
    relying_party: RelyingParty
    """The insurer's id in the gateway's configuration (``ins-001``), not its name."""
    relying_party_account: ScriptHash | None
    """The insurer's NEO account, where the site has one: the consent registry indexes by it."""
    scope_hash: Hex64
    subject_ref: Hex64
    verification_result_id: str
    granted_ms: int
    """When the person answered (Unix milliseconds)."""
    expires_ms: int
    app_version: str = APP_VERSION

    @property
    def decided_ms(self) -> int:
        """The record's time, under the name the gateway's time checks use for every kind."""
        return self.granted_ms

    @property
    def started_ms(self) -> int:
        return self.granted_ms

    def encode(self) -> bytes:
        """The canonical bytes, computed once per (frozen) record: signing, storing and
        checking all ask for them, and encoding is most of a record's Python cost."""
        return self._canonical

    @cached_property
    def _canonical(self) -> bytes:
        return cbor2.dumps(self.model_dump(mode="python"), canonical=True)


def consent_record(
    *,
    key: SigningKey,
    site: str,
    decision: Literal["accepted", "declined"],
    relying_party: str,
    relying_party_account: str | None,
    scope_hash: bytes,
    subject_ref: str,
    verification_result_id: str,
    duration_days: int,
    now_ms: int,
) -> ConsentRecord:
    return ConsentRecord(
        result_id=uuid7(now_ms),
        device_id=key.device_id,
        key_id=key.key_id,
        site=site,
        decision=decision,
        relying_party=relying_party,
        relying_party_account=relying_party_account,
        scope_hash=scope_hash.hex(),
        subject_ref=subject_ref,
        verification_result_id=verification_result_id,
        granted_ms=now_ms,
        expires_ms=now_ms + duration_days * DAY_MS,
    )
