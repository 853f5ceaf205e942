"""Delivers the queued check-in messages to the HIS, on a thread of the kiosk.

Why in the kiosk and not in ``bdmi-sync``: the HIS is inside the site and personal data
goes there, while everything ``bdmi-sync`` carries is pseudonymous and leaves the site. Two
programs, two kinds of data. The thread holds the store's lock only for the queue's reads
and writes, never across the network call, so a slow HIS never slows a check-in.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

from kiosk.config.schema import HisConfig
from kiosk.his.transport import Delivery, HisEndpoint, Outcome, post_bundle
from kiosk.store import his_outbox
from kiosk.store.database import StoreDatabase
from kiosk.store.errors import StoreError

log = logging.getLogger(__name__)

Post = Callable[[HisEndpoint, bytes, ssl.SSLContext], Delivery]


def endpoint_from_config(his: HisConfig) -> HisEndpoint:
    return HisEndpoint(url=his.endpoint, ca_file=his.ca_file, cert_file=his.cert_file,
                       key_file=his.key_file, timeout_s=his.timeout_s)  # fmt: skip


def his_delivery(
    his: HisConfig | None, db: StoreDatabase, lock: AbstractContextManager[object]
) -> HisDelivery | None:
    """The running delivery for a configured ``[his]``; ``None`` without one."""
    if his is None:
        return None
    delivery = HisDelivery(endpoint_from_config(his), db, lock, poll_s=his.poll_s)
    delivery.start()
    return delivery


class HisDelivery:
    """``run_once`` sends what is due (tests call it directly); ``start`` runs it every
    ``poll_s`` on a daemon thread, and ``nudge`` wakes it for a message just queued."""

    def __init__(
        self,
        endpoint: HisEndpoint,
        db: StoreDatabase,
        lock: AbstractContextManager[object] | None = None,
        *,
        poll_s: float = 5.0,
        clock: Callable[[], float] = time.time,
        post: Post = post_bundle,
    ) -> None:
        self.endpoint = endpoint
        self._db = db
        self._lock = lock if lock is not None else contextlib.nullcontext()
        self.poll_s = poll_s
        self._clock = clock
        self._post = post
        self._context: ssl.SSLContext | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _tls(self) -> ssl.SSLContext | None:
        """Loaded once; a missing or broken certificate file is retried at every round (a
        technician may be copying it in) and named once per round in the log."""
        if self._context is None:
            try:
                self._context = self.endpoint.tls_context()
            except (OSError, ssl.SSLError, ValueError) as exc:
                log.error(
                    "HIS client certificate unusable",
                    extra={"reason": "HIS_CONFIG_INVALID", "error": type(exc).__name__},
                )
        return self._context

    def run_once(self) -> int:
        """Send every message due now; returns how many were tried."""
        context = self._tls()
        if context is None:
            return 0
        with self._lock:
            due = his_outbox.due(self._db, now_ms=self._now_ms())
        for message in due:
            delivery = self._post(self.endpoint, message.body, context)
            now_ms = self._now_ms()
            with self._lock:
                if delivery.outcome is Outcome.DELIVERED:
                    his_outbox.mark_delivered(self._db, message.result_id, now_ms=now_ms)
                elif delivery.outcome is Outcome.REFUSED:
                    his_outbox.mark_refused(self._db, message.result_id, delivery.reason,
                                            now_ms=now_ms)  # fmt: skip
                else:
                    his_outbox.mark_retry(self._db, message.result_id, delivery.reason,
                                          now_ms=now_ms)  # fmt: skip
            extra = {"result_id": message.result_id, "reason": delivery.reason,
                     "status": delivery.status, "attempt": message.attempts + 1}  # fmt: skip
            if delivery.outcome is Outcome.DELIVERED:
                log.info("HIS check-in delivered", extra=extra)
            elif delivery.outcome is Outcome.REFUSED:
                log.error("HIS refused the check-in", extra=extra)
            else:
                log.warning("HIS check-in not delivered, will retry", extra=extra)
            if self._stop.is_set():
                break
        return len(due)

    def nudge(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="his-delivery", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except StoreError as exc:
                log.error("HIS queue unreadable", extra={"reason": exc.reason})
            self._wake.wait(self.poll_s)
            self._wake.clear()
