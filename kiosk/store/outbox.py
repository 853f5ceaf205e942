"""The outbox: how a signed result enters the store and how the sync agent moves it on.

``record_result`` writes the result, its outbox row (``pending``) and its audit entry, plus
any personal data the flow keeps for a while, in ONE IMMEDIATE transaction: after a crash
or a power cut there is either all of it or none of it (tests/store/test_crash_safety.py).
It is idempotent by ``result_id``: the same payload again is a no-op (a flow retried after
a crash), a different payload under a known id is ``STORE_RESULT_CONFLICT``. The signature
is not compared: ECDSA signatures are randomised, so a re-signed identical payload differs,
and the first stored one stands.

Before writing, it checks capacity (capacity.py) and refuses ``STORE_QUOTA_REACHED`` /
``STORE_DISK_LOW``; nothing already queued is ever deleted to make room. The check is
``capacity.admit``: measured with ``stat`` only when due, within a documented bound.

Outbox states and who moves them (edge_sync's agent, except the first)::

    pending  --mark_sending-->  sending  --mark_accepted-->  accepted  --mark_anchored--> anchored
       ^                           |
       +------- mark_failed -------+   (attempts + 1, retry at next_attempt_at_ms)

Acks travel over MQTT QoS 1 and may repeat or arrive out of order, so: ``accepted`` is
accepted from pending or sending and is a no-op when already accepted or anchored;
``anchored`` is accepted from any earlier state (its "accepted" ack may have been lost) and is
a no-op when repeated with the same transaction; ``mark_failed`` after an ack is ignored
(a late timeout must not send an accepted result again). ``reset_sending`` puts rows an
agent left in ``sending`` when it died back to ``pending``, at agent start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from edge_sync.protocol.signed import SignedResult
from kiosk.store import audit, his_outbox
from kiosk.store.capacity import Capacity, admit, check_capacity
from kiosk.store.database import StoreDatabase
from kiosk.store.errors import StoreError
from kiosk.store.models import ACTOR_KINDS, OUTBOX_STATES, Outbox, Result

__all__ = [
    "Capacity",
    "OutboxItem",
    "OutboxStatus",
    "PersonalData",
    "check_capacity",
    "mark_accepted",
    "mark_accepted_many",
    "mark_anchored",
    "mark_failed",
    "mark_sending",
    "mark_sending_many",
    "overdue_anchors",
    "pending",
    "recheck_later",
    "record_result",
    "record_results",
    "reset_sending",
    "status",
]

LAST_ERROR_MAX: Final = 500
ANCHOR_RECHECK_MS: Final = 10 * 60 * 1000
"""How long after ``accepted`` the ``anchored`` ack may take before the agent asks again."""


@dataclass(frozen=True, slots=True)
class PersonalData:
    """Personal data a flow keeps with a result for a short time (a portrait for staff to
    compare, a name for a queue ticket). ``kind`` names what it is and goes into the audit
    entry; ``data`` never leaves the store's encrypted file."""

    kind: str
    data: bytes
    purge_after_ms: int


@dataclass(frozen=True, slots=True)
class OutboxItem:
    result: SignedResult
    state: str
    attempts: int
    next_attempt_at_ms: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    counts: dict[str, int]
    """Rows per state; every state is present, with 0 when empty."""
    oldest_pending_age_ms: int | None
    """Age of the oldest result not yet accepted by the gateway (pending or sending)."""


def _refusal(capacity: Capacity) -> StoreError:
    return StoreError(
        f"new results refused, nothing queued was dropped: {capacity.describe()}",
        reason=capacity.status,
    )


