"""The queue of check-in messages for the hospital information system (kiosk/his): the
same durable outbox pattern as the results, in the same encrypted store.

A message is queued in the transaction that records its result (``record_result`` with
``his_body``), so a passed check-in is never recorded without its message, nor the other way
round. States::

    pending --delivered-->  delivered   (the body, with the patient identifier, is erased)
       |  ^
       |  +-- retry (attempts + 1, next_attempt_at_ms backs off)
       +--refused-->  refused   (the HIS answered 4xx: kept for staff, erased by retention)

The body is personal data: it lives only in this encrypted file, only until delivery.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.store.database import StoreDatabase
from kiosk.store.models import HIS_STATES

FIRST_RETRY_MS = 15_000
MAX_RETRY_MS = 15 * 60_000
"""Retries back off from 15 s, doubling, to 15 minutes: a HIS back after a restart gets the
queue within seconds, one down for a day is not hammered."""


@dataclass(frozen=True, slots=True, repr=False)
class HisMessage:
    result_id: str
    body: bytes
    attempts: int

    def __repr__(self) -> str:
        return f"HisMessage(result_id={self.result_id}, attempts={self.attempts})"


@dataclass(frozen=True, slots=True)
class HisStatus:
    counts: dict[str, int]
    oldest_pending_age_ms: int | None
    last_error: str | None


def enqueue(db: StoreDatabase, result_id: str, body: bytes, *, now_ms: int) -> None:
    """Inside the caller's transaction (``outbox.record_result``). Idempotent by result."""
    db.execute_sql(
        "INSERT OR IGNORE INTO his_message (result_id, state, body, created_at_ms, attempts, "
        "next_attempt_at_ms) VALUES (?, 'pending', ?, ?, 0, ?)",
        (result_id, body, now_ms, now_ms),
    )


def due(db: StoreDatabase, *, now_ms: int, limit: int = 16) -> list[HisMessage]:
    """The pending messages whose time has come, oldest first."""
    with db.atomic("DEFERRED"):
        rows = db.execute_sql(
            "SELECT result_id, body, attempts FROM his_message "
            "WHERE state = 'pending' AND next_attempt_at_ms <= ? "
            "ORDER BY next_attempt_at_ms, created_at_ms LIMIT ?",
            (now_ms, limit),
        ).fetchall()
    return [HisMessage(r, bytes(b), a) for r, b, a in rows]


def mark_delivered(db: StoreDatabase, result_id: str, *, now_ms: int) -> None:
    with db.atomic():
        db.execute_sql(
            "UPDATE his_message SET state = 'delivered', body = x'', delivered_at_ms = ?, "
            "last_error = NULL WHERE result_id = ? AND state = 'pending'",
            (now_ms, result_id),
        )


def mark_refused(db: StoreDatabase, result_id: str, reason: str, *, now_ms: int) -> None:
    with db.atomic():
        db.execute_sql(
            "UPDATE his_message SET state = 'refused', attempts = attempts + 1, "
            "last_error = ?, next_attempt_at_ms = ? WHERE result_id = ? AND state = 'pending'",
            (reason, now_ms, result_id),
        )


def mark_retry(db: StoreDatabase, result_id: str, reason: str, *, now_ms: int) -> int:
    """Back off; returns when the message is due again (ms)."""
    with db.atomic():
        row = db.execute_sql(
            "SELECT attempts FROM his_message WHERE result_id = ? AND state = 'pending'",
            (result_id,),
        ).fetchone()
        if row is None:
            return now_ms
        attempts = row[0] + 1
        at = now_ms + min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** min(attempts - 1, 16))
        db.execute_sql(
            "UPDATE his_message SET attempts = ?, next_attempt_at_ms = ?, last_error = ? "
            "WHERE result_id = ?",
            (attempts, at, reason, result_id),
        )
    return at


def status(db: StoreDatabase, *, now_ms: int) -> HisStatus:
    with db.atomic("DEFERRED"):
        counts = dict.fromkeys(HIS_STATES, 0)
        for state, count in db.execute_sql(
            "SELECT state, count(*) FROM his_message GROUP BY state"
        ).fetchall():
            counts[state] = count
        oldest = db.execute_sql(
            "SELECT min(created_at_ms) FROM his_message WHERE state = 'pending'"
        ).fetchone()[0]
        last = db.execute_sql(
            "SELECT last_error FROM his_message WHERE last_error IS NOT NULL "
            "ORDER BY next_attempt_at_ms DESC LIMIT 1"
        ).fetchone()
    return HisStatus(
        counts, None if oldest is None else max(0, now_ms - oldest), last[0] if last else None
    )


def purge_refused(db: StoreDatabase, *, before_ms: int) -> int:
    """Retention: a refused message's identifier goes after the configured time."""
    with db.atomic():
        cursor = db.execute_sql(
            "DELETE FROM his_message WHERE state = 'refused' AND next_attempt_at_ms < ?",
            (before_ms,),
        )
    return cursor.rowcount
