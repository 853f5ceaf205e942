"""The gateway's SQLite database under its own threads: intake, anchoring and follow-ups each
read and then write in one transaction. A deferred transaction cannot take the write lock
once another thread has written since it read (WAL), and SQLite answers "database is locked"
at once, without waiting (issue 18 saw 144 such anchoring failures after a restart). Every
thread's connection must also get the busy timeout, not only the one that opened the file."""

from __future__ import annotations

import threading

from edge_sync.gateway.db import Rejection, open_gateway_db

THREADS = 6
ROUNDS = 60


def test_threads_that_read_then_write_never_see_database_is_locked(tmp_path):
    db = open_gateway_db(f"sqlite:///{tmp_path / 'gw.sqlite'}")
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def worker(n: int) -> None:
        try:
            start.wait()
            for i in range(ROUNDS):
                with db.atomic():
                    seen = Rejection.select().count()  # read first, as the batcher does
                    Rejection.create(at_ms=seen, topic=f"t{n}", result_id=None,
                                     reason="GW_TEST", detail=str(i))  # fmt: skip
        except BaseException as exc:  # collected: a thread's failure must fail the test
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [str(e) for e in errors] == []
    assert Rejection.select().count() == THREADS * ROUNDS
    busy = db.execute_sql("PRAGMA busy_timeout").fetchone()[0]
    assert busy >= 10_000
    db.close()
