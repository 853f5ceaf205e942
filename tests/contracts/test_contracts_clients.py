"""edge_sync.gateway.contracts_clients against FeeSettlement, ConsentRegistry and the test token on
the real neo-go node: typed results, the contracts' reasons as ``InvocationRefused``, and no refused
write ever broadcast (``invoke_fast``, the only way a transaction leaves, is watched).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from neo3.api.wrappers import ChainFacade, GasToken
from neo3.core import types
from neo3.wallet.account import Account

from contracts.build import ContractArtifacts
from edge_sync.gateway import chain
from edge_sync.gateway.contracts_clients import (
    ConsentRegistryClient,
    SettlementClient,
    SettlementConfig,
    TestTokenClient,
)
from tests.contracts.conftest import new_funded_accounts
from tests.harness.neogo import NeoGoNode

pytestmark = pytest.mark.services

FAST = {"receipt_timeout": 15.0, "receipt_retry_delay": 0.05}
FEE = 40


def run[T](coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@dataclass(frozen=True)
class Clients:
    facade: ChainFacade
    registry: chain.IdvRegistryClient
    settlement: SettlementClient
    consents: ConsentRegistryClient
    token: TestTokenClient
    admin: Account
    gateway: Account
    payer: Account
    insurer: Account
    payees: tuple[Account, Account]


@pytest.fixture(scope="module")
def clients(
    _neo_session: NeoGoNode,
    registry_artifacts: ContractArtifacts,
    settlement_artifacts: ContractArtifacts,
    data_registry_artifacts: ContractArtifacts,
    token_artifacts: ContractArtifacts,
) -> Clients:
    admin, gateway, payer, insurer = new_funded_accounts(_neo_session, 4)
    payees = (Account.create_new(), Account.create_new())
    facade = _neo_session.facade()
    built = (registry_artifacts, settlement_artifacts, data_registry_artifacts, token_artifacts)

    async def setup() -> Clients:
        hashes = [await chain.deploy(facade, admin, a.nef, a.manifest, **FAST) for a in built]
        found = Clients(
            facade,
            chain.IdvRegistryClient(facade, hashes[0], gateway, admin_account=admin, **FAST),
            SettlementClient(facade, hashes[1], admin_account=admin, **FAST),
            ConsentRegistryClient(facade, hashes[2], gateway, admin_account=admin, **FAST),
            TestTokenClient(facade, hashes[3], admin_account=admin, **FAST),
            admin, gateway, payer, insurer, payees,
        )  # fmt: skip
        await found.registry.set_gateway(gateway.script_hash)
        await found.consents.set_gateway(gateway.script_hash)
        assert await found.settlement.get_config() is None
        assert await found.settlement.get_shares() == []
        await found.settlement.configure(hashes[0], f"0x{hashes[3]}", FEE)
        await found.settlement.set_shares(
            [(p.script_hash, bps) for p, bps in zip(payees, (4000, 6000), strict=True)]
        )
        await found.token.mint(payer.script_hash, 10_000)
        return found

    return run(setup())


@pytest.fixture
def broadcasts(clients: Clients, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    sent: list[object] = []
    send = clients.facade.invoke_fast

    async def spy(*args: Any, **kwargs: Any) -> types.UInt256:
        sent.append(args)
        return await send(*args, **kwargs)

    monkeypatch.setattr(clients.facade, "invoke_fast", spy)
    yield sent


def gas(clients: Clients, account: Account) -> int:
    return run(clients.facade.test_invoke(GasToken().balance_of(account.script_hash))).result


def test_settlement_configuration_and_a_payment_round_trip(clients: Clients) -> None:
    s = clients.settlement
    registry, token = clients.registry.contract_hash, clients.token.contract_hash
    config = run(s.get_config())
    assert config == SettlementConfig(registry, token, FEE)
    assert run(s.get_shares()) == [(clients.payees[0].script_hash, 4000),
                                   (clients.payees[1].script_hash, 6000)]  # fmt: skip
    paid_before = run(clients.token.balance_of(clients.payer.script_hash))
    payees_before = [run(clients.token.balance_of(p.script_hash)) for p in clients.payees]
    batch = uuid.uuid4()
    run(clients.registry.anchor(batch, bytes(32), 3))

    receipt = run(s.settle(clients.payer, batch, 3, config))

    assert receipt.block_index > 0
    record = run(s.get_settlement(str(batch), f"0x{clients.payer.script_hash}"))
    assert record is not None and (record.amount, record.count) == (3 * FEE, 3)
    assert run(s.get_settled_count(batch)) == 3
    payees_after = [run(clients.token.balance_of(p.script_hash)) for p in clients.payees]
    assert [a - b for a, b in zip(payees_after, payees_before, strict=True)] == [48, 72]
    assert run(clients.token.balance_of(clients.payer.script_hash)) == paid_before - 3 * FEE


@pytest.mark.parametrize("case", ["double", "short balance", "not anchored"])
def test_a_payment_the_chain_would_refuse_is_never_sent(
    clients: Clients, broadcasts: list[object], case: str
) -> None:
    s = clients.settlement
    config = run(s.get_config())
    assert config is not None
    batch = uuid.uuid4()
    payer = clients.payer
    if case != "not anchored":
        run(clients.registry.anchor(batch, bytes(32), 2))
    if case == "double":
        run(s.settle(payer, batch, 1, config))
    if case == "short balance":
        payer = clients.insurer  # GAS, but no tokens
    broadcasts.clear()
    before = gas(clients, payer)
    with pytest.raises(chain.InvocationRefused) as refused:
        run(s.settle(payer, batch, 1, config))
    assert (
        refused.value.reason
        == {
            "double": "batch already settled by this payer",
            "short balance": "transfer returned false",
            "not anchored": "batch not anchored",
        }[case]
    )
    assert broadcasts == []
    assert gas(clients, payer) == before


def test_consents_through_the_client(clients: Clients, broadcasts: list[object]) -> None:
    c = clients.consents
    assert run(c.get_gateway()) == clients.gateway.script_hash
    party = clients.insurer.script_hash
    expires = int(time.time() * 1000) + 86_400_000
    subject, scope = hashlib.sha256(b"s").digest(), hashlib.sha256(b"terms").digest()
    first, second = uuid.uuid4(), uuid.uuid4()
    for consent_id in (first, second):
        run(c.record_consent(consent_id, subject, party, scope, expires))
    info = run(c.get_consent(str(first)))
    assert info is not None
    assert (info.subject_ref, info.relying_party, info.scope_hash) == (subject, party, scope)
    assert (info.expires_ms, info.revoked) == (expires, False)
    assert run(c.is_valid(first)) is True
    assert run(c.count_consents(party)) == 2
    assert run(c.get_consents(party, 0, 1)) == [first]
    assert run(c.get_consents(party, 1, 5)) == [second]

    run(c.revoke_consent(first, by=clients.insurer))  # the relying party itself
    revoked = run(c.get_consent(first))
    assert revoked is not None and revoked.revoked and run(c.is_valid(first)) is False

    broadcasts.clear()
    with pytest.raises(chain.InvocationRefused, match="consent already recorded"):
        run(c.record_consent(second, subject, party, scope, expires))
    with pytest.raises(chain.InvocationRefused, match="consent already revoked"):
        run(c.revoke_consent(first))
    outsider = ConsentRegistryClient(clients.facade, c.contract_hash, clients.payer, **FAST)
    with pytest.raises(chain.InvocationRefused, match="not the gateway"):
        run(outsider.record_consent(uuid.uuid4(), subject, party, scope, expires))
    with pytest.raises(chain.InvocationRefused, match="consent already expired"):
        run(c.record_consent(uuid.uuid4(), subject, party, scope, 1))
    assert broadcasts == []
    assert run(c.get_consent(uuid.uuid4())) is None


def test_writes_need_the_right_account(clients: Clients) -> None:
    reader = SettlementClient(clients.facade, clients.settlement.contract_hash, **FAST)
    with pytest.raises(chain.ChainError, match="no admin account"):
        run(reader.configure(clients.registry.contract_hash, clients.token.contract_hash, 1))
    anonymous = ConsentRegistryClient(clients.facade, clients.consents.contract_hash, None, **FAST)
    with pytest.raises(chain.ChainError, match="no gateway account"):
        run(anonymous.revoke_consent(uuid.uuid4()))
    wrong_admin = TestTokenClient(clients.facade, clients.token.contract_hash,
                                  admin_account=clients.gateway, **FAST)  # fmt: skip
    with pytest.raises(chain.InvocationRefused, match="not the admin"):
        run(wrong_admin.mint(clients.gateway.script_hash, 5))
