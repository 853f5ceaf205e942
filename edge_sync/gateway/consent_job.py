"""Record the accepted consents of one anchored batch in the ConsentRegistry.

A consent travels like a verification result (same signed envelope, MQTT topic, intake checks
and Merkle batch); the intake stored it only after verifying the device signature.  Once its
batch is anchored, each *accepted* consent is recorded on chain: consent id (the record's
UUIDv7 bytes), subject_ref (the kiosk's pseudonym), the relying party's account, the scope hash
and the expiry.  Declined consents stay in their batch (asked and refused is evidence too)
but are not consents to record.

Why after anchoring, not at intake: the anchored batch is the device's durable, provable
record; the registry entry is a look-up built on it, so (1) a registry outage never holds up
the anchored acks the kiosks wait for, (2) every consent on chain is also a leaf of an
anchored batch, so its full signed record can be proved, and (3) it costs no extra work at
the intake's hot path (one transaction per group of messages).

Idempotent: ``get_consent`` first (recorded by a run that crashed before noting it), and the
contract's "consent already recorded" counts as done.  Reason codes: ``GW_CONSENT_EXPIRED``
(lapsed before it could be recorded: final), ``GW_CONSENT_NO_ACCOUNT`` (the record names no
relying-party account and the gateway config has none for its id), ``GW_CONSENT_REFUSED``
(the registry refused, its reason kept), ``GW_CONSENT_CHAIN`` (node failure, retried at the
next round), ``GW_CONSENT_UNREADABLE`` (the stored payload does not decode: final).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from peewee import IntegrityError

from edge_sync.gateway.chain import ChainError, InvocationRefused
from edge_sync.gateway.contracts_clients import ConsentRegistryClient
from edge_sync.gateway.db import Batch, ReceivedResult
from edge_sync.gateway.followup_db import EXPIRED, PENDING, RECORDED, ConsentEntry
from edge_sync.protocol.consent_record import ConsentRecord
from edge_sync.protocol.errors import SecurityError
from edge_sync.protocol.result import decode_payload

log = logging.getLogger(__name__)

ALREADY_RECORDED = "consent already recorded"
ALREADY_EXPIRED = "consent already expired"
CHAIN_FAILED = "GW_CONSENT_CHAIN"
FINAL = (RECORDED, EXPIRED)


def accepted_consents(batch: Batch) -> list[ConsentRecord]:
    """The accepted ConsentRecords among the batch's stored payloads (already verified by the
    intake; decoded again here, which also re-checks the canonical encoding)."""
    found: list[ConsentRecord] = []
    for row in ReceivedResult.select(ReceivedResult.result_id, ReceivedResult.payload).where(
        ReceivedResult.batch == batch
    ):
        try:
            record = decode_payload(bytes(row.payload))
        except SecurityError as exc:
            log.error(
                "stored payload does not decode",
                extra={"reason": "GW_CONSENT_UNREADABLE", "result_id": row.result_id,
                       "detail": exc.reason},
            )  # fmt: skip
            continue
        if isinstance(record, ConsentRecord) and record.decision == "accepted":
            found.append(record)
    return found


@dataclass
class ConsentRecorder:
    client: ConsentRegistryClient
    accounts: Mapping[str, str]
    """Relying-party id -> its 0x account, for consent records that name none."""
    clock_ms: Callable[[], int]

    async def record(self, batch: Batch, *, retry_refused: bool) -> bool:
        """Record the batch's accepted consents; True when none is left to do."""
        done = True
        for consent in accepted_consents(batch):
            entry = self._entry(batch.batch_id, consent.result_id)
            if entry.state in FINAL:
                continue
            if entry.reason not in (None, CHAIN_FAILED) and not retry_refused:
                done = False
                continue
            done &= await self._record_one(consent, entry)
        return done

    async def _record_one(self, consent: ConsentRecord, entry: ConsentEntry) -> bool:
        account = consent.relying_party_account or self.accounts.get(consent.relying_party)
        if account is None:
            detail = f"no account for relying party {consent.relying_party}"
            self._note(entry, PENDING, "GW_CONSENT_NO_ACCOUNT", detail)
            return False
        entry.relying_party = account
        if consent.expires_ms <= self.clock_ms():
            self._note(entry, EXPIRED, "GW_CONSENT_EXPIRED", "expired before it was recorded")
            return True
        try:
            if await self.client.get_consent(consent.result_id) is not None:
                self._note(entry, RECORDED, None, None)
                return True
            receipt = await self.client.record_consent(
                consent.result_id,
                bytes.fromhex(consent.subject_ref),
                account,
                bytes.fromhex(consent.scope_hash),
                consent.expires_ms,
            )
        except InvocationRefused as refused:
            if refused.reason == ALREADY_RECORDED:
                self._note(entry, RECORDED, None, None)
                return True
            if refused.reason == ALREADY_EXPIRED:
                self._note(entry, EXPIRED, "GW_CONSENT_EXPIRED", refused.reason)
                return True
            self._note(entry, PENDING, "GW_CONSENT_REFUSED", refused.reason)
            return False
        except ChainError as exc:
            self._note(entry, PENDING, CHAIN_FAILED, str(exc))
            return False
        entry.tx_hash = f"0x{receipt.tx_hash}"
        self._note(entry, RECORDED, None, None)
        log.info("consent recorded", extra={"consent_id": consent.result_id})
        return True

    def _entry(self, batch_id: str, consent_id: str) -> ConsentEntry:
        entry = ConsentEntry.get_or_none(ConsentEntry.consent_id == consent_id)
        if entry is not None:
            return entry
        try:
            return ConsentEntry.create(
                consent_id=consent_id, batch_id=batch_id, state=PENDING,
                attempted_at_ms=self.clock_ms(),
            )  # fmt: skip
        except IntegrityError:  # another gateway on the same database made it first
            return ConsentEntry.get_by_id(consent_id)

    def _note(
        self, entry: ConsentEntry, state: str, reason: str | None, detail: str | None
    ) -> None:
        if reason is not None:
            log.warning(
                "consent not recorded",
                extra={"reason": reason, "consent_id": entry.consent_id,
                       "detail": (detail or "")[:200]},
            )  # fmt: skip
        entry.state, entry.reason = state, reason
        entry.detail = None if detail is None else detail[:500]
        entry.attempted_at_ms = self.clock_ms()
        entry.save()
