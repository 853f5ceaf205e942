"""Schema versions: an ordered list of migrations, run when the store opens.

``schema_version`` holds one row per migration applied. At open, every migration newer than
the file runs, all in one IMMEDIATE transaction (SQLite DDL is transactional): a kiosk that
loses power mid-upgrade reopens at the old version, never half-way. The version is re-read
under the write lock, so when the kiosk and the sync agent start together only one migrates.
A store newer than this code (a rolled-back update) is refused with ``STORE_SCHEMA_NEWER``
rather than written by code that does not know its columns.

Version 1 is frozen DDL, not ``create_tables()`` from the models: models change with the
code, and version 1 must create the same tables on every kiosk forever. Later versions use
``playhouse.migrate``. A table rebuild (``alter_column_type``, ``drop_column`` on old SQLite)
with foreign keys on needs care: ``PRAGMA foreign_keys`` cannot change inside a transaction,
so such a migration must keep referencing rows valid at every step.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from playhouse.migrate import SqliteMigrator
from playhouse.migrate import migrate as run_operations

from kiosk.store.database import StoreDatabase
from kiosk.store.errors import StoreError

log = logging.getLogger(__name__)

_V1_DDL = (
    'CREATE TABLE "schema_version" ("version" INTEGER NOT NULL PRIMARY KEY, '
    '"applied_at_ms" INTEGER NOT NULL, "description" TEXT NOT NULL)',
    'CREATE TABLE "result" ("result_id" TEXT NOT NULL PRIMARY KEY, "device_id" TEXT NOT NULL, '
    '"key_id" TEXT NOT NULL, "kind" TEXT NOT NULL, "flow" TEXT NOT NULL, '
    '"decision" TEXT NOT NULL, "created_at_ms" INTEGER NOT NULL, "payload" BLOB NOT NULL, '
    '"signature" BLOB NOT NULL)',
    'CREATE TABLE "outbox" ("result_id" TEXT NOT NULL PRIMARY KEY, "state" TEXT NOT NULL '
    "CHECK (state IN ('pending','sending','accepted','anchored')), "
    '"attempts" INTEGER NOT NULL, "next_attempt_at_ms" INTEGER NOT NULL, '
    '"accepted_at_ms" INTEGER, "anchored_at_ms" INTEGER, "tx_hash" TEXT, "batch_id" TEXT, '
    '"merkle_proof" BLOB, "last_error" TEXT, '
    'FOREIGN KEY ("result_id") REFERENCES "result" ("result_id"))',
    'CREATE TABLE "personal_record" ("id" INTEGER NOT NULL PRIMARY KEY, "result_id" TEXT, '
    '"kind" TEXT NOT NULL, "data" BLOB NOT NULL, "created_at_ms" INTEGER NOT NULL, '
    '"purge_after_ms" INTEGER NOT NULL, '
    'FOREIGN KEY ("result_id") REFERENCES "result" ("result_id") ON DELETE CASCADE)',
    'CREATE INDEX "personal_record_result_id" ON "personal_record" ("result_id")',
    'CREATE INDEX "personal_record_purge_after_ms" ON "personal_record" ("purge_after_ms")',
    'CREATE TABLE "enrolled_template" ("id" INTEGER NOT NULL PRIMARY KEY, '
    '"subject_ref" TEXT NOT NULL, "embedding" BLOB NOT NULL, "model" TEXT NOT NULL, '
    '"images_fused" INTEGER NOT NULL, "enrolled_at_ms" INTEGER NOT NULL, '
    '"enrolled_by" TEXT NOT NULL, "expires_at_ms" INTEGER NOT NULL)',
    'CREATE INDEX "enrolled_template_subject_ref" ON "enrolled_template" ("subject_ref")',
    'CREATE INDEX "enrolled_template_expires_at_ms" ON "enrolled_template" ("expires_at_ms")',
    'CREATE TABLE "consent" ("consent_id" TEXT NOT NULL PRIMARY KEY, '
    '"subject_ref" TEXT NOT NULL, "relying_party" TEXT NOT NULL, "scope_hash" BLOB NOT NULL, '
    '"expires_at_ms" INTEGER NOT NULL, "state" TEXT NOT NULL '
    "CHECK (state IN ('active','revoked','expired')), \"result_id\" TEXT, "
    'FOREIGN KEY ("result_id") REFERENCES "result" ("result_id") ON DELETE SET NULL)',
    'CREATE INDEX "consent_subject_ref" ON "consent" ("subject_ref")',
    'CREATE INDEX "consent_result_id" ON "consent" ("result_id")',
    'CREATE TABLE "audit_entry" ("seq" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, '
    '"at_ms" INTEGER NOT NULL, "actor_kind" TEXT NOT NULL '
    "CHECK (actor_kind IN ('patient_session','operator','technician','system')), "
    '"actor_id" TEXT NOT NULL, "action" TEXT NOT NULL, "record_kind" TEXT NOT NULL, '
    '"record_id" TEXT, "detail" TEXT NOT NULL, "prev_hash" BLOB NOT NULL, '
    '"entry_hash" BLOB NOT NULL)',
)


def _v1_create_tables(db: StoreDatabase, migrator: SqliteMigrator) -> None:
    for statement in _V1_DDL:
        db.execute_sql(statement)


def _v2_outbox_due_index(db: StoreDatabase, migrator: SqliteMigrator) -> None:
    # The sync agent asks "which pending results are due?" every few seconds; without this
    # index that scans the whole outbox, anchored rows included.
    run_operations(migrator.add_index("outbox", ("state", "next_attempt_at_ms"), False))


def _v3_pending_order_index(db: StoreDatabase, migrator: SqliteMigrator) -> None:
    # pending() reads the next due results in result_id order; this index gives that order
    # without sorting the whole backlog (outbox.py, _PENDING).
    run_operations(
        migrator.add_index("outbox", ("state", "result_id", "next_attempt_at_ms"), False)
    )


def _v4_his_message(db: StoreDatabase, migrator: SqliteMigrator) -> None:
    # The check-in messages for the hospital's own system (kiosk/store/his_outbox.py). The
    # body holds the patient identifier: it is erased on delivery, and a refused one goes
    # with the retention purge.
    db.execute_sql(
        'CREATE TABLE "his_message" ("result_id" TEXT NOT NULL PRIMARY KEY, '
        "\"state\" TEXT NOT NULL CHECK (state IN ('pending','delivered','refused')), "
        '"body" BLOB NOT NULL, "created_at_ms" INTEGER NOT NULL, '
        '"attempts" INTEGER NOT NULL, "next_attempt_at_ms" INTEGER NOT NULL, '
        '"delivered_at_ms" INTEGER, "last_error" TEXT, '
        'FOREIGN KEY ("result_id") REFERENCES "result" ("result_id") ON DELETE CASCADE)'
    )
    db.execute_sql(
        'CREATE INDEX "his_message_state_next_attempt_at_ms" ON "his_message" '
        '("state", "next_attempt_at_ms")'
    )


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    apply: Callable[[StoreDatabase, SqliteMigrator], None]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "create tables", _v1_create_tables),
    Migration(2, "index outbox (state, next_attempt_at_ms)", _v2_outbox_due_index),
    Migration(3, "index outbox (state, result_id, next_attempt_at_ms)", _v3_pending_order_index),
    Migration(4, "his_message: check-in messages for the hospital's system", _v4_his_message),
)
LATEST = MIGRATIONS[-1].version


def schema_version(db: StoreDatabase) -> int:
    """The newest migration applied to the file; 0 for a new, empty store."""
    exists = db.execute_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = db.execute_sql("SELECT max(version) FROM schema_version").fetchone()
    return row[0] or 0


def check_not_newer(db: StoreDatabase, version: int) -> None:
    if version > LATEST:
        raise StoreError(
            f"{db.path} is at schema version {version}, this software knows up to {LATEST}: "
            "install the newer software again (a downgrade never rewrites a newer store)",
            reason="STORE_SCHEMA_NEWER",
        )


def migrate(db: StoreDatabase, *, target: int = LATEST, now_ms: int | None = None) -> int:
    """Bring the store to ``target`` (default: the newest version) in one transaction and
    return the version in force afterwards."""
    if not 0 < target <= LATEST:
        raise ValueError(f"target schema version must be 1..{LATEST}, not {target}")
    version = schema_version(db)
    check_not_newer(db, version)
    if version >= target:
        return version
    at_ms = now_ms if now_ms is not None else time.time_ns() // 1_000_000
    migrator = SqliteMigrator(db)
    with db.atomic():  # IMMEDIATE (database.py): one migrator at a time
        version = schema_version(db)
        check_not_newer(db, version)
        for migration in MIGRATIONS:
            if version < migration.version <= target:
                migration.apply(db, migrator)
                db.execute_sql(
                    "INSERT INTO schema_version (version, applied_at_ms, description) "
                    "VALUES (?, ?, ?)",
                    (migration.version, at_ms, migration.description),
                )
                log.info(
                    "store migrated",
                    extra={"schema_version": migration.version, "migration": migration.description},
                )
                version = migration.version
    return version
