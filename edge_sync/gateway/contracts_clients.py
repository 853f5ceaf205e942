"""The gateway's clients for FeeSettlement, ConsentRegistry and the test token (neo-mamba).

They follow ``edge_sync.gateway.chain`` exactly and reuse it: every write goes through
:func:`edge_sync.gateway.chain.checked_invoke` (test invocation with the real signers first,
broadcast only on HALT, receipt checked), every read through
:func:`edge_sync.gateway.chain.read_call`, signers from
:func:`edge_sync.gateway.chain.signing_pair` (``CalledByEntry``).  A refusal is
:class:`edge_sync.gateway.chain.InvocationRefused` with the contract's reason; nothing refused is
ever broadcast, so it costs no GAS.

A fee is paid the NEP-17 way: the *payer* signs ``token.transfer(payer, settlement, amount,
[batch_id, count])`` and the token calls the settlement's ``onNEP17Payment``.  ``transfer``
answers a short balance with ``false`` rather than a FAULT, so the settlement write also
requires a true result before it broadcasts (``must_return_true``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from neo3.api import noderpc
from neo3.api.wrappers import ChainFacade, GenericContract, SigningPair
from neo3.core import types
from neo3.wallet.account import Account

from edge_sync.gateway.chain import (
    BatchId,
    ChainError,
    Hash160Like,
    TxReceipt,
    as_hash160,
    batch_id_bytes,
    checked_invoke,
    read_call,
    signing_pair,
)

type ConsentId = uuid.UUID | str | bytes


def consent_id_bytes(consent_id: ConsentId) -> bytes:
    """The 16 bytes of a consent id (the ConsentRecord's UUIDv7 ``result_id``)."""
    return batch_id_bytes(consent_id)


@dataclass(frozen=True)
class SettlementConfig:
    registry: types.UInt160
    token: types.UInt160
    fee_per_result: int
    """In the token's smallest unit."""


@dataclass(frozen=True)
class SettlementRecord:
    amount: int
    count: int
    block_time_ms: int


@dataclass(frozen=True)
class ConsentInfo:
    consent_id: bytes
    subject_ref: bytes
    relying_party: types.UInt160
    scope_hash: bytes
    expires_ms: int
    recorded_ms: int
    revoked_ms: int
    """0 while not revoked."""

    @property
    def revoked(self) -> bool:
        return self.revoked_ms != 0


class _ContractClient:
    """One deployed contract: typed writes (checked) and reads (free). ``admin_account``
    signs the admin's calls (configuration, upgrades, minting); a reader needs none."""

    def __init__(
        self,
        facade: ChainFacade,
        contract_hash: Hash160Like,
        *,
        admin_account: Account | None = None,
        receipt_timeout: float = 60.0,
        receipt_retry_delay: float = 1.0,
    ) -> None:
        self.facade = facade
        self.contract_hash = as_hash160(contract_hash)
        self.contract = GenericContract(self.contract_hash)
        self.admin_account = admin_account
        self.receipt_timeout = receipt_timeout
        self.receipt_retry_delay = receipt_retry_delay

    @staticmethod
    def _signer(role: str, account: Account | None) -> SigningPair:
        if account is None:
            raise ChainError(f"no {role} account to sign with")
        return signing_pair(account)

    async def _write(
        self,
        signer: SigningPair,
        method: str,
        args: Sequence[object],
        *,
        contract: GenericContract | None = None,
        must_return_true: bool = False,
    ) -> TxReceipt:
        target = contract or self.contract
        call = target.call_function(method, list(args))  # type: ignore[arg-type]
        receipt, _ = await checked_invoke(
            self.facade,
            call,
            [signer],
            method,
            receipt_timeout=self.receipt_timeout,
            receipt_retry_delay=self.receipt_retry_delay,
            must_return_true=must_return_true,
        )
        return receipt

    async def _read(
        self, method: str, args: Sequence[object] = (), *, contract: GenericContract | None = None
    ) -> noderpc.StackItem:
        target = contract or self.contract
        call = target.call_function(method, list(args))  # type: ignore[arg-type]
        return await read_call(self.facade, call, method)


class SettlementClient(_ContractClient):
    """FeeSettlement: the admin configures it; payers pay through the configured token."""

    # admin -------------------------------------------------------------------------------------
    async def configure(
        self, registry: Hash160Like, token: Hash160Like, fee_per_result: int
    ) -> TxReceipt:
        return await self._write(
            self._signer("admin", self.admin_account),
            "configure",
            [as_hash160(registry), as_hash160(token), fee_per_result],
        )

    async def set_shares(self, shares: Sequence[tuple[Hash160Like, int]]) -> TxReceipt:
        """``[(payee, basis points), ...]``: the first payee also gets the rounding remainder."""
        return await self._write(
            self._signer("admin", self.admin_account),
            "set_shares",
            [[as_hash160(payee) for payee, _ in shares], [bps for _, bps in shares]],
        )

    # payer -------------------------------------------------------------------------------------
    async def settle(
        self, payer: Account, batch_id: BatchId, count: int, config: SettlementConfig
    ) -> TxReceipt:
        """Pay ``count x fee`` for ``count`` results of the anchored batch, signed by
        ``payer``, through ``config.token`` (read it with :meth:`get_config`)."""
        token = GenericContract(config.token)
        args = [
            payer.script_hash,
            self.contract_hash,
            count * config.fee_per_result,
            [batch_id_bytes(batch_id), count],
        ]
        return await self._write(
            signing_pair(payer), "transfer", args, contract=token, must_return_true=True
        )

    # reads -------------------------------------------------------------------------------------
    async def get_config(self) -> SettlementConfig | None:
        items = (await self._read("get_config")).as_list()
        if not items:
            return None
        registry, token, fee = items
        return SettlementConfig(registry.as_uint160(), token.as_uint160(), fee.as_int())

    async def get_shares(self) -> list[tuple[types.UInt160, int]]:
        shares = []
        for entry in (await self._read("get_shares")).as_list():
            payee, bps = entry.as_list()
            shares.append((payee.as_uint160(), bps.as_int()))
        return shares

    async def get_settlement(
        self, batch_id: BatchId, payer: Hash160Like
    ) -> SettlementRecord | None:
        args = [batch_id_bytes(batch_id), as_hash160(payer)]
        items = (await self._read("get_settlement", args)).as_list()
        if not items:
            return None
        amount, count, time_ms = items
        return SettlementRecord(amount.as_int(), count.as_int(), time_ms.as_int())

    async def get_settled_count(self, batch_id: BatchId) -> int:
        return (await self._read("get_settled_count", [batch_id_bytes(batch_id)])).as_int()


class ConsentRegistryClient(_ContractClient):
    """ConsentRegistry: the gateway records and revokes; anyone reads."""

    def __init__(
        self,
        facade: ChainFacade,
        contract_hash: Hash160Like,
        gateway_account: Account | None,
        *,
        admin_account: Account | None = None,
        receipt_timeout: float = 60.0,
        receipt_retry_delay: float = 1.0,
    ) -> None:
        super().__init__(facade, contract_hash, admin_account=admin_account,
                         receipt_timeout=receipt_timeout,
                         receipt_retry_delay=receipt_retry_delay)  # fmt: skip
        self.gateway_account = gateway_account

    async def set_gateway(self, account: Hash160Like) -> TxReceipt:
        return await self._write(
            self._signer("admin", self.admin_account), "set_gateway", [as_hash160(account)]
        )

    async def record_consent(
        self,
        consent_id: ConsentId,
        subject_ref: bytes,
        relying_party: Hash160Like,
        scope_hash: bytes,
        expires_ms: int,
    ) -> TxReceipt:
        args = [
            consent_id_bytes(consent_id),
            bytes(subject_ref),
            as_hash160(relying_party),
            bytes(scope_hash),
            expires_ms,
        ]
        return await self._write(
            self._signer("gateway", self.gateway_account), "record_consent", args
        )

    async def revoke_consent(
        self, consent_id: ConsentId, *, by: Account | None = None
    ) -> TxReceipt:
        """Revoke as the gateway (for the subject), or as ``by`` (the relying party)."""
        signer = (
            signing_pair(by) if by is not None else self._signer("gateway", self.gateway_account)
        )
        return await self._write(signer, "revoke_consent", [consent_id_bytes(consent_id)])

    async def get_consent(self, consent_id: ConsentId) -> ConsentInfo | None:
        key = consent_id_bytes(consent_id)
        items = (await self._read("get_consent", [key])).as_list()
        if not items:
            return None
        subject, party, scope, expires, recorded, revoked = items
        return ConsentInfo(key, subject.as_bytes(), party.as_uint160(), scope.as_bytes(),
                           expires.as_int(), recorded.as_int(), revoked.as_int())  # fmt: skip

    async def is_valid(self, consent_id: ConsentId) -> bool:
        return (await self._read("is_valid", [consent_id_bytes(consent_id)])).as_bool()

    async def count_consents(self, relying_party: Hash160Like) -> int:
        return (await self._read("count_consents", [as_hash160(relying_party)])).as_int()

    async def get_consents(
        self, relying_party: Hash160Like, start: int = 0, count: int = 64
    ) -> list[uuid.UUID]:
        args = [as_hash160(relying_party), start, count]
        items = (await self._read("get_consents", args)).as_list()
        return [uuid.UUID(bytes=item.as_bytes()) for item in items]

    async def get_gateway(self) -> types.UInt160 | None:
        item = await self._read("get_gateway")
        return None if item.type == noderpc.StackItemType.ANY else item.as_uint160()


class TestTokenClient(_ContractClient):
    """BdmiTestToken (private networks): balances, and ``mint`` by its admin."""

    __test__ = False  # not a pytest test class, whatever its name

    async def mint(self, account: Hash160Like, amount: int) -> TxReceipt:
        return await self._write(
            self._signer("admin", self.admin_account), "mint", [as_hash160(account), amount]
        )

    async def balance_of(self, account: Hash160Like) -> int:
        return (await self._read("balanceOf", [as_hash160(account)])).as_int()
