"""The outbox as the sync agent sees it: the interface ``edge_sync.agent`` works against.

The device's store implements it (``kiosk/sync/store_outbox.py``, over ``kiosk/store/outbox.py``)
and the ``bdmi-sync`` entry point (``kiosk/sync/entry.py``) hands that implementation to the
agent, so the agent never imports the kiosk (dependency inversion: the agent owns the
interface's use, the protocol owns its shape, the device owns the database). Tests hand the agent
an in-memory outbox instead.

A method that cannot do what it is asked (a result this store does not hold, a database error)
raises ``OutboxError`` with the store's reason code; the agent logs it and carries on.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from edge_sync.protocol.errors import ProtocolReasonError
from edge_sync.protocol.signed import SignedResult


class OutboxError(ProtocolReasonError):
    """An outbox operation failed; ``reason`` is the store's code (``STORE_*``)."""

    reason = "SYNC_OUTBOX"


class Outbox(Protocol):
    """What the agent needs from the device's store."""

    def transaction(self) -> AbstractContextManager[None]: ...

    def reset_sending(self) -> int: ...

    def next_unsent(self, limit: int, exclude: set[str]) -> list[SignedResult]: ...

    def mark_sending(self, result_id: str) -> None: ...

    def mark_sending_many(self, result_ids: list[str]) -> None:
        """pending -> sending for a whole window, all or nothing."""
        ...

    def mark_accepted(self, result_id: str) -> None: ...

    def mark_accepted_many(self, result_ids: list[str]) -> set[str]:
        """The ``accepted`` acks of one turn at once; returns the ids this store does not
        hold (each logged as an ack not applied, as ``mark_accepted`` would raise)."""
        ...

    def mark_anchored(self, result_id: str, tx_hash: str, batch_id: str, proof: bytes) -> None: ...

    def mark_rejected(self, result_id: str, reason: str) -> None: ...

    def payload_of(self, result_id: str) -> bytes | None: ...

    def audit_refused_acks(self, counts: dict[str, int]) -> None: ...

    def requeue(self, result_id: str, reason: str) -> None: ...

    def overdue_anchors(self, limit: int) -> list[SignedResult]: ...

    def recheck_later(self, result_id: str) -> None: ...

    def health(self) -> dict[str, object]: ...
