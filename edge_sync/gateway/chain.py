"""The gateway's client for the IdvRegistry contract (neo-mamba, asyncio).

Why every write is test-invoked first: neo-mamba's ``ChainFacade.invoke`` broadcasts a
transaction even when its script would FAULT, and a FAULTed transaction still costs its fees
and leaves a failed transaction on chain.  So each write runs as a test invocation with the
same signers; a FAULT there raises :class:`InvocationRefused` with the contract's own reason
("batch already anchored", "not the gateway", ...) and nothing is broadcast.  Only a HALT is
sent, and its receipt is checked again: the chain may have moved between the test and the
block (a batch anchored by a concurrent gateway), which raises :class:`TransactionFaulted`.

The transaction hash is known before the receipt is awaited, so a receipt timeout
(:class:`ReceiptTimeout`) or a node lost after sending (:class:`NodeUnavailable` with
``tx_hash``) says which transaction to look for.  An anchor can always be retried safely: the
contract refuses a second anchor of the same batch id, so ``get_anchor`` first, then retry.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from neo3.api import noderpc
from neo3.api.helpers.signing import sign_with_account, sign_with_multisig_account
from neo3.api.wrappers import ChainFacade, ContractMethodResult, GenericContract, SigningPair
from neo3.contracts import manifest, nef
from neo3.core import cryptography, types
from neo3.network.payloads.verification import Signer, WitnessScope
from neo3.wallet.account import Account

from edge_sync.protocol.anchor import Anchor

HALT = "HALT"
DEVICE_ACTIVE = 1
DEVICE_REVOKED = 2
# What a lost connection to the node looks like through neo-mamba (aiohttp underneath).
_UNREACHABLE = (aiohttp.ClientError, OSError, asyncio.TimeoutError)
_REASON = re.compile(r"Reason: (.*)$", re.DOTALL)


class ChainError(Exception):
    """Talking to the chain failed (RPC error, rejected transaction, missing signer)."""


class InvocationRefused(ChainError):
    """The test invocation FAULTed: the contract refused; nothing was broadcast."""

    def __init__(self, method: str, vm_exception: str | None) -> None:
        self.method = method
        self.vm_exception = vm_exception or ""
        self.reason = vm_reason(self.vm_exception)
        super().__init__(f"{method} refused by the VM: {self.reason}")


class TransactionFaulted(ChainError):
    """The broadcast transaction FAULTed on chain (the state changed after the test)."""

    def __init__(self, method: str, tx_hash: types.UInt256, vm_exception: str | None) -> None:
        self.method = method
        self.tx_hash = tx_hash
        self.vm_exception = vm_exception or ""
        self.reason = vm_reason(self.vm_exception)
        super().__init__(f"{method} transaction 0x{tx_hash} FAULTed on chain: {self.reason}")


class NodeUnavailable(ChainError):
    """The RPC node could not be reached.  ``tx_hash`` is set when the transaction had already
    been accepted before the connection was lost: look for it before sending another."""

    def __init__(
        self, method: str, cause: BaseException, tx_hash: types.UInt256 | None = None
    ) -> None:
        self.method = method
        self.tx_hash = tx_hash
        sent = "" if tx_hash is None else f" after sending 0x{tx_hash}"
        super().__init__(f"{method}: RPC node unreachable{sent}: {cause!r}")


class ReceiptTimeout(ChainError):
    """The transaction was accepted by the node but not seen in a block in time."""

    def __init__(self, method: str, tx_hash: types.UInt256, timeout: float) -> None:
        self.method = method
        self.tx_hash = tx_hash
        super().__init__(f"{method} transaction 0x{tx_hash} not in a block after {timeout:.0f} s")


def vm_reason(vm_exception: str) -> str:
    """The contract's assert message out of a VM exception (neo-go appends "Reason: ...")."""
    found = _REASON.search(vm_exception)
    return found.group(1).strip() if found else vm_exception


