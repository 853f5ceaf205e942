"""FeeSettlement: the fee a relying party pays per anchored batch, split between the parties.

Why a contract: the 2018 terminal settled a fee per verification between hospital, insurer and
operator by invoice.  Here the payment, the split and the proof of what it paid for are one
atomic on-chain step: the relying party (hospital or insurer account) pays ``count x fee`` in a
NEP-17 token for ``count`` verifications of a batch that IdvRegistry has anchored, and the
contract passes it on at once to the payees in the admin's basis-point shares.  It holds no
balance between transactions.

How a payment arrives: the payer calls the token's ``transfer(payer, FeeSettlement, amount,
[batch_id, count])``.  The token credits this contract and calls ``onNEP17Payment``, which
checks everything and pays the payees out; if any check fails it FAULTs (ASSERTMSG) and the
whole transfer is undone, so a wrong payment can never get stuck here.  That is the standard
NEP-17 receiver pattern and it needs only the payer's ``CalledByEntry`` witness (the token is
the contract the transaction calls).

Checks, in order: configured; the calling script is the configured token (anyone can call
``onNEP17Payment`` directly, but then the calling script is not the token); not a mint; data is
``[batch_id (16 bytes), count (an integer > 0)]``; the batch is anchored in the configured
IdvRegistry (``Contract.call(registry, "get_anchor", ...)``: a fee is for results provably on
chain); this payer has not settled this batch before (idempotent per batch and payer); the
counts settled for the batch by all payers stay within the anchored count (a batch holds
results of several sites, each of which may have its own payer); ``amount == count x fee``.

The split: payee ``i`` gets ``amount * share_i // 10000``; the rounding remainder goes to the
first payee (the operator, by convention), so the payees always receive exactly ``amount``.
Each payment emits ``Paid(batch_id, payee, amount)`` (and the token its ``Transfer``); the
settlement emits ``Settled(batch_id, payer, amount, count)``.

No personal data: batch ids, accounts, amounts and counts only.

Storage layout (one-byte prefixes; lists StdLib.serialize'd):

=========================  ================================  ===================================
key                        value                             written by
=========================  ================================  ===================================
0x01                       admin (UInt160)                   _deploy
0x02                       [registry, token, fee_per_result] configure
0x03                       [[payee, share_bps], ...]         set_shares
0x40 + batch_id + payer    [amount, count, block time (ms)]  onNEP17Payment
0x41 + batch_id            results settled so far (int)      onNEP17Payment
=========================  ================================  ===================================

Upgrades and migration: as IdvRegistry (``update`` by the admin keeps hash and storage; new
layouts get new prefixes, migrated lazily or bounded in ``_deploy(data, update=True)``).
Changing the token or the fee with ``configure`` affects only later payments: settled batches
keep what they paid.
"""

from typing import Any, cast

from boa3.sc import runtime, storage
from boa3.sc.compiletime import NeoMetadata, public
from boa3.sc.contracts import ContractManagement, StdLib
from boa3.sc.types import CallFlags, UInt160
from boa3.sc.utils import CreateNewEvent, call_contract

ADMIN_KEY = b"\x01"
CONFIG_KEY = b"\x02"
SHARES_KEY = b"\x03"
SETTLEMENT_PREFIX = b"\x40"
SETTLED_COUNT_PREFIX = b"\x41"

BATCH_ID_LENGTH = 16
TOTAL_BPS = 10000
MAX_PAYEES = 8


def manifest_metadata() -> NeoMetadata:
    """May call any contract's ``get_anchor`` (the registry) and ``transfer`` (the token):
    their hashes are configuration, not code."""
    meta = NeoMetadata()
    meta.name = "FeeSettlement"
    meta.description = "BDMI per-batch fee settlement in a NEP-17 token, split by shares"
    meta.add_permission(methods=["get_anchor", "transfer"])
    meta.add_permission(contract="0xfffdc93764dbaddd97c48f252a53ea4643faa3fd", methods=["update"])
    meta.add_permission(
        contract="0xacce6fd80d44e1796aa0c2c625e9e4e0ce39efc0", methods=["serialize", "deserialize"]
    )
    return meta


# Events ------------------------------------------------------------------------------------------
on_configured = CreateNewEvent(
    [("registry", UInt160), ("token", UInt160), ("fee_per_result", int)],
    "Configured",
)
on_shares_changed = CreateNewEvent(
    [("payees", list), ("shares", list)],
    "SharesChanged",
)
on_settled = CreateNewEvent(
    [("batch_id", bytes), ("payer", UInt160), ("amount", int), ("count", int)],
    "Settled",
)
on_paid = CreateNewEvent(
    [("batch_id", bytes), ("payee", UInt160), ("amount", int)],
    "Paid",
)


# Deployment and administration -------------------------------------------------------------------
@public
def _deploy(data: Any, update: bool) -> None:
    """The admin is ``data`` when it is an account, else the deployer (as IdvRegistry)."""
    if update:
        return
    storage.put_uint160(ADMIN_KEY, _initial_admin(data))


@public
def update(nef_file: bytes, manifest: bytes, data: Any) -> None:
    """Replace the code, keeping hash and storage (admin only)."""
    _require_admin()
    ContractManagement.update(nef_file, manifest, data)


@public
def configure(registry: UInt160, token: UInt160, fee_per_result: int) -> None:
    """Which IdvRegistry proves the batches, which token pays, and the fee per result in the
    token's smallest unit (admin only)."""
    _require_admin()
    assert len(registry) == 20, "registry must be a 20-byte contract hash"
    assert len(token) == 20, "token must be a 20-byte contract hash"
    assert fee_per_result > 0, "fee must be positive"
    storage.put_object(CONFIG_KEY, [registry, token, fee_per_result])
    on_configured(registry, token, fee_per_result)


