"""The audit log's hash chain catches edits, deletions and reorderings made behind the API's
back (plain SQL on the decrypted store), and names the first bad entry; a cut tail is caught
against a published head. Also ``kioskctl audit verify`` on real stores."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.store import audit
from kiosk.store.audit import Head, verify_chain
from kiosk.store.database import StoreDatabase, open_store
from kiosk.store.errors import StoreError
from kiosk.store.key import create_key_file

REPO = Path(__file__).resolve().parents[2]
T0 = 1_780_000_000_000
FIELDS = ("at_ms", "actor_kind", "actor_id", "action", "record_kind", "record_id", "detail")
CONTENT = (*FIELDS, "prev_hash", "entry_hash")


def append_many(db: StoreDatabase, n: int) -> None:
    with db.atomic():  # one commit for the lot: these tests are about the chain, not fsync
        for i in range(n):
            audit.append(
                db,
                at_ms=T0 + i,
                actor_kind=("operator", "system", "patient_session", "technician")[i % 4],
                actor_id=f"actor-{i % 3}",
                action=("result_recorded", "personal_read", "retention_purge")[i % 3],
                record_kind="result",
                record_id=f"r{i}",
                detail={"n": i, "ok": i % 2 == 0},
            )


def row(db: StoreDatabase, seq: int) -> tuple:
    return db.execute_sql(
        f"SELECT {', '.join(CONTENT)} FROM audit_entry WHERE seq = ?", (seq,)
    ).fetchone()


def set_row(db: StoreDatabase, seq: int, values: tuple) -> None:
    assignments = ", ".join(f"{c} = ?" for c in CONTENT)
    db.execute_sql(f"UPDATE audit_entry SET {assignments} WHERE seq = ?", (*values, seq))


def edit(db: StoreDatabase, seq: int, field: str) -> None:
    new = {
        "at_ms": "at_ms + 1",
        "actor_kind": "CASE actor_kind WHEN 'system' THEN 'operator' ELSE 'system' END",
        "actor_id": "actor_id || 'x'",
        "action": "'personal_read_hidden'",
        "record_kind": "'template'",
        "record_id": "'someone-else'",
        "detail": "'{\"n\":-1}'",
        "prev_hash": "randomblob(32)",
        "entry_hash": "randomblob(32)",
    }[field]
    db.execute_sql(f"UPDATE audit_entry SET {field} = {new} WHERE seq = ?", (seq,))


@pytest.fixture
def chain(store) -> StoreDatabase:
    append_many(store, 10)
    assert verify_chain(store).ok
    return store


def test_an_intact_chain_verifies_and_reports_its_head(chain):
    report = verify_chain(chain)
    assert (report.ok, report.entries, report.first_bad_seq, report.reason) == (
        True,
        10,
        None,
        None,
    )
    assert report.head == audit.head(chain)
    assert report.head is not None and report.head.seq == 10
    assert Head.parse(str(report.head)) == report.head
    assert verify_chain(chain, expected_head=report.head).ok


def test_the_first_entry_links_to_zero(chain):
    assert row(chain, 1)[CONTENT.index("prev_hash")] == bytes(32)


@pytest.mark.parametrize("field", FIELDS)
def test_an_edited_field_is_named(chain, field):
    edit(chain, 4, field)
    report = verify_chain(chain)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, 4, "AUDIT_ENTRY_ALTERED")
    assert report.entries == 3  # entries 1..3 verified before it


def test_a_deleted_entry_is_named(chain):
    chain.execute_sql("DELETE FROM audit_entry WHERE seq = 6")
    report = verify_chain(chain)
    assert (report.first_bad_seq, report.reason) == (6, "AUDIT_ENTRY_MISSING")
    chain.execute_sql("DELETE FROM audit_entry WHERE seq IN (1, 2)")
    assert (verify_chain(chain).first_bad_seq, verify_chain(chain).reason) == (
        1,
        "AUDIT_ENTRY_MISSING",
    )


def test_swapped_entries_are_named_at_the_first(chain):
    third, seventh = row(chain, 3), row(chain, 7)
    set_row(chain, 3, seventh)
    set_row(chain, 7, third)
    report = verify_chain(chain)
    assert (report.first_bad_seq, report.reason) == (3, "AUDIT_ENTRY_ALTERED")


def test_renumbered_entries_are_named(chain):
    # Reorder by seq alone: 5 and 8 trade places.
    chain.execute_sql("UPDATE audit_entry SET seq = -5 WHERE seq = 5")
    chain.execute_sql("UPDATE audit_entry SET seq = 5 WHERE seq = 8")
    chain.execute_sql("UPDATE audit_entry SET seq = 8 WHERE seq = -5")
    report = verify_chain(chain)
    assert (report.first_bad_seq, report.reason) == (5, "AUDIT_ENTRY_ALTERED")


def test_a_rewritten_entry_with_a_recomputed_hash_breaks_the_next_link(chain):
    """Someone who knows the algorithm re-hashes the edited entry: the entry itself is then
    consistent, and the break shows at the next one, whose message names both."""
    values = list(row(chain, 4))
    values[CONTENT.index("actor_id")] = "nobody"
    values[-1] = audit.entry_hash(4, *values[:-2], values[-2])
    set_row(chain, 4, tuple(values))
    report = verify_chain(chain)
    assert (report.first_bad_seq, report.reason) == (5, "AUDIT_CHAIN_BROKEN")
    assert "entry 4" in report.message


def test_a_cut_tail_is_caught_only_against_the_published_head(chain):
    """Deleting the last entries leaves a valid chain: the chain alone cannot tell. The head
    published before (health report, gateway) can."""
    published = audit.head(chain)
    assert published is not None
    chain.execute_sql("DELETE FROM audit_entry WHERE seq > 7")
    assert verify_chain(chain).ok  # the documented limit of a chain alone
    report = verify_chain(chain, expected_head=published)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, 8, "AUDIT_ENTRY_MISSING")

    # Entries appended after the cut keep counting from 11 (AUTOINCREMENT): the gap shows
    # even without the published head.
    append_many(chain, 1)
    report = verify_chain(chain)
    assert (report.first_bad_seq, report.reason) == (8, "AUDIT_ENTRY_MISSING")


def test_a_rewritten_tail_is_caught_against_the_published_head(chain):
    published = audit.head(chain)
    assert published is not None
    values = list(row(chain, 10))
    values[CONTENT.index("detail")] = '{"n":0}'
    values[-1] = audit.entry_hash(10, *values[:-2], values[-2])
    set_row(chain, 10, tuple(values))
    assert verify_chain(chain).ok
    report = verify_chain(chain, expected_head=published)
    assert (report.first_bad_seq, report.reason) == (10, "AUDIT_HEAD_MISMATCH")


def test_detail_refuses_personal_data_shapes(store):
    for detail in (
        {"name": "张三丰"},
        {"id": "11010519491231002X"},
        {"mrz": "P<CHNZHANG<<SANFENG<<<<<<<<<<<<<<<<"},
        {"Bad-Key": 1},
        {"blob": b"\x00"},
    ):
        with pytest.raises(StoreError) as error:
            audit.append(
                store,
                at_ms=T0,
                actor_kind="system",
                actor_id="t",
                action="a",
                record_kind="k",
                detail=detail,
            )
        assert error.value.reason == "AUDIT_DETAIL_INVALID"
    assert audit.head(store) is None


def test_progress_is_reported(chain):
    seen: list[tuple[int, int]] = []
    verify_chain(chain, progress=lambda done, total: seen.append((done, total)), progress_every=4)
    assert seen == [(4, 10), (8, 10), (10, 10)]


# -- random appends, one random tamper ----------------------------------------------------

TAMPERS = ("edit", "delete", "swap", "renumber", "truncate")


@st.composite
def tampers(draw: st.DrawFn) -> tuple[int, str, int, int, str]:
    n = draw(st.integers(2, 40))
    kind = draw(st.sampled_from(TAMPERS))
    first = draw(st.integers(1, n - 1))
    second = draw(st.integers(first + 1, n))
    field = draw(st.sampled_from((*FIELDS, "prev_hash", "entry_hash")))
    return n, kind, first, second, field


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tampers())
def test_random_chain_with_one_random_tamper_names_the_first_tampered_entry(case):
    n, kind, first, second, field = case
    with tempfile.TemporaryDirectory() as tmp:
        key = create_key_file(Path(tmp) / "key")
        db = open_store(Path(tmp) / "kiosk.db", key, create=True)
        try:
            append_many(db, n)
            published = audit.head(db)
            expected: tuple[int, str]
            if kind == "edit":
                edit(db, first, field)
                expected = (first, "AUDIT_ENTRY_ALTERED")
            elif kind == "delete":
                db.execute_sql("DELETE FROM audit_entry WHERE seq = ?", (first,))
                expected = (first, "AUDIT_ENTRY_MISSING")
            elif kind == "swap":
                a, b = row(db, first), row(db, second)
                set_row(db, first, b)
                set_row(db, second, a)
                expected = (first, "AUDIT_ENTRY_ALTERED")
            elif kind == "renumber":
                db.execute_sql("UPDATE audit_entry SET seq = -1 WHERE seq = ?", (first,))
                db.execute_sql("UPDATE audit_entry SET seq = ? WHERE seq = ?", (first, second))
                db.execute_sql("UPDATE audit_entry SET seq = ? WHERE seq = -1", (second,))
                expected = (first, "AUDIT_ENTRY_ALTERED")
            else:  # truncate: entries first+1.. are cut off
                db.execute_sql("DELETE FROM audit_entry WHERE seq > ?", (first,))
                expected = (first + 1, "AUDIT_ENTRY_MISSING")
            report = verify_chain(db, expected_head=published)
            assert not report.ok
            assert (report.first_bad_seq, report.reason) == expected
        finally:
            db.close()


# -- kioskctl audit verify ----------------------------------------------------------------


def kioskctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli.main", "audit", "verify", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )


def test_kioskctl_audit_verify_ok_tampered_and_usage(chain, db_path, key_file, tmp_path):
    published = str(audit.head(chain))
    chain.close()
    source = ("--db", str(db_path), "--key-file", str(key_file))

    ok = kioskctl(*source)
    assert ok.returncode == 0, ok.stderr
    assert "intact: 10 entries" in ok.stdout and published in ok.stdout
    as_json = json.loads(kioskctl(*source, "--json", "--expect-head", published).stdout)
    assert as_json["ok"] is True and as_json["entries"] == 10

    db = open_store(db_path, bytes.fromhex(key_file.read_text().strip()))
    edit(db, 7, "actor_id")
    db.close()
    bad = kioskctl(*source)
    assert bad.returncode == 1
    assert "AUDIT_ENTRY_ALTERED at entry 7" in bad.stdout
    report = json.loads(kioskctl(*source, "--json").stdout)
    assert (report["ok"], report["first_bad_seq"], report["reason"]) == (
        False,
        7,
        "AUDIT_ENTRY_ALTERED",
    )

    assert kioskctl("--db", str(db_path)).returncode == 2  # --key-file missing
    assert kioskctl(*source, "--expect-head", "nonsense").returncode == 2
    wrong = tmp_path / "wrong.key"
    create_key_file(wrong)
    refused = kioskctl("--db", str(db_path), "--key-file", str(wrong))
    assert refused.returncode == 2 and "STORE_KEY_WRONG" in refused.stderr
    missing = kioskctl("--db", str(tmp_path / "absent.db"), "--key-file", str(key_file))
    assert missing.returncode == 2 and "STORE_NOT_FOUND" in missing.stderr
    assert not (tmp_path / "absent.db").exists()  # verifying never creates a store


def test_kioskctl_audit_verify_with_the_demo_config(demo_config_file, tmp_path):
    from kiosk.config import load_config
    from kiosk.store.database import open_from_config

    db = open_from_config(load_config(demo_config_file), create=True)
    append_many(db, 3)
    db.close()
    result = kioskctl("--config", str(demo_config_file), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["entries"] == 3
    absent = kioskctl("--config", str(tmp_path / "nope.toml"))
    assert absent.returncode == 2 and "CFG_NOT_FOUND" in absent.stderr


def test_kioskctl_audit_verify_shows_progress_on_a_terminal(chain, db_path, key_file):
    chain.close()
    controller, terminal = pty.openpty()
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "kiosk.cli.main",
                "audit",
                "verify",
                "--db",
                str(db_path),
                "--key-file",
                str(key_file),
            ],
            stdout=subprocess.PIPE,
            stderr=terminal,
            text=True,
            cwd=REPO,
            timeout=60,
        )
        os.close(terminal)
        terminal = -1
        shown = b""
        while chunk := _read(controller):
            shown += chunk
    finally:
        if terminal != -1:
            os.close(terminal)
        os.close(controller)
    assert result.returncode == 0
    assert b"verifying audit log: 10/10 entries" in shown
    assert "verifying" not in result.stdout  # progress never mixes into the report


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except OSError:  # EIO: the terminal side is closed and drained
        return b""


# -- rows no append() could have written ----------------------------------------------------

SQL_VALUES = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.binary(max_size=40),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seq=st.integers(1, 6), field=st.sampled_from(CONTENT), value=SQL_VALUES)
def test_any_value_of_any_sql_type_in_any_column_names_that_entry(seq, field, value):
    """SQLite keeps whatever type it is given, so a hand edit can put TEXT where a hash
    belongs. The walk never raises: it names the entry, whatever was written there."""
    with tempfile.TemporaryDirectory() as tmp:
        key = create_key_file(Path(tmp) / "key")
        db = open_store(Path(tmp) / "kiosk.db", key, create=True)
        try:
            append_many(db, 6)
            original = row(db, seq)[CONTENT.index(field)]
            if value == original and type(value) is type(original):
                return
            try:
                db.execute_sql(f"UPDATE audit_entry SET {field} = ? WHERE seq = ?", (value, seq))
            except Exception:  # a NOT NULL or CHECK constraint refused the edit: nothing to find
                assert verify_chain(db).ok
                return
            report = verify_chain(db)
            assert not report.ok
            assert (report.first_bad_seq, report.reason) == (seq, "AUDIT_ENTRY_ALTERED")
            assert report.entries == seq - 1
        finally:
            db.close()


def test_an_inserted_entry_with_seq_zero_is_named_as_itself(chain):
    first = row(chain, 1)
    chain.execute_sql(
        f"INSERT INTO audit_entry (seq, {', '.join(CONTENT)}) VALUES (0, {', '.join('?' * 9)})",
        first,
    )
    report = verify_chain(chain)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, 0, "AUDIT_ENTRY_ALTERED")
    assert "entry 0" in report.message and "missing" not in report.message


def test_kioskctl_audit_verify_names_a_text_hash_in_json(chain, db_path, key_file):
    chain.execute_sql("UPDATE audit_entry SET entry_hash = hex(entry_hash) WHERE seq = 4")
    chain.close()
    result = kioskctl("--db", str(db_path), "--key-file", str(key_file), "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert (report["ok"], report["first_bad_seq"], report["reason"]) == (
        False,
        4,
        "AUDIT_ENTRY_ALTERED",
    )
    assert "entry_hash holds str" in report["message"]
    assert "Traceback" not in result.stderr


def test_kioskctl_audit_verify_json_on_a_store_without_its_audit_table(chain, db_path, key_file):
    chain.execute_sql("DROP TABLE audit_entry")
    chain.close()
    result = kioskctl("--db", str(db_path), "--key-file", str(key_file), "--json")
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["error"]["reason"] == "STORE_OPEN_FAILED"
    assert "audit_entry" in report["error"]["message"]
    assert "Traceback" not in result.stderr
