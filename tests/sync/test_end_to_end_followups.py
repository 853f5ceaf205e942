"""Fees and consents reach the chain, end to end, with the product's own commands.

``bdmi-gateway deploy --contract`` puts the test token (minting the payer's balance),
FeeSettlement and ConsentRegistry next to the rig's IdvRegistry on the session's neo-go node; a
kiosk records verification results and consent records (accepted, declined, one naming no
insurer account) in its store; ``bdmi-sync`` sends them over Mosquitto (mTLS) to
``bdmi-gateway run`` configured with ``[settlement]`` and ``[consent]``.  Once everything is
anchored, the gateway has paid for every result of the site exactly once (split between the
payees) and recorded the accepted consents; ``bdmi-gateway followups`` reports it, and the
chain agrees.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from neo3.wallet.account import Account
from neo3.wallet.wallet import Wallet

from edge_sync.gateway.contracts_clients import (
    ConsentRegistryClient,
    SettlementClient,
    TestTokenClient,
)
from edge_sync.protocol.consent_record import consent_record
from edge_sync.protocol.result import sign_result
from edge_sync.protocol.signed import SignedResult
from tests.contracts.conftest import fund
from tests.harness.neogo import _FAST_SCRYPT, NeoGoNode
from tests.sync.rig import (
    PASSWORD,
    SITE,
    Chain,
    Gateway,
    Kiosk,
    deploy_registry,
    make_gateway,
    make_kiosk,
    make_wallet,
    wait_for,
)

pytestmark = pytest.mark.services

FEE = 25
RESULTS = 5


@pytest.fixture(scope="module")
def chain(_neo_session: NeoGoNode, tmp_path_factory: pytest.TempPathFactory) -> Chain:
    return deploy_registry(_neo_session, tmp_path_factory.mktemp("chain"))


def deployed(gateway: Gateway, build: Path, contract: str, *options: str) -> str:
    result = gateway.run("deploy", "--contract", contract, "--build-dir", str(build), *options)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["contract"] == contract
    return str(report["contract_hash"])


def consents(kiosk: Kiosk, insurer: Account) -> dict[str, SignedResult]:
    def make(decision: str, relying_party: str, account: Account | None) -> SignedResult:
        record = consent_record(
            key=kiosk.key, site=SITE, decision=decision,  # type: ignore[arg-type]
            relying_party=relying_party,
            relying_party_account=None if account is None else f"0x{account.script_hash}",
            scope_hash=hashlib.sha256(f"terms of {relying_party}".encode()).digest(),
            subject_ref=hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
            verification_result_id=str(uuid.uuid4()), duration_days=365,
            now_ms=kiosk.clock_ms(),
        )  # fmt: skip
        return sign_result(record, kiosk.key)

    return {
        "accepted": make("accepted", "ins-001", insurer),
        "declined": make("declined", "ins-001", insurer),
        "mapped": make("accepted", "ins-002", None),
    }


def test_fees_are_settled_and_accepted_consents_recorded(
    chain: Chain, _neo_session: NeoGoNode, mosquitto_tls: Any, test_pki: Any, tmp_path: Path
) -> None:
    broker = (mosquitto_tls.host, mosquitto_tls.port)
    gateway = make_gateway(tmp_path, chain, f"sqlite:///{tmp_path / 'gw.sqlite'}", *broker,
                           test_pki, "fees")  # fmt: skip
    payer = Account.create_new(_FAST_SCRYPT)
    fund(_neo_session, [payer], gas=20)
    payer_password = make_wallet(tmp_path / "payer.json", payer)
    payees = [Account.create_new(_FAST_SCRYPT) for _ in range(3)]
    insurer, mapped_insurer = Account.create_new(), Account.create_new()
    gateway_account = Wallet.from_file(str(chain.gateway_wallet), passwords=[PASSWORD])
    build = tmp_path / "build"

    token = deployed(gateway, build, "test-token", "--mint", f"{payer.address}=100000")
    settlement = deployed(
        gateway, build, "settlement", "--registry", chain.contract_hash, "--token", token,
        "--fee", str(FEE), *(f"--payee={p.address}={s}" for p, s in
                             zip(payees, (2000, 5000, 3000), strict=True)),
    )  # fmt: skip
    registry = deployed(gateway, build, "data-registry", "--gateway-address",
                        gateway_account.account_default.address)  # fmt: skip
    with gateway.config.open("a", encoding="utf-8") as config:
        config.write(
            "[settlement]\n"
            f'contract_hash = "{settlement}"\n'
            "[[settlement.payers]]\n"
            f'sites = ["{SITE}"]\n'
            f'wallet_file = "{tmp_path / "payer.json"}"\n'
            f'wallet_password_file = "{payer_password}"\n'
            f"fee_per_result = {FEE}\n"
            "[consent]\n"
            f'contract_hash = "{registry}"\n'
            "[[consent.relying_parties]]\n"
            'id = "ins-002"\n'
            f'account = "0x{mapped_insurer.script_hash}"\n'
        )

    kiosk = make_kiosk(tmp_path, *broker, test_pki, chain)
    registered = gateway.run("device", "register", "--public-key", kiosk.key.public_key.hex(),
                             "--site", SITE)  # fmt: skip
    assert registered.returncode == 0, registered.stderr
    answers = consents(kiosk, insurer)
    signed = [*kiosk.results(RESULTS), *answers.values()]
    kiosk.record(signed)

    def report() -> dict[str, list[dict[str, Any]]]:
        listed = gateway.run("followups", "--all")
        assert listed.returncode == 0, listed.stderr
        return json.loads(listed.stdout)

    def all_followed_up() -> bool:
        now = report()
        counted = sum(s["count"] for s in now["settlements"] if s["state"] == "settled")
        recorded = [c for c in now["consents"] if c["state"] == "recorded"]
        return counted == len(signed) and len(recorded) == 2

    gateway.start()
    kiosk.start_sync()
    try:
        wait_for(lambda: kiosk.states()["anchored"] == len(signed), 120, "all anchored")
        wait_for(all_followed_up, 120, "every result paid for and both consents recorded")
    finally:
        kiosk.stop_sync()
        gateway.stop()

    final = report()
    assert all(s["reason"] is None and s["tx_hash"] for s in final["settlements"])
    assert {c["consent_id"] for c in final["consents"]} == {
        answers["accepted"].result_id, answers["mapped"].result_id
    }  # fmt: skip
    assert json.loads(gateway.run("followups").stdout) == {"settlements": [], "consents": []}

    facade = _neo_session.facade()

    async def on_chain() -> tuple[list[int], int, list[bool], bool]:
        tokens = TestTokenClient(facade, token)
        paid = [await tokens.balance_of(p.script_hash) for p in payees]
        left = await tokens.balance_of(payer.script_hash)
        book = ConsentRegistryClient(facade, registry, None)
        valid = [await book.is_valid(answers[k].result_id) for k in ("accepted", "mapped")]
        declined = await book.get_consent(answers["declined"].result_id) is None
        config = await SettlementClient(facade, settlement).get_config()
        assert config is not None and config.fee_per_result == FEE
        return paid, left, valid, declined

    paid, left, valid, declined_absent = asyncio.run(on_chain())
    owed = len(signed) * FEE  # 8 x 25 = 200, at 20/50/30 %, whatever the batching
    assert sum(paid) == owed and left == 100_000 - owed
    # each batch is split on its own (rounding remainders go to the first payee)
    amounts = [s["count"] * FEE for s in final["settlements"]]
    assert paid[1:] == [sum(a * 5000 // 10000 for a in amounts),
                        sum(a * 3000 // 10000 for a in amounts)]  # fmt: skip
    assert valid == [True, True]
    assert declined_absent

    # the person withdraws: the operator revokes for them with the gateway account
    accepted = answers["accepted"].result_id
    shown = gateway.run("consent", "show", accepted)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["valid"] is True
    assert json.loads(shown.stdout)["relying_party"] == f"0x{insurer.script_hash}"
    revoked = gateway.run("consent", "revoke", accepted)
    assert revoked.returncode == 0, revoked.stderr
    assert json.loads(gateway.run("consent", "show", accepted).stdout)["valid"] is False
    again = gateway.run("consent", "revoke", accepted)
    assert again.returncode == 1 and "consent already revoked" in again.stderr
    unknown = gateway.run("consent", "show", str(uuid.uuid4()))
    assert unknown.returncode == 1 and "GW_CONSENT_UNKNOWN" in unknown.stderr
    assert gateway.run("consent", "show", "not-a-uuid").returncode == 2
