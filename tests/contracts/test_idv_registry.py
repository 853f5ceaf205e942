"""IdvRegistry on a real neo-go node, driven through boa-test-constructor's ``call``.

One deployment per module; every test works on its own devices and batch ids, and a test that
changes the admin or the gateway puts it back.  Refusals are checked with *test* invocations
carrying the would-be signer (the witness check and the VM assertion are the same as in a
block), except one that is broadcast on purpose to show why the gateway must never skip the
test invocation.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from boaconstructor import AssertException, SmartContractTestCase
from neo3.api import noderpc
from neo3.api.wrappers import ChainFacade, GasToken, GenericContract
from neo3.contracts import manifest, nef
from neo3.core import cryptography, types
from neo3.network.payloads.verification import Signer
from neo3.wallet.account import Account

from contracts.build import ContractArtifacts
from edge_sync.gateway.chain import signing_pair
from kiosk.security.device_key import Keyring, create_machine_secret
from tests.contracts.boa import bound_case
from tests.contracts.conftest import GasLog, new_funded_accounts
from tests.harness.neogo import NeoGoNode

pytestmark = pytest.mark.services

ACTIVE, REVOKED = 1, 2


def run[T](coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@dataclass(frozen=True)
class Registry:
    case: type[SmartContractTestCase]
    facade: ChainFacade
    contract_hash: types.UInt160
    admin: Account
    gateway: Account
    outsider: Account
    artifacts: ContractArtifacts

    def call(self, method: str, args: list[Any] | None = None, **kwargs: Any) -> Any:
        """boa-test-constructor ``call`` (test invocation unless ``signing_accounts``)."""
        kwargs.setdefault("return_type", list)
        return run(self.case.call(method, args, **kwargs))

    def send(self, method: str, args: list[Any], *signers: Account) -> list[noderpc.Notification]:
        """A signed transaction; returns its notifications (boa raises on FAULT)."""
        _, notifications = self.call(method, args, return_type=None, signing_accounts=list(signers))
        return notifications

    def refusal(self, method: str, args: list[Any], *signers: Account) -> str:
        """The contract's reason for refusing ``method`` signed by ``signers`` (test invocation)."""
        with pytest.raises(AssertException) as refused:
            self.call(
                method,
                args,
                return_type=None,
                signers=[Signer(s.script_hash) for s in signers],
            )
        return str(refused.value)


@pytest.fixture(scope="module")
def registry(_neo_session: NeoGoNode, registry_artifacts: ContractArtifacts) -> Registry:
    admin, gateway, outsider = new_funded_accounts(_neo_session, 3)
    facade = _neo_session.facade()
    case = bound_case(facade)
    contract_hash = run(case.deploy(str(registry_artifacts.nef), admin))
    assert isinstance(contract_hash, types.UInt160)
    case.contract_hash = contract_hash
    registry = Registry(case, facade, contract_hash, admin, gateway, outsider, registry_artifacts)
    registry.send("set_gateway", [gateway.script_hash], admin)
    return registry


def new_device() -> Account:
    return Account.create_new()


def public_key(account: Account) -> cryptography.ECPoint:
    assert account.public_key is not None
    return account.public_key


def register(registry: Registry, device: Account, site: str = "H-0001") -> None:
    registry.send("register_device", [device.script_hash, public_key(device), site], registry.admin)


def events(notifications: list[noderpc.Notification], name: str) -> list[list[noderpc.StackItem]]:
    return [n.state.as_list() for n in notifications if n.event_name == name]


def batch() -> bytes:
    return uuid.uuid4().bytes


# Administration ----------------------------------------------------------------------------------
def test_deployer_is_admin_and_gateway_is_set(registry: Registry) -> None:
    admin, _ = registry.call("get_admin", return_type=types.UInt160)
    gateway, _ = registry.call("get_gateway", return_type=types.UInt160)
    assert admin == registry.admin.script_hash
    assert gateway == registry.gateway.script_hash


@pytest.mark.parametrize(
    "method",
    ["register_device", "revoke_device", "rotate_key", "set_gateway", "set_admin", "update"],
)
def test_admin_methods_refuse_everyone_else(registry: Registry, method: str) -> None:
    device = new_device()
    args: dict[str, list[Any]] = {
        "register_device": [device.script_hash, public_key(device), "H-0001"],
        "revoke_device": [device.script_hash],
        "rotate_key": [device.script_hash, public_key(new_device())],
        "set_gateway": [registry.outsider.script_hash],
        "set_admin": [registry.outsider.script_hash],
        "update": [registry.artifacts.nef.read_bytes(), b"{}", None],
    }
    for signer in (registry.outsider, registry.gateway):
        assert registry.refusal(method, args[method], signer) == "not the admin"


