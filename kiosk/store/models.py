"""The store's tables as peewee models: what the kiosk keeps, and for how long.

The models describe the *latest* schema and are how the code reads and writes rows; they
never create tables. Tables are created and changed only by ``migrations.py``, whose first
version is frozen DDL, so that editing a model can never silently change what an old
migration does on a kiosk that is still at that version (tests/store checks the two agree).

Every model is unbound: ``database.open_store`` binds them to the store it opens.

* ``Result``: a signed result exactly as ``kiosk/security`` made it. Kept until anchored on
  chain, then for ``keep_anchored_days`` (retention.py). Holds no personal data: the payload
  carries a pseudonymous ``subject_ref`` only.
* ``Outbox``: one row per result, its sync state (pending -> sending -> accepted -> anchored).
* ``PersonalRecord``: personal data a flow keeps for minutes (a portrait to show staff, a
  name for a ticket). Each row has its own ``purge_after_ms``; deleting its result deletes it.
* ``EnrolledTemplate``: a pensioner's enrolled face template, until it expires.
* ``Consent``: an insurance consent granted by a subject to a relying party.
* ``HisMessage``: a passed check-in's message for the hospital's own system (his_outbox.py);
  its body holds the patient identifier until it is delivered (then erased).
* ``AuditEntry``: the hash-chained audit log (audit.py). ``detail`` never holds personal data.
* ``SchemaVersion``: which migrations ran.
"""

from __future__ import annotations

from typing import Final

from peewee import (
    AutoField,
    BigIntegerField,
    BlobField,
    Check,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)
from playhouse.sqlite_ext import AutoIncrementField

OUTBOX_STATES: Final = ("pending", "sending", "accepted", "anchored")
ACTOR_KINDS: Final = ("patient_session", "operator", "technician", "system")
CONSENT_STATES: Final = ("active", "revoked", "expired")
HIS_STATES: Final = ("pending", "delivered", "refused")


class _Base(Model):
    class Meta:
        legacy_table_names = False


class Result(_Base):
    result_id = TextField(primary_key=True)
    device_id = TextField()
    key_id = TextField()
    kind = TextField()
    flow = TextField()
    decision = TextField()
    created_at_ms = BigIntegerField()
    payload = BlobField()
    signature = BlobField()


class Outbox(_Base):
    # The result is the primary key: exactly one outbox row per result. No ON DELETE
    # action, so a result can never be deleted while its outbox row still exists.
    result = ForeignKeyField(Result, primary_key=True, column_name="result_id")
    state = TextField(constraints=[Check("state IN ('pending','sending','accepted','anchored')")])
    attempts = IntegerField(default=0)
    next_attempt_at_ms = BigIntegerField(default=0)
    accepted_at_ms = BigIntegerField(null=True)
    anchored_at_ms = BigIntegerField(null=True)
    tx_hash = TextField(null=True)
    batch_id = TextField(null=True)
    merkle_proof = BlobField(null=True)
    last_error = TextField(null=True)

    class Meta:
        indexes = (
            (("state", "next_attempt_at_ms"), False),  # schema version 2
            (("state", "result_id", "next_attempt_at_ms"), False),  # schema version 3
        )


class PersonalRecord(_Base):
    id = AutoField()
    # CASCADE: personal data must never outlive the result it belongs to.
    result = ForeignKeyField(
        Result, null=True, column_name="result_id", on_delete="CASCADE", index=True
    )
    kind = TextField()
    """``portrait``, ``name``, ``document_number``, ...: what the data is, never the data."""
    data = BlobField()
    created_at_ms = BigIntegerField()
    purge_after_ms = BigIntegerField(index=True)


class EnrolledTemplate(_Base):
    id = AutoField()
    subject_ref = TextField(index=True)
    embedding = BlobField()
    model = TextField()
    images_fused = IntegerField()
    enrolled_at_ms = BigIntegerField()
    enrolled_by = TextField()
    expires_at_ms = BigIntegerField(index=True)


class Consent(_Base):
    consent_id = TextField(primary_key=True)
    subject_ref = TextField(index=True)
    relying_party = TextField()
    scope_hash = BlobField()
    expires_at_ms = BigIntegerField()
    state = TextField(constraints=[Check("state IN ('active','revoked','expired')")])
    result = ForeignKeyField(
        Result, null=True, column_name="result_id", on_delete="SET NULL", index=True
    )


class AuditEntry(_Base):
    # AUTOINCREMENT: SQLite never reuses a sequence number, even after the last rows are
    # deleted, so entries appended after a truncation leave a visible gap (audit.py).
    seq = AutoIncrementField()
    at_ms = BigIntegerField()
    actor_kind = TextField(
        constraints=[Check("actor_kind IN ('patient_session','operator','technician','system')")]
    )
    actor_id = TextField()
    action = TextField()
    record_kind = TextField()
    record_id = TextField(null=True)
    detail = TextField()
    """Canonical JSON (sorted keys, no spaces); hashed exactly as stored."""
    prev_hash = BlobField()
    entry_hash = BlobField()


class HisMessage(_Base):
    # CASCADE: the message goes with its result (retention keeps a result whose message is
    # still pending, retention.py).
    result = ForeignKeyField(Result, primary_key=True, column_name="result_id", on_delete="CASCADE")
    state = TextField(constraints=[Check("state IN ('pending','delivered','refused')")])
    body = BlobField()
    created_at_ms = BigIntegerField()
    attempts = IntegerField()
    next_attempt_at_ms = BigIntegerField()
    delivered_at_ms = BigIntegerField(null=True)
    last_error = TextField(null=True)

    class Meta:
        indexes = ((("state", "next_attempt_at_ms"), False),)  # schema version 4


class SchemaVersion(_Base):
    version = IntegerField(primary_key=True)
    applied_at_ms = BigIntegerField()
    description = TextField()


MODELS: Final = (
    Result,
    Outbox,
    PersonalRecord,
    EnrolledTemplate,
    Consent,
    HisMessage,
    AuditEntry,
    SchemaVersion,
)
