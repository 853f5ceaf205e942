"""Benchmark: the sync agent's "next due results" read with a large backlog.

Anchor: the same SQL run through the raw sqlcipher3 cursor on the same encrypted file (the
floor: what the query itself costs, without our row building). Also measured, interleaved in
the same run: the query as it was before schema version 3 (peewee's select with
``ORDER BY result_id`` over the (state, next_attempt_at_ms) index), which sorts every due row.

A real SQLCipher store through ``kiosk.store``: ``--pending`` results recorded (in batches),
then ``--calls`` rounds of ``outbox.pending(store, 64, now_ms=...)``, raw, and the old query,
one of each per round. Prints JSON: median and p95 milliseconds per call of each, and the
ratio ours / raw.

    .venv/bin/python -m bench.outbox_pending [--pending 100000] [--calls 30]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from kiosk.store import outbox  # noqa: E402
from kiosk.store.database import open_store  # noqa: E402
from kiosk.store.key import create_key_file  # noqa: E402
from kiosk.store.models import Outbox, Result  # noqa: E402
from tests.store.fakes import fake_result  # noqa: E402

T0 = 1_790_000_000_000


def _old_query(db, now_ms: int, limit: int) -> int:
    with db.bound():
        query = (
            Outbox.select(Outbox, Result)
            .join(Result)
            .where((Outbox.state == "pending") & (Outbox.next_attempt_at_ms <= now_ms))
            .order_by(Outbox.result)
            .limit(limit)
        )
        return len(list(query))


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-outbox-"))
    db = open_store(work / "kiosk.db", create_key_file(work / "store.key"), create=True)
    began = time.perf_counter()
    for start in range(0, args.pending, 5000):
        batch = [fake_result(T0 + i, i) for i in range(start, min(start + 5000, args.pending))]
        outbox.record_results(db, batch, actor_kind="system", actor_id="bench", now_ms=T0)
    filled_s = time.perf_counter() - began
    now = T0 + 10**9
    ours: list[float] = []
    raw: list[float] = []
    old: list[float] = []
    for _ in range(args.calls):
        t = time.perf_counter()
        assert len(outbox.pending(db, 64, now_ms=now)) == 64
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        assert len(db.connection().execute(outbox._PENDING, (now, 64)).fetchall()) == 64
        raw.append(time.perf_counter() - t)
        t = time.perf_counter()
        assert _old_query(db, now, 64) == 64
        old.append(time.perf_counter() - t)
    db.close()
    report = {
        "bench": "outbox_pending",
        "anchor": "the same SQL through the raw sqlcipher3 cursor on the same file",
        "pending": args.pending,
        "calls": args.calls,
        "fill_s": round(filled_s, 1),
        "ours": _ms(ours),
        "raw_sqlcipher": _ms(raw),
        "before_v3_peewee_order_by": _ms(old),
        "ours_over_raw": round(statistics.median(ours) / statistics.median(raw), 2),
        "before_over_ours": round(statistics.median(old) / statistics.median(ours), 1),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
