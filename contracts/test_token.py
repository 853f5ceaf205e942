"""BdmiTestToken: a NEP-17 token for the private network, so settlement can be tested and shown.

Why our own token: FeeSettlement takes its fee in whatever NEP-17 token the admin configures (a
stable-coin or an operator's voucher on a real network).  On a private test net there is none,
and GAS would make the fees indistinguishable from transaction costs in a test.  This token is
the smallest honest NEP-17 (balances, ``Transfer`` events, ``onNEP17Payment`` on contract
receivers, ``transfer`` returns false rather than FAULTing when the balance is short or the
sender did not sign, as the standard asks) plus ``mint`` for the admin.  Never deploy it on a
public network: the admin can print money.

Storage layout (one-byte prefixes):

====================  ==================================  =======================================
key                   value                               written by
====================  ==================================  =======================================
0x01                  admin (UInt160)                     _deploy
0x02                  total supply (int)                  mint
0x10 + account        balance (int), deleted at zero      mint, transfer
====================  ==================================  =======================================

Upgrades: ``update`` (admin only), as in IdvRegistry; keep the prefixes.
"""

from typing import Any

from boa3.sc import runtime, storage
from boa3.sc.compiletime import NeoMetadata, public
from boa3.sc.contracts import ContractManagement
from boa3.sc.types import UInt160
from boa3.sc.utils import Nep17TransferEvent, call_contract

ADMIN_KEY = b"\x01"
SUPPLY_KEY = b"\x02"
BALANCE_PREFIX = b"\x10"

SYMBOL = "BDMIT"
DECIMALS = 2  # a fee in cents


def manifest_metadata() -> NeoMetadata:
    """NEP-17; may call any receiver's onNEP17Payment (the standard requires it) and update."""
    meta = NeoMetadata()
    meta.name = "BdmiTestToken"
    meta.description = "BDMI private-network test token (NEP-17, admin mint): tests and demo only"
    meta.supported_standards = ["NEP-17"]
    meta.add_permission(methods=["onNEP17Payment"])
    meta.add_permission(
        contract="0xfffdc93764dbaddd97c48f252a53ea4643faa3fd", methods=["update", "getContract"]
    )
    return meta


on_transfer = Nep17TransferEvent


@public
def _deploy(data: Any, update: bool) -> None:
    """The deployer is the admin (the only one who may mint)."""
    if update:
        return
    storage.put_uint160(ADMIN_KEY, runtime.script_container.sender)


@public
def update(nef_file: bytes, manifest: bytes, data: Any) -> None:
    """Replace the code, keeping hash and balances (admin only)."""
    assert runtime.check_witness(_admin()), "not the admin"
    ContractManagement.update(nef_file, manifest, data)


@public(safe=True)
def symbol() -> str:
    return SYMBOL


@public(safe=True)
def decimals() -> int:
    return DECIMALS


@public(name="totalSupply", safe=True)
def total_supply() -> int:
    return storage.get_int(SUPPLY_KEY)


@public(name="balanceOf", safe=True)
def balance_of(account: UInt160) -> int:
    assert len(account) == 20, "account must be 20 bytes"
    return storage.get_int(BALANCE_PREFIX + account)


@public(safe=True)
def get_admin() -> UInt160:
    return _admin()


@public
def transfer(from_address: UInt160, to_address: UInt160, amount: int, data: Any) -> bool:
    """NEP-17 transfer.  A contract may move its own tokens (it is the calling script), anyone
    else must have signed; either failure returns false, as the standard says."""
    assert len(from_address) == 20, "from must be 20 bytes"
    assert len(to_address) == 20, "to must be 20 bytes"
    assert amount >= 0, "amount must not be negative"
    balance = storage.get_int(BALANCE_PREFIX + from_address)
    if balance < amount:
        return False
    # Nested, not `and`: neo3-boa 1.5 would run CheckWitness even for the calling contract.
    if from_address != runtime.calling_script_hash:  # noqa: SIM102
        if not runtime.check_witness(from_address):
            return False
    if from_address != to_address and amount != 0:
        if balance == amount:
            storage.delete(BALANCE_PREFIX + from_address)
        else:
            storage.put_int(BALANCE_PREFIX + from_address, balance - amount)
        storage.put_int(BALANCE_PREFIX + to_address, balance_of(to_address) + amount)
    on_transfer(from_address, to_address, amount)
    _notify_receiver(from_address, to_address, amount, data)
    return True


@public
def mint(account: UInt160, amount: int) -> None:
    """New tokens for ``account`` (admin only; private networks only)."""
    assert runtime.check_witness(_admin()), "not the admin"
    assert len(account) == 20, "account must be 20 bytes"
    assert amount > 0, "amount must be positive"
    storage.put_int(SUPPLY_KEY, total_supply() + amount)
    storage.put_int(BALANCE_PREFIX + account, balance_of(account) + amount)
    on_transfer(None, account, amount)
    _notify_receiver(None, account, amount, None)


def _notify_receiver(
    from_address: UInt160 | None, to_address: UInt160, amount: int, data: Any
) -> None:
    # NEP-17: a receiving contract is told (and may refuse the transfer by aborting).
    if ContractManagement.get_contract(to_address) is not None:
        call_contract(to_address, "onNEP17Payment", [from_address, amount, data])


def _admin() -> UInt160:
    return storage.get_uint160(ADMIN_KEY)
