"""Consents on the device: the signed record in the outbox, and, for an acceptance, the
``consent`` row a relying party's later request is checked against.

Both in one transaction with the record's audit entry (``outbox.record_result`` runs as a
savepoint inside it), so a consent is never queued without its row or kept without being
queued. A decline has no row (nothing was granted) but is queued: the insurer learns it
asked and was refused.
"""

from __future__ import annotations

from edge_sync.protocol.consent_record import ConsentRecord
from edge_sync.protocol.signed import SignedResult
from kiosk.store import outbox
from kiosk.store.database import StoreDatabase
from kiosk.store.errors import StoreError
from kiosk.store.models import Consent


def record_consent(
    db: StoreDatabase, signed: SignedResult, record: ConsentRecord, *, now_ms: int
) -> bool:
    """Store a signed consent durably; True when written, False when already stored."""
    if (signed.result_id, signed.kind) != (record.result_id, "consent"):
        raise StoreError("the record is not the signed consent's", reason="STORE_RESULT_CONFLICT")
    with db.atomic(), db.bound():
        written = outbox.record_result(
            db, signed, actor_kind="patient_session", actor_id=signed.result_id, now_ms=now_ms
        )
        if written and record.decision == "accepted":
            Consent.create(
                consent_id=record.result_id,
                subject_ref=record.subject_ref,
                relying_party=record.relying_party,
                scope_hash=bytes.fromhex(record.scope_hash),
                expires_at_ms=record.expires_ms,
                state="active",
                result=record.result_id,
            )
        return written
