"""A writer for the crash-safety test: records results in a loop until it is killed.

    python -m tests.store.writer DB KEY_FILE

Prints ``ready`` once the store is open, then each result_id *after* its transaction has
committed (flushed at once), so every id on stdout must survive a SIGKILL. Every third
result carries a personal record, so kills also land in four-row transactions. Imports only
the store (no pydantic, no Qt) so that it starts fast. Run it only as a program: it hides
the PostgreSQL drivers from its own process.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

# peewee imports the PostgreSQL drivers when they are installed (30 ms of the writer's
# start, paid 200 times); this process never talks to PostgreSQL.
sys.modules.setdefault("psycopg2", None)  # type: ignore[arg-type]
sys.modules.setdefault("psycopg", None)  # type: ignore[arg-type]

from kiosk.store.database import open_store  # noqa: E402
from kiosk.store.key import load_key  # noqa: E402
from kiosk.store.outbox import PersonalData, record_result  # noqa: E402
from tests.store.fakes import fake_result  # noqa: E402


def main(argv: list[str]) -> int:
    db = open_store(Path(argv[1]), load_key(Path(argv[2])), create=True)
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    n = 0
    while True:
        now_ms = time.time_ns() // 1_000_000
        signed = fake_result(now_ms, n)
        personal = (
            [PersonalData("portrait", os.urandom(2048), now_ms + 600_000)] if n % 3 == 0 else None
        )
        record_result(
            db,
            signed,
            actor_kind="patient_session",
            actor_id=f"s{n}",
            personal=personal,
            now_ms=now_ms,
        )
        out.write(signed.result_id + "\n")
        out.flush()
        n += 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