@dataclass(frozen=True)
class TxReceipt:
    """A write that reached a block with HALT."""

    tx_hash: types.UInt256
    block_index: int
    gas_consumed: int
    """System fee actually burned by the script, in datoshi (1e-8 GAS)."""


@dataclass(frozen=True)
class DeviceInfo:
    device_id: types.UInt160
    status: int
    site: str
    key_id: types.UInt160
    public_key: bytes
    key_count: int

    @property
    def active(self) -> bool:
        return self.status == DEVICE_ACTIVE


@dataclass(frozen=True)
class KeyInfo:
    key_id: types.UInt160
    device_id: types.UInt160
    public_key: bytes
    active: bool
    """The key is its device's current key (retired and revoked keys are inactive)."""
    index: int


type Hash160Like = types.UInt160 | str
type BatchId = uuid.UUID | str | bytes
type PublicKeyLike = cryptography.ECPoint | bytes


def as_hash160(value: Hash160Like) -> types.UInt160:
    """UInt160 from a UInt160 or the ``0x`` + big-endian hex the project prints (device ids)."""
    return value if isinstance(value, types.UInt160) else types.UInt160.from_string(value)


def batch_id_bytes(batch_id: BatchId) -> bytes:
    """The 16 bytes of a batch UUID (the gateway database keeps it as text)."""
    if isinstance(batch_id, uuid.UUID):
        return batch_id.bytes
    if isinstance(batch_id, str):
        return uuid.UUID(batch_id).bytes
    return bytes(batch_id)


def as_public_key(value: PublicKeyLike) -> cryptography.ECPoint:
    if isinstance(value, cryptography.ECPoint):
        return value
    return cryptography.ECPoint.deserialize_from_bytes(bytes(value))


def signing_pair(
    account: Account, scope: WitnessScope = WitnessScope.CALLED_BY_ENTRY
) -> SigningPair:
    """neo-mamba (signing function, signer) for a single- or 1-of-n multisig account.
    CALLED_BY_ENTRY: the witness counts only for the contract the transaction calls."""
    if account.is_multisig:
        return sign_with_multisig_account(account), Signer(account.script_hash, scope)
    return sign_with_account(account), Signer(account.script_hash, scope)


async def checked_invoke(
    facade: ChainFacade,
    call: ContractMethodResult,
    signers: Sequence[SigningPair],
    method: str,
    *,
    receipt_timeout: float = 60.0,
    receipt_retry_delay: float = 1.0,
    must_return_true: bool = False,
) -> tuple[TxReceipt, noderpc.ExecutionResult | object]:
    """Test-invoke ``call``; broadcast only on HALT; wait for and check the receipt.
    Returns the receipt and the (post-processed) result of the on-chain execution.

    ``must_return_true``: for methods that refuse by returning false instead of FAULTing
    (NEP-17 ``transfer`` with a short balance or a missing witness): a false result is a
    refusal too, and is not broadcast."""
    pairs = list(signers)
    try:
        test = await facade.test_invoke(call, signers=pairs)
    except noderpc.JsonRpcError as exc:
        raise ChainError(f"{method}: the node refused the test invocation: {exc}") from exc
    except _UNREACHABLE as exc:
        raise NodeUnavailable(method, exc) from exc
    if test.state != HALT:
        raise InvocationRefused(method, test.exception)
    if must_return_true and not _returned_true(test.result):
        raise InvocationRefused(method, f"{method} returned false")
    try:
        tx_hash = await facade.invoke_fast(call, signers=pairs)
    except noderpc.JsonRpcError as exc:
        raise ChainError(f"{method}: the node rejected the transaction: {exc}") from exc
    except _UNREACHABLE as exc:
        raise NodeUnavailable(method, exc) from exc
    try:
        async with noderpc.NeoRpcClient(facade.rpc_host) as client:
            receipt = await client.wait_for_transaction_receipt(
                tx_hash, timeout=receipt_timeout, retry_delay=receipt_retry_delay
            )
    except noderpc.JsonRpcTimeoutError as exc:
        raise ReceiptTimeout(method, tx_hash, receipt_timeout) from exc
    except noderpc.JsonRpcError as exc:
        raise ChainError(f"{method}: no receipt for 0x{tx_hash}: {exc}") from exc
    except _UNREACHABLE as exc:
        raise NodeUnavailable(method, exc, tx_hash) from exc
    execution = receipt.execution
    if execution.state != HALT:
        raise TransactionFaulted(method, tx_hash, execution.exception)
    result: noderpc.ExecutionResult | object = execution
    if call.execution_processor is not None:
        result = call.execution_processor(execution, 0)
    tx = TxReceipt(tx_hash, receipt.included_in_block, execution.gas_consumed)
    return tx, result


