"""After a batch is anchored: settle its fees and record its accepted consents.

The gateway service runs :meth:`FollowUps.run_once` every batch interval on a thread and event
loop of its own (``GatewayService._follow_up_loop``): each payment and record waits for its
block, and a follow-up that fails (node down, payer short of tokens, a registry refusal) must
never delay anchoring or an ack; it is tried again at a later round.  A batch
is followed up until nothing is left for it (``FollowUp.done``); node failures are retried at
the next round, refusals every ``refused_retry_s`` (they need an operator: top up the payer,
fix the fee, configure an account), so a refusal costs one free test invocation per retry and
never a broadcast.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from peewee import JOIN, fn

from edge_sync.gateway.consent_job import ConsentRecorder
from edge_sync.gateway.db import Batch
from edge_sync.gateway.followup_db import FollowUp, create_followup_tables
from edge_sync.gateway.settlement_job import BatchSettler

log = logging.getLogger(__name__)

REFUSED_RETRY_S = 600.0
BATCHES_PER_ROUND = 50


@dataclass
class FollowUps:
    settler: BatchSettler | None
    recorder: ConsentRecorder | None
    clock_ms: Callable[[], int]
    refused_retry_s: float = REFUSED_RETRY_S
    batches_per_round: int = BATCHES_PER_ROUND

    def __post_init__(self) -> None:
        create_followup_tables()
        self._refused_tried_ms = -(10**15)

    def pending(self) -> list[Batch]:
        """Anchored batches with follow-ups left: never looked at first, then the least
        recently looked at, so batches stuck on a refusal can never starve newer ones."""
        return list(
            Batch.select()
            .join(FollowUp, JOIN.LEFT_OUTER, on=(FollowUp.batch_id == Batch.batch_id))
            .where((Batch.state == "anchored") & (FollowUp.done.is_null() | ~FollowUp.done))
            .order_by(fn.COALESCE(FollowUp.checked_at_ms, -1), Batch.batch_id)
            .limit(self.batches_per_round)
        )

    async def run_once(self) -> int:
        """Follow up what is pending; the number of batches completed this round."""
        now = self.clock_ms()
        retry_refused = now - self._refused_tried_ms >= self.refused_retry_s * 1000
        if retry_refused:
            self._refused_tried_ms = now
        completed = 0
        for batch in self.pending():
            done = True
            try:
                if self.settler is not None:
                    done &= await self.settler.settle(batch, retry_refused=retry_refused)
                if self.recorder is not None:
                    done &= await self.recorder.record(batch, retry_refused=retry_refused)
            except Exception:  # a database fault: log, keep the service alive, retry later
                log.exception("follow-up failed", extra={"batch_id": batch.batch_id})
                done = False
            FollowUp.insert(
                batch_id=batch.batch_id, done=done, checked_at_ms=self.clock_ms()
            ).on_conflict(
                conflict_target=[FollowUp.batch_id],
                update={FollowUp.done: done, FollowUp.checked_at_ms: self.clock_ms()},
            ).execute()
            completed += int(done)
        return completed
