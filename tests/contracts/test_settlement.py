"""FeeSettlement and the test token on a real neo-go node, through boa-test-constructor.

One deployment per module: an IdvRegistry (whose anchors the settlement checks by
``Contract.call``), the BdmiTestToken and FeeSettlement, configured by their admin with three
payees (operator 20 %, hospital 50 %, insurer 30 %).  Every test anchors its own batches.
A payment is what a relying party really does: ``token.transfer(payer, settlement, amount,
[batch_id, count])`` signed by the payer; the token calls ``onNEP17Payment``.  Refusals are
test invocations with the would-be signer, so they show the contract's reason and change
nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from neo3.api import noderpc
from neo3.api.wrappers import GenericContract
from neo3.contracts import manifest, nef
from neo3.core import types
from neo3.wallet.account import Account

from contracts.build import ContractArtifacts
from edge_sync.gateway.chain import signing_pair
from tests.contracts.boa import Caller, bound_case, events, run
from tests.contracts.conftest import new_funded_accounts
from tests.harness.neogo import NeoGoNode

pytestmark = pytest.mark.services

FEE = 150  # token units (cents) per result
SHARES = [2000, 5000, 3000]  # operator, hospital, insurer
MINTED = 1_000_000


@dataclass(frozen=True)
class World:
    chain: Caller
    registry: types.UInt160
    token: types.UInt160
    settlement: types.UInt160
    admin: Account
    gateway: Account
    payees: tuple[Account, Account, Account]
    payer: Account
    second_payer: Account
    outsider: Account
    artifacts: ContractArtifacts

    def anchor(self, count: int) -> bytes:
        batch_id = uuid.uuid4().bytes
        self.chain.send(self.registry, "anchor", [batch_id, bytes(32), count], self.gateway)
        return batch_id

    def payment(self, payer: Account, amount: int, data: Any) -> list[Any]:
        return [payer.script_hash, self.settlement, amount, data]

    def pay(self, payer: Account, amount: int, data: Any) -> list[noderpc.Notification]:
        args = self.payment(payer, amount, data)
        return self.chain.send(self.token, "transfer", args, payer, returns=True)

    def refused_payment(self, payer: Account, amount: int, data: Any) -> str:
        return self.chain.refusal(self.token, "transfer", self.payment(payer, amount, data), payer)

    def balance(self, account: types.UInt160) -> int:
        return self.chain.call(self.token, "balanceOf", [account], return_type=int)

    def balances(self) -> list[int]:
        return [self.balance(p.script_hash) for p in self.payees]


@pytest.fixture(scope="module")
def world(
    _neo_session: NeoGoNode,
    registry_artifacts: ContractArtifacts,
    token_artifacts: ContractArtifacts,
    settlement_artifacts: ContractArtifacts,
) -> World:
    admin, gateway, operator, hospital, insurer, payer, second, outsider = new_funded_accounts(
        _neo_session, 8
    )
    chain = Caller(bound_case(_neo_session.facade()))
    registry = chain.deploy(registry_artifacts, admin)
    token = chain.deploy(token_artifacts, admin)
    settlement = chain.deploy(settlement_artifacts, admin)
    chain.send(registry, "set_gateway", [gateway.script_hash], admin)
    chain.send(settlement, "configure", [registry, token, FEE], admin)
    payees = (operator, hospital, insurer)
    chain.send(settlement, "set_shares", [[p.script_hash for p in payees], SHARES], admin)
    for account in (payer, second):
        chain.send(token, "mint", [account.script_hash, MINTED], admin)
    return World(chain, registry, token, settlement, admin, gateway, payees, payer, second,
                 outsider, settlement_artifacts)  # fmt: skip


# Administration ----------------------------------------------------------------------------------
def test_deployer_is_admin_and_configuration_reads_back(world: World) -> None:
    chain = world.chain
    assert chain.call(world.settlement, "get_admin", return_type=types.UInt160) == (
        world.admin.script_hash
    )
    registry, token, fee = chain.call(world.settlement, "get_config")
    assert (registry.as_uint160(), token.as_uint160(), fee.as_int()) == (
        world.registry, world.token, FEE
    )  # fmt: skip
    shares = [
        (entry.as_list()[0].as_uint160(), entry.as_list()[1].as_int())
        for entry in chain.call(world.settlement, "get_shares")
    ]
    assert shares == [(p.script_hash, s) for p, s in zip(world.payees, SHARES, strict=True)]


@pytest.mark.parametrize("method", ["configure", "set_shares", "update"])
def test_admin_methods_refuse_everyone_else(world: World, method: str) -> None:
    args: dict[str, list[Any]] = {
        "configure": [world.registry, world.token, 1],
        "set_shares": [[world.outsider.script_hash], [10000]],
        "update": [world.artifacts.nef.read_bytes(), b"{}", None],
    }
    for signer in (world.outsider, world.payer, world.gateway):
        assert world.chain.refusal(world.settlement, method, args[method], signer) == (
            "not the admin"
        )


def test_configure_refusals(world: World) -> None:
    registry, token = world.registry, world.token
    cases = [
        ([registry.to_array()[:19], token, FEE], "registry must be a 20-byte contract hash"),
        ([registry, token.to_array() + b"\x00", FEE], "token must be a 20-byte contract hash"),
        ([registry, token, 0], "fee must be positive"),
        ([registry, token, -5], "fee must be positive"),
    ]
    for args, reason in cases:
        assert world.chain.refusal(world.settlement, "configure", args, world.admin) == reason


def test_set_shares_refusals(world: World) -> None:
    one = world.outsider.script_hash
    nine = [Account.create_new().script_hash for _ in range(9)]
    cases: list[tuple[list[Any], str]] = [
        ([[], []], "at least one payee"),
        ([nine, [1111] * 8 + [1112]], "at most 8 payees"),
        ([[one, world.payer.script_hash], [10000]], "one share per payee"),
        ([[one.to_array()[:19]], [10000]], "payee must be a 20-byte account"),
        ([[one, world.payer.script_hash], [10000, 0]], "share must be positive"),
        (
            [[one, world.payer.script_hash], [5000, 4999]],
            "shares must add up to 10000 basis points",
        ),
        ([[one], [10001]], "shares must add up to 10000 basis points"),
    ]
    for args, reason in cases:
        assert world.chain.refusal(world.settlement, "set_shares", args, world.admin) == reason


def test_update_by_admin_keeps_hash_and_storage(world: World) -> None:
    batch_id = world.anchor(2)
    world.pay(world.payer, 2 * FEE, [batch_id, 2])
    call = GenericContract(world.settlement).update(
        nef=nef.NEF.from_file(str(world.artifacts.nef)),
        manifest=manifest.ContractManifest.from_file(str(world.artifacts.manifest)),
    )
    receipt = run(world.chain.case.node.facade.invoke(call, signers=[signing_pair(world.admin)]))
    assert receipt.state == "HALT", receipt.exception
    assert [n.event_name for n in receipt.notifications] == ["Update"]
    assert world.chain.call(world.settlement, "get_settled_count", [batch_id], return_type=int) == 2
    assert len(world.chain.call(world.settlement, "get_config")) == 3


# Settlement --------------------------------------------------------------------------------------
def test_a_fee_is_split_between_the_payees_and_recorded(world: World) -> None:
    batch_id = world.anchor(10)
    before, payer_before = world.balances(), world.balance(world.payer.script_hash)
    amount = 4 * FEE  # 600: hospital 300, insurer 180, operator 120

    notifications = world.pay(world.payer, amount, [batch_id, 4])

    [[event_batch, payer, paid, count]] = events(notifications, "Settled")
    assert (event_batch.as_bytes(), payer.as_uint160()) == (batch_id, world.payer.script_hash)
    assert (paid.as_int(), count.as_int()) == (amount, 4)
    payments = {
        (payee.as_uint160(), part.as_int())
        for event_batch, payee, part in events(notifications, "Paid")
        if event_batch.as_bytes() == batch_id
    }
    operator, hospital, insurer = (p.script_hash for p in world.payees)
    assert payments == {(hospital, 300), (insurer, 180), (operator, 120)}
    transfers = [
        (source.as_uint160(), target.as_uint160(), value.as_int())
        for source, target, value in events(notifications, "Transfer")
    ]
    assert transfers[0] == (world.payer.script_hash, world.settlement, amount)
    assert sorted(transfers[1:]) == sorted(
        (world.settlement, payee, part) for payee, part in payments
    )
    after = world.balances()
    assert [a - b for a, b in zip(after, before, strict=True)] == [120, 300, 180]
    assert world.balance(world.payer.script_hash) == payer_before - amount
    assert world.balance(world.settlement) == 0  # it never keeps a fee

    stored_amount, stored_count, time_ms = world.chain.call(
        world.settlement, "get_settlement", [batch_id, world.payer.script_hash]
    )
    assert (stored_amount.as_int(), stored_count.as_int()) == (amount, 4)
    assert time_ms.as_int() > 1_700_000_000_000
    assert world.chain.call(world.settlement, "get_settled_count", [batch_id], return_type=int) == 4


def test_a_second_settlement_of_the_same_batch_is_refused(world: World) -> None:
    batch_id = world.anchor(3)
    world.pay(world.payer, FEE, [batch_id, 1])
    balances = world.balances()
    assert world.refused_payment(world.payer, FEE, [batch_id, 1]) == (
        "batch already settled by this payer"
    )
    assert world.refused_payment(world.payer, 2 * FEE, [batch_id, 2]) == (
        "batch already settled by this payer"
    )
    assert world.balances() == balances
    assert world.chain.call(world.settlement, "get_settled_count", [batch_id], return_type=int) == 1


def test_payers_share_a_batch_up_to_its_anchored_count(world: World) -> None:
    batch_id = world.anchor(5)
    world.pay(world.payer, 3 * FEE, [batch_id, 3])
    assert world.refused_payment(world.second_payer, 3 * FEE, [batch_id, 3]) == (
        "count exceeds the anchored batch"
    )
    world.pay(world.second_payer, 2 * FEE, [batch_id, 2])
    assert world.chain.call(world.settlement, "get_settled_count", [batch_id], return_type=int) == 5
    second = world.chain.call(
        world.settlement, "get_settlement", [batch_id, world.second_payer.script_hash]
    )
    assert second[1].as_int() == 2


def test_an_unanchored_batch_is_not_paid_for(world: World) -> None:
    batch_id = uuid.uuid4().bytes
    assert world.refused_payment(world.payer, FEE, [batch_id, 1]) == "batch not anchored"
    assert world.chain.call(world.settlement, "get_settlement",
                            [batch_id, world.payer.script_hash]) == []  # fmt: skip


def test_the_amount_must_be_count_times_the_fee(world: World) -> None:
    batch_id = world.anchor(4)
    for amount in (4 * FEE - 1, 4 * FEE + 1, 0):
        assert world.refused_payment(world.payer, amount, [batch_id, 4]) == (
            "amount must be count x fee"
        )


def test_malformed_payment_data_is_refused(world: World) -> None:
    batch_id = world.anchor(2)
    cases: list[tuple[Any, str]] = [
        (None, "data must be [batch_id, count]"),
        (batch_id, "data must be [batch_id, count]"),
        ([batch_id], "data must be [batch_id, count]"),
        ([batch_id, 1, 1], "data must be [batch_id, count]"),
        ([batch_id[:15], 1], "batch_id must be 16 bytes"),
        ([batch_id + b"\x00", 1], "batch_id must be 16 bytes"),
        ([None, 1], "batch_id must be 16 bytes"),
        ([batch_id, "1"], "count must be an integer"),
        ([batch_id, None], "count must be an integer"),
        ([batch_id, 0], "count must be positive"),
        ([batch_id, -1], "count must be positive"),
    ]
    for data, reason in cases:
        assert world.refused_payment(world.payer, FEE, data) == reason, data


def test_only_the_configured_token_pays(world: World, token_artifacts: ContractArtifacts) -> None:
    batch_id = world.anchor(1)
    # the same token code deployed by someone else is another token
    counterfeit = world.chain.deploy(token_artifacts, world.outsider)
    world.chain.send(counterfeit, "mint", [world.payer.script_hash, 1000], world.outsider)
    args = [world.payer.script_hash, world.settlement, FEE, [batch_id, 1]]
    assert world.chain.refusal(counterfeit, "transfer", args, world.payer) == (
        "not the configured token"
    )
    # calling onNEP17Payment directly is no payment either
    direct = [world.payer.script_hash, FEE, [batch_id, 1]]
    assert world.chain.refusal(world.settlement, "onNEP17Payment", direct, world.payer) == (
        "not the configured token"
    )


def test_minting_to_the_settlement_contract_is_refused(world: World) -> None:
    args = [world.settlement, 100]
    assert world.chain.refusal(world.token, "mint", args, world.admin) == (
        "minted tokens are not a fee"
    )


def test_the_rounding_remainder_goes_to_the_first_payee(world: World) -> None:
    payees = [p.script_hash for p in world.payees]
    world.chain.send(world.settlement, "set_shares", [payees, [3333, 3333, 3334]], world.admin)
    try:
        batch_id = world.anchor(1)
        before = world.balances()
        world.pay(world.payer, FEE, [batch_id, 1])  # 150: 49.995, 49.995, 50.01
        gained = [a - b for a, b in zip(world.balances(), before, strict=True)]
        assert gained == [51, 49, 50]
        assert sum(gained) == FEE
    finally:
        world.chain.send(world.settlement, "set_shares", [payees, SHARES], world.admin)


def test_an_unconfigured_settlement_refuses_payments(
    world: World, settlement_artifacts: ContractArtifacts
) -> None:
    chain, owner = world.chain, world.outsider
    fresh = chain.deploy(settlement_artifacts, owner)  # another deployer: another contract
    batch_id = world.anchor(1)
    args = [world.payer.script_hash, fresh, FEE, [batch_id, 1]]
    assert chain.refusal(world.token, "transfer", args, world.payer) == "settlement not configured"
    assert chain.call(fresh, "get_config") == []
    assert chain.call(fresh, "get_shares") == []
    chain.send(fresh, "configure", [world.registry, world.token, FEE], owner)
    assert chain.refusal(world.token, "transfer", args, world.payer) == "no shares set"


def test_storage_holds_only_the_documented_prefixes(world: World) -> None:
    """No personal data on chain: only configuration, settlements and counts."""
    world.pay(world.payer, FEE, [world.anchor(1), 1])
    storage = run(world.chain.case.get_storage(target_contract=world.settlement))
    lengths: dict[bytes, set[int]] = {}
    for key in storage:
        lengths.setdefault(key[:1], set()).add(len(key))
    assert lengths == {b"\x01": {1}, b"\x02": {1}, b"\x03": {1}, b"\x40": {37}, b"\x41": {17}}


# The test token ----------------------------------------------------------------------------------
def test_token_metadata_and_supply(world: World) -> None:
    chain = world.chain
    assert chain.call(world.token, "symbol", return_type=str) == "BDMIT"
    assert chain.call(world.token, "decimals", return_type=int) == 2
    assert chain.call(world.token, "totalSupply", return_type=int) == 2 * MINTED
    assert chain.call(world.token, "get_admin", return_type=types.UInt160) == (
        world.admin.script_hash
    )


def test_token_transfer_returns_false_without_funds_or_witness(world: World) -> None:
    chain, payer, outsider = world.chain, world.payer, world.outsider
    broke = [outsider.script_hash, payer.script_hash, 1, None]
    assert chain.call(world.token, "transfer", broke, return_type=bool,
                      signers=[]) is False  # fmt: skip
    unsigned = [payer.script_hash, outsider.script_hash, 1, None]
    assert chain.call(world.token, "transfer", unsigned, return_type=bool) is False
    notifications = chain.send(world.token, "transfer", unsigned, payer, returns=True)
    [[source, target, amount]] = events(notifications, "Transfer")
    assert (source.as_uint160(), target.as_uint160(), amount.as_int()) == (
        payer.script_hash, outsider.script_hash, 1
    )  # fmt: skip
    assert world.balance(outsider.script_hash) == 1


def test_token_refusals(world: World) -> None:
    chain, admin, payer = world.chain, world.admin, world.payer
    assert chain.refusal(world.token, "mint", [payer.script_hash, 5], payer) == "not the admin"
    assert chain.refusal(world.token, "mint", [payer.script_hash, 0], admin) == (
        "amount must be positive"
    )
    short = payer.script_hash.to_array()[:19]
    assert chain.refusal(world.token, "mint", [short, 5], admin) == "account must be 20 bytes"
    assert chain.refusal(world.token, "transfer", [short, payer.script_hash, 1, None], payer) == (
        "from must be 20 bytes"
    )
    assert chain.refusal(world.token, "transfer", [payer.script_hash, short, 1, None], payer) == (
        "to must be 20 bytes"
    )
    negative = [payer.script_hash, admin.script_hash, -1, None]
    assert chain.refusal(world.token, "transfer", negative, payer) == "amount must not be negative"
    update = [world.artifacts.nef.read_bytes(), b"{}", None]
    assert chain.refusal(world.token, "update", update, payer) == "not the admin"


# The payment data parser, fuzzed on chain --------------------------------------------------------
DATA_REASONS = {
    "data must be [batch_id, count]",
    "batch_id must be 16 bytes",
    "count must be an integer",
    "count must be positive",
    "batch not anchored",
    "amount must be count x fee",
    "count exceeds the anchored batch",
}
ITEM = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.binary(max_size=40),
    st.text(max_size=20),
)
ANCHORED = "an anchored batch"  # replaced by the id of a batch anchored for the test
BATCH = st.one_of(st.just(ANCHORED), st.binary(min_size=16, max_size=16), ITEM)
DATA = st.one_of(ITEM, st.lists(ITEM, max_size=3), st.tuples(BATCH, ITEM).map(list))
_anchored: dict[str, bytes] = {}


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=DATA)
@example(data=[None, 1])  # len() of a null
@example(data=[ANCHORED, b"\x01" * 40])  # a byte string too long to be an integer
@example(data=[ANCHORED, [1]])
@example(data=[ANCHORED, True])
@example(data=[ANCHORED, "7"])
@example(data=[ANCHORED, 2**70])
def test_any_payment_data_is_refused_with_a_documented_reason(world: World, data: Any) -> None:
    """Whatever a payer puts in ``data``, the settlement answers with one of its own reasons
    (an ASSERTMSG), never a bare VM fault and never a payment.  The bare faults of ``len()``
    on a null and of comparing a long byte string were found by this test."""
    if ANCHORED not in _anchored:
        _anchored[ANCHORED] = world.anchor(5)
    if isinstance(data, list):
        data = [_anchored[ANCHORED] if item == ANCHORED else item for item in data]
    if data == [_anchored[ANCHORED], 1]:
        return  # the one valid payment (FEE for 1 result): not what this test is about
    assert world.refused_payment(world.payer, FEE, data) in DATA_REASONS
