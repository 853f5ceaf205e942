"""What the gateway did after anchoring a batch: fee settlements and consent records.

Why tables of their own: settlement and consent recording are follow-ups of an anchored batch,
done at most once each and retried after a failure; the database says which are done, so a
restarted gateway neither pays twice nor forgets one (and the contracts refuse a second
settlement or record anyway: the chain is the final word, these rows are the gateway's
memory of it).  They live beside the gateway's own models, on the same database (SQLite or
PostgreSQL), created on first use so an older gateway database needs no migration step.
"""

from __future__ import annotations

from peewee import BigIntegerField, BooleanField, CharField, IntegerField, Model, TextField

from edge_sync.gateway.db import proxy

SETTLED = "settled"
RECORDED = "recorded"
EXPIRED = "expired"
PENDING = "pending"
"""Not done yet: refused (with the reason) or not reached; tried again later."""


class _Base(Model):
    class Meta:
        database = proxy


class FollowUp(_Base):
    """One row per anchored batch the follow-ups have looked at; ``done`` when nothing is left."""

    batch_id = CharField(primary_key=True, max_length=36)
    done = BooleanField(default=False, index=True)
    checked_at_ms = BigIntegerField()


class SettlementEntry(_Base):
    """A payer's fee for its sites' results in one batch."""

    batch_id = CharField(max_length=36, index=True)
    payer = CharField(max_length=42)
    count = IntegerField()
    amount = BigIntegerField(null=True)
    state = CharField(max_length=16, default=PENDING)
    reason = CharField(max_length=64, null=True)
    detail = TextField(null=True)
    """The contract's or node's own words for the last refusal (never personal data)."""
    tx_hash = CharField(max_length=66, null=True)
    attempted_at_ms = BigIntegerField()

    class Meta:
        indexes = ((("batch_id", "payer"), True),)


class ConsentEntry(_Base):
    """An accepted consent of an anchored batch, to be recorded in the ConsentRegistry."""

    consent_id = CharField(primary_key=True, max_length=36)
    """The ConsentRecord's ``result_id`` (its 16 bytes are the id on chain)."""
    batch_id = CharField(max_length=36, index=True)
    relying_party = CharField(max_length=42, null=True)
    state = CharField(max_length=16, default=PENDING)
    reason = CharField(max_length=64, null=True)
    detail = TextField(null=True)
    tx_hash = CharField(max_length=66, null=True)
    attempted_at_ms = BigIntegerField()


FOLLOWUP_MODELS = (FollowUp, SettlementEntry, ConsentEntry)


def create_followup_tables() -> None:
    """Create the follow-up tables if missing (idempotent); the gateway database must be open."""
    proxy.create_tables(FOLLOWUP_MODELS, safe=True)