def test_set_admin_needs_the_new_admin_to_cosign(registry: Registry) -> None:
    admin, successor = registry.admin, registry.outsider
    reason = registry.refusal("set_admin", [successor.script_hash], admin)
    assert reason == "the new admin must co-sign"

    notifications = registry.send("set_admin", [successor.script_hash], admin, successor)
    try:
        [[old, new]] = events(notifications, "AdminChanged")
        assert (old.as_uint160(), new.as_uint160()) == (admin.script_hash, successor.script_hash)
        assert registry.refusal("set_gateway", [admin.script_hash], admin) == "not the admin"
    finally:
        registry.send("set_admin", [admin.script_hash], successor, admin)
    current, _ = registry.call("get_admin", return_type=types.UInt160)
    assert current == admin.script_hash


def test_set_gateway_moves_the_right_to_anchor(registry: Registry) -> None:
    old, new = registry.gateway, registry.outsider
    notifications = registry.send("set_gateway", [new.script_hash], registry.admin)
    try:
        [[gateway]] = events(notifications, "GatewayChanged")
        assert gateway.as_uint160() == new.script_hash
        args = [batch(), bytes(32), 1]
        assert registry.refusal("anchor", args, old) == "not the gateway"
        registry.call("anchor", args, return_type=None, signers=[Signer(new.script_hash)])
    finally:
        registry.send("set_gateway", [old.script_hash], registry.admin)


def test_update_by_admin_keeps_hash_and_storage(registry: Registry, gas_log: GasLog) -> None:
    device = new_device()
    register(registry, device)
    contract = GenericContract(registry.contract_hash)
    call = contract.update(
        nef=nef.NEF.from_file(str(registry.artifacts.nef)),
        manifest=manifest.ContractManifest.from_file(str(registry.artifacts.manifest)),
    )
    receipt = run(registry.facade.invoke(call, signers=[signing_pair(registry.admin)]))
    assert receipt.state == "HALT", receipt.exception
    assert [n.event_name for n in receipt.notifications] == ["Update"]
    assert receipt.notifications[0].state.as_list()[0].as_uint160() == registry.contract_hash
    run(gas_log.record_tx(registry.facade, "update", receipt.tx_hash))
    info, _ = registry.call("get_device", [device.script_hash])
    assert info[0].as_int() == ACTIVE


# Devices -----------------------------------------------------------------------------------------
def test_register_device_stores_its_first_key(registry: Registry) -> None:
    device = new_device()
    key = public_key(device).encode_point(True)
    notifications = registry.send(
        "register_device", [device.script_hash, public_key(device), "H-0042"], registry.admin
    )
    [[device_id, key_id, event_key, site]] = events(notifications, "DeviceRegistered")
    assert device_id.as_uint160() == key_id.as_uint160() == device.script_hash
    assert (event_key.as_bytes(), site.as_str()) == (key, "H-0042")

    status, site, current, current_key, key_count = registry.call(
        "get_device", [device.script_hash]
    )[0]
    assert (status.as_int(), site.as_str(), key_count.as_int()) == (ACTIVE, "H-0042", 1)
    assert current.as_uint160() == device.script_hash
    assert current_key.as_bytes() == key

    owner, stored_key, active, index = registry.call("get_key", [device.script_hash])[0]
    assert owner.as_uint160() == device.script_hash
    assert (stored_key.as_bytes(), active.as_bool(), index.as_int()) == (key, True, 0)
    assert registry.call("is_active_key", [device.script_hash], return_type=bool)[0] is True
    first, _ = registry.call("get_device_key", [device.script_hash, 0], return_type=types.UInt160)
    assert first == device.script_hash
    none, _ = registry.call("get_device_key", [device.script_hash, 1], return_type=None)
    assert none is None


