"""Backups of real SQLCipher stores: a consistent snapshot while another process writes,
incrementals that hold only changed pages, restore of a chain to the exact rows, the
refusals (wrong passphrase, damaged archive, broken chain, another device, a store in use),
the audit trail, ``kioskctl backup`` end to end, and a fuzzed archive reader.

Archives here use a cheap scrypt (N = 2^10) so the suite stays fast; the CLI test runs the
real default cost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.store import audit
from kiosk.store.backup import (
    ArchiveReader,
    BackupError,
    ScryptParams,
    create_backup,
    read_manifest,
    restore_backup,
    verify_backups,
)
from kiosk.store.backup_archive import HEADER_LEN
from kiosk.store.database import StoreDatabase, open_store
from kiosk.store.errors import StoreError
from kiosk.store.key import create_key_file, load_key
from kiosk.store.outbox import PersonalData, record_result, record_results
from tests.store.fakes import fake_result
from tests.store.test_crash_safety import kill_after, start_writer

REPO = Path(__file__).resolve().parents[2]
PASSPHRASE = "correct horse battery staple"
FAST = ScryptParams(log2_n=10, r=8, p=1)
DEVICE = "0x" + "5c" * 20
OTHER_DEVICE = "0x" + "a1" * 20
T0 = 1_780_000_000_000


def add_results(db: StoreDatabase, n: int, start: int = 0) -> None:
    """``n`` results in one transaction, plus a portrait on one of them."""
    batch = [fake_result(T0 + start + i, start + i) for i in range(n)]
    record_results(db, batch, actor_kind="system", actor_id="test", now_ms=T0 + start)
    extra = fake_result(T0 + start + n, start + n)
    portrait = PersonalData("portrait", os.urandom(3000), T0 + 10**9)
    record_result(db, extra, actor_kind="operator", actor_id="op-1", personal=[portrait], now_ms=T0)


TABLES = {
    "result": "result_id, device_id, key_id, kind, flow, decision, created_at_ms, payload, "
    "signature",
    "outbox": "result_id, state, attempts",
    "personal_record": "id, result_id, kind, data",
    "audit_entry": "seq, action, record_id, entry_hash",
}


def contents(path: Path, key: bytes, *, skip_audit_after: int | None = None) -> dict:
    """Every row that matters, by table; the audit log up to ``skip_audit_after``."""
    db = open_store(path, key, migrate=False)
    try:
        found = {
            table: db.execute_sql(f"SELECT {cols} FROM {table} ORDER BY 1").fetchall()
            for table, cols in TABLES.items()
        }
    finally:
        db.close()
    if skip_audit_after is not None:
        found["audit_entry"] = [r for r in found["audit_entry"] if r[0] <= skip_audit_after]
    return found


def backup(db_path: Path, key: bytes, out: Path, **kwargs) -> object:
    kwargs.setdefault("device_id", DEVICE)
    kwargs.setdefault("site", "test-site")
    kwargs.setdefault("kdf", FAST)
    return create_backup(db_path, key, out, passphrase=PASSPHRASE, **kwargs)


def restore(archives: list[Path], target: Path, key: bytes, **kwargs) -> object:
    kwargs.setdefault("target_device", DEVICE)
    return restore_backup(archives, PASSPHRASE, target=target, target_key=key, **kwargs)


@pytest.fixture
def filled(store: StoreDatabase, db_path: Path) -> Path:
    add_results(store, 1000)
    store.close()
    return db_path


@pytest.fixture
def chain(filled: Path, key: bytes, tmp_path: Path) -> tuple[Path, Path, Path]:
    """A full backup and two incrementals, 100 and 50 results apart."""
    out = tmp_path / "out"
    full = backup(filled, key, out).path
    db = open_store(filled, key)
    add_results(db, 100, start=1000)
    db.close()
    inc1 = backup(filled, key, out, parent=full).path
    db = open_store(filled, key)
    add_results(db, 50, start=2000)
    db.close()
    inc2 = backup(filled, key, out, parent=inc1).path
    return full, inc1, inc2


# -- snapshot ------------------------------------------------------------------------------


def test_a_full_backup_while_another_process_writes_is_one_consistent_snapshot(
    filled, key, key_file, tmp_path
):
    before = len(contents(filled, key)["result"])
    writer = start_writer(filled, key_file)
    steps: list[tuple[int, int]] = []
    try:
        # 8 pages a step: many steps, with the writer committing between them.
        report = backup(
            filled, key, tmp_path / "out", step_pages=8, progress=lambda d, t: steps.append((d, t))
        )
    finally:
        committed = kill_after(writer, 0.2)
    assert committed, "the writer wrote nothing during the test"
    manifest = report.manifest
    assert manifest.kind == "full" and manifest.pages_included == manifest.page_count
    assert steps[-1] == (2 * manifest.page_count, 2 * manifest.page_count)
    assert [d for d, _ in steps] == sorted(d for d, _ in steps)
    assert len(steps) > manifest.page_count // 8  # the copy really went in steps

    target = tmp_path / "restored" / "kiosk.db"
    restored = restore([report.path], target, key)
    got = contents(target, key)
    live = contents(filled, key)
    ids = [r[0] for r in got["result"]]
    # A snapshot: whole transactions only, every one the writer had committed before it.
    assert before <= len(ids) == manifest.results <= len(live["result"])
    assert set(ids) <= {r[0] for r in live["result"]}
    assert {r[0] for r in got["outbox"]} == set(ids)
    recorded = [r for r in got["audit_entry"] if r[1] == "result_recorded"]
    assert {r[2] for r in recorded} == set(ids)
    assert restored.verified.audit.ok


# -- incremental and restore ---------------------------------------------------------------


def test_an_incremental_holds_only_changed_pages_and_the_chain_restores_the_live_rows(
    chain, filled, key, tmp_path
):
    full, inc1, inc2 = chain
    m_full, m1, m2 = (read_manifest(p, PASSPHRASE) for p in chain)
    assert m1.parent_id == m_full.backup_id and m2.parent_id == m1.backup_id
    assert m1.base_id == m2.base_id == m_full.backup_id and (m1.depth, m2.depth) == (1, 2)
    assert m1.pages_included < m_full.pages_included / 3
    assert inc1.stat().st_size < full.stat().st_size / 3
    assert m2.page_count >= m1.page_count >= m_full.page_count

    # The live store also holds the audit entry of the last backup, made after its snapshot.
    live = contents(filled, key, skip_audit_after=m2.audit_head[0])
    target = tmp_path / "restored" / "kiosk.db"
    new_key = os.urandom(32)
    report = restore([full, inc1, inc2], target, new_key)
    assert report.rekeyed and report.previous is None
    assert contents(target, new_key, skip_audit_after=m2.audit_head[0]) == live
    with pytest.raises(StoreError) as error:
        open_store(target, key)  # re-keyed: the backup's key no longer opens it
    assert error.value.reason == "STORE_KEY_WRONG"

    # A shorter chain restores the state of its last backup.
    earlier = tmp_path / "earlier" / "kiosk.db"
    restore([full, inc1], earlier, key)
    assert len(contents(earlier, key)["result"]) == m1.results == 1001 + 101


def test_a_store_that_shrank_restores_from_its_incremental(filled, key, tmp_path):
    out = tmp_path / "out"
    full = backup(filled, key, out)
    db = open_store(filled, key)
    db.execute_sql("DELETE FROM personal_record")
    db.execute_sql("DELETE FROM outbox WHERE rowid % 2 = 0")
    db.execute_sql("DELETE FROM result WHERE result_id NOT IN (SELECT result_id FROM outbox)")
    db.execute_sql("VACUUM")
    db.close()
    inc = backup(filled, key, out, parent=full.path)
    assert inc.manifest.page_count < full.manifest.page_count
    target = tmp_path / "restored" / "kiosk.db"
    restore([full.path, inc.path], target, key)
    head = inc.manifest.audit_head[0]
    assert contents(target, key, skip_audit_after=head) == contents(
        filled, key, skip_audit_after=head
    )


def test_verify_checks_everything_without_touching_a_store(chain, tmp_path):
    report = verify_backups(list(chain), PASSPHRASE, work_dir=tmp_path)
    assert report.audit.ok and report.results == 1001 + 101 + 51
    assert report.to_dict()["image_sha256"] == report.final.image_sha256.hex()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".verify")]


def test_audit_entries_for_backups_and_the_restore_and_the_chain_still_verifies(
    chain, filled, key, tmp_path
):
    db = open_store(filled, key)
    made = db.execute_sql(
        "SELECT record_id, detail FROM audit_entry WHERE action = 'store_backup_created' "
        "ORDER BY seq"
    ).fetchall()
    assert audit.verify_chain(db).ok
    db.close()
    ids = [read_manifest(p, PASSPHRASE).backup_id for p in chain]
    assert [r[0] for r in made] == ids
    assert json.loads(made[1][1])["parent_id"] == ids[0]

    target = tmp_path / "restored" / "kiosk.db"
    report = restore(list(chain), target, key, technician="tech-7")
    db = open_store(target, key)
    try:
        assert audit.verify_chain(db).ok
        last = db.execute_sql(
            "SELECT actor_kind, actor_id, action, record_id FROM audit_entry "
            "ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    finally:
        db.close()
    assert last == ("technician", "tech-7", "store_restored", ids[-1])
    assert str(report.audit_head).startswith(f"{report.audit_head.seq}:")


# -- refusals ------------------------------------------------------------------------------


def test_a_wrong_passphrase_is_named_as_such(chain, filled, key, tmp_path):
    full = chain[0]
    with pytest.raises(BackupError) as error:
        read_manifest(full, "not the passphrase at all")
    assert error.value.reason == "STORE_BACKUP_PASSPHRASE_WRONG"
    with pytest.raises(BackupError) as error:
        restore_backup([full], "wrong wrong wrong", target=tmp_path / "x.db", target_key=key,
                       target_device=DEVICE)  # fmt: skip
    assert error.value.reason == "STORE_BACKUP_PASSPHRASE_WRONG"
    with pytest.raises(BackupError) as error:
        create_backup(filled, key, tmp_path / "o", passphrase="another long passphrase",
                      device_id=DEVICE, site=None, parent=full, kdf=FAST)  # fmt: skip
    assert error.value.reason == "STORE_BACKUP_PASSPHRASE_WRONG"
    with pytest.raises(BackupError) as error:
        create_backup(filled, key, tmp_path / "o", passphrase="short", device_id=DEVICE,
                      site=None)  # fmt: skip
    assert error.value.reason == "STORE_BACKUP_PASSPHRASE_WEAK"


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x40
    path.write_bytes(bytes(data))


def test_a_flipped_byte_is_corrupt_naming_the_chunk_and_offset(chain, filled, key, tmp_path):
    full = chain[0]
    size = full.stat().st_size
    flip(full, size // 2)
    with pytest.raises(BackupError) as error:
        verify_backups([full], PASSPHRASE, work_dir=tmp_path)
    bad = error.value
    assert bad.reason == "STORE_BACKUP_CORRUPT"
    assert bad.chunk is not None and HEADER_LEN <= bad.offset <= size // 2
    assert f"chunk {bad.chunk} at byte {bad.offset}" in str(bad)
    flip(full, size // 2)  # undone: it verifies again
    verify_backups([full], PASSPHRASE, work_dir=tmp_path)

    # The header, the manifest (read alone for an incremental) and the trailer too.
    for offset in (20, size - 100, size - 3):
        flip(full, offset)
        with pytest.raises(BackupError) as error:
            read_manifest(full, PASSPHRASE)
        assert error.value.reason == "STORE_BACKUP_CORRUPT", offset
        flip(full, offset)
    full.write_bytes(full.read_bytes()[: size - 1000])
    with pytest.raises(BackupError) as error:
        read_manifest(full, PASSPHRASE)
    assert error.value.reason == "STORE_BACKUP_CORRUPT" and "truncated" in str(error.value)


def test_a_failed_restore_leaves_the_store_in_place_untouched(chain, filled, key, tmp_path):
    before = filled.read_bytes()
    flip(chain[1], chain[1].stat().st_size // 3)
    with pytest.raises(BackupError) as error:
        restore(list(chain), filled, key)
    assert error.value.reason == "STORE_BACKUP_CORRUPT"
    assert filled.read_bytes() == before
    assert sorted(p.name for p in filled.parent.iterdir()) == ["kiosk.db"]


def test_archives_out_of_order_or_with_a_gap_are_refused(chain, tmp_path, key):
    full, inc1, inc2 = chain
    cases = {
        (inc1, full, inc2): "STORE_BACKUP_CHAIN_ORDER",
        (full, inc2, inc1): "STORE_BACKUP_CHAIN_ORDER",
        (full, inc2): "STORE_BACKUP_CHAIN_BROKEN",
        (inc1, inc2): "STORE_BACKUP_CHAIN_BROKEN",
        (full, inc1, inc1): "STORE_BACKUP_CHAIN_BROKEN",
    }
    for archives, reason in cases.items():
        with pytest.raises(BackupError) as error:
            verify_backups(list(archives), PASSPHRASE, work_dir=tmp_path)
        assert error.value.reason == reason, [p.name for p in archives]
    with pytest.raises(BackupError) as error:
        verify_backups([full, inc2], PASSPHRASE, work_dir=tmp_path)
    assert inc2.name in str(error.value) and "missing" in str(error.value)
    with pytest.raises(BackupError) as error:
        restore([inc1, full], tmp_path / "r.db", key)
    assert full.name in str(error.value)  # names the right order
    assert not (tmp_path / "r.db").exists()


def test_another_devices_backup_is_refused_unless_forced_by_a_technician(chain, key, tmp_path):
    full = chain[0]
    target = tmp_path / "replacement" / "kiosk.db"
    for device, words in ((OTHER_DEVICE, f"is from device {DEVICE}"), (None, "no keyring")):
        with pytest.raises(BackupError) as error:
            restore([full], target, key, target_device=device)
        assert error.value.reason == "STORE_BACKUP_OTHER_DEVICE"
        assert words in str(error.value) and "--force --technician" in str(error.value)
        assert not target.exists()
    with pytest.raises(BackupError) as error:
        restore([full], target, key, target_device=OTHER_DEVICE, force=True)
    assert error.value.reason == "STORE_BACKUP_TECHNICIAN_REQUIRED"

    own_key = os.urandom(32)
    report = restore([full], target, own_key, target_device=OTHER_DEVICE, force=True,
                     technician="tech-42")  # fmt: skip
    assert report.forced and report.source_device == DEVICE
    db = open_store(target, own_key)
    try:
        forced = db.execute_sql(
            "SELECT actor_kind, actor_id, record_kind, record_id, detail FROM audit_entry "
            "WHERE action = 'store_restore_forced'"
        ).fetchall()
        assert audit.verify_chain(db).ok
    finally:
        db.close()
    assert len(forced) == 1
    assert forced[0][:4] == ("technician", "tech-42", "device", DEVICE)
    assert json.loads(forced[0][4])["backup_id"] == report.verified.final.backup_id


def test_restore_keeps_the_old_store_and_refuses_one_in_use(chain, filled, key, key_file):
    old_results = len(contents(filled, key)["result"])
    writer = start_writer(filled, key_file)
    try:
        with pytest.raises(BackupError) as error:
            restore([chain[0]], filled, key)
        assert error.value.reason == "STORE_BACKUP_TARGET_IN_USE"
    finally:
        kill_after(writer, 0)
    old_results = len(contents(filled, key)["result"])
    report = restore([chain[0]], filled, key)
    assert report.previous is not None and report.previous.name.startswith(
        "kiosk.db.before-restore-"
    )
    assert len(contents(report.previous, key)["result"]) == old_results
    assert len(contents(filled, key)["result"]) == report.verified.results == 1001
    leftovers = [p.name for p in filled.parent.iterdir() if ".restore-" in p.name]
    assert not leftovers


# -- kioskctl backup -----------------------------------------------------------------------


def device_config(path: Path, state: Path) -> Path:
    """A demo config with its state in ``state`` and a device identity."""
    from kiosk.config import load_config
    from kiosk.security.identity import ensure_demo_identity

    text = (REPO / "kiosk" / "config" / "demo.toml").read_text(encoding="utf-8")
    text = text.replace('state_dir = "~/.local/state/bdmi-kiosk-demo"', f'state_dir = "{state}"')
    path.write_text(text, encoding="utf-8")
    ensure_demo_identity(load_config(path))
    return path


def kioskctl(capsys, *args: str) -> tuple[int, dict, str]:
    from kiosk.cli.main import main

    code = main(["backup", *args, "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_kioskctl_backup_create_verify_restore_onto_a_replacement(tmp_path, monkeypatch, capsys):
    from kiosk.config import load_config
    from kiosk.security.identity import device_id_from_config
    from kiosk.store.database import open_from_config

    config = device_config(tmp_path / "kiosk.toml", tmp_path / "state")
    db = open_from_config(load_config(config), create=True)
    add_results(db, 300)
    db.close()
    out = tmp_path / "usb"

    monkeypatch.delenv("BDMI_BACKUP_PASSPHRASE", raising=False)
    code, report, err = kioskctl(capsys, "create", "--config", str(config), "--out", str(out))
    assert code == 2 and report["error"]["reason"] == "STORE_BACKUP_PASSPHRASE_MISSING"

    monkeypatch.setenv("BDMI_BACKUP_PASSPHRASE", PASSPHRASE)
    code, full, err = kioskctl(capsys, "create", "--config", str(config), "--out", str(out))
    assert code == 0, err
    assert "backup: 100%" in err and "backup: 0%" in err  # progress, one line per 10%
    assert full["kind"] == "full" and full["results"] == 301
    assert full["device_id"] == device_id_from_config(load_config(config))
    db = open_from_config(load_config(config))
    add_results(db, 100, start=5000)
    db.close()
    code, inc, err = kioskctl(
        capsys, "create", "--config", str(config), "--out", str(out),
        "--incremental-from", full["archive"], "--technician", "t-1",
    )  # fmt: skip
    assert code == 0, err
    assert inc["kind"] == "incremental" and inc["pages_included"] < full["pages_included"]
    archives = [full["archive"], inc["archive"]]

    code, verified, err = kioskctl(capsys, "verify", *archives)
    assert code == 0, err
    assert "verify: 100%" in err
    assert verified["results"] == 402 and verified["audit"]["ok"]
    code, bad, err = kioskctl(capsys, "verify", *reversed(archives))
    assert code == 1 and bad["error"]["reason"] == "STORE_BACKUP_CHAIN_ORDER"

    # A replacement device: its own keyring and store key. Refused, then forced.
    replacement = device_config(tmp_path / "new.toml", tmp_path / "new-state")
    code, refused, err = kioskctl(capsys, "restore", "--config", str(replacement), *archives)
    assert code == 1 and refused["error"]["reason"] == "STORE_BACKUP_OTHER_DEVICE"
    assert "STORE_BACKUP_OTHER_DEVICE" in err
    code, usage, err = kioskctl(
        capsys, "restore", "--config", str(replacement), "--force", *archives
    )
    assert code == 2 and usage["error"]["reason"] == "STORE_BACKUP_TECHNICIAN_REQUIRED"
    code, done, err = kioskctl(
        capsys, "restore", "--config", str(replacement), *archives,
        "--force", "--technician", "tech-9",
    )  # fmt: skip
    assert code == 0, err
    assert "restore: 100%" in err
    assert done["forced"] and done["rekeyed"] and done["results"] == 402
    db = open_from_config(load_config(replacement))  # opens with the replacement's own key
    try:
        assert db.execute_sql("SELECT count(*) FROM result").fetchone()[0] == 402
        assert audit.verify_chain(db).ok
    finally:
        db.close()

    # The installed entry point, with the passphrase from a file.
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    env = {k: v for k, v in os.environ.items() if k != "BDMI_BACKUP_PASSPHRASE"}
    result = subprocess.run(
        [Path(sys.executable).parent / "kioskctl", "backup", "verify", full["archive"],
         "--passphrase-file", str(secret)],
        capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "chain ok" in result.stdout and "verify: 100%" in result.stderr


# -- the archive reader on hostile input ---------------------------------------------------


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory) -> tuple[Path, bytes]:
    """One small real archive for the fuzzer: (a scratch directory, its bytes)."""
    where = tmp_path_factory.mktemp("fuzz")
    key_file = where / "store.key"
    create_key_file(key_file)
    key = load_key(key_file)
    db = open_store(where / "kiosk.db", key, create=True)
    add_results(db, 20)
    db.close()
    report = backup(where / "kiosk.db", key, where / "out")
    return where, report.path.read_bytes()


def damaged(archive: bytes) -> st.SearchStrategy[bytes]:
    """Cut short, bytes flipped, a valid header then garbage (so chunks get parsed with the
    right key), or garbage with or without the magic."""
    flips = st.lists(
        st.tuples(st.integers(0, len(archive) - 1), st.integers(1, 255)),
        min_size=1,
        max_size=3,
        unique_by=lambda change: change[0],
    )

    def flipped(changes: list[tuple[int, int]]) -> bytes:
        data = bytearray(archive)
        for offset, mask in changes:
            data[offset] ^= mask
        return bytes(data)

    return st.one_of(
        st.integers(0, len(archive) - 1).map(lambda n: archive[:n]),
        flips.map(flipped),
        st.binary(max_size=400).map(lambda tail: archive[:HEADER_LEN] + tail),
        st.binary(max_size=200),
        st.binary(max_size=200).map(lambda b: b"BDMI-BAK" + b),
    )


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_reader_raises_only_backup_errors_on_damaged_input(small_archive, data):
    where, archive = small_archive
    damaged_bytes = data.draw(damaged(archive))
    path = where / "case.bin"
    path.write_bytes(damaged_bytes)
    # Every byte is checked (checksum, verifier, tag, or a cross-checked count): no change
    # goes unseen, and nothing but a StoreError comes out.
    with pytest.raises(StoreError) as error, ArchiveReader(path, PASSPHRASE) as reader:
        reader.manifest()
        for _ in reader.pages():
            pass
    assert error.value.reason.startswith("STORE_BACKUP_")
