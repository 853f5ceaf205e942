"""Enrolled face templates of pensioners: looked up at every visit, written at the first.

A template is personal data (a biometric): it is stored only encrypted (the store is
SQLCipher), keyed by the pseudonymous ``subject_ref``, never by a document number, and it
expires (``expires_at_ms``; retention.py deletes it then). Every look-up that finds one and
every enrolment is an audit entry, in the same transaction as the read or the write.

Embeddings are stored as little-endian float64 bytes with the model's name: a template from
another model is never compared (its distances mean nothing against these thresholds), so
``find`` only returns templates of the model asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kiosk.store import audit
from kiosk.store.database import StoreDatabase
from kiosk.store.errors import StoreError
from kiosk.store.models import EnrolledTemplate

_DTYPE = np.dtype("<f8")


@dataclass(frozen=True, slots=True, repr=False)
class Enrolment:
    embedding: np.ndarray
    images_fused: int
    enrolled_at_ms: int
    expires_at_ms: int

    def __repr__(self) -> str:
        return f"Enrolment(images={self.images_fused}, <redacted>)"


def find(
    db: StoreDatabase, subject_ref: str, *, model: str, now_ms: int, actor_id: str
) -> Enrolment | None:
    """The newest unexpired template of ``subject_ref`` for ``model``, or None."""
    with db.atomic(), db.bound():
        row = (
            EnrolledTemplate.select()
            .where(
                (EnrolledTemplate.subject_ref == subject_ref)
                & (EnrolledTemplate.model == model)
                & (EnrolledTemplate.expires_at_ms > now_ms)
            )
            .order_by(EnrolledTemplate.enrolled_at_ms.desc())
            .first()
        )
        if row is None:
            return None
        audit.append_in_transaction(
            db, at_ms=now_ms, actor_kind="patient_session", actor_id=actor_id,
            action="template_read", record_kind="enrolled_template", record_id=str(row.id),
        )  # fmt: skip
        return Enrolment(
            embedding=np.frombuffer(bytes(row.embedding), dtype=_DTYPE).copy(),
            images_fused=int(row.images_fused),
            enrolled_at_ms=int(row.enrolled_at_ms),
            expires_at_ms=int(row.expires_at_ms),
        )


def enrol(
    db: StoreDatabase,
    subject_ref: str,
    embedding: np.ndarray,
    *,
    model: str,
    images_fused: int,
    enrolled_by: str,
    now_ms: int,
    keep_ms: int,
) -> int:
    """Store a template (and its audit entry) in one transaction; returns its row id.

    ``enrolled_by`` names who supervised (``staff``: the PIN is not an identity, and no PIN
    is ever stored or logged)."""
    vector = np.asarray(embedding, dtype=_DTYPE)
    if vector.ndim != 1 or not np.all(np.isfinite(vector)):
        raise StoreError("a template must be one finite vector", reason="STORE_ERROR")
    if images_fused < 1 or keep_ms <= 0:
        raise StoreError("images_fused and keep_ms must be positive", reason="STORE_ERROR")
    with db.atomic(), db.bound():
        row = EnrolledTemplate.create(
            subject_ref=subject_ref, embedding=vector.tobytes(), model=model,
            images_fused=images_fused, enrolled_at_ms=now_ms, enrolled_by=enrolled_by,
            expires_at_ms=now_ms + keep_ms,
        )  # fmt: skip
        audit.append_in_transaction(
            db, at_ms=now_ms, actor_kind="operator", actor_id=enrolled_by,
            action="template_enrolled", record_kind="enrolled_template", record_id=str(row.id),
            detail={"model": model, "images_fused": images_fused},
        )  # fmt: skip
        return int(row.id)