def test_register_device_refusals(registry: Registry) -> None:
    device, other = new_device(), new_device()
    admin = registry.admin
    mismatch = [device.script_hash, public_key(other), "H-0001"]
    assert registry.refusal("register_device", mismatch, admin) == (
        "device_id is not the script hash of this key"
    )
    too_long = "site code must be 1..64 characters"
    for site in ("", "H" * 65):
        args = [device.script_hash, public_key(device), site]
        assert registry.refusal("register_device", args, admin) == too_long
    short_key = [device.script_hash, public_key(device).encode_point(True)[:32], "H-0001"]
    assert registry.refusal("register_device", short_key, admin) == (
        "public key must be a compressed point"
    )
    register(registry, device)
    again = [device.script_hash, public_key(device), "H-0002"]
    assert registry.refusal("register_device", again, admin) == "device already registered"


def test_unknown_device_and_key_read_empty(registry: Registry) -> None:
    stranger = new_device().script_hash
    assert registry.call("get_device", [stranger])[0] == []
    assert registry.call("get_key", [stranger])[0] == []
    assert registry.call("is_active_key", [stranger], return_type=bool)[0] is False
    assert registry.refusal("revoke_device", [stranger], registry.admin) == "unknown device"
    rotate = [stranger, public_key(new_device())]
    assert registry.refusal("rotate_key", rotate, registry.admin) == "unknown device"


def test_rotate_key_retires_the_old_key_but_keeps_it(registry: Registry) -> None:
    device, successor = new_device(), new_device()
    register(registry, device)
    payload = b"result signed before the rotation"
    old_signature = device.sign(payload)

    notifications = registry.send(
        "rotate_key", [device.script_hash, public_key(successor)], registry.admin
    )
    [[device_id, old_id, new_id, new_key]] = events(notifications, "KeyRotated")
    assert device_id.as_uint160() == old_id.as_uint160() == device.script_hash
    assert new_id.as_uint160() == successor.script_hash
    assert new_key.as_bytes() == public_key(successor).encode_point(True)

    _, _, current, _, key_count = registry.call("get_device", [device.script_hash])[0]
    assert (current.as_uint160(), key_count.as_int()) == (successor.script_hash, 2)
    is_active = [
        registry.call("is_active_key", [key.script_hash], return_type=bool)[0]
        for key in (device, successor)
    ]
    assert is_active == [False, True]
    owner, old_key, active, index = registry.call("get_key", [device.script_hash])[0]
    assert owner.as_uint160() == device.script_hash
    assert old_key.as_bytes() == public_key(device).encode_point(True)
    assert (active.as_bool(), index.as_int()) == (False, 0)
    assert registry.call("get_key", [successor.script_hash])[0][3].as_int() == 1
    for index, key in enumerate((device, successor)):
        found, _ = registry.call(
            "get_device_key", [device.script_hash, index], return_type=types.UInt160
        )
        assert found == key.script_hash
    # a result signed before the rotation is still verifiable against the retired key
    verified, _ = registry.call(
        "verify_result", [payload, old_signature, device.script_hash], return_type=bool
    )
    assert verified is True
    # a key can belong to one device only, once
    again = [device.script_hash, public_key(successor)]
    assert registry.refusal("rotate_key", again, registry.admin) == "key already registered"


def test_revoked_device_has_no_active_key(registry: Registry) -> None:
    device = new_device()
    register(registry, device)
    notifications = registry.send("revoke_device", [device.script_hash], registry.admin)
    [[device_id, key_id]] = events(notifications, "DeviceRevoked")
    assert device_id.as_uint160() == key_id.as_uint160() == device.script_hash

    assert registry.call("get_device", [device.script_hash])[0][0].as_int() == REVOKED
    assert registry.call("is_active_key", [device.script_hash], return_type=bool)[0] is False
    assert registry.call("get_key", [device.script_hash])[0][2].as_bool() is False
    admin = registry.admin
    assert registry.refusal("revoke_device", [device.script_hash], admin) == (
        "device already revoked"
    )
    rotate = [device.script_hash, public_key(new_device())]
    assert registry.refusal("rotate_key", rotate, admin) == "device is revoked"


def test_verify_result_with_a_real_device_signature(registry: Registry, tmp_path: Path) -> None:
    key = Keyring(tmp_path / "keys", create_machine_secret(tmp_path / "secret")).create()
    device_id = types.UInt160.from_string(key.device_id)
    registry.send("register_device", [device_id, key.public_key, "H-0007"], registry.admin)
    key_id = types.UInt160.from_string(key.key_id)
    payload = b'{"decision":"pass","result_id":"0190f0c2-7a4e-7c1d-9d1e-3a5b6c7d8e9f"}'
    signature = key.sign(payload)
    assert len(signature) == 64

    def verify(data: bytes, sig: bytes, kid: types.UInt160) -> bool:
        return registry.call("verify_result", [data, sig, kid], return_type=bool)[0]

    assert verify(payload, signature, key_id) is True
    assert verify(payload + b" ", signature, key_id) is False
    assert verify(payload, bytes([signature[0] ^ 1]) + signature[1:], key_id) is False
    assert verify(payload, signature[:63], key_id) is False
    other = new_device()
    register(registry, other)
    assert verify(payload, signature, other.script_hash) is False
    assert verify(payload, signature, new_device().script_hash) is False


