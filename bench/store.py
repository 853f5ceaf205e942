"""Benchmark: durable signed results per second in the encrypted store, against raw SQLCipher.

Anchor: raw SQLCipher (sqlcipher3, raw SQL), ONE row of a result's size per commit, with the
store's own PRAGMAs (key, busy_timeout, WAL, synchronous=FULL, foreign_keys, secure_delete,
journal_size_limit), interleaved with ours in the same run. That anchor does less than a
kiosk must (one row, no signature), so a fair one is printed beside it: the same three rows
``record_result`` writes (result, outbox, hash-chained audit entry) and an ECDSA signature
with ``cryptography``, all raw. Ours is the kiosk's real path: a ``VerificationResult``
(pydantic), signed by the kiosk's own ``DeviceKey`` from a keyring (``sign_result``) and
stored by ``record_result`` with a capacity policy that is checked. Prints JSON:

* ``sqlcipher_1row_raw``: the anchor; ``sqlcipher_3rows_signed_raw``: the fair anchor.
* ``store_kiosk``: ours, one result per commit. ``ratio_to_raw_1row`` = ours / anchor,
  ``ratio_to_fair`` = ours / fair anchor (the target: ``ratio_to_raw_1row`` >= 0.5).
* ``store_kiosk_batched``: ``record_results`` with ``--batch`` results per commit.
* ``plain_sqlite_1row``: stdlib sqlite3, one row per commit, to show what encryption costs.

    .venv/bin/python -m bench.store [--results 2000] [--batch 50] [--repeat 3] [--dir DIR]

``--dir`` should be on the disk the kiosk's state lives on: the fsync is most of the cost.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import peewee  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature  # noqa: E402
from sqlcipher3 import dbapi2 as sqlcipher  # noqa: E402

from edge_sync.protocol.result import DocumentRecord, Scores, VerificationResult, sign_result  # noqa: E402
from edge_sync.protocol.signed import SignedResult  # noqa: E402
from kiosk.security.device_key import Keyring, create_machine_secret  # noqa: E402
from kiosk.store.audit import ZERO_HASH, entry_hash  # noqa: E402
from kiosk.store.capacity import CapacityPolicy  # noqa: E402
from kiosk.store.database import JOURNAL_SIZE_LIMIT, open_store  # noqa: E402
from kiosk.store.key import KEY_BYTES  # noqa: E402
from kiosk.store.outbox import record_result, record_results  # noqa: E402
from tests.store.fakes import uuid7  # noqa: E402

DEVICE = "0x" + "5c" * 20
CHECKED = CapacityPolicy(quota_bytes=2**40, min_free_bytes=16 * 1024 * 1024)
"""Never reached here, but measured: the capacity check is part of the work."""


def sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _plain(path: Path, synchronous: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    return conn


def plain_1row(path: Path, items: list[SignedResult], synchronous: str = "FULL") -> None:
    conn = _plain(path, synchronous)
    conn.execute("CREATE TABLE r (id TEXT PRIMARY KEY, meta TEXT, payload BLOB, signature BLOB)")
    meta = "verification|pension_survival|pass|" + DEVICE + DEVICE
    for item in items:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO r VALUES (?, ?, ?, ?)",
            (item.result_id, meta, item.payload, item.signature),
        )
        conn.execute("COMMIT")
    conn.close()


_SCHEMA_3ROWS = (
    "CREATE TABLE result (result_id TEXT PRIMARY KEY, device_id TEXT, key_id TEXT, kind TEXT, "
    "flow TEXT, decision TEXT, created_at_ms INTEGER, payload BLOB, signature BLOB)",
    "CREATE TABLE outbox (result_id TEXT PRIMARY KEY REFERENCES result, state TEXT, "
    "attempts INTEGER, next_attempt_at_ms INTEGER)",
    "CREATE TABLE audit_entry (seq INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER, "
    "actor_kind TEXT, actor_id TEXT, action TEXT, record_kind TEXT, record_id TEXT, "
    "detail TEXT, prev_hash BLOB, entry_hash BLOB)",
)


def three_rows(conn: sqlite3.Connection | sqlcipher.Connection, items: list[SignedResult]) -> None:
    for statement in _SCHEMA_3ROWS:
        conn.execute(statement)
    detail = '{"decision":"pass","flow":"pension_survival","kind":"verification","personal":[]}'
    prev = ZERO_HASH
    for seq, item in enumerate(items, 1):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO result VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item.result_id,
                item.device_id,
                item.key_id,
                item.kind,
                item.flow,
                item.decision,
                item.created_at_ms,
                item.payload,
                item.signature,
            ),
        )
        conn.execute("INSERT INTO outbox VALUES (?, 'pending', 0, 0)", (item.result_id,))
        digest = entry_hash(
            seq,
            item.created_at_ms,
            "patient_session",
            "s",
            "result_recorded",
            "result",
            item.result_id,
            detail,
            prev,
        )
        conn.execute(
            "INSERT INTO audit_entry VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                seq,
                item.created_at_ms,
                "patient_session",
                "s",
                "result_recorded",
                "result",
                item.result_id,
                detail,
                prev,
                digest,
            ),
        )
        conn.execute("COMMIT")
        prev = digest
    conn.close()


def sqlcipher_raw(path: Path, key: bytes) -> sqlcipher.Connection:
    """A raw connection with the store's PRAGMAs (kiosk/store/database.py)."""
    conn = sqlcipher.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA secure_delete=ON")
    conn.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
    return conn


