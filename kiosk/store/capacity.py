"""How full the store may get, and the one rule that follows: refuse new results, never drop
queued ones.

A kiosk that cannot reach its gateway for weeks keeps queueing results. When the store
reaches its byte quota, or the disk's free space falls under its minimum, ``record_result``
refuses the next result (``STORE_QUOTA_REACHED`` / ``STORE_DISK_LOW``) and the UI sends the
person to the counter. Nothing queued is ever deleted to make room: a dropped result is a
verification the pension office never sees. Space comes back only by syncing (anchored
results age out through retention.py) or by a technician (docs/operations.md).

The store's size is what it occupies on disk, minus what SQLite will reuse: the database
file plus its WAL, less the free-list pages. The WAL counts because it is disk the store
holds; it is truncated back to ``journal_size_limit`` after a checkpoint (database.py).
The disk check comes first: a nearly full disk stops the logs and the OS too, whatever the
quota says.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # the config pulls in pydantic; the store must start without it
    from kiosk.config.schema import StoreConfig
    from kiosk.store.database import StoreDatabase

MIB = 1024 * 1024

CapacityStatus = Literal["ok", "STORE_QUOTA_REACHED", "STORE_DISK_LOW"]


@dataclass(frozen=True, slots=True)
class CapacityPolicy:
    quota_bytes: int
    """Most bytes the store (file + WAL, less free pages) may occupy."""
    min_free_bytes: int
    """Least free space the store's file system must keep."""

    @classmethod
    def from_config(cls, store: StoreConfig) -> CapacityPolicy:
        return cls(quota_bytes=store.quota_mb * MIB, min_free_bytes=store.min_free_mb * MIB)


DEFAULT_CAPACITY = CapacityPolicy(quota_bytes=1024 * MIB, min_free_bytes=256 * MIB)


@dataclass(frozen=True, slots=True)
class Capacity:
    status: CapacityStatus
    store_bytes: int
    quota_bytes: int
    free_bytes: int
    min_free_bytes: int

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def describe(self) -> str:
        return (
            f"store uses {self.store_bytes} of {self.quota_bytes} bytes; "
            f"{self.free_bytes} bytes free on disk (minimum {self.min_free_bytes})"
        )


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def store_bytes(db: StoreDatabase) -> int:
    """Bytes the store holds on disk that SQLite will not reuse: file + WAL - free pages."""
    free_pages = int(db.execute_sql("PRAGMA freelist_count").fetchone()[0])
    page_size = db.page_size_bytes()
    wal = db.path.with_name(db.path.name + "-wal")
    return max(0, _file_size(db.path) - free_pages * page_size) + _file_size(wal)


def check_capacity(db: StoreDatabase) -> Capacity:
    """Whether the store may take another result, under the policy it was opened with."""
    policy = db.capacity
    used = store_bytes(db)
    stat = os.statvfs(db.path.parent)
    free = stat.f_bavail * stat.f_frsize
    status: CapacityStatus = "ok"
    if free < policy.min_free_bytes:
        status = "STORE_DISK_LOW"
    elif used >= policy.quota_bytes:
        status = "STORE_QUOTA_REACHED"
    return Capacity(status, used, policy.quota_bytes, free, policy.min_free_bytes)


# -- the cached check on the write path ---------------------------------------------------
# ``check_capacity`` costs a PRAGMA, two ``stat`` and a ``statvfs``: a third of the Python time
# of recording a result (issue 19). ``admit`` measures like it, then lets further results
# through on the measured margin (the smaller of quota - used and free - minimum) while what
# they can have added is well inside it, and measures again otherwise.
#
# The bound: each result is charged its data (payload, signature, personal data, hospital
# message) plus ``PAGES_PER_RESULT`` whole pages, more than one result's commit dirties in the
# database and its WAL (seven to ten pages: tests/store checks the charge covers the real
# growth). A new measurement is taken once the charges since the last one reach half the
# margin, after ``RECHECK_EVERY`` results, or ``RECHECK_AFTER_S`` seconds (the disk's free
# space is shared with the logs and the OS). So a measurement always comes before the charges
# could reach the margin, and the quota or the minimum free space can only be overshot if
# the results since the last measurement grew the store by more than twice their charge:
# never by more than ``RECHECK_EVERY`` results. Near the limit (a margin under twice one
# result's charge) every result is measured, exactly as before.
PAGES_PER_RESULT = 16
RECHECK_EVERY = 64
RECHECK_AFTER_S = 1.0


@dataclass(slots=True)
class _Measured:
    capacity: Capacity
    margin: int
    at: float
    charged: int = 0
    results: int = 0


def charge(db: StoreDatabase, data_bytes: int) -> int:
    """What one result is assumed to add to the store at most (see above)."""
    return data_bytes + PAGES_PER_RESULT * db.page_size_bytes()


def admit(
    db: StoreDatabase, data_bytes: int, *, clock: Callable[[], float] = time.monotonic
) -> Capacity:
    """``check_capacity`` for one more result of ``data_bytes``, measured only when due."""
    cost = charge(db, data_bytes)
    last: _Measured | None = getattr(db, "_capacity_measured", None)
    now = clock()
    if (
        last is None
        or not last.capacity.ok
        or last.results >= RECHECK_EVERY
        or now - last.at >= RECHECK_AFTER_S
        or 2 * (last.charged + cost) > last.margin
    ):
        capacity = check_capacity(db)
        margin = min(
            capacity.quota_bytes - capacity.store_bytes,
            capacity.free_bytes - capacity.min_free_bytes,
        )
        last = _Measured(capacity, margin, now)
        db._capacity_measured = last  # type: ignore[attr-defined]
    last.charged += cost
    last.results += 1
    return last.capacity


def forget_measurement(db: StoreDatabase) -> None:
    """Measure afresh at the next result (after a write the charges do not describe)."""
    db._capacity_measured = None  # type: ignore[attr-defined]