# The hot path writes with fixed SQL: peewee builds every query's SQL afresh (about 0.1 ms
# a statement here, more than the insert itself). tests/store checks the rows it writes
# read back through the models.
_INSERT_RESULT = (
    "INSERT INTO result (result_id, device_id, key_id, kind, flow, decision, created_at_ms, "
    "payload, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (result_id) DO NOTHING"
)
_INSERT_OUTBOX = (
    "INSERT INTO outbox (result_id, state, attempts, next_attempt_at_ms) "
    "VALUES (?, 'pending', 0, 0)"
)
_INSERT_PERSONAL = (
    "INSERT INTO personal_record (result_id, kind, data, created_at_ms, purge_after_ms) "
    "VALUES (?, ?, ?, ?, ?)"
)


def _already_stored(db: StoreDatabase, signed: SignedResult) -> bool:
    """True when ``signed`` is stored with the same payload; ``STORE_RESULT_CONFLICT`` when
    with another; False when not stored."""
    row = db.execute_sql(
        "SELECT payload FROM result WHERE result_id = ?", (signed.result_id,)
    ).fetchone()
    if row is None:
        return False
    if bytes(row[0]) == signed.payload:
        return True
    raise StoreError(
        f"result {signed.result_id} is already stored with a different payload",
        reason="STORE_RESULT_CONFLICT",
    )


def _write_one(
    db: StoreDatabase,
    signed: SignedResult,
    *,
    actor_kind: str,
    actor_id: str,
    personal: Sequence[PersonalData],
    now_ms: int,
    capacity: Capacity,
) -> bool:
    """Inside the caller's write transaction. False when already stored (no-op)."""
    if not capacity.ok:
        # Full: only a result that is already safe may be "recorded" again.
        if _already_stored(db, signed):
            return False
        raise _refusal(capacity)
    inserted = db.execute_sql(
        _INSERT_RESULT,
        (
            signed.result_id,
            signed.device_id,
            signed.key_id,
            signed.kind,
            signed.flow,
            signed.decision,
            signed.created_at_ms,
            signed.payload,
            signed.signature,
        ),
    ).rowcount
    if not inserted:
        _already_stored(db, signed)  # raises on a different payload
        return False
    db.execute_sql(_INSERT_OUTBOX, (signed.result_id,))
    for item in personal:
        db.execute_sql(
            _INSERT_PERSONAL,
            (signed.result_id, item.kind, item.data, now_ms, item.purge_after_ms),
        )
    audit.append_in_transaction(
        db,
        at_ms=now_ms,
        actor_kind=actor_kind,
        actor_id=actor_id,
        action="result_recorded",
        record_kind="result",
        record_id=signed.result_id,
        detail={
            "kind": signed.kind,
            "flow": signed.flow,
            "decision": signed.decision,
            "personal": sorted(item.kind for item in personal),
        },
    )
    return True


def _check_actor(actor_kind: str) -> None:
    if actor_kind not in ACTOR_KINDS:
        raise StoreError(
            f"actor_kind must be one of {', '.join(ACTOR_KINDS)}", reason="AUDIT_DETAIL_INVALID"
        )


def record_result(
    db: StoreDatabase,
    signed: SignedResult,
    *,
    actor_kind: str,
    actor_id: str,
    personal: Sequence[PersonalData] | None = None,
    his_body: bytes | None = None,
    now_ms: int,
) -> bool:
    """Store a signed result durably (fsync'd on return) with its outbox row, audit entry
    and personal data, and, for a passed hospital check-in, the message for the hospital's
    own system (his_outbox.py). Returns True when written, False when already stored."""
    _check_actor(actor_kind)
    data_bytes = len(signed.payload) + len(signed.signature) + len(his_body or b"")
    data_bytes += sum(len(item.data) for item in personal or ())
    with db.atomic():
        written = _write_one(
            db,
            signed,
            actor_kind=actor_kind,
            actor_id=actor_id,
            personal=personal or (),
            now_ms=now_ms,
            capacity=admit(db, data_bytes),
        )
        if his_body is not None:
            his_outbox.enqueue(db, signed.result_id, his_body, now_ms=now_ms)
        return written


