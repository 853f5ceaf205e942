"""Benchmark: durable signed results per second in the encrypted store, against plain SQLite.

Every variant commits one transaction per result with ``journal_mode=WAL`` and
``synchronous=FULL`` (an fsync of the WAL per commit), except where named. Prints JSON:

* ``plain_sqlite_1row``: stdlib sqlite3, one row per transaction, the size of a result
  (payload + signature + the metadata columns): the floor the target is measured against.
* ``plain_sqlite_3rows``: the same three rows ``record_result`` writes (result, outbox,
  audit entry), unencrypted, raw SQL.
* ``sqlcipher_3rows_raw``: those three rows through sqlcipher3, raw SQL: the cost of
  encryption alone.
* ``store_unsigned``: ``record_result`` with pre-signed results: SQLCipher + peewee + the
  capacity check + the audit chain.
* ``store_signed``: ECDSA P-256 sign (cryptography, DER -> 64-byte r||s) + ``record_result``:
  the number the target is about.
* ``store_signed_batched``: sign + ``record_results`` with ``--batch`` results per
  transaction (group commit: one fsync per batch).
* ``plain_sqlite_1row_normal``: ``synchronous=NORMAL``, to show what the fsync costs.

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
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import cbor2  # noqa: E402
import peewee  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature  # noqa: E402
from sqlcipher3 import dbapi2 as sqlcipher  # noqa: E402

from edge_sync.protocol.signed import SignedResult  # noqa: E402
from kiosk.store.audit import ZERO_HASH, entry_hash  # noqa: E402
from kiosk.store.capacity import CapacityPolicy  # noqa: E402
from kiosk.store.database import open_store  # noqa: E402
from kiosk.store.key import KEY_BYTES  # noqa: E402
from kiosk.store.outbox import record_result, record_results  # noqa: E402
from tests.store.fakes import uuid7  # noqa: E402

DEVICE = "0x" + "5c" * 20
UNLIMITED = CapacityPolicy(quota_bytes=2**62, min_free_bytes=0)


def payload(i: int, now_ms: int) -> tuple[str, bytes]:
    """A payload shaped like a real VerificationResult (about 600 bytes of canonical CBOR)."""
    result_id = uuid7(now_ms)
    record = {
        "v": 1,
        "result_id": result_id,
        "device_id": DEVICE,
        "key_id": DEVICE,
        "site": "bench-hospital",
        "flow": "pension_survival",
        "assurance": "EA5+",
        "decision": "pass",
        "reasons": ["IDV_MATCH_ACCEPTED", "IDV_LIVENESS_PASSED"],
        "scores": {
            "match": {
                "model": "dlib_resnet_v1",
                "mode": "probe_fused",
                "distance_u": 312_000 + i % 997,
                "accept_max_u": 400_000,
                "refer_max_u": 450_000,
                "zone": "accept",
                "probe_images": 3,
                "template_images": 3,
            },
            "liveness": {
                "passed": True,
                "reason": None,
                "challenges": [
                    {"challenge": "blink", "issued_ms": 100, "completed_ms": 1400},
                    {"challenge": "turn_left", "issued_ms": 1500, "completed_ms": 2900},
                ],
            },
        },
        "document": {"type": "cn_resident_id", "chip_authentication": "not_applicable"},
        "subject_ref": os.urandom(32).hex(),
        "started_at_ms": now_ms - 9000,
        "created_at_ms": now_ms,
        "app_version": "0.1.0",
    }
    return result_id, cbor2.dumps(record, canonical=True)


def sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def signed_result(result_id: str, data: bytes, signature: bytes, now_ms: int) -> SignedResult:
    return SignedResult(
        result_id=result_id,
        device_id=DEVICE,
        key_id=DEVICE,
        kind="verification",
        flow="pension_survival",
        decision="pass",
        created_at_ms=now_ms,
        payload=data,
        signature=signature,
    )


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
    conn = sqlcipher.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def variants(
    n: int,
    batch: int,
    key: bytes,
    device_key: ec.EllipticCurvePrivateKey,
    now: int,
    unsigned: list[tuple[str, bytes]],
    presigned: list[SignedResult],
) -> dict[str, Callable[[Path], None]]:
    """Each variant writes all ``n`` results into a new file under the given directory."""

    def store_unsigned(d: Path) -> None:
        db = open_store(d / "unsigned.db", key, create=True, capacity=UNLIMITED)
        for item in presigned:
            record_result(db, item, actor_kind="patient_session", actor_id="s", now_ms=now)
        db.close()

    def store_signed(d: Path) -> None:
        db = open_store(d / "signed.db", key, create=True, capacity=UNLIMITED)
        for rid, data in unsigned:
            item = signed_result(rid, data, sign(device_key, data), now)
            record_result(db, item, actor_kind="patient_session", actor_id="s", now_ms=now)
        db.close()

    def store_signed_batched(d: Path) -> None:
        db = open_store(d / "batched.db", key, create=True, capacity=UNLIMITED)
        for start in range(0, n, batch):
            items = [
                signed_result(rid, data, sign(device_key, data), now)
                for rid, data in unsigned[start : start + batch]
            ]
            record_results(db, items, actor_kind="patient_session", actor_id="s", now_ms=now)
        db.close()

    return {
        "plain_sqlite_1row": lambda d: plain_1row(d / "p1.db", presigned),
        "plain_sqlite_3rows": lambda d: three_rows(_plain(d / "p3.db", "FULL"), presigned),
        "sqlcipher_3rows_raw": lambda d: three_rows(sqlcipher_raw(d / "c3.db", key), presigned),
        "store_unsigned": store_unsigned,
        "store_signed": store_signed,
        "store_signed_batched": store_signed_batched,
        "plain_sqlite_1row_normal": lambda d: plain_1row(d / "pn.db", presigned, "NORMAL"),
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
    now = time.time_ns() // 1_000_000
    unsigned = [payload(i, now + i) for i in range(n)]
    presigned = [signed_result(rid, data, sign(device_key, data), now) for rid, data in unsigned]
    start = time.perf_counter()
    for _, data in unsigned:
        sign(device_key, data)
    sign_s = time.perf_counter() - start
    key = os.urandom(KEY_BYTES)
    runs = variants(n, args.batch, key, device_key, now, unsigned, presigned)
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
    out["store_signed_batched"]["batch"] = args.batch
    plain = out["plain_sqlite_1row"]["per_s"]
    plain3 = out["plain_sqlite_3rows"]["per_s"]
    signed = out["store_signed"]["per_s"]
    batched = out["store_signed_batched"]["per_s"]
    report = {
        "results": n,
        "repeat": args.repeat,
        "payload_bytes": round(sum(len(d) for _, d in unsigned) / n),
        "ecdsa_p256_sign": rate(sign_s),
        **out,
        "ratio_signed_to_plain_1row": round(signed / plain, 3),
        "ratio_signed_to_plain_3rows": round(signed / plain3, 3),
        "ratio_batched_to_plain_1row": round(batched / plain, 3),
        "targets": {
            "signed_at_least_half_plain_1row": signed >= plain / 2,
            "signed_at_least_half_plain_3rows": signed >= plain3 / 2,
            "signed_at_least_1000_per_s": signed >= 1000,
            "batched_at_least_half_plain_1row": batched >= plain / 2,
            "batched_at_least_1000_per_s": batched >= 1000,
        },
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
