"""Settlement and consent records after anchoring, in process, on the real neo-go node.

The gateway's own parts with real services: signed results and consent records from a real
device key go through the ``Intake`` into the gateway database (SQLite and PostgreSQL), the
``Batcher`` anchors them in IdvRegistry, and ``FollowUps`` settles the batch in FeeSettlement
(paid in the test token) and records the accepted consents in ConsentRegistry.  What must
hold: the fee is paid once and split; accepted consents are on chain and valid, declined ones
are not; a crash before the database noted a follow-up is adopted, not repeated; refusals are
never broadcast (``invoke_fast`` is watched: that is the only way a transaction leaves).
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

from contracts.build import DATA_REGISTRY, IDV_REGISTRY, SETTLEMENT, TEST_TOKEN, compile_contract
from edge_sync.gateway import chain
from edge_sync.gateway.batcher import Batcher
from edge_sync.gateway.consent_job import ConsentRecorder
from edge_sync.gateway.contracts_clients import (
    ConsentRegistryClient,
    SettlementClient,
    TestTokenClient,
)
from edge_sync.gateway.db import Batch
from edge_sync.gateway.followup import FollowUps
from edge_sync.gateway.followup_db import ConsentEntry, FollowUp, SettlementEntry
from edge_sync.gateway.intake import Intake
from edge_sync.gateway.settlement_job import BatchSettler, Payer
from edge_sync.protocol.consent_record import ConsentRecord
from edge_sync.protocol.result import sign_result, uuid7
from edge_sync.protocol.signed import SignedResult
from edge_sync.protocol.wire import AckMessage, ResultMessage, results_topic
from kiosk.security.device_key import DeviceKey
from tests.contracts.conftest import new_funded_accounts
from tests.harness.neogo import NeoGoNode
from tests.sync.conftest import SITE, make_result, register

pytestmark = pytest.mark.services

FEE = 25
SHARES = (2000, 5000, 3000)
FAST = {"receipt_timeout": 15.0, "receipt_retry_delay": 0.05}
DAY_MS = 86_400_000


def run[T](coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Deployed:
    facade: ChainFacade
    registry: chain.IdvRegistryClient
    settlement: SettlementClient
    consents: ConsentRegistryClient
    token: TestTokenClient
    payees: tuple[Account, Account, Account]
    payer: Account
    insurer: Account
    mapped_insurer: Account


@pytest.fixture(scope="module")
def deployed(_neo_session: NeoGoNode, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    """The four contracts deployed and configured through the gateway's own clients."""
    admin, gateway, operator, hospital, insurer_payee, payer = new_funded_accounts(_neo_session, 6)
    insurer, mapped = Account.create_new(), Account.create_new()  # relying parties: no GAS needed
    facade = _neo_session.facade()

    out = tmp_path_factory.mktemp("contracts-build")
    built = [
        compile_contract(s, out) for s in (IDV_REGISTRY, SETTLEMENT, DATA_REGISTRY, TEST_TOKEN)
    ]

    async def setup() -> Deployed:
        hashes = [await chain.deploy(facade, admin, a.nef, a.manifest, **FAST) for a in built]
        registry = chain.IdvRegistryClient(facade, hashes[0], gateway, admin_account=admin, **FAST)
        settlement = SettlementClient(facade, hashes[1], admin_account=admin, **FAST)
        consents = ConsentRegistryClient(facade, hashes[2], gateway, admin_account=admin, **FAST)
        token = TestTokenClient(facade, hashes[3], admin_account=admin, **FAST)
        await registry.set_gateway(gateway.script_hash)
        await consents.set_gateway(gateway.script_hash)
        await settlement.configure(hashes[0], hashes[3], FEE)
        payees = (operator, hospital, insurer_payee)
        await settlement.set_shares(
            [(p.script_hash, s) for p, s in zip(payees, SHARES, strict=True)]
        )
        await token.mint(payer.script_hash, 100_000)
        return Deployed(facade, registry, settlement, consents, token, payees, payer, insurer,
                        mapped)  # fmt: skip

    return run(setup())


