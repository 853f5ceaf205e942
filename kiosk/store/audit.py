"""The audit log: every access to personal data and every admin action, hash-chained.

Each entry's hash covers its own fields and the previous entry's hash::

    entry_hash = SHA-256(canonical CBOR [seq, at_ms, actor_kind, actor_id, action,
                                         record_kind, record_id, detail, prev_hash])

with ``prev_hash`` of the first entry 32 zero bytes, and ``detail`` the canonical JSON text
exactly as stored (hashing the stored text, not a re-parsed object, means no JSON library
difference can make a good entry look altered). Editing any field of an entry, deleting
one, or moving one changes a hash that a later entry or the entry itself commits to, and
``verify_chain`` names the first entry where that shows.

What a chain alone cannot show: the *last* entries cut off (the remaining chain is still
valid). Two defences: ``seq`` is AUTOINCREMENT, so entries appended after a cut leave a gap
(``AUDIT_ENTRY_MISSING``); and ``head()`` (seq, hash) is published outside the store (the
health report, the gateway), so ``verify_chain(expected_head=...)`` detects a cut tail too.
Someone holding the store key can rewrite the whole chain consistently; only a head
published elsewhere catches that.

Entries are appended inside the caller's transaction (a result, its outbox row and its audit
entry commit together), and the transaction is IMMEDIATE, so two processes never both read
the same "last entry".
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import cbor2

from kiosk.log import redact
from kiosk.store.database import StoreDatabase
from kiosk.store.errors import StoreError
from kiosk.store.models import ACTOR_KINDS

ZERO_HASH: Final = bytes(32)
TABLE: Final = "audit_entry"

# Detail is for counts, codes and pseudonymous ids. The guard below is a tripwire for
# mistakes, not a proof: keys are identifiers; text values are short ASCII codes that do not
# look like an ID number or an MRZ (kiosk/log.py's shapes); numbers and booleans pass.
_DETAIL_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_DETAIL_TEXT = re.compile(r"[A-Za-z0-9_.:/+=-]{0,80}")

Progress = Callable[[int, int], None]


def _check_detail(value: Any, path: str = "detail") -> None:
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, str):
        if not _DETAIL_TEXT.fullmatch(value) or redact(value) != value:
            raise StoreError(
                f"{path}: audit detail text must be a short ASCII code, never personal data",
                reason="AUDIT_DETAIL_INVALID",
            )
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_detail(item, f"{path}[{i}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str) or not _DETAIL_KEY.fullmatch(key):
                raise StoreError(
                    f"{path}: audit detail keys are lower-case identifiers",
                    reason="AUDIT_DETAIL_INVALID",
                )
            _check_detail(item, f"{path}.{key}")
        return
    raise StoreError(
        f"{path}: audit detail holds {type(value).__name__}; only counts, flags and codes",
        reason="AUDIT_DETAIL_INVALID",
    )


def encode_detail(detail: Mapping[str, Any]) -> str:
    """Canonical JSON of a detail map: sorted keys, no spaces, ASCII only."""
    _check_detail(detail)
    return json.dumps(dict(detail), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def entry_hash(
    seq: int,
    at_ms: int,
    actor_kind: str,
    actor_id: str,
    action: str,
    record_kind: str,
    record_id: str | None,
    detail: str,
    prev_hash: bytes,
) -> bytes:
    fields = [seq, at_ms, actor_kind, actor_id, action, record_kind, record_id, detail, prev_hash]
    return hashlib.sha256(cbor2.dumps(fields, canonical=True)).digest()


@dataclass(frozen=True, slots=True)
class Head:
    """The last entry: publish it outside the store to detect a cut tail."""

    seq: int
    entry_hash: bytes

    def __str__(self) -> str:
        return f"{self.seq}:{self.entry_hash.hex()}"

    @classmethod
    def parse(cls, text: str) -> Head:
        """``SEQ:HEX`` as ``str(head)`` prints it."""
        seq, sep, digest = text.partition(":")
        try:
            head = cls(int(seq), bytes.fromhex(digest))
        except ValueError:
            head = None
        if not sep or head is None or len(head.entry_hash) != 32 or head.seq < 1:
            raise ValueError(f"expected SEQ:HASH (64 hex digits), got {text!r}")
        return head


def head(db: StoreDatabase) -> Head | None:
    row = db.execute_sql(
        f"SELECT seq, entry_hash FROM {TABLE} ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    return Head(row[0], bytes(row[1])) if row else None


def append(
    db: StoreDatabase,
    *,
    at_ms: int,
    actor_kind: str,
    actor_id: str,
    action: str,
    record_kind: str,
    record_id: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> Head:
    """Append one entry and return it as the new head. Joins the caller's transaction (as
    a savepoint), or runs in its own."""
    with db.atomic():
        return append_in_transaction(
            db,
            at_ms=at_ms,
            actor_kind=actor_kind,
            actor_id=actor_id,
            action=action,
            record_kind=record_kind,
            record_id=record_id,
            detail=detail,
        )


def append_in_transaction(
    db: StoreDatabase,
    *,
    at_ms: int,
    actor_kind: str,
    actor_id: str,
    action: str,
    record_kind: str,
    record_id: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> Head:
    """``append`` for a caller that already holds the write transaction (outbox.py): no
    savepoint, two statements."""
    if actor_kind not in ACTOR_KINDS:
        raise StoreError(
            f"actor_kind must be one of {', '.join(ACTOR_KINDS)}", reason="AUDIT_DETAIL_INVALID"
        )
    if not db.in_transaction():
        raise StoreError("append_in_transaction outside a transaction", reason="STORE_ERROR")
    detail_text = encode_detail(detail or {})
    # sqlite_sequence, not max(seq): after a cut tail the next entry shows the gap.
    last_seq, last_hash = db.execute_sql(_LAST).fetchone()
    seq = (last_seq or 0) + 1
    prev_hash = bytes(last_hash) if last_hash is not None else ZERO_HASH
    digest = entry_hash(
        seq,
        at_ms,
        actor_kind,
        actor_id,
        action,
        record_kind,
        record_id,
        detail_text,
        prev_hash,
    )
    db.execute_sql(
        _INSERT,
        (
            seq,
            at_ms,
            actor_kind,
            actor_id,
            action,
            record_kind,
            record_id,
            detail_text,
            prev_hash,
            digest,
        ),
    )
    return Head(seq, digest)


_LAST = (
    f"SELECT (SELECT seq FROM sqlite_sequence WHERE name = '{TABLE}'), "
    f"(SELECT entry_hash FROM {TABLE} ORDER BY seq DESC LIMIT 1)"
)
_INSERT = (
    f"INSERT INTO {TABLE} (seq, at_ms, actor_kind, actor_id, action, record_kind, record_id, "
    "detail, prev_hash, entry_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    entries: int
    head: Head | None
    first_bad_seq: int | None = None
    reason: str | None = None
    """``AUDIT_ENTRY_ALTERED``, ``AUDIT_ENTRY_MISSING``, ``AUDIT_CHAIN_BROKEN`` or
    ``AUDIT_HEAD_MISMATCH``."""
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head": None
            if self.head is None
            else {"seq": self.head.seq, "entry_hash": self.head.entry_hash.hex()},
            "first_bad_seq": self.first_bad_seq,
            "reason": self.reason,
            "message": self.message,
        }


_COLUMNS = "seq, at_ms, actor_kind, actor_id, action, record_kind, record_id, detail, prev_hash"

# SQLite stores whatever type a row is given, whatever the column says: an edited row can hold
# TEXT where a hash belongs, or a float seq. Each row is checked against what append() writes
# before it is hashed, so such an edit is named like any other (and never crashes the walk).
_ROW_TYPES: tuple[tuple[str, tuple[type, ...]], ...] = (
    ("seq", (int,)),
    ("at_ms", (int,)),
    ("actor_kind", (str,)),
    ("actor_id", (str,)),
    ("action", (str,)),
    ("record_kind", (str,)),
    ("record_id", (str, type(None))),
    ("detail", (str,)),
    ("prev_hash", (bytes,)),
    ("entry_hash", (bytes,)),
)


def _malformed(row: tuple[Any, ...]) -> str | None:
    """What in ``row`` append() could never have written, or None."""
    for (name, types), value in zip(_ROW_TYPES, row, strict=True):
        if isinstance(value, bool) or not isinstance(value, types):
            return f"{name} holds {type(value).__name__}, not {types[0].__name__}"
    if row[0] < 1:
        return f"seq {row[0]} is not a sequence number (they start at 1)"
    for name, value in (("prev_hash", row[8]), ("entry_hash", row[9])):
        if len(value) != 32:
            return f"{name} is {len(value)} bytes, not a SHA-256 (32)"
    return None


def _label(seq: object) -> str:
    """An entry's name in a message, even when its seq is not a number."""
    return f"entry {seq}" if isinstance(seq, int) else f"the entry with seq {seq!r}"