def sqlcipher_1row(path: Path, key: bytes, items: list[SignedResult]) -> None:
    conn = sqlcipher_raw(path, key)
    conn.execute("CREATE TABLE r (id TEXT PRIMARY KEY, meta TEXT, payload BLOB, signature BLOB)")
    meta = "verification|pension_survival|pass|" + DEVICE + DEVICE
    for item in items:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO r VALUES (?, ?, ?, ?)",
            (item.result_id, meta, item.payload, item.signature),
        )
        conn.execute("COMMIT")
    conn.close()


def kiosk_record(key, now_ms: int, i: int) -> VerificationResult:
    """A record as a check-in flow makes one (tests/sync/rig.py builds them the same way)."""
    return VerificationResult(
        result_id=uuid7(now_ms + i),
        device_id=key.device_id,
        key_id=key.key_id,
        site="bench-hospital",
        flow="hospital_checkin",
        assurance="EA5-",
        decision="pass" if i % 7 else "referred",
        reasons=("IDV_LIVENESS_PASSED",),
        scores=Scores(),
        document=DocumentRecord(type="cn_resident_id", chip_authentication="not_applicable",
                                sam_authenticated=True),
        subject_ref=f"{i:064x}",
        started_ms=now_ms + i - 15_000,
        decided_ms=now_ms + i,
        app_version="bench",
    )  # fmt: skip


def variants(
    n: int,
    batch: int,
    key: bytes,
    device_key: ec.EllipticCurvePrivateKey,
    kiosk_key,
    now: int,
    presigned: list[SignedResult],
) -> dict[str, Callable[[Path], None]]:
    """Each variant writes all ``n`` results into a new file under the given directory."""

    def fair(d: Path) -> None:
        # Signs inside the timed loop, as ours does, then writes the same three rows raw.
        signed = [replace(item, signature=sign(device_key, item.payload)) for item in presigned]
        three_rows(sqlcipher_raw(d / "c3.db", key), signed)

    def store_kiosk(d: Path) -> None:
        db = open_store(d / "kiosk.db", key, create=True, capacity=CHECKED)
        for i in range(n):
            signed = sign_result(kiosk_record(kiosk_key, now, i), kiosk_key)
            record_result(db, signed, actor_kind="patient_session", actor_id="s", now_ms=now)
        db.close()

    def store_kiosk_batched(d: Path) -> None:
        db = open_store(d / "batched.db", key, create=True, capacity=CHECKED)
        for start in range(0, n, batch):
            items = [
                sign_result(kiosk_record(kiosk_key, now, i), kiosk_key)
                for i in range(start, min(n, start + batch))
            ]
            record_results(db, items, actor_kind="patient_session", actor_id="s", now_ms=now)
        db.close()

    return {
        "sqlcipher_1row_raw": lambda d: sqlcipher_1row(d / "c1.db", key, presigned),
        "sqlcipher_3rows_signed_raw": fair,
        "store_kiosk": store_kiosk,
        "store_kiosk_batched": store_kiosk_batched,
        "plain_sqlite_1row": lambda d: plain_1row(d / "p1.db", presigned),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; medians are reported")
    parser.add_argument("--dir", type=Path, default=None, help="where the files go (its disk)")
    args = parser.parse_args(argv)
    n = args.results

    device_key = ec.generate_private_key(ec.SECP256R1())
    home = Path(tempfile.mkdtemp(prefix="bench-store-key-"))
    kiosk_key = Keyring(home / "keys", create_machine_secret(home / "secret")).create()
    now = time.time_ns() // 1_000_000
    presigned = [sign_result(kiosk_record(kiosk_key, now, i), kiosk_key) for i in range(n)]
    start = time.perf_counter()
    for item in presigned:
        kiosk_key.sign(item.payload)
    sign_s = time.perf_counter() - start
    key = os.urandom(KEY_BYTES)
    runs = variants(n, args.batch, key, device_key, kiosk_key, now, presigned)
    elapsed: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeat):  # rounds interleave the variants, so disk noise hits all
        for name, run in runs.items():
            with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
                start = time.perf_counter()
                run(Path(tmp))
                elapsed[name].append(time.perf_counter() - start)

    def rate(seconds: float) -> dict[str, float]:
        return {"per_s": round(n / seconds, 1), "us_each": round(seconds / n * 1e6, 1)}

    out = {name: rate(statistics.median(times)) for name, times in elapsed.items()}
    out["store_kiosk_batched"]["batch"] = args.batch
    raw = out["sqlcipher_1row_raw"]["per_s"]
    fair = out["sqlcipher_3rows_signed_raw"]["per_s"]
    ours = out["store_kiosk"]["per_s"]
    report = {
        "anchor": "raw SQLCipher, one row per commit, the store's PRAGMAs, same run",
        "fair_anchor": "raw SQLCipher, the same 3 rows + cryptography ECDSA sign, same run",
        "results": n,
        "repeat": args.repeat,
        "payload_bytes": round(sum(len(i.payload) for i in presigned) / n),
        "device_key_sign": rate(sign_s),
        **out,
        "ratio_to_raw_1row": round(ours / raw, 3),
        "ratio_to_fair": round(ours / fair, 3),
        "target_half_of_raw_1row": ours >= raw / 2,
        "environment": {
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "sqlcipher_sqlite": sqlcipher.sqlite_version,
            "peewee": peewee.__version__,
            "cpus": os.cpu_count(),
            "dir": str(args.dir or tempfile.gettempdir()),
        },
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
