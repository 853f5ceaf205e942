"""edge_sync.gateway.chain against IdvRegistry on the real neo-go node: the gateway's view.

The properties that matter to the gateway: a write the VM would refuse is never broadcast (no
GAS spent, nothing on chain) and surfaces as a typed error with the contract's reason; a lost
node is a typed error too; anchors written before a node restart are still there after it.
The fees in contracts/README.md come from ``test_measured_fees``.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from neo3.api.wrappers import ChainFacade, GasToken, GenericContract, PolicyContract
from neo3.contracts import manifest, nef
from neo3.core import types
from neo3.wallet.account import Account

from contracts.build import ContractArtifacts
from edge_sync.gateway import chain
from kiosk.security.device_key import Keyring, create_machine_secret
from tests.contracts.conftest import GAS, GasLog, new_funded_accounts
from tests.harness.neogo import NeoGoNode

pytestmark = pytest.mark.services

FAST = {"receipt_timeout": 15.0, "receipt_retry_delay": 0.05}


def run[T](coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@dataclass(frozen=True)
class Deployment:
    node: NeoGoNode
    facade: ChainFacade
    contract_hash: types.UInt160
    admin: Account
    gateway: Account
    outsider: Account
    artifacts: ContractArtifacts

    def client(
        self, gateway: Account | None = None, admin: Account | None = None
    ) -> chain.IdvRegistryClient:
        return chain.IdvRegistryClient(
            self.facade,
            self.contract_hash,
            gateway or self.gateway,
            admin_account=admin or self.admin,
            **FAST,
        )


@pytest.fixture(scope="module")
def deployment(_neo_session: NeoGoNode, registry_artifacts: ContractArtifacts) -> Deployment:
    """Deployed by the (multisig) committee account, with another account named admin in the
    ``_deploy`` data; the gateway is then set through the client."""
    admin, gateway, outsider = new_funded_accounts(_neo_session, 3)
    facade = _neo_session.facade()
    contract_hash = run(
        chain.deploy(
            facade,
            _neo_session.committee_account(),
            registry_artifacts.nef,
            registry_artifacts.manifest,
            admin=f"0x{admin.script_hash}",
            **FAST,
        )
    )
    found = Deployment(
        _neo_session, facade, contract_hash, admin, gateway, outsider, registry_artifacts
    )
    run(found.client().set_gateway(gateway.script_hash))
    return found


@pytest.fixture
def running(deployment: Deployment, neo_node: NeoGoNode) -> Iterator[Deployment]:
    """The deployment, with the node restarted after the test if the test stopped it."""
    assert neo_node is deployment.node
    yield deployment


async def gas_balance(facade: ChainFacade, account: Account) -> int:
    return (await facade.test_invoke(GasToken().balance_of(account.script_hash))).result


def wait_blocks(node: NeoGoNode, blocks: int) -> None:
    target = node.block_count() + blocks
    deadline = time.monotonic() + 15
    while node.block_count() < target:
        assert time.monotonic() < deadline, "the chain stopped growing"
        time.sleep(0.05)


def test_deploy_names_the_admin_and_refuses_a_second_deploy(deployment: Deployment) -> None:
    client = deployment.client()
    assert run(client.get_admin()) == deployment.admin.script_hash
    assert run(client.get_gateway()) == deployment.gateway.script_hash
    with pytest.raises(chain.InvocationRefused) as refused:
        run(
            chain.deploy(
                deployment.facade,
                deployment.node.committee_account(),
                deployment.artifacts.nef,
                deployment.artifacts.manifest,
                **FAST,
            )
        )
    assert "contract already exists" in refused.value.reason


def test_anchor_and_read_it_back(deployment: Deployment) -> None:
    client = deployment.client()
    batch_id, root = uuid.uuid4(), bytes(range(32))
    receipt = run(client.anchor(batch_id, root, 5))
    for key in (batch_id, str(batch_id), batch_id.bytes):
        anchor = run(client.get_anchor(key))
        assert anchor is not None
        assert (anchor.merkle_root, anchor.count) == (root, 5)
        assert anchor.block_index == receipt.block_index
        assert anchor.block_time_ms > 1_700_000_000_000
    assert run(client.get_anchor(uuid.uuid4())) is None


@pytest.mark.parametrize("case", ["double anchor", "short root", "zero count", "not the gateway"])
def test_a_faulting_anchor_is_never_broadcast(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    client = deployment.client()
    batch_id = uuid.uuid4()
    if case == "double anchor":
        run(client.anchor(batch_id, b"\x01" * 32, 1))
    sender = deployment.outsider if case == "not the gateway" else deployment.gateway
    client = deployment.client(gateway=sender)
    root, count, reason = {
        "double anchor": (b"\x02" * 32, 1, "batch already anchored"),
        "short root": (b"\x02" * 31, 1, "merkle_root must be 32 bytes"),
        "zero count": (b"\x02" * 32, 0, "count must be positive"),
        "not the gateway": (b"\x02" * 32, 1, "not the gateway"),
    }[case]
    broadcasts: list[object] = []
    send = deployment.facade.invoke_fast

    async def spy(*args: Any, **kwargs: Any) -> types.UInt256:
        broadcasts.append(args)
        return await send(*args, **kwargs)

    monkeypatch.setattr(deployment.facade, "invoke_fast", spy)
    before = run(gas_balance(deployment.facade, sender))

    with pytest.raises(chain.InvocationRefused) as refused:
        run(client.anchor(batch_id, root, count))

    assert refused.value.reason == reason
    assert refused.value.method == "anchor"
    assert "ASSERTMSG" in refused.value.vm_exception
    assert broadcasts == []
    assert deployment.node.rpc("getrawmempool") == []
    wait_blocks(deployment.node, 2)  # had anything been sent, it would be in a block by now
    assert run(gas_balance(deployment.facade, sender)) == before
    anchor = run(client.get_anchor(batch_id))
    if case == "double anchor":
        assert anchor is not None
        assert anchor.merkle_root == b"\x01" * 32
    else:
        assert anchor is None


def test_device_lifecycle_with_a_real_device_key(deployment: Deployment, tmp_path: Path) -> None:
    client = deployment.client()
    keyring = Keyring(tmp_path / "keys", create_machine_secret(tmp_path / "secret"))
    first = keyring.create()
    run(client.register_device(first.device_id, first.public_key, "H-0100"))

    device = run(client.get_device(first.device_id))
    assert device is not None
    assert (device.active, device.site, device.key_count) == (True, "H-0100", 1)
    assert f"0x{device.key_id}" == first.key_id
    assert device.public_key == first.public_key
    assert run(client.is_active_key(first.key_id)) is True
    payload = b"canonical result bytes"
    old_signature = first.sign(payload)
    assert run(client.verify_result(payload, old_signature, first.key_id)) is True

    second = keyring.rotate()
    assert second.device_id == first.device_id
    run(client.rotate_key(first.device_id, second.public_key))
    assert run(client.is_active_key(first.key_id)) is False
    assert run(client.is_active_key(second.key_id)) is True
    retired = run(client.get_key(first.key_id))
    assert retired is not None
    assert (retired.active, retired.index, retired.public_key) == (False, 0, first.public_key)
    assert f"0x{retired.device_id}" == first.device_id
    assert run(client.verify_result(payload, old_signature, first.key_id)) is True
    assert run(client.verify_result(payload, second.sign(payload), second.key_id)) is True

    run(client.revoke_device(first.device_id))
    device = run(client.get_device(first.device_id))
    assert device is not None
    assert device.status == chain.DEVICE_REVOKED
    assert run(client.is_active_key(second.key_id)) is False
    with pytest.raises(chain.InvocationRefused, match="device already revoked"):
        run(client.revoke_device(first.device_id))
    assert run(client.get_key("0x" + secrets.token_hex(20))) is None


def test_writes_need_the_right_account(deployment: Deployment) -> None:
    gateway_only = chain.IdvRegistryClient(
        deployment.facade, deployment.contract_hash, deployment.gateway, **FAST
    )
    with pytest.raises(chain.ChainError, match="no admin account"):
        run(gateway_only.revoke_device(deployment.admin.script_hash))
    admin_only = chain.IdvRegistryClient(
        deployment.facade, deployment.contract_hash, None, admin_account=deployment.admin, **FAST
    )
    with pytest.raises(chain.ChainError, match="no gateway account"):
        run(admin_only.anchor(uuid.uuid4(), bytes(32), 1))
    # the gateway key cannot administer the registry
    wrong_admin = deployment.client(admin=deployment.gateway)
    with pytest.raises(chain.InvocationRefused, match="not the admin"):
        run(wrong_admin.set_gateway(deployment.outsider.script_hash))


def test_anchors_survive_a_node_restart(running: Deployment) -> None:
    node, client = running.node, running.client()
    before_restart, after_restart = uuid.uuid4(), uuid.uuid4()
    first = run(client.anchor(before_restart, b"\xaa" * 32, 3))

    node.stop()
    with pytest.raises(chain.NodeUnavailable) as down:
        run(client.anchor(after_restart, b"\xbb" * 32, 4))
    assert down.value.tx_hash is None  # nothing was sent
    with pytest.raises(chain.NodeUnavailable):
        run(client.get_anchor(before_restart))

    node.start()
    second = run(client.anchor(after_restart, b"\xbb" * 32, 4))
    old, new = run(client.get_anchor(before_restart)), run(client.get_anchor(after_restart))
    assert old == chain.Anchor(b"\xaa" * 32, 3, first.block_index, old.block_time_ms)
    assert new == chain.Anchor(b"\xbb" * 32, 4, second.block_index, new.block_time_ms)
    assert first.block_index < second.block_index
    assert old.block_time_ms < new.block_time_ms


def test_measured_fees(
    _neo_session: NeoGoNode, registry_artifacts: ContractArtifacts, gas_log: GasLog
) -> None:
    """Every write once, by single-signature accounts, on a fresh deployment; reads as test
    invocations.  Recorded in the GAS log (``BDMI_GAS_REPORT``) for contracts/README.md."""
    admin, gateway, successor = new_funded_accounts(_neo_session, 3)
    facade = _neo_session.facade()

    async def measure() -> None:
        deploy = GenericContract.deploy(
            nef.NEF.from_file(str(registry_artifacts.nef)),
            manifest.ContractManifest.from_file(str(registry_artifacts.manifest)),
        )
        receipt, contract_hash = await chain.checked_invoke(
            facade, deploy, [chain.signing_pair(admin)], "deploy", **FAST
        )
        await gas_log.record_tx(facade, "deploy", receipt.tx_hash)
        assert isinstance(contract_hash, types.UInt160)
        client = chain.IdvRegistryClient(
            facade, contract_hash, gateway, admin_account=admin, **FAST
        )
        with pytest.raises(chain.InvocationRefused, match="no gateway set"):
            await client.anchor(uuid.uuid4(), bytes(32), 1)

        async def record(method: str, write: Coroutine[Any, Any, chain.TxReceipt]) -> None:
            await gas_log.record_tx(facade, method, (await write).tx_hash)

        device, rotated = Account.create_new(), Account.create_new()
        batch_id = uuid.uuid4()
        await record("set_gateway", client.set_gateway(gateway.script_hash))
        await record(
            "register_device",
            client.register_device(device.script_hash, device.public_key, "H-0001"),
        )
        await record("rotate_key", client.rotate_key(device.script_hash, rotated.public_key))
        await record("anchor", client.anchor(batch_id, bytes(range(32)), 1000))

        payload = b"x" * 600  # about the size of a canonical result
        reads: list[tuple[str, list[Any]]] = [
            ("get_admin", []),
            ("get_gateway", []),
            ("get_device", [device.script_hash]),
            ("get_device_key", [device.script_hash, 1]),
            ("get_key", [device.script_hash]),
            ("is_active_key", [rotated.script_hash]),
            ("verify_result", [payload, rotated.sign(payload), rotated.script_hash]),
            ("get_anchor", [batch_id.bytes]),
        ]
        contract = GenericContract(contract_hash)
        for method, args in reads:
            result = await facade.test_invoke(contract.call_function(method, args))
            assert result.state == "HALT", result.exception
            gas_log.record_test(method, result.gas_consumed)

        # revoke last (it ends the device); set_admin needs both admins' witnesses
        await record("revoke_device", client.revoke_device(device.script_hash))
        hand_over = contract.call_function("set_admin", [successor.script_hash])
        receipt, _ = await chain.checked_invoke(
            facade,
            hand_over,
            [chain.signing_pair(admin), chain.signing_pair(successor)],
            "set_admin",
            **FAST,
        )
        await gas_log.record_tx(facade, "set_admin", receipt.tx_hash)

    async def policy() -> dict[str, int]:
        contract = PolicyContract()
        calls = {
            "exec_fee_factor": contract.exec_fee_factor(),
            "fee_per_byte": contract.fee_per_byte(),
            "storage_price": contract.storage_price(),
        }
        return {name: (await facade.test_invoke(call)).result for name, call in calls.items()}

    run(measure())
    gas_log.policy = run(policy())
    anchor = gas_log.entries["anchor"]
    # budget guard for the gateway: one anchor per batch stays well under 0.5 GAS
    assert 0 < anchor.system_fee + anchor.network_fee < GAS // 2
    assert gas_log.entries["verify_result"].system_fee > 0