def _returned_true(result: object) -> bool:
    """Whether a test invocation's result (raw, or unwrapped by the call's processor) is
    the boolean true."""
    if isinstance(result, noderpc.ExecutionResult):
        if not result.stack:
            return False
        item = result.stack[0]
        return item.type == noderpc.StackItemType.BOOL and item.as_bool()
    return result is True


async def read_call(
    facade: ChainFacade, call: ContractMethodResult, method: str
) -> noderpc.StackItem:
    """A free read: test-invoke ``call`` without signers; the first stack item, or the
    typed error (``InvocationRefused`` with the contract's reason, ``NodeUnavailable``)."""
    try:
        result = await facade.test_invoke(call, signers=[])
    except noderpc.JsonRpcError as exc:
        raise ChainError(f"{method}: the node refused the call: {exc}") from exc
    except _UNREACHABLE as exc:
        raise NodeUnavailable(method, exc) from exc
    if result.state != HALT:
        raise InvocationRefused(method, result.exception)
    execution = result.result
    assert isinstance(execution, noderpc.ExecutionResult)
    return execution.stack[0]


class IdvRegistryClient:
    """Typed calls to one deployed IdvRegistry.

    ``gateway_account`` signs anchors; ``admin_account`` (optional: the gateway service itself
    does not hold it) signs device registry changes.  Reads are free test invocations.
    """

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
        self.facade = facade
        self.contract_hash = as_hash160(contract_hash)
        self.contract = GenericContract(self.contract_hash)
        self.gateway_account = gateway_account
        self.admin_account = admin_account
        self.receipt_timeout = receipt_timeout
        self.receipt_retry_delay = receipt_retry_delay

    # writes ------------------------------------------------------------------------------------
    async def anchor(self, batch_id: BatchId, root: bytes, count: int) -> TxReceipt:
        """Anchor a batch's Merkle root (gateway signer)."""
        return await self._write(
            self._signer("gateway", self.gateway_account),
            "anchor",
            [batch_id_bytes(batch_id), bytes(root), count],
        )

    async def register_device(
        self, device_id: Hash160Like, public_key: PublicKeyLike, site: str
    ) -> TxReceipt:
        return await self._write(
            self._signer("admin", self.admin_account),
            "register_device",
            [as_hash160(device_id), as_public_key(public_key), site],
        )

    async def rotate_key(self, device_id: Hash160Like, new_public_key: PublicKeyLike) -> TxReceipt:
        return await self._write(
            self._signer("admin", self.admin_account),
            "rotate_key",
            [as_hash160(device_id), as_public_key(new_public_key)],
        )

    async def revoke_device(self, device_id: Hash160Like) -> TxReceipt:
        return await self._write(
            self._signer("admin", self.admin_account), "revoke_device", [as_hash160(device_id)]
        )

    async def set_gateway(self, account: Hash160Like) -> TxReceipt:
        return await self._write(
            self._signer("admin", self.admin_account), "set_gateway", [as_hash160(account)]
        )

    # reads -------------------------------------------------------------------------------------
    async def get_anchor(self, batch_id: BatchId) -> Anchor | None:
        items = (await self._read("get_anchor", [batch_id_bytes(batch_id)])).as_list()
        if not items:
            return None
        root, count, height, time_ms = items
        return Anchor(root.as_bytes(), count.as_int(), height.as_int(), time_ms.as_int())

    async def get_device(self, device_id: Hash160Like) -> DeviceInfo | None:
        device = as_hash160(device_id)
        items = (await self._read("get_device", [device])).as_list()
        if not items:
            return None
        status, site, key_id, public_key, key_count = items
        return DeviceInfo(
            device,
            status.as_int(),
            site.as_str(),
            key_id.as_uint160(),
            public_key.as_bytes(),
            key_count.as_int(),
        )

    async def get_key(self, key_id: Hash160Like) -> KeyInfo | None:
        key = as_hash160(key_id)
        items = (await self._read("get_key", [key])).as_list()
        if not items:
            return None
        device_id, public_key, active, index = items
        return KeyInfo(
            key, device_id.as_uint160(), public_key.as_bytes(), active.as_bool(), index.as_int()
        )

    async def is_active_key(self, key_id: Hash160Like) -> bool:
        return (await self._read("is_active_key", [as_hash160(key_id)])).as_bool()

    async def verify_result(self, payload: bytes, signature: bytes, key_id: Hash160Like) -> bool:
        """The on-chain signature check (CryptoLib.verifyWithECDsa, secp256r1/SHA-256)."""
        item = await self._read("verify_result", [payload, signature, as_hash160(key_id)])
        return item.as_bool()

    async def get_gateway(self) -> types.UInt160 | None:
        item = await self._read("get_gateway")
        return None if item.type == noderpc.StackItemType.ANY else item.as_uint160()

    async def get_admin(self) -> types.UInt160:
        return (await self._read("get_admin")).as_uint160()

    # plumbing ----------------------------------------------------------------------------------
    @staticmethod
    def _signer(role: str, account: Account | None) -> SigningPair:
        if account is None:
            raise ChainError(f"this IdvRegistryClient has no {role} account to sign with")
        return signing_pair(account)

    async def _write(self, signer: SigningPair, method: str, args: list[object]) -> TxReceipt:
        call = self.contract.call_function(method, args)  # type: ignore[arg-type]
        receipt, _ = await checked_invoke(
            self.facade,
            call,
            [signer],
            method,
            receipt_timeout=self.receipt_timeout,
            receipt_retry_delay=self.receipt_retry_delay,
        )
        return receipt

    async def _read(self, method: str, args: list[object] | None = None) -> noderpc.StackItem:
        call = self.contract.call_function(method, args)  # type: ignore[arg-type]
        return await read_call(self.facade, call, method)


async def deploy(
    facade: ChainFacade,
    admin_account: Account,
    nef_path: Path,
    manifest_path: Path,
    *,
    admin: Hash160Like | None = None,
    receipt_timeout: float = 60.0,
    receipt_retry_delay: float = 1.0,
) -> types.UInt160:
    """Deploy a compiled contract (``contracts.build``) and return its hash.

    ``admin_account`` pays and becomes the registry's admin, unless ``admin`` names another
    account (passed as ``_deploy`` data).  Test-invoked first like every write: a second
    deployment of the same NEF and name by the same account is refused before broadcast.
    """
    contract_nef = nef.NEF.from_file(str(nef_path))
    contract_manifest = manifest.ContractManifest.from_file(str(manifest_path))
    data = None if admin is None else as_hash160(admin)
    call = GenericContract.deploy(contract_nef, contract_manifest, data)
    _, contract_hash = await checked_invoke(
        facade,
        call,
        [signing_pair(admin_account)],
        "deploy",
        receipt_timeout=receipt_timeout,
        receipt_retry_delay=receipt_retry_delay,
    )
    assert isinstance(contract_hash, types.UInt160)
    return contract_hash