@pytest.fixture
def broadcasts(deployed: Deployed, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The methods of every transaction sent from here on (a spy, not a fake: it sends)."""
    sent: list[str] = []
    send = deployed.facade.invoke_fast

    async def spy(call: Any, *args: Any, **kwargs: Any) -> types.UInt256:
        sent.append(call.script.hex())
        return await send(call, *args, **kwargs)

    monkeypatch.setattr(deployed.facade, "invoke_fast", spy)
    yield sent


def consent(
    key: DeviceKey,
    *,
    decision: str = "accepted",
    relying_party: str = "ins-001",
    account: Account | None = None,
    lasts_ms: int = 365 * DAY_MS,
) -> SignedResult:
    granted = now_ms()
    record = ConsentRecord(
        result_id=uuid7(granted),
        device_id=key.device_id,
        key_id=key.key_id,
        site=SITE,
        decision=decision,  # type: ignore[arg-type]
        relying_party=relying_party,
        relying_party_account=None if account is None else f"0x{account.script_hash}",
        scope_hash=hashlib.sha256(b"terms of ins-001 v3").hexdigest(),
        subject_ref=hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
        verification_result_id=uuid7(granted - 1000),
        granted_ms=granted,
        expires_ms=granted + lasts_ms,
    )
    return sign_result(record, key)


def receive_and_anchor(
    db: Any, deployed: Deployed, signed: list[SignedResult], *, newest: bool = False
) -> Batch:
    """Through the gateway's intake and batcher into one anchored batch."""
    intake = Intake(db, now_ms)
    for item in signed:
        ack = intake.receive(results_topic(SITE, item.device_id), ResultMessage(item).encode())
        assert ack == AckMessage(item.result_id, "accepted")
    acks = run(Batcher(db, deployed.registry, now_ms).anchor_pending())
    assert {a.status for a in acks} == {"anchored"}
    batches = list(Batch.select().where(Batch.state == "anchored").order_by(Batch.batch_id))
    if not newest:
        [batch] = batches
        return batch
    return batches[-1]


def follow_ups(deployed: Deployed, payer: Payer | None = None) -> FollowUps:
    payer = payer or Payer(deployed.payer, frozenset({SITE}), FEE)
    settler = BatchSettler(deployed.settlement, [payer], now_ms)
    accounts = {"ins-002": f"0x{deployed.mapped_insurer.script_hash}"}
    recorder = ConsentRecorder(deployed.consents, accounts, now_ms)
    return FollowUps(settler, recorder, now_ms)


def balances(deployed: Deployed) -> list[int]:
    return [run(deployed.token.balance_of(p.script_hash)) for p in deployed.payees]


def test_an_anchored_batch_is_settled_and_its_accepted_consents_recorded(
    gateway_db: Any, device_key: DeviceKey, deployed: Deployed, broadcasts: list[str]
) -> None:
    register(device_key)
    accepted = consent(device_key, account=deployed.insurer)
    mapped = consent(device_key, relying_party="ins-002")  # no account in the record
    declined = consent(device_key, decision="declined", account=deployed.insurer)
    lapsed = consent(device_key, account=deployed.insurer, lasts_ms=1)
    orphan = consent(device_key, relying_party="ins-404")  # no account anywhere
    results = [make_result(device_key, decided_ms=now_ms()) for _ in range(3)]
    signed = [*results, accepted, mapped, declined, lapsed, orphan]
    batch = receive_and_anchor(gateway_db, deployed, signed)
    payer_before = run(deployed.token.balance_of(deployed.payer.script_hash))
    before = balances(deployed)
    broadcasts.clear()

    done = run(follow_ups(deployed).run_once())

    # the fee: 8 results x 25 = 200, split 20/50/30 %, paid once, by the payer
    owed = len(signed) * FEE
    assert [a - b for a, b in zip(balances(deployed), before, strict=True)] == [40, 100, 60]
    assert run(deployed.token.balance_of(deployed.payer.script_hash)) == payer_before - owed
    on_chain = run(deployed.settlement.get_settlement(batch.batch_id, deployed.payer.script_hash))
    assert on_chain is not None and (on_chain.amount, on_chain.count) == (owed, len(signed))
    [entry] = SettlementEntry.select()
    assert (entry.state, entry.amount, entry.reason) == ("settled", owed, None)
    assert entry.tx_hash.startswith("0x")

    # consents: the two accepted ones with an account are on chain and valid
    recorded = run(deployed.consents.get_consent(accepted.result_id))
    assert recorded is not None and recorded.relying_party == deployed.insurer.script_hash
    assert run(deployed.consents.is_valid(accepted.result_id)) is True
    assert run(deployed.consents.is_valid(mapped.result_id)) is True
    mapped_index = run(deployed.consents.get_consents(deployed.mapped_insurer.script_hash))
    assert mapped_index[-1] == uuid.UUID(mapped.result_id)
    for not_recorded in (declined, lapsed, orphan):
        assert run(deployed.consents.get_consent(not_recorded.result_id)) is None
    states = {e.consent_id: (e.state, e.reason) for e in ConsentEntry.select()}
    assert states == {
        accepted.result_id: ("recorded", None),
        mapped.result_id: ("recorded", None),
        lapsed.result_id: ("expired", "GW_CONSENT_EXPIRED"),
        orphan.result_id: ("pending", "GW_CONSENT_NO_ACCOUNT"),
    }
    # one payment and two records went out; the batch waits for the orphan's account
    assert len(broadcasts) == 3
    assert done == 0
    assert FollowUp.get_by_id(batch.batch_id).done is False

    # a batch stuck on a refusal does not starve a newer one, one batch per round or not
    newer = receive_and_anchor(gateway_db, deployed, [make_result(device_key, decided_ms=now_ms())],
                               newest=True)  # fmt: skip
    one_a_round = follow_ups(deployed)
    one_a_round.batches_per_round = 1
    assert run(one_a_round.run_once()) == 1
    assert FollowUp.get_by_id(newer.batch_id).done is True


def test_a_crash_before_noting_a_follow_up_is_adopted_not_repeated(
    gateway_db: Any, device_key: DeviceKey, deployed: Deployed, broadcasts: list[str]
) -> None:
    register(device_key)
    accepted = consent(device_key, account=deployed.insurer)
    batch = receive_and_anchor(gateway_db, deployed, [make_result(device_key), accepted])
    assert run(follow_ups(deployed).run_once()) == 1
    paid = run(deployed.token.balance_of(deployed.payer.script_hash))
    # the gateway "forgets" (as if it died between the receipt and its commit)
    for model in (SettlementEntry, ConsentEntry, FollowUp):
        model.delete().execute()
    broadcasts.clear()

    assert run(follow_ups(deployed).run_once()) == 1

    assert broadcasts == []
    assert run(deployed.token.balance_of(deployed.payer.script_hash)) == paid
    assert SettlementEntry.get().state == "settled"
    assert ConsentEntry.get_by_id(accepted.result_id).state == "recorded"
    assert run(deployed.settlement.get_settled_count(batch.batch_id)) == 2


@pytest.mark.parametrize("case", ["fee mismatch", "payer without tokens"])
def test_a_settlement_that_would_fail_is_never_broadcast(
    gateway_db: Any,
    device_key: DeviceKey,
    deployed: Deployed,
    broadcasts: list[str],
    neo_node: NeoGoNode,
    case: str,
) -> None:
    register(device_key)
    batch = receive_and_anchor(gateway_db, deployed, [make_result(device_key)])
    if case == "fee mismatch":
        payer = Payer(deployed.payer, frozenset({SITE}), FEE + 1)
        reason, detail = "GW_SETTLEMENT_FEE_MISMATCH", f"contract fee {FEE}, agreed {FEE + 1}"
    else:
        [broke] = new_funded_accounts(neo_node, 1)  # GAS for fees, but no tokens
        payer = Payer(broke, frozenset({SITE}), FEE)
        reason, detail = "GW_SETTLEMENT_REFUSED", "transfer returned false"
    gas_before = run(deployed.facade.test_invoke(_gas_balance(payer.account))).result
    broadcasts.clear()

    assert run(follow_ups(deployed, payer).run_once()) == 0

    assert broadcasts == []
    [entry] = SettlementEntry.select()
    assert (entry.state, entry.reason, entry.detail) == ("pending", reason, detail)
    assert run(deployed.settlement.get_settlement(batch.batch_id, payer.hash)) is None
    assert run(deployed.facade.test_invoke(_gas_balance(payer.account))).result == gas_before
    assert FollowUp.get_by_id(batch.batch_id).done is False


def _gas_balance(account: Account) -> Any:
    return GasToken().balance_of(account.script_hash)