def record_results(
    db: StoreDatabase,
    signed: Sequence[SignedResult],
    *,
    actor_kind: str,
    actor_id: str,
    now_ms: int,
) -> int:
    """Group commit: several results in one transaction (one fsync), for a caller that holds
    results already (a backlog imported from USB, the benchmark). All or nothing: a conflict
    or a full store refuses the whole batch. Capacity is checked once, before the batch: a
    batch may overshoot the quota by its own size. Returns how many were new."""
    _check_actor(actor_kind)
    with db.atomic():
        capacity = admit(db, sum(len(i.payload) + len(i.signature) for i in signed))
        return sum(
            _write_one(
                db,
                item,
                actor_kind=actor_kind,
                actor_id=actor_id,
                personal=(),
                now_ms=now_ms,
                capacity=capacity,
            )
            for item in signed
        )


def _item(row: Outbox) -> OutboxItem:
    r = row.result
    return OutboxItem(
        result=SignedResult(
            result_id=r.result_id,
            device_id=r.device_id,
            key_id=r.key_id,
            kind=r.kind,
            flow=r.flow,
            decision=r.decision,
            created_at_ms=r.created_at_ms,
            payload=bytes(r.payload),
            signature=bytes(r.signature),
        ),
        state=row.state,
        attempts=row.attempts,
        next_attempt_at_ms=row.next_attempt_at_ms,
        last_error=row.last_error,
    )


# The agent asks for the next due results every turn, with up to the whole backlog pending.
# Walking the (state, result_id, next_attempt_at_ms) index (schema version 3) in result_id
# order and stopping at ``limit`` reads a few pages; the planner, left to itself, prefers the
# (state, next_attempt_at_ms) index and sorts every due row first (250 ms at 100,000 pending).
# INDEXED BY makes the choice explicit: SQLite refuses the query rather than sorting if the
# index is ever gone. tests/store checks the rows read back as the models describe them.
_PENDING = (
    "SELECT r.result_id, r.device_id, r.key_id, r.kind, r.flow, r.decision, r.created_at_ms, "
    "r.payload, r.signature, o.state, o.attempts, o.next_attempt_at_ms, o.last_error "
    "FROM outbox AS o INDEXED BY outbox_state_result_id_next_attempt_at_ms "
    "JOIN result AS r ON r.result_id = o.result_id "
    "WHERE o.state = 'pending' AND o.next_attempt_at_ms <= ? ORDER BY o.result_id LIMIT ?"
)


def pending(db: StoreDatabase, limit: int = 100, *, now_ms: int | None = None) -> list[OutboxItem]:
    """Pending results in ``result_id`` order (UUIDv7: creation order); with ``now_ms``, only
    those whose retry time has come."""
    due_by = now_ms if now_ms is not None else 2**63 - 1
    rows = db.execute_sql(_PENDING, (due_by, limit)).fetchall()
    return [
        OutboxItem(
            result=SignedResult(
                result_id=row[0], device_id=row[1], key_id=row[2], kind=row[3], flow=row[4],
                decision=row[5], created_at_ms=row[6], payload=bytes(row[7]),
                signature=bytes(row[8]),
            ),
            state=row[9],
            attempts=row[10],
            next_attempt_at_ms=row[11],
            last_error=row[12],
        )
        for row in rows
    ]  # fmt: skip


def _state_of(result_id: str) -> str:
    state = Outbox.select(Outbox.state).where(Outbox.result == result_id).scalar()
    if state is None:
        raise StoreError(f"no outbox row for result {result_id}", reason="STORE_RESULT_UNKNOWN")
    return state


def _illegal(result_id: str, state: str, target: str) -> StoreError:
    return StoreError(
        f"result {result_id} is {state}: it cannot become {target}", reason="STORE_OUTBOX_STATE"
    )


