"""ConsentRegistry on a real neo-go node, through boa-test-constructor.

One deployment per module, with its gateway set by the admin; every test records its own
consents (fresh ids, and a fresh relying party where it counts them).  Refusals are test
invocations with the would-be signer.  Expiry is real: a consent is recorded to lapse a few
blocks ahead and the test waits for the chain's clock to pass it.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
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

DAY_MS = 86_400_000


@dataclass(frozen=True)
class Registry:
    chain: Caller
    node: NeoGoNode
    contract: types.UInt160
    admin: Account
    gateway: Account
    insurer: Account
    outsider: Account
    artifacts: ContractArtifacts

    def chain_time_ms(self) -> int:
        """The time of the newest block (what the next block's time will not be before)."""
        height = self.node.block_count() - 1
        return int(self.node.rpc("getblockheader", [height, True])["time"])

    def consent_args(
        self, *, relying_party: types.UInt160 | None = None, expires_ms: int | None = None
    ) -> list[Any]:
        return [
            uuid.uuid4().bytes,
            hashlib.sha256(secrets.token_bytes(16)).digest(),  # a subject_ref stand-in
            relying_party or self.insurer.script_hash,
            hashlib.sha256(b"insurance terms v1").digest(),
            expires_ms or self.chain_time_ms() + 30 * DAY_MS,
        ]

    def record(self, args: list[Any]) -> list[Any]:
        self.chain.send(self.contract, "record_consent", args, self.gateway)
        return args

    def call(self, method: str, args: list[Any] | None = None, **kwargs: Any) -> Any:
        return self.chain.call(self.contract, method, args, **kwargs)

    def refusal(self, method: str, args: list[Any], *signers: Account) -> str:
        return self.chain.refusal(self.contract, method, args, *signers)

    def is_valid(self, consent_id: bytes) -> bool:
        return self.call("is_valid", [consent_id], return_type=bool)


@pytest.fixture(scope="module")
def registry(_neo_session: NeoGoNode, data_registry_artifacts: ContractArtifacts) -> Registry:
    admin, gateway, insurer, outsider = new_funded_accounts(_neo_session, 4)
    chain = Caller(bound_case(_neo_session.facade()))
    contract = chain.deploy(data_registry_artifacts, admin)
    chain.send(contract, "set_gateway", [gateway.script_hash], admin)
    return Registry(chain, _neo_session, contract, admin, gateway, insurer, outsider,
                    data_registry_artifacts)  # fmt: skip


# Administration ----------------------------------------------------------------------------------
def test_deployer_is_admin_and_gateway_is_set(registry: Registry) -> None:
    assert registry.call("get_admin", return_type=types.UInt160) == registry.admin.script_hash
    assert registry.call("get_gateway", return_type=types.UInt160) == registry.gateway.script_hash


@pytest.mark.parametrize("method", ["set_gateway", "update"])
def test_admin_methods_refuse_everyone_else(registry: Registry, method: str) -> None:
    args = {
        "set_gateway": [registry.outsider.script_hash],
        "update": [registry.artifacts.nef.read_bytes(), b"{}", None],
    }[method]
    for signer in (registry.outsider, registry.gateway, registry.insurer):
        assert registry.refusal(method, args, signer) == "not the admin"


def test_set_gateway_moves_the_right_to_record(registry: Registry) -> None:
    old, new = registry.gateway, registry.outsider
    short = new.script_hash.to_array()[:19]
    assert registry.refusal("set_gateway", [short], registry.admin) == (
        "gateway must be a 20-byte account"
    )
    notifications = registry.chain.send(
        registry.contract, "set_gateway", [new.script_hash], registry.admin
    )
    try:
        [[gateway]] = events(notifications, "GatewayChanged")
        assert gateway.as_uint160() == new.script_hash
        args = registry.consent_args()
        assert registry.refusal("record_consent", args, old) == "not the gateway"
        registry.chain.send(registry.contract, "record_consent", args, new)
    finally:
        registry.chain.send(registry.contract, "set_gateway", [old.script_hash], registry.admin)


def test_update_by_admin_keeps_hash_and_storage(registry: Registry) -> None:
    consent_id = registry.record(registry.consent_args())[0]
    call = GenericContract(registry.contract).update(
        nef=nef.NEF.from_file(str(registry.artifacts.nef)),
        manifest=manifest.ContractManifest.from_file(str(registry.artifacts.manifest)),
    )
    facade = registry.chain.case.node.facade
    receipt = run(facade.invoke(call, signers=[signing_pair(registry.admin)]))
    assert receipt.state == "HALT", receipt.exception
    assert [n.event_name for n in receipt.notifications] == ["Update"]
    assert registry.is_valid(consent_id) is True


# Recording ---------------------------------------------------------------------------------------
def test_a_recorded_consent_reads_back_and_is_valid(registry: Registry) -> None:
    args = registry.consent_args()
    consent_id, subject_ref, relying_party, scope_hash, expires_ms = args
    notifications = registry.chain.send(registry.contract, "record_consent", args,
                                        registry.gateway)  # fmt: skip
    [[event_id, event_party, event_scope, event_expiry]] = events(notifications, "ConsentRecorded")
    assert (event_id.as_bytes(), event_party.as_uint160()) == (consent_id, relying_party)
    assert (event_scope.as_bytes(), event_expiry.as_int()) == (scope_hash, expires_ms)

    stored = registry.call("get_consent", [consent_id])
    subject, party, scope, expiry, recorded_ms, revoked_ms = stored
    assert (subject.as_bytes(), party.as_uint160(), scope.as_bytes()) == (
        subject_ref, relying_party, scope_hash
    )  # fmt: skip
    assert (expiry.as_int(), revoked_ms.as_int()) == (expires_ms, 0)
    assert 0 < recorded_ms.as_int() <= registry.chain_time_ms()
    assert registry.is_valid(consent_id) is True


def test_record_refusals(registry: Registry) -> None:
    gateway = registry.gateway
    for signer in (registry.admin, registry.insurer, registry.outsider):
        assert registry.refusal("record_consent", registry.consent_args(), signer) == (
            "not the gateway"
        )
    bad: list[tuple[int, Any, str]] = [
        (0, bytes(15), "consent_id must be 16 bytes"),
        (0, bytes(17), "consent_id must be 16 bytes"),
        (1, bytes(31), "subject_ref must be 32 bytes"),
        (1, bytes(33), "subject_ref must be 32 bytes"),
        (2, bytes(19), "relying_party must be a 20-byte account"),
        (3, bytes(31), "scope_hash must be 32 bytes"),
        (3, b"", "scope_hash must be 32 bytes"),
    ]
    for position, value, reason in bad:
        args = registry.consent_args()
        args[position] = value
        assert registry.refusal("record_consent", args, gateway) == reason, reason


def test_an_already_expired_consent_is_not_recorded(registry: Registry) -> None:
    for expires_ms in (1, registry.chain_time_ms() - 1000):
        args = registry.consent_args(expires_ms=expires_ms)
        assert registry.refusal("record_consent", args, registry.gateway) == (
            "consent already expired"
        )


def test_a_consent_is_recorded_once(registry: Registry) -> None:
    args = registry.record(registry.consent_args())
    again = list(args)
    again[4] += DAY_MS  # another expiry does not make it another consent
    assert registry.refusal("record_consent", again, registry.gateway) == (
        "consent already recorded"
    )
    assert registry.call("get_consent", [args[0]])[3].as_int() == args[4]


def test_a_consent_lapses_at_its_expiry(registry: Registry) -> None:
    expires_ms = registry.chain_time_ms() + 2000
    consent_id = registry.record(registry.consent_args(expires_ms=expires_ms))[0]
    deadline = time.monotonic() + 30
    while registry.chain_time_ms() <= expires_ms:
        assert time.monotonic() < deadline, "the chain's clock stopped"
        time.sleep(0.2)
    assert registry.is_valid(consent_id) is False
    assert registry.call("get_consent", [consent_id])[5].as_int() == 0  # lapsed, not revoked


def test_unknown_consent_reads_empty(registry: Registry) -> None:
    unknown = uuid.uuid4().bytes
    assert registry.call("get_consent", [unknown]) == []
    assert registry.is_valid(unknown) is False
    assert registry.refusal("revoke_consent", [unknown], registry.gateway) == "unknown consent"


# Revocation --------------------------------------------------------------------------------------
@pytest.mark.parametrize("by", ["gateway", "relying party"])
def test_revocation_by_the_gateway_or_the_relying_party(registry: Registry, by: str) -> None:
    consent_id = registry.record(registry.consent_args())[0]
    revoker = registry.gateway if by == "gateway" else registry.insurer
    notifications = registry.chain.send(registry.contract, "revoke_consent", [consent_id], revoker)
    [[event_id, revoked_by]] = events(notifications, "ConsentRevoked")
    assert (event_id.as_bytes(), revoked_by.as_uint160()) == (consent_id, revoker.script_hash)
    assert registry.is_valid(consent_id) is False
    revoked_ms = registry.call("get_consent", [consent_id])[5].as_int()
    assert 0 < revoked_ms <= registry.chain_time_ms()
    for signer in (registry.gateway, registry.insurer):
        assert registry.refusal("revoke_consent", [consent_id], signer) == (
            "consent already revoked"
        )


def test_nobody_else_may_revoke(registry: Registry) -> None:
    consent_id = registry.record(registry.consent_args())[0]
    other_insurer = Account.create_new()
    for signer in (registry.admin, registry.outsider, other_insurer):
        assert registry.refusal("revoke_consent", [consent_id], signer) == (
            "not the gateway or the relying party"
        )
    assert registry.is_valid(consent_id) is True


# Look-ups for a relying party --------------------------------------------------------------------
def test_consents_of_a_relying_party_page_in_recording_order(registry: Registry) -> None:
    party, other = Account.create_new().script_hash, Account.create_new().script_hash
    assert registry.call("count_consents", [party], return_type=int) == 0
    assert registry.call("get_consents", [party, 0, 10]) == []
    ids = [registry.record(registry.consent_args(relying_party=party))[0] for _ in range(5)]
    registry.record(registry.consent_args(relying_party=other))
    registry.chain.send(registry.contract, "revoke_consent", [ids[1]], registry.gateway)

    assert registry.call("count_consents", [party], return_type=int) == 5  # revoked included
    assert registry.call("count_consents", [other], return_type=int) == 1

    def page(start: int, count: int) -> list[bytes]:
        return [item.as_bytes() for item in registry.call("get_consents", [party, start, count])]

    assert page(0, 2) == ids[:2]
    assert page(2, 2) == ids[2:4]
    assert page(4, 2) == ids[4:]
    assert page(5, 2) == []
    assert page(0, 64) == ids
    for args, reason in (
        ([party, -1, 2], "start must not be negative"),
        ([party, 0, 0], "count must be positive"),
        ([party, 0, 65], "count must be at most 64"),
    ):
        assert registry.refusal("get_consents", args) == reason


def test_storage_holds_only_the_documented_prefixes(registry: Registry) -> None:
    """No personal data on chain: configuration, consent records, the per-party index."""
    registry.record(registry.consent_args())
    storage = run(registry.chain.case.get_storage(target_contract=registry.contract))
    lengths: dict[bytes, set[int]] = {}
    for key in storage:
        lengths.setdefault(key[:1], set()).add(len(key))
    index_lengths = lengths.pop(b"\x52")
    assert lengths == {b"\x01": {1}, b"\x02": {1}, b"\x50": {17}, b"\x51": {21}}
    assert index_lengths <= {21, 22, 23}  # 0x52 + party + index 0 (empty), < 128, < 32768
