"""Settle the fees of one anchored batch: each configured payer pays for its sites' results.

Why after anchoring, and per payer: FeeSettlement pays only for results of a batch that
IdvRegistry holds (it asks ``get_anchor``), and a batch mixes the results of several sites,
each of which may have its own relying party paying.  So once a batch is anchored, each payer
with results in it pays ``count x fee`` for exactly its sites' results.

Why it can be retried without fear: the contract refuses a second settlement of a batch by a
payer.  Before paying, the gateway asks ``get_settlement`` (a settlement made by a run that
crashed before recording it is adopted, not repeated), and a refusal "batch already settled by
this payer" (another gateway was quicker) is treated as done.  Every payment is test-invoked
first (``edge_sync.gateway.chain.checked_invoke``), so a refused one is never broadcast and costs
the payer nothing.

Outcomes, with reason codes in the log and in ``SettlementEntry``: settled; the contract's fee
is not the one the payer agreed to (``GW_SETTLEMENT_FEE_MISMATCH``) or the contract is not
configured (``GW_SETTLEMENT_NOT_CONFIGURED``): nothing is paid until an operator fixes it; the
contract or token refused, e.g. the payer's balance is short (``GW_SETTLEMENT_REFUSED``): tried
again later; the node failed (``GW_SETTLEMENT_CHAIN``): tried again at the next round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from neo3.wallet.account import Account
from peewee import IntegrityError, fn

from edge_sync.gateway.chain import ChainError, InvocationRefused
from edge_sync.gateway.contracts_clients import SettlementClient, SettlementConfig
from edge_sync.gateway.db import Batch, ReceivedResult
from edge_sync.gateway.followup_db import PENDING, SETTLED, SettlementEntry

log = logging.getLogger(__name__)

ALREADY_SETTLED = "batch already settled by this payer"
CHAIN_FAILED = "GW_SETTLEMENT_CHAIN"
"""A node failure: tried again at the next round (refusals wait for ``retry_refused``)."""


@dataclass(frozen=True)
class Payer:
    account: Account
    sites: frozenset[str]
    fee_per_result: int

    @property
    def hash(self) -> str:
        return f"0x{self.account.script_hash}"


@dataclass
class BatchSettler:
    client: SettlementClient
    payers: list[Payer]
    clock_ms: Callable[[], int]

    async def settle(self, batch: Batch, *, retry_refused: bool) -> bool:
        """Pay what is owed for ``batch``; True when every payer with results in it has paid.
        ``retry_refused``: also try again payments refused earlier."""
        per_site = dict(
            ReceivedResult.select(ReceivedResult.site, fn.COUNT(ReceivedResult.result_id))
            .where(ReceivedResult.batch == batch)
            .group_by(ReceivedResult.site)
            .tuples()
        )
        owed = [(p, sum(per_site.get(s, 0) for s in p.sites)) for p in self.payers]
        owed = [(payer, count) for payer, count in owed if count > 0]
        if not owed:
            return True
        config: SettlementConfig | None = None
        done = True
        for payer, count in owed:
            entry = self._entry(batch.batch_id, payer, count)
            if entry.state == SETTLED:
                continue
            if entry.reason not in (None, CHAIN_FAILED) and not retry_refused:
                done = False
                continue
            if config is None:
                try:
                    config = await self.client.get_config()
                except ChainError as exc:
                    self._failed(entry, CHAIN_FAILED, str(exc))
                    return False
                if config is None:
                    self._failed(entry, "GW_SETTLEMENT_NOT_CONFIGURED", "get_config is empty")
                    return False
            done &= await self._settle_one(batch.batch_id, payer, entry, config)
        return done

    async def _settle_one(
        self, batch_id: str, payer: Payer, entry: SettlementEntry, config: SettlementConfig
    ) -> bool:
        if config.fee_per_result != payer.fee_per_result:
            detail = f"contract fee {config.fee_per_result}, agreed {payer.fee_per_result}"
            self._failed(entry, "GW_SETTLEMENT_FEE_MISMATCH", detail)
            return False
        try:
            existing = await self.client.get_settlement(batch_id, payer.hash)
            if existing is not None:  # paid by an earlier run that did not record it
                self._settled(entry, existing.amount, None)
                return True
            receipt = await self.client.settle(payer.account, batch_id, entry.count, config)
        except InvocationRefused as refused:
            if refused.reason == ALREADY_SETTLED:
                self._settled(entry, entry.count * config.fee_per_result, None)
                return True
            self._failed(entry, "GW_SETTLEMENT_REFUSED", refused.reason)
            return False
        except ChainError as exc:
            self._failed(entry, CHAIN_FAILED, str(exc))
            return False
        self._settled(entry, entry.count * config.fee_per_result, f"0x{receipt.tx_hash}")
        log.info(
            "batch settled",
            extra={"batch_id": batch_id, "payer": payer.hash, "count": entry.count},
        )
        return True

    def _entry(self, batch_id: str, payer: Payer, count: int) -> SettlementEntry:
        query = (SettlementEntry.batch_id == batch_id) & (SettlementEntry.payer == payer.hash)
        entry = SettlementEntry.get_or_none(query)
        if entry is not None:
            return entry
        try:
            return SettlementEntry.create(
                batch_id=batch_id, payer=payer.hash, count=count, state=PENDING,
                attempted_at_ms=self.clock_ms(),
            )  # fmt: skip
        except IntegrityError:  # another gateway on the same database made it first
            return SettlementEntry.get(query)

    def _settled(self, entry: SettlementEntry, amount: int, tx_hash: str | None) -> None:
        entry.state, entry.amount, entry.tx_hash = SETTLED, amount, tx_hash
        entry.reason = entry.detail = None
        entry.attempted_at_ms = self.clock_ms()
        entry.save()

    def _failed(self, entry: SettlementEntry, reason: str, detail: str) -> None:
        log.warning(
            "settlement not made",
            extra={"reason": reason, "batch_id": entry.batch_id, "payer": entry.payer,
                   "detail": detail[:200]},
        )  # fmt: skip
        entry.reason, entry.detail = reason, detail[:500]
        entry.attempted_at_ms = self.clock_ms()
        entry.save()