def mark_sending(db: StoreDatabase, result_id: str) -> None:
    """pending -> sending, just before the agent publishes."""
    with db.bound(), db.atomic():
        state = _state_of(result_id)
        if state != "pending":
            raise _illegal(result_id, state, "sending")
        Outbox.update(state="sending").where(Outbox.result == result_id).execute()


def mark_accepted(
    db: StoreDatabase, result_id: str, *, now_ms: int, recheck_after_ms: int = ANCHOR_RECHECK_MS
) -> bool:
    """The gateway stored the result durably. False when it was already accepted/anchored.

    ``next_attempt_at_ms`` becomes the time by which the ``anchored`` ack is expected; past
    it, ``overdue_anchors`` hands the result to the agent to ask again (see there)."""
    with db.bound(), db.atomic():
        state = _state_of(result_id)
        if state in ("accepted", "anchored"):
            return False
        Outbox.update(
            state="accepted",
            accepted_at_ms=now_ms,
            next_attempt_at_ms=now_ms + recheck_after_ms,
            last_error=None,
        ).where(Outbox.result == result_id).execute()
        return True


# The agent moves a whole window at a time (up to ``window`` results a turn). One UPDATE per
# window, guarded by the state in its WHERE clause, replaces a SELECT and an UPDATE through
# peewee per result, which were 46% of the agent's time (issue 19). The state guard gives
# the same transitions as the one-row functions above: tests/store checks they agree.
_CHUNK = 500
"""Ids per statement: well under SQLite's limit on bound parameters."""


def _chunks(ids: Sequence[str]) -> list[list[str]]:
    unique = list(dict.fromkeys(ids))
    return [unique[i : i + _CHUNK] for i in range(0, len(unique), _CHUNK)]


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def mark_sending_many(db: StoreDatabase, result_ids: Sequence[str]) -> None:
    """pending -> sending for a window, just before the agent publishes it. All or nothing:
    ``STORE_OUTBOX_STATE`` (and no row changed) when one of them is not pending."""
    with db.atomic():
        for chunk in _chunks(result_ids):
            changed = db.execute_sql(
                f"UPDATE outbox SET state = 'sending' "
                f"WHERE state = 'pending' AND result_id IN ({_marks(len(chunk))})",
                chunk,
            ).rowcount
            if changed != len(chunk):
                raise StoreError(
                    f"{len(chunk) - changed} of {len(chunk)} results are not pending: "
                    "they cannot become sending",
                    reason="STORE_OUTBOX_STATE",
                )


def mark_accepted_many(
    db: StoreDatabase,
    result_ids: Sequence[str],
    *,
    now_ms: int,
    recheck_after_ms: int = ANCHOR_RECHECK_MS,
) -> set[str]:
    """``mark_accepted`` for the acks of one turn in one statement. Returns the ids this
    store holds no outbox row for (another device's, or purged since); those already
    accepted or anchored are left alone, as ``mark_accepted`` leaves them. Only when some
    row did not change is there a second query, to tell the two apart."""
    unknown: set[str] = set()
    with db.atomic():
        for chunk in _chunks(result_ids):
            changed = db.execute_sql(
                "UPDATE outbox SET state = 'accepted', accepted_at_ms = ?, "
                "next_attempt_at_ms = ?, last_error = NULL "
                f"WHERE state IN ('pending', 'sending') AND result_id IN ({_marks(len(chunk))})",
                [now_ms, now_ms + recheck_after_ms, *chunk],
            ).rowcount
            if changed == len(chunk):
                continue
            held = {
                row[0]
                for row in db.execute_sql(
                    f"SELECT result_id FROM outbox WHERE result_id IN ({_marks(len(chunk))})",
                    chunk,
                ).fetchall()
            }
            unknown.update(set(chunk) - held)
    return unknown


