"""The encrypted store on real SQLCipher files: opening, keys, pragmas, migrations, the
outbox, the quota, retention, and no personal data readable in the file's bytes."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import sqlite3
import stat
import threading
from dataclasses import replace

import pytest
from peewee import SqliteDatabase
from sqlcipher3 import dbapi2 as sqlcipher

from edge_sync.protocol.signed import SignedResult
from kiosk.config.schema import KioskConfig
from kiosk.log import configure_logging
from kiosk.store import audit, retention
from kiosk.store.capacity import CapacityPolicy
from kiosk.store.database import StoreDatabase, open_from_config, open_store
from kiosk.store.errors import StoreError
from kiosk.store.key import create_key_file, load_key
from kiosk.store.migrations import LATEST, migrate, schema_version
from kiosk.store.models import MODELS, EnrolledTemplate, PersonalRecord
from kiosk.store.outbox import (
    PersonalData,
    check_capacity,
    mark_accepted,
    mark_accepted_many,
    mark_anchored,
    mark_failed,
    mark_sending,
    mark_sending_many,
    pending,
    record_result,
    record_results,
    reset_sending,
    status,
)
from tests.store.fakes import fake_result

T0 = 1_780_000_000_000  # a fixed "now" in ms
DAY = 86_400_000

NAME = "张三丰"
ID_NUMBER = "11010519491231002X"
MRZ = "P<CHNZHANG<<SANFENG<<<<<<<<<<<<<<<<<<<<<<<<<"


def results(n: int, start_ms: int = T0) -> list[SignedResult]:
    return [fake_result(start_ms + i, i) for i in range(n)]


def record(db: StoreDatabase, signed: SignedResult, **kwargs) -> bool:
    kwargs.setdefault("now_ms", signed.created_at_ms)
    kwargs.setdefault("actor_kind", "patient_session")
    kwargs.setdefault("actor_id", "sess-1")
    return record_result(db, signed, **kwargs)


def count(db: StoreDatabase, table: str) -> int:
    return db.execute_sql(f"SELECT count(*) FROM {table}").fetchone()[0]


# -- opening ------------------------------------------------------------------------------


def test_missing_store_is_not_created_unless_asked(db_path, key):
    with pytest.raises(StoreError) as error:
        open_store(db_path, key)
    assert error.value.reason == "STORE_NOT_FOUND"
    assert not db_path.exists()
    db = open_store(db_path, key, create=True)
    db.close()
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700
    db = open_store(db_path, key)
    assert schema_version(db) == LATEST
    db.close()


def test_wrong_key_is_store_key_wrong_and_never_shows_a_key(store, db_path, key):
    record(store, results(1)[0])
    store.close()
    wrong = bytes(32)
    with pytest.raises(StoreError) as error:
        open_store(db_path, wrong)
    assert error.value.reason == "STORE_KEY_WRONG"
    assert "file is not a database" in str(error.value)
    assert key.hex() not in str(error.value) and wrong.hex() not in str(error.value)


def test_a_plain_sqlite_file_is_named_as_such(tmp_path, key):
    path = tmp_path / "plain.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(StoreError) as error:
        open_store(path, key)
    assert error.value.reason == "STORE_NOT_ENCRYPTED"


def test_key_files_raw_hex_bad_missing_and_never_overwritten(tmp_path):
    raw = bytes(range(32))
    (tmp_path / "raw").write_bytes(raw)
    (tmp_path / "hex").write_text(raw.hex().upper() + "\n")
    (tmp_path / "short").write_text("abcd\n")
    assert load_key(tmp_path / "raw") == raw
    assert load_key(tmp_path / "hex") == raw
    with pytest.raises(StoreError) as error:
        load_key(tmp_path / "short")
    assert error.value.reason == "STORE_KEY_INVALID"
    with pytest.raises(StoreError) as error:
        load_key(tmp_path / "absent")
    assert error.value.reason == "STORE_KEY_MISSING"
    key = create_key_file(tmp_path / "new.key")
    assert stat.S_IMODE((tmp_path / "new.key").stat().st_mode) == 0o600
    with pytest.raises(StoreError) as error:
        create_key_file(tmp_path / "new.key")
    assert error.value.reason == "STORE_KEY_EXISTS"
    assert load_key(tmp_path / "new.key") == key


def test_the_key_is_a_raw_sqlcipher_key_not_a_passphrase(store, db_path, key):
    """What peewee passes through its passphrase quoting reaches SQLCipher as the raw key:
    SQLCipher's documented raw-key syntax opens the file, the same hex as a passphrase
    (which would go through PBKDF2) does not."""
    record(store, results(1)[0])
    store.close()
    raw = sqlcipher.connect(str(db_path))
    raw.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    assert raw.execute("SELECT count(*) FROM result").fetchone() == (1,)
    raw.close()
    passphrase = sqlcipher.connect(str(db_path))
    passphrase.execute(f"PRAGMA key = '{key.hex()}'")
    with pytest.raises(sqlcipher.DatabaseError, match="not a database"):
        passphrase.execute("SELECT count(*) FROM result")
    passphrase.close()


def test_pragmas_are_in_force_on_every_connection(store):
    def read(db: StoreDatabase) -> dict[str, object]:
        names = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout", "secure_delete")
        return {name: db.execute_sql(f"PRAGMA {name}").fetchone()[0] for name in names}

    expected = {
        "journal_mode": "wal",
        "synchronous": 2,  # FULL
        "foreign_keys": 1,
        "busy_timeout": 10_000,
        "secure_delete": 1,
    }
    assert read(store) == expected
    seen: list[dict[str, object]] = []  # peewee opens one connection per thread
    thread = threading.Thread(target=lambda: (seen.append(read(store)), store.close()))
    thread.start()
    thread.join()
    assert seen == [expected]


def test_the_key_is_never_logged(db_path, key, caplog):
    caplog.set_level(logging.DEBUG)  # peewee logs every query at DEBUG
    db = open_store(db_path, key, create=True)
    record(db, results(1)[0])
    audit.verify_chain(db)
    db.close()
    db = open_store(db_path, key)
    db.close()
    assert caplog.records  # the check below looked at something
    for rec in caplog.records:
        text = rec.getMessage() + repr(vars(rec))
        assert key.hex() not in text and key.hex().upper() not in text


def test_open_from_config_in_demo_mode_keeps_its_key_in_the_state_dir(tmp_path):
    config = KioskConfig.model_validate(
        {"device": {"site": "ward-3", "mode": "demo", "state_dir": str(tmp_path / "state")}}
    )
    db = open_from_config(config, create=True)
    assert db.capacity == CapacityPolicy(1024 * 1024 * 1024, 256 * 1024 * 1024)
    db.close()
    assert (tmp_path / "state" / "store.key").exists()
    assert (tmp_path / "state" / "kiosk.db").exists()
    open_from_config(config).close()


# -- migrations ---------------------------------------------------------------------------


def _schema(db: StoreDatabase) -> dict[str, str]:
    rows = db.execute_sql(
        "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name != 'sqlite_sequence'"
    )
    return dict(rows.fetchall())


def test_migrated_schema_is_what_the_models_describe(store):
    """The frozen version-1 DDL plus later migrations equals the models' own DDL, so a model
    edited without a migration fails here rather than on a kiosk."""
    reference = SqliteDatabase(":memory:")
    with reference.bind_ctx(MODELS):
        reference.create_tables(MODELS)
    assert _schema(store) == _schema(reference)  # type: ignore[arg-type]


def test_a_version_1_store_is_migrated_to_the_latest_keeping_its_data(db_path, key):
    db = open_store(db_path, key, create=True, migrate=False)
    assert migrate(db, target=1, now_ms=T0) == 1
    assert "outbox_state_next_attempt_at_ms" not in _schema(db)
    assert "outbox_state_result_id_next_attempt_at_ms" not in _schema(db)
    signed = results(3)
    for item in signed:
        record(db, item)
    db.close()

    db = open_store(db_path, key)
    assert schema_version(db) == LATEST == 4
    assert "outbox_state_next_attempt_at_ms" in _schema(db)
    assert "outbox_state_result_id_next_attempt_at_ms" in _schema(db)
    versions = db.execute_sql("SELECT version, description FROM schema_version").fetchall()
    assert [v for v, _ in versions] == [1, 2, 3, 4]
    assert "his_message_state_next_attempt_at_ms" in _schema(db)
    assert [i.result.result_id for i in pending(db)] == [s.result_id for s in signed]
    assert audit.verify_chain(db).ok
    plan = db.execute_sql(
        "EXPLAIN QUERY PLAN SELECT result_id FROM outbox "
        "WHERE state = 'pending' AND next_attempt_at_ms <= 5"
    ).fetchall()
    assert "outbox_state_next_attempt_at_ms" in str(plan)
    db.close()


def test_a_store_newer_than_the_code_is_refused_and_left_alone(store, db_path, key):
    store.execute_sql(
        "INSERT INTO schema_version VALUES (?, ?, ?)", (LATEST + 1, T0, "from the future")
    )
    store.close()
    before = db_path.read_bytes()
    for migrate_on_open in (True, False):
        with pytest.raises(StoreError) as error:
            open_store(db_path, key, migrate=migrate_on_open)
        assert error.value.reason == "STORE_SCHEMA_NEWER"
    assert db_path.read_bytes() == before


# -- record_result ------------------------------------------------------------------------


def test_record_result_writes_result_outbox_and_audit_entry_together(store):
    signed = results(1)[0]
    portrait = PersonalData("portrait", b"\xff\xd8jpeg", T0 + 60_000)
    assert record(store, signed, personal=[portrait]) is True
    assert (count(store, "result"), count(store, "outbox"), count(store, "audit_entry")) == (
        1,
        1,
        1,
    )
    assert count(store, "personal_record") == 1
    (item,) = pending(store)
    assert item.result == signed and item.state == "pending" and item.attempts == 0
    row = store.execute_sql(
        "SELECT actor_kind, actor_id, action, record_kind, record_id, detail FROM audit_entry"
    ).fetchone()
    assert row[:5] == ("patient_session", "sess-1", "result_recorded", "result", signed.result_id)
    assert row[5] == (
        '{"decision":"pass","flow":"hospital_checkin","kind":"verification",'
        '"personal":["portrait"]}'
    )


def test_record_result_is_idempotent_and_refuses_a_conflicting_payload(store):
    signed = results(1)[0]
    assert record(store, signed) is True
    assert record(store, signed) is False
    resigned = replace(signed, signature=bytes(64))  # ECDSA: same payload, new signature
    assert record(store, resigned) is False
    with pytest.raises(StoreError) as error:
        record(store, replace(signed, payload=signed.payload + b"\x00"))
    assert error.value.reason == "STORE_RESULT_CONFLICT"
    assert (count(store, "result"), count(store, "outbox"), count(store, "audit_entry")) == (
        1,
        1,
        1,
    )
    assert pending(store)[0].result.signature == signed.signature  # the first one stands


def test_a_failed_record_leaves_nothing_behind(store):
    signed = results(1)[0]
    with pytest.raises(StoreError) as error:
        record(store, signed, personal=[PersonalData("name", b"x", T0)], actor_kind="visitor")
    assert error.value.reason == "AUDIT_DETAIL_INVALID"
    # The audit entry is written last: its refusal rolls back the rows written before it.
    bad_kind = PersonalData("name of " + NAME, b"x", T0)  # a kind is a code, not data
    with pytest.raises(StoreError) as error:
        record(store, signed, personal=[bad_kind])
    assert error.value.reason == "AUDIT_DETAIL_INVALID"
    for table in ("result", "outbox", "personal_record", "audit_entry"):
        assert count(store, table) == 0, table


def test_record_results_commits_a_batch_all_or_nothing(store):
    batch = results(5)
    assert record_results(store, batch[:3], actor_kind="system", actor_id="import", now_ms=T0) == 3
    assert record_results(store, batch, actor_kind="system", actor_id="import", now_ms=T0) == 2
    conflicting = [*results(2, start_ms=T0 + 100), replace(batch[0], payload=b"other")]
    with pytest.raises(StoreError) as error:
        record_results(store, conflicting, actor_kind="system", actor_id="import", now_ms=T0)
    assert error.value.reason == "STORE_RESULT_CONFLICT"
    assert (count(store, "result"), count(store, "outbox"), count(store, "audit_entry")) == (
        5,
        5,
        5,
    )
    assert audit.verify_chain(store).ok


# -- outbox states ------------------------------------------------------------------------


def test_outbox_moves_through_its_states_and_tolerates_repeated_acks(store):
    first, second, third = results(3)
    for item in (third, first, second):  # recorded out of order, sent in result_id order
        record(store, item)
    assert [i.result.result_id for i in pending(store)] == [
        first.result_id,
        second.result_id,
        third.result_id,
    ]
    assert [i.result.result_id for i in pending(store, limit=1)] == [first.result_id]

    mark_sending(store, first.result_id)
    with pytest.raises(StoreError) as error:
        mark_sending(store, first.result_id)
    assert error.value.reason == "STORE_OUTBOX_STATE"
    assert mark_failed(store, first.result_id, "broker unreachable", T0 + 30_000) is True
    (failed,) = [i for i in pending(store) if i.result.result_id == first.result_id]
    assert (failed.attempts, failed.next_attempt_at_ms, failed.last_error) == (
        1,
        T0 + 30_000,
        "broker unreachable",
    )
    due = [i.result.result_id for i in pending(store, now_ms=T0 + 1_000)]
    assert due == [second.result_id, third.result_id]  # the failed one waits for its time

    mark_sending(store, first.result_id)
    assert mark_accepted(store, first.result_id, now_ms=T0 + 40_000) is True
    assert mark_accepted(store, first.result_id, now_ms=T0 + 41_000) is False  # QoS 1 repeat
    assert mark_failed(store, first.result_id, "late timeout", T0) is False  # ack won
    assert mark_anchored(store, first.result_id, "0xtx1", "b1", b"proof", now_ms=T0 + 50_000)
    assert not mark_anchored(store, first.result_id, "0xtx1", "b1", b"proof", now_ms=T0 + 51_000)
    with pytest.raises(StoreError) as error:
        mark_anchored(store, first.result_id, "0xtx2", "b2", b"proof", now_ms=T0 + 52_000)
    assert error.value.reason == "STORE_OUTBOX_STATE"

    # An "anchored" ack whose "accepted" ack was lost still anchors.
    assert mark_anchored(store, second.result_id, "0xtx1", "b1", b"p2", now_ms=T0 + 50_000)
    mark_sending(store, third.result_id)
    assert reset_sending(store) == 1  # the agent died mid-publish
    with pytest.raises(StoreError) as error:
        mark_accepted(store, "0190a0a0-0000-7000-8000-000000000000", now_ms=T0)
    assert error.value.reason == "STORE_RESULT_UNKNOWN"

    report = status(store, now_ms=T0 + 60_000)
    assert report.counts == {"pending": 1, "sending": 0, "accepted": 0, "anchored": 2}
    assert report.oldest_pending_age_ms == T0 + 60_000 - third.created_at_ms
    row = store.execute_sql(
        "SELECT accepted_at_ms, anchored_at_ms, tx_hash, batch_id, merkle_proof FROM outbox "
        "WHERE result_id = ?",
        (first.result_id,),
    ).fetchone()
    assert row == (T0 + 40_000, T0 + 50_000, "0xtx1", "b1", b"proof")


def outbox_rows(db: StoreDatabase) -> list[tuple]:
    return db.execute_sql(
        "SELECT result_id, state, attempts, next_attempt_at_ms, accepted_at_ms, last_error "
        "FROM outbox ORDER BY result_id"
    ).fetchall()


def test_window_marks_make_the_same_transitions_as_one_row_marks(tmp_path, key):
    """The agent marks a window per statement (issue 19); the rows must end as the one-row
    functions leave them, from every state, repeats and unknown ids included."""
    items = results(6)
    ids = [i.result_id for i in items]
    unknown = "0190a0a0-0000-7000-8000-000000000000"
    stores = []
    for name in ("one", "many"):
        db = open_store(tmp_path / f"{name}.db", key, create=True)
        for item in items:
            record(db, item)
        mark_failed(db, ids[5], "timeout", T0 + 5)  # pending again, attempts 1
        mark_sending(db, ids[1])
        mark_sending(db, ids[2])
        mark_accepted(db, ids[3], now_ms=T0 + 1)
        mark_anchored(db, ids[4], "0xtx", "b", b"p", now_ms=T0 + 2)
        stores.append(db)
    one, many = stores

    mark_sending(one, ids[0])
    mark_sending(one, ids[5])
    mark_sending_many(many, [ids[0], ids[5]])
    assert outbox_rows(one) == outbox_rows(many)

    for result_id in ids:
        with contextlib.suppress(StoreError):
            mark_accepted(one, result_id, now_ms=T0 + 10)
    assert mark_accepted_many(many, [*ids, ids[0], unknown], now_ms=T0 + 10) == {unknown}
    assert outbox_rows(one) == outbox_rows(many)
    assert mark_accepted_many(many, ids, now_ms=T0 + 20) == set()  # QoS 1 repeats
    assert outbox_rows(one) == outbox_rows(many)

    # One row not pending refuses the whole window and changes nothing.
    record(many, fake_result(T0 + 100, 100))
    fresh = fake_result(T0 + 100, 100).result_id
    before = outbox_rows(many)
    with pytest.raises(StoreError) as error:
        mark_sending_many(many, [fresh, ids[0]])
    assert error.value.reason == "STORE_OUTBOX_STATE"
    assert outbox_rows(many) == before
    for db in stores:
        db.close()


# -- capacity -----------------------------------------------------------------------------


def test_a_full_store_refuses_new_results_and_drops_nothing(db_path, key):
    quota = 256 * 1024
    db = open_store(db_path, key, create=True, capacity=CapacityPolicy(quota, 0))
    recorded: list[SignedResult] = []
    with pytest.raises(StoreError) as error:
        for item in results(10_000):
            record(db, item, personal=[PersonalData("portrait", bytes(4096), T0 + DAY)])
            recorded.append(item)
    assert error.value.reason == "STORE_QUOTA_REACHED"
    assert "nothing queued was dropped" in str(error.value)
    assert recorded  # it took some before it was full
    refused = results(10_000)[len(recorded)]
    capacity = check_capacity(db)
    assert capacity.status == "STORE_QUOTA_REACHED"
    assert capacity.store_bytes >= quota
    # Everything recorded is still queued, and the refused one left no trace.
    assert [i.result.result_id for i in pending(db, limit=100_000)] == [
        r.result_id for r in recorded
    ]
    assert count(db, "audit_entry") == len(recorded)
    assert not db.execute_sql(
        "SELECT 1 FROM result WHERE result_id = ?", (refused.result_id,)
    ).fetchone()
    # A flow retrying a result that is already stored is still told it is safe.
    assert record(db, recorded[-1]) is False
    db.close()


def test_a_nearly_full_disk_refuses_new_results(db_path, key):
    db = open_store(db_path, key, create=True, capacity=CapacityPolicy(2**40, 2**62))
    assert check_capacity(db).status == "STORE_DISK_LOW"
    with pytest.raises(StoreError) as error:
        record(db, results(1)[0])
    assert error.value.reason == "STORE_DISK_LOW"
    assert count(db, "result") == 0
    db.close()


# -- retention ----------------------------------------------------------------------------


def test_retention_purges_what_is_due_and_audits_counts_only(store):
    old_anchored, young_anchored, old_unsent, recent = results(4)
    for item in (old_anchored, young_anchored, old_unsent, recent):
        record(store, item, personal=[PersonalData("portrait", b"jpeg", T0 + 10 * DAY)])
    record_with_due_name = results(1, start_ms=T0 + 100)[0]
    record(store, record_with_due_name, personal=[PersonalData("name", b"x", T0 + 60_000)])
    mark_anchored(store, old_anchored.result_id, "0xa", "b", b"p", now_ms=T0)
    mark_anchored(store, young_anchored.result_id, "0xa", "b", b"p", now_ms=T0 + 25 * DAY)
    with store.bound():
        EnrolledTemplate.insert_many(
            [
                {
                    "subject_ref": "ab" * 32,
                    "embedding": bytes(512),
                    "model": "dlib_resnet_v1",
                    "images_fused": 3,
                    "enrolled_at_ms": T0,
                    "enrolled_by": "operator-7",
                    "expires_at_ms": expires,
                }
                for expires in (T0 + DAY, T0 + 400 * DAY)
            ]
        ).execute()

    now = T0 + 31 * DAY
    report = retention.purge(store, now, retention.RetentionPolicy(keep_anchored_days=30))
    # personal: the due name + the portraits past T0+10d (all five results had one)
    assert report == retention.PurgeReport(personal_records=5, templates=1, results=1)
    remaining = {r for (r,) in store.execute_sql("SELECT result_id FROM result")}
    assert remaining == {
        young_anchored.result_id,
        old_unsent.result_id,  # never anchored: kept whatever its age
        recent.result_id,
        record_with_due_name.result_id,
    }
    assert count(store, "outbox") == 4
    with store.bound():
        assert PersonalRecord.select().count() == 0
        assert EnrolledTemplate.select().count() == 1
    action, actor_kind, detail = store.execute_sql(
        "SELECT action, actor_kind, detail FROM audit_entry ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    assert (action, actor_kind) == ("retention_purge", "system")
    assert detail == (
        '{"his_messages":0,"keep_anchored_days":30,"keep_refused_his_days":14,'
        '"personal_records":5,"results":1,"templates":1}'
    )
    # Nothing due: still one audit entry, so the log shows the job ran.
    again = retention.purge(store, now, retention.RetentionPolicy(keep_anchored_days=30))
    assert again == retention.PurgeReport(0, 0, 0)
    assert audit.verify_chain(store).entries == 5 + 2


# -- no personal data in the file ---------------------------------------------------------


def _forms(text: str) -> list[bytes]:
    return [text.encode(enc) for enc in ("utf-8", "utf-16-le", "utf-16-be")]


def _found(data: bytes, secrets: list[str]) -> list[str]:
    return [s for s in secrets if any(form in data for form in _forms(s))]


def test_no_personal_data_is_readable_in_the_file_bytes(store, db_path, tmp_path):
    secrets = [NAME, ID_NUMBER, MRZ]
    signed = results(1)[0]
    personal = [
        PersonalData("name", NAME.encode("utf-8"), T0 + DAY),
        PersonalData("name", NAME.encode("utf-16-le"), T0 + DAY),
        PersonalData("document_number", ID_NUMBER.encode(), T0 + DAY),
        PersonalData("mrz", MRZ.encode(), T0 + DAY),
    ]
    record(store, signed, personal=personal)
    with store.bound():
        EnrolledTemplate.insert(
            subject_ref=ID_NUMBER,  # wrong on purpose: even a misused column is encrypted
            embedding=MRZ.encode(),
            model="dlib_resnet_v1",
            images_fused=1,
            enrolled_at_ms=T0,
            enrolled_by=NAME,
            expires_at_ms=T0 + DAY,
        ).execute()

    wal = db_path.with_name(db_path.name + "-wal")
    assert wal.stat().st_size > 0  # before the checkpoint the rows are in the WAL
    assert _found(wal.read_bytes(), secrets) == []
    store.execute_sql("PRAGMA wal_checkpoint(FULL)")
    for path in (db_path, wal):
        assert _found(path.read_bytes(), secrets) == [], path
    assert db_path.read_bytes()[:16] != b"SQLite format 3\x00"

    # The scan itself works: the same rows in a plain SQLite file are found.
    plain = sqlite3.connect(tmp_path / "plain.db")
    plain.execute("CREATE TABLE p (data BLOB, text TEXT)")
    plain.executemany("INSERT INTO p VALUES (?, ?)", [(p.data, p.kind) for p in personal])
    plain.execute("INSERT INTO p VALUES (?, ?)", (None, ID_NUMBER))
    plain.commit()
    plain.close()
    assert _found((tmp_path / "plain.db").read_bytes(), secrets) == secrets


def test_debug_logging_shows_the_sql_but_never_the_values(store):
    """At DEBUG peewee logs every statement with its parameters; the personal data written
    with a result (here a name) must not reach the log, while the statement itself may."""
    stream = io.StringIO()
    handler = configure_logging("DEBUG", "json", stream)
    try:
        name = "ZHANG SANFENG"
        signed = results(1)[0]
        record(store, signed, personal=[PersonalData("name", name.encode(), T0 + 60_000)])
        store.execute_sql("SELECT count(*) FROM personal_record WHERE data = ?", (name.encode(),))
    finally:
        logging.getLogger().removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    queries = [line["msg"] for line in lines if line["logger"] == "peewee"]
    assert any("INSERT INTO personal_record" in q for q in queries)
    assert any("parameters not logged" in q for q in queries)
    text = stream.getvalue()
    assert name not in text
    assert signed.result_id not in text


def test_the_next_due_results_are_read_without_sorting_the_backlog(store):
    """pending() walks an index in result_id order and stops at its limit, whatever the
    backlog: the query plan has no sort (a 100,000-result backlog once took 250 ms a call)."""
    from kiosk.store.outbox import _PENDING

    plan = " ".join(row[3] for row in store.execute_sql(f"EXPLAIN QUERY PLAN {_PENDING}", (0, 64)))
    assert "outbox_state_result_id_next_attempt_at_ms" in plan
    assert "TEMP B-TREE" not in plan
    made = results(5)
    for signed in reversed(made):
        record(store, signed)
    mark_failed(store, made[1].result_id, "retry later", T0 + 10_000)
    due = [i.result.result_id for i in pending(store, 10, now_ms=T0 + 1)]
    assert due == [made[0].result_id, *(m.result_id for m in made[2:])]
    assert [i.result.result_id for i in pending(store, 2, now_ms=T0 + 1)] == due[:2]
    assert [i.result.result_id for i in pending(store, 10)] == [m.result_id for m in made]


def test_the_cached_capacity_check_overshoots_by_less_than_its_charge(db_path, key):
    """``capacity.admit`` measures only when due (issue 19). Filling a store to its quota
    with results of mixed sizes, each result's measured growth stays under its charge (so
    the documented bound holds) and the quota is passed by less than one charge interval."""
    from kiosk.store.capacity import RECHECK_EVERY, charge, store_bytes

    quota = 2 * 1024 * 1024
    db = open_store(db_path, key, create=True, capacity=CapacityPolicy(quota, 0))
    worst = 0
    with pytest.raises(StoreError) as error:
        for n, item in enumerate(results(100_000)):
            portrait = bytes(20_000 if n % 5 == 0 else 0)
            before = store_bytes(db)
            personal = [PersonalData("portrait", portrait, T0 + DAY)] if portrait else []
            record(db, item, personal=personal)
            grown = store_bytes(db) - before
            assert grown <= charge(db, len(item.payload) + len(item.signature) + len(portrait))
            worst = max(worst, charge(db, len(item.payload) + len(item.signature) + 20_000))
    assert error.value.reason == "STORE_QUOTA_REACHED"
    assert store_bytes(db) - quota <= RECHECK_EVERY * worst
    assert check_capacity(db).status == "STORE_QUOTA_REACHED"
    db.close()