@public
def set_shares(payees: list[UInt160], shares: list[int]) -> None:
    """Who is paid and how much of each fee, in basis points adding up to 10000 (admin only).
    The first payee also receives the rounding remainder."""
    _require_admin()
    payee_count = len(payees)
    assert payee_count > 0, "at least one payee"
    assert payee_count <= MAX_PAYEES, "at most 8 payees"
    assert len(shares) == payee_count, "one share per payee"
    total = 0
    stored: list[list] = []
    for position in range(payee_count):
        payee = payees[position]
        share = shares[position]
        assert len(payee) == 20, "payee must be a 20-byte account"
        assert share > 0, "share must be positive"
        total += share
        stored.append([payee, share])
    assert total == TOTAL_BPS, "shares must add up to 10000 basis points"
    storage.put_object(SHARES_KEY, stored)
    on_shares_changed(payees, shares)


@public(safe=True)
def get_admin() -> UInt160:
    return storage.get_uint160(ADMIN_KEY)


@public(safe=True)
def get_config() -> list:
    """[registry, token, fee_per_result]; empty before ``configure``."""
    return _config()


@public(safe=True)
def get_shares() -> list:
    """[[payee, share_bps], ...]; empty before ``set_shares``."""
    stored = storage.get(SHARES_KEY)
    if len(stored) == 0:
        return []
    return cast(list, StdLib.deserialize(stored))


# Settlement --------------------------------------------------------------------------------------
@public
def onNEP17Payment(from_address: UInt160 | None, amount: int, data: Any) -> None:
    """A fee payment (see the module docstring); FAULTs, undoing the transfer, unless every
    check passes."""
    config = _config()
    assert len(config) == 3, "settlement not configured"
    token = cast(UInt160, config[1])
    assert runtime.calling_script_hash == token, "not the configured token"
    assert from_address is not None, "minted tokens are not a fee"
    payer = cast(UInt160, from_address)
    assert isinstance(data, list), "data must be [batch_id, count]"
    args = cast(list, data)
    assert len(args) == 2, "data must be [batch_id, count]"
    # Types first: a payer may send anything, and len() of a null or a comparison of a long
    # byte string would FAULT without a reason (found by the fuzz test).
    assert isinstance(args[0], bytes), "batch_id must be 16 bytes"
    assert isinstance(args[1], int), "count must be an integer"
    batch_id = cast(bytes, args[0])
    result_count = cast(int, args[1])
    assert len(batch_id) == BATCH_ID_LENGTH, "batch_id must be 16 bytes"
    assert result_count > 0, "count must be positive"
    anchor = cast(
        list,
        call_contract(cast(UInt160, config[0]), "get_anchor", [batch_id], CallFlags.READ_ONLY),
    )
    assert len(anchor) > 0, "batch not anchored"
    slot = SETTLEMENT_PREFIX + batch_id + payer
    assert len(storage.get(slot)) == 0, "batch already settled by this payer"
    settled = storage.get_int(SETTLED_COUNT_PREFIX + batch_id)
    assert settled + result_count <= cast(int, anchor[1]), "count exceeds the anchored batch"
    assert amount == result_count * cast(int, config[2]), "amount must be count x fee"
    storage.put_object(slot, [amount, result_count, runtime.time])
    storage.put_int(SETTLED_COUNT_PREFIX + batch_id, settled + result_count)
    on_settled(batch_id, payer, amount, result_count)
    _pay_out(token, batch_id, amount)


@public(safe=True)
def get_settlement(batch_id: bytes, payer: UInt160) -> list:
    """[amount, count, block time (ms)] of ``payer``'s settlement of the batch; empty if none."""
    stored = storage.get(SETTLEMENT_PREFIX + batch_id + payer)
    if len(stored) == 0:
        return []
    return cast(list, StdLib.deserialize(stored))


@public(safe=True)
def get_settled_count(batch_id: bytes) -> int:
    """How many of the batch's results have been paid for, by all payers together."""
    return storage.get_int(SETTLED_COUNT_PREFIX + batch_id)


# Internals ---------------------------------------------------------------------------------------
def _pay_out(token: UInt160, batch_id: bytes, amount: int) -> None:
    shares = get_shares()
    assert len(shares) > 0, "no shares set"
    me = runtime.executing_script_hash
    remainder = amount
    for position in range(1, len(shares)):
        entry = cast(list, shares[position])
        part = amount * cast(int, entry[1]) // TOTAL_BPS
        remainder -= part
        _pay(token, me, cast(UInt160, entry[0]), batch_id, part)
    first = cast(list, shares[0])
    _pay(token, me, cast(UInt160, first[0]), batch_id, remainder)


def _pay(token: UInt160, me: UInt160, payee: UInt160, batch_id: bytes, part: int) -> None:
    if part == 0:  # a share too small for this fee: no payment, no event
        return
    paid = cast(bool, call_contract(token, "transfer", [me, payee, part, None]))
    assert paid, "token transfer to a payee failed"
    on_paid(batch_id, payee, part)


def _config() -> list:
    stored = storage.get(CONFIG_KEY)
    if len(stored) == 0:
        return []
    return cast(list, StdLib.deserialize(stored))


def _initial_admin(data: Any) -> UInt160:
    if isinstance(data, UInt160):
        return cast(UInt160, data)
    return runtime.script_container.sender


def _require_admin() -> None:
    assert runtime.check_witness(storage.get_uint160(ADMIN_KEY)), "not the admin"