def overdue_anchors(db: StoreDatabase, *, now_ms: int, limit: int) -> list[OutboxItem]:
    """Accepted results whose ``anchored`` ack is overdue, oldest first.

    An ack can be lost for good: a gateway that anchored a batch and died before publishing
    its acks, a broker that lost its queue. The agent then sends the result again; the
    gateway recognises it (same ``result_id``) and answers with its current state, the
    proof included when it is anchored. Nothing is stored twice."""
    with db.bound():
        query = (
            Outbox.select(Outbox, Result)
            .join(Result)
            .where((Outbox.state == "accepted") & (Outbox.next_attempt_at_ms <= now_ms))
            .order_by(Outbox.result)
            .limit(limit)
        )
        return [_item(row) for row in query]


def recheck_later(db: StoreDatabase, result_id: str, at_ms: int) -> None:
    """An overdue result was asked about again: expect its answer by ``at_ms``."""
    with db.bound(), db.atomic():
        Outbox.update(next_attempt_at_ms=at_ms).where(
            (Outbox.result == result_id) & (Outbox.state == "accepted")
        ).execute()


def mark_anchored(
    db: StoreDatabase,
    result_id: str,
    tx_hash: str,
    batch_id: str,
    proof: bytes,
    *,
    now_ms: int,
) -> bool:
    """The result is on chain in ``tx_hash``, batch ``batch_id``, with its Merkle ``proof``.
    False when already anchored by the same transaction; another transaction is refused
    (``STORE_OUTBOX_STATE``): the gateway must never anchor a result twice."""
    with db.bound(), db.atomic():
        row = (
            Outbox.select(Outbox.state, Outbox.tx_hash, Outbox.accepted_at_ms)
            .where(Outbox.result == result_id)
            .first()
        )
        if row is None:
            raise StoreError(f"no outbox row for result {result_id}", reason="STORE_RESULT_UNKNOWN")
        if row.state == "anchored":
            if row.tx_hash == tx_hash:
                return False
            raise StoreError(
                f"result {result_id} is already anchored in another transaction",
                reason="STORE_OUTBOX_STATE",
            )
        Outbox.update(
            state="anchored",
            accepted_at_ms=row.accepted_at_ms if row.accepted_at_ms is not None else now_ms,
            anchored_at_ms=now_ms,
            tx_hash=tx_hash,
            batch_id=batch_id,
            merkle_proof=proof,
            last_error=None,
        ).where(Outbox.result == result_id).execute()
        return True


def mark_failed(db: StoreDatabase, result_id: str, error: str, next_attempt_at_ms: int) -> bool:
    """A send failed: back to pending, ``attempts`` + 1, not before ``next_attempt_at_ms``.
    False (nothing changed) when an ack already moved the result on."""
    with db.bound(), db.atomic():
        state = _state_of(result_id)
        if state in ("accepted", "anchored"):
            return False
        Outbox.update(
            state="pending",
            attempts=Outbox.attempts + 1,
            next_attempt_at_ms=next_attempt_at_ms,
            last_error=error[:LAST_ERROR_MAX],
        ).where(Outbox.result == result_id).execute()
        return True


def reset_sending(db: StoreDatabase) -> int:
    """At agent start: results left ``sending`` by an agent that died go back to pending."""
    with db.bound(), db.atomic():
        return Outbox.update(state="pending").where(Outbox.state == "sending").execute()


def status(db: StoreDatabase, *, now_ms: int) -> OutboxStatus:
    with db.bound(), db.atomic("DEFERRED"):
        counts = dict.fromkeys(OUTBOX_STATES, 0)
        for state, count in db.execute_sql(
            "SELECT state, count(*) FROM outbox GROUP BY state"
        ).fetchall():
            counts[state] = count
        oldest = db.execute_sql(
            "SELECT min(r.created_at_ms) FROM outbox o JOIN result r USING (result_id) "
            "WHERE o.state IN ('pending', 'sending')"
        ).fetchone()[0]
    return OutboxStatus(counts, None if oldest is None else max(0, now_ms - oldest))
