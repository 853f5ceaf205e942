"""The gateway's own database: registered devices and keys, received results, batches.

The same peewee models run on SQLite (one gateway, the default) and PostgreSQL (a fleet of
gateways sharing the load): ``open_gateway_db("sqlite:///var/lib/bdmi-gateway/db.sqlite")``
or ``open_gateway_db("postgresql://gateway@db/bdmi")``, through ``playhouse.db_url``.
Uniqueness of ``result_id`` is the database's job (primary key), so two gateways that
receive the same result (a resend after a reconnect) store it once.
"""

from __future__ import annotations

from peewee import (
    BigIntegerField,
    BlobField,
    BooleanField,
    CharField,
    Database,
    DatabaseProxy,
    ForeignKeyField,
    IntegerField,
    Model,
    SqliteDatabase,
    TextField,
)
from playhouse.db_url import connect

proxy = DatabaseProxy()


class _Base(Model):
    class Meta:
        database = proxy


class Device(_Base):
    device_id = CharField(primary_key=True, max_length=42)
    site = CharField(max_length=63)
    revoked = BooleanField(default=False)
    registered_at_ms = BigIntegerField()


class DeviceKey(_Base):
    key_id = CharField(primary_key=True, max_length=42)
    device = ForeignKeyField(Device, backref="keys", on_delete="CASCADE")
    public_key = BlobField()
    active = BooleanField(default=True)


class Batch(_Base):
    batch_id = CharField(primary_key=True, max_length=36)
    created_at_ms = BigIntegerField()
    size = IntegerField()
    root = BlobField(null=True)
    state = CharField(max_length=16, default="open", index=True)  # open, anchored
    tx_hash = CharField(max_length=66, null=True)
    anchored_at_ms = BigIntegerField(null=True)


class ReceivedResult(_Base):
    result_id = CharField(primary_key=True, max_length=36)
    device = ForeignKeyField(Device, backref="results")
    key_id = CharField(max_length=42)
    site = CharField(max_length=63)
    payload = BlobField()
    signature = BlobField()
    received_at_ms = BigIntegerField()
    batch = ForeignKeyField(Batch, null=True, backref="results", index=True)
    leaf_index = IntegerField(null=True)
    acked_anchored = BooleanField(default=False)


class Rejection(_Base):
    """Every refused message, for the operator's report (no payload kept)."""

    at_ms = BigIntegerField(index=True)
    topic = TextField()
    result_id = CharField(max_length=64, null=True)
    reason = CharField(max_length=64)
    detail = TextField()


MODELS = (Device, DeviceKey, Batch, ReceivedResult, Rejection)


class GatewaySqlite(SqliteDatabase):
    """SQLite for one gateway's threads (intake, anchoring, follow-ups).

    Every transaction begins IMMEDIATE: a deferred one that has read cannot take the write
    lock once another thread wrote meanwhile, and SQLite then fails at once with "database is
    locked" instead of waiting (tests/sync/test_gateway_db_concurrency.py). The pragmas are
    given to the constructor so that *every* thread's connection gets them, not only the one
    that opened the file."""

    def begin(self, lock_type: str | None = None) -> None:
        super().begin(lock_type or "IMMEDIATE")


SQLITE_PRAGMAS = {"journal_mode": "wal", "synchronous": "full", "busy_timeout": 10_000}


def open_gateway_db(url: str) -> Database:
    """Connect, bind the models, create missing tables (idempotent)."""
    if url.startswith("sqlite:///"):
        database: Database = GatewaySqlite(url.removeprefix("sqlite:///"), pragmas=SQLITE_PRAGMAS)
    else:
        database = connect(url)
    proxy.initialize(database)
    database.create_tables(MODELS, safe=True)
    return database