# Anchoring ---------------------------------------------------------------------------------------
def test_anchor_by_the_gateway_is_stored_and_announced(registry: Registry) -> None:
    batch_id, root = batch(), bytes(range(32))
    notifications = registry.send("anchor", [batch_id, root, 7], registry.gateway)
    [[event_batch, event_root, count]] = events(notifications, "Anchored")
    assert (event_batch.as_bytes(), event_root.as_bytes(), count.as_int()) == (batch_id, root, 7)

    stored_root, stored_count, height, time_ms = registry.call("get_anchor", [batch_id])[0]
    assert (stored_root.as_bytes(), stored_count.as_int()) == (root, 7)
    assert 0 < height.as_int() <= run(_block_count(registry.facade))
    assert time_ms.as_int() > 1_700_000_000_000


def test_anchor_refusals(registry: Registry) -> None:
    gateway = registry.gateway
    batch_id, root = batch(), b"\x11" * 32
    for signer in (registry.admin, registry.outsider):
        assert registry.refusal("anchor", [batch_id, root, 1], signer) == "not the gateway"
    for bad_root in (b"", b"\x11" * 31, b"\x11" * 33):
        args = [batch_id, bad_root, 1]
        assert registry.refusal("anchor", args, gateway) == "merkle_root must be 32 bytes"
    for count in (0, -1):
        assert registry.refusal("anchor", [batch_id, root, count], gateway) == (
            "count must be positive"
        )
    assert registry.refusal("anchor", [batch_id[:15], root, 1], gateway) == (
        "batch_id must be 16 bytes"
    )
    registry.send("anchor", [batch_id, root, 1], gateway)
    again = [batch_id, b"\x22" * 32, 2]
    assert registry.refusal("anchor", again, gateway) == "batch already anchored"
    stored_root, stored_count, _, _ = registry.call("get_anchor", [batch_id])[0]
    assert (stored_root.as_bytes(), stored_count.as_int()) == (root, 1)


def test_unknown_batch_reads_empty(registry: Registry) -> None:
    assert registry.call("get_anchor", [batch()])[0] == []


def test_a_refused_anchor_broadcast_anyway_costs_gas_and_changes_nothing(
    registry: Registry,
) -> None:
    """What the gateway client prevents: neo-mamba's ``invoke`` (used by boa-test-constructor's
    ``call`` with signers) broadcasts a script that FAULTs; the sender pays for nothing."""
    outsider, batch_id = registry.outsider, batch()
    balance = GasToken().balance_of(outsider.script_hash)
    before = run(registry.facade.test_invoke(balance)).result
    with pytest.raises(AssertException, match="not the gateway"):
        registry.send("anchor", [batch_id, b"\x33" * 32, 1], outsider)
    after = run(registry.facade.test_invoke(balance)).result
    assert after < before
    assert registry.call("get_anchor", [batch_id])[0] == []


def test_storage_holds_only_the_documented_prefixes(registry: Registry) -> None:
    """No personal data on chain: every entry is one of the documented records."""
    register(registry, new_device())
    registry.send("anchor", [batch(), bytes(32), 1], registry.gateway)
    storage = run(registry.case.get_storage())
    prefixes = {key[:1] for key in storage}
    assert prefixes <= {b"\x01", b"\x02", b"\x10", b"\x11", b"\x20", b"\x30"}
    lengths = {prefix: {len(k) for k in storage if k[:1] == prefix} for prefix in prefixes}
    assert lengths[b"\x01"] == lengths[b"\x02"] == {1}
    assert lengths[b"\x10"] == lengths[b"\x20"] == {21}
    assert lengths[b"\x11"] == {25}
    assert lengths[b"\x30"] == {17}


async def _block_count(facade: ChainFacade) -> int:
    async with noderpc.NeoRpcClient(facade.rpc_host) as client:
        return await client.get_block_count()
