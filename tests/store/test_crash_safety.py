"""SIGKILL a writer 200 times at random points: no committed result is ever lost, no result
is ever half-written, and the file and the audit chain stay intact.

The writer (tests/store/writer.py) prints each result_id after its commit returned. After
each kill the store is opened as the kiosk would after a power cut, and checked:
``PRAGMA integrity_check`` is ok, foreign keys hold, every reported result is there with its
outbox row and audit entry, no result lacks either (and no outbox row or audit entry lacks
its result), and the audit chain verifies. A SIGKILL tests the transaction boundary and WAL
recovery; it does not test fsync (the OS still writes the page cache out), which is what
``synchronous=FULL`` is for and what a power-cut rig would test.

A fresh store every ``KILLS_PER_STORE`` kills keeps the chain short enough to verify after
every kill and still covers recovery of a store that has been killed many times before.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from kiosk.store.audit import verify_chain
from kiosk.store.database import open_store
from kiosk.store.key import create_key_file

REPO = Path(__file__).resolve().parents[2]
KILLS = 200
KILLS_PER_STORE = 10
MIN_DELAY_S, MAX_DELAY_S = 0.05, 0.4


def start_writer(db_path: Path, key_path: Path) -> subprocess.Popen[str]:
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.store.writer", str(db_path), str(key_path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    line = writer.stdout.readline()
    assert line == "ready\n", f"writer did not start: {line!r} {writer.stderr.read()}"  # type: ignore[union-attr]
    return writer


def kill_after(writer: subprocess.Popen[str], delay_s: float) -> list[str]:
    """SIGKILL the writer after ``delay_s`` and return the ids it reported committed."""
    time.sleep(delay_s)
    assert writer.poll() is None, f"writer died on its own: {writer.stderr.read()}"  # type: ignore[union-attr]
    writer.send_signal(signal.SIGKILL)
    out, err = writer.communicate(timeout=10)
    assert writer.returncode == -signal.SIGKILL, err
    # A line cut by the kill (no newline) was not fully reported: it does not count.
    return [line for line in out.split("\n")[:-1] if len(line) == 36]


def check_store(db_path: Path, key: bytes, reported: set[str]) -> int:
    """All the invariants after a crash; returns the number of results in the store."""
    db = open_store(db_path, key)  # recovery as at boot: no create, migrations checked
    try:
        assert db.execute_sql("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute_sql("PRAGMA foreign_key_check").fetchall() == []
        results = {r for (r,) in db.execute_sql("SELECT result_id FROM result")}
        outbox = {r for (r,) in db.execute_sql("SELECT result_id FROM outbox")}
        audited_rows = db.execute_sql(
            "SELECT record_id FROM audit_entry WHERE action = 'result_recorded'"
        ).fetchall()
        audited = {r for (r,) in audited_rows}
        lost = reported - results
        assert not lost, f"{len(lost)} committed results lost, e.g. {sorted(lost)[:3]}"
        assert outbox == results, "a result without its outbox row, or the reverse"
        assert audited == results and len(audited_rows) == len(results), (
            "a result without its audit entry, or the reverse"
        )
        personal_orphans = db.execute_sql(
            "SELECT count(*) FROM personal_record WHERE result_id NOT IN "
            "(SELECT result_id FROM result)"
        ).fetchone()[0]
        assert personal_orphans == 0
        report = verify_chain(db)
        assert report.ok, report.message
        assert report.entries == len(results)
        return len(results)
    finally:
        db.close()


def test_sigkill_at_random_points_loses_no_committed_result(tmp_path):
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    key_path = tmp_path / "store.key"
    key = create_key_file(key_path)
    started = time.monotonic()
    checked = 0  # committed results reported by a writer, checked after its kill
    unreported = 0  # committed, but killed before it printed the id: allowed, counted
    db_path = tmp_path / "kiosk-0.db"
    reported: set[str] = set()
    stored = 0
    for kill in range(KILLS):
        if kill % KILLS_PER_STORE == 0:
            unreported += stored - len(reported)
            db_path = tmp_path / f"kiosk-{kill // KILLS_PER_STORE}.db"
            reported = set()
        writer = start_writer(db_path, key_path)
        ids = kill_after(writer, rng.uniform(MIN_DELAY_S, MAX_DELAY_S))
        assert ids, f"seed {seed}: kill {kill} came before the first commit"
        reported.update(ids)
        stored = check_store(db_path, key, reported)
        checked += len(ids)
    unreported += stored - len(reported)
    print(
        f"\ncrash safety: seed {seed}, {KILLS} SIGKILLs, {checked} committed results checked, "
        f"{unreported} committed but killed before reporting, "
        f"{time.monotonic() - started:.1f} s"
    )


def test_two_writers_share_the_store_and_are_killed_at_random(tmp_path):
    """The kiosk and the sync agent both write the one file: IMMEDIATE transactions and the
    busy timeout serialise them, and the audit chain stays one chain."""
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    key_path = tmp_path / "store.key"
    key = create_key_file(key_path)
    db_path = tmp_path / "kiosk.db"
    reported: set[str] = set()
    for _ in range(10):
        writers = [start_writer(db_path, key_path) for _ in range(2)]
        delays = sorted(rng.uniform(MIN_DELAY_S, MAX_DELAY_S) for _ in writers)
        ids = kill_after(writers[0], delays[0])
        ids += kill_after(writers[1], delays[1] - delays[0])
        reported.update(ids)
        check_store(db_path, key, reported)
    print(f"\ntwo writers: seed {seed}, {len(reported)} committed results checked")
