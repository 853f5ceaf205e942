"""Retention: personal data goes as soon as its time is up, results once they are safe.

``purge`` deletes, in one transaction with one audit entry (counts only):

* ``PersonalRecord`` rows past their ``purge_after_ms`` (minutes, set by the flow);
* ``EnrolledTemplate`` rows past ``expires_at_ms``;
* ``Result`` rows *together with* their ``Outbox`` rows (and any personal data still
  attached), once anchored on chain for ``keep_anchored_days``, unless the hospital's system
  has yet to get its check-in message (his_outbox.py: that result waits for it);
* check-in messages the hospital's system refused, ``keep_refused_his_days`` after (the
  patient identifier in them was kept only for staff to see why).

Why results are deleted whole rather than stripped of their payload: a result holds no
personal data (a pseudonymous ``subject_ref`` only), and its value is the signed payload
itself: metadata and signature without the payload prove nothing. Until it is anchored the
store is the only copy, so it is never deleted, whatever its age; once anchored, the chain
holds its hash and the gateway its bytes, and the kiosk keeps it ``keep_anchored_days`` more
for staff questions and USB export before it goes. A result that never anchors stays until
the quota refuses new ones (capacity.py): a full kiosk is visible, a lost result is not.

Every call writes an audit entry, even with nothing to delete, so the log proves the job
ran; `kioskctl retention run` (bdmi-retention.timer) runs it every 15 minutes, never in a
tight loop. ``secure_delete`` (database.py) overwrites deleted
rows in the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from peewee import SQL

from kiosk.store import audit, his_outbox
from kiosk.store.database import StoreDatabase
from kiosk.store.models import EnrolledTemplate, Outbox, PersonalRecord, Result

DAY_MS: Final = 86_400_000
_HIS_PENDING: Final = "(SELECT result_id FROM his_message WHERE state = 'pending')"


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    keep_anchored_days: int = 30
    keep_refused_his_days: int = 14

    def __post_init__(self) -> None:
        if self.keep_anchored_days < 0 or self.keep_refused_his_days < 0:
            raise ValueError("keep_anchored_days and keep_refused_his_days must be >= 0")


@dataclass(frozen=True, slots=True)
class PurgeReport:
    personal_records: int
    templates: int
    results: int
    his_messages: int = 0

    def as_detail(self) -> dict[str, int]:
        return {
            "personal_records": self.personal_records,
            "templates": self.templates,
            "results": self.results,
            "his_messages": self.his_messages,
        }


def purge(
    db: StoreDatabase,
    now_ms: int,
    policy: RetentionPolicy,
    *,
    actor_id: str = "retention",
) -> PurgeReport:
    """Delete what is due and audit the counts, all in one transaction."""
    anchored_before = now_ms - policy.keep_anchored_days * DAY_MS
    with db.bound(), db.atomic():
        due_results = Outbox.select(Outbox.result).where(
            (Outbox.state == "anchored")
            & (Outbox.anchored_at_ms <= anchored_before)
            & Outbox.result.not_in(SQL(_HIS_PENDING))
        )
        personal = (
            PersonalRecord.delete()
            .where(
                (PersonalRecord.purge_after_ms <= now_ms) | PersonalRecord.result.in_(due_results)
            )
            .execute()
        )
        templates = (
            EnrolledTemplate.delete().where(EnrolledTemplate.expires_at_ms <= now_ms).execute()
        )
        # Materialise the ids first: the outbox rows are what select them.
        ids = [row[0] for row in due_results.tuples()]
        results = 0
        for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            chunk = ids[start : start + 500]
            Outbox.delete().where(Outbox.result.in_(chunk)).execute()
            results += Result.delete().where(Result.result_id.in_(chunk)).execute()
        his_messages = his_outbox.purge_refused(
            db, before_ms=now_ms - policy.keep_refused_his_days * DAY_MS
        )
        report = PurgeReport(personal, templates, results, his_messages)
        audit.append(
            db,
            at_ms=now_ms,
            actor_kind="system",
            actor_id=actor_id,
            action="retention_purge",
            record_kind="store",
            detail={
                **report.as_detail(),
                "keep_anchored_days": policy.keep_anchored_days,
                "keep_refused_his_days": policy.keep_refused_his_days,
            },
        )
    return report