def verify_chain(
    db: StoreDatabase,
    *,
    expected_head: Head | None = None,
    progress: Progress | None = None,
    progress_every: int = 5000,
) -> ChainReport:
    """Walk the chain in seq order and name the first entry that does not hold.

    Per entry, in this order: a seq that skips numbers (``AUDIT_ENTRY_MISSING``, naming the
    first missing seq), a stored hash that does not match its fields (``AUDIT_ENTRY_ALTERED``),
    a ``prev_hash`` that is not the previous entry's hash (``AUDIT_CHAIN_BROKEN``: that
    entry or the previous one was rewritten with a recomputed hash). With ``expected_head``,
    a published head that the store no longer reaches is ``AUDIT_ENTRY_MISSING`` (tail cut)
    or ``AUDIT_HEAD_MISMATCH`` (the chain up to it was rewritten). The report's ``entries``
    and ``head`` are those verified good. Reads one snapshot, so the kiosk may keep
    appending meanwhile.
    """
    good: Head | None = None  # the last entry verified
    count = 0

    def bad(seq: int, reason: str, message: str) -> ChainReport:
        return ChainReport(False, count, good, first_bad_seq=seq, reason=reason, message=message)

    with db.atomic("DEFERRED"):
        total = db.execute_sql(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
        cursor = db.execute_sql(f"SELECT {_COLUMNS}, entry_hash FROM {TABLE} ORDER BY seq")
        hash_at_expected: bytes | None = None
        for row in cursor:
            expected_seq = good.seq + 1 if good else 1
            problem = _malformed(row)
            if problem is not None:
                seq = (
                    row[0]
                    if isinstance(row[0], int) and not isinstance(row[0], bool)
                    else expected_seq
                )
                return bad(
                    seq,
                    "AUDIT_ENTRY_ALTERED",
                    f"{_label(row[0])} is malformed: {problem}; the kiosk never writes that",
                )
            seq, prev_hash, stored = row[0], row[8], row[9]
            if seq != expected_seq:
                gap = (
                    f"entries {expected_seq}..{seq - 1}"
                    if seq - 1 > expected_seq
                    else (f"entry {expected_seq}")
                )
                return bad(expected_seq, "AUDIT_ENTRY_MISSING", f"{gap} missing")
            if entry_hash(*row[:8], prev_hash) != stored:
                return bad(
                    seq,
                    "AUDIT_ENTRY_ALTERED",
                    f"entry {seq} does not match its hash: a field was changed",
                )
            if prev_hash != (good.entry_hash if good else ZERO_HASH):
                return bad(
                    seq,
                    "AUDIT_CHAIN_BROKEN",
                    f"entry {seq} does not link to entry {seq - 1}: one of them was rewritten",
                )
            if expected_head is not None and seq == expected_head.seq:
                hash_at_expected = stored
            good = Head(seq, stored)
            count += 1
            if progress is not None and count % progress_every == 0:
                progress(count, total)
    if progress is not None:
        progress(count, total)
    if expected_head is not None:
        last_seq = good.seq if good else 0
        if expected_head.seq > last_seq:
            return bad(
                last_seq + 1,
                "AUDIT_ENTRY_MISSING",
                f"the published head is entry {expected_head.seq} but the log ends at "
                f"{last_seq}: entries {last_seq + 1}..{expected_head.seq} were cut off",
            )
        if hash_at_expected != expected_head.entry_hash:
            return bad(
                expected_head.seq,
                "AUDIT_HEAD_MISMATCH",
                f"entry {expected_head.seq} is not the one published: the log up to it was "
                "rewritten",
            )
    return ChainReport(True, count, good, message=f"{count} entries, chain intact")
