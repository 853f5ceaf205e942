"""Contract fixtures: the IdvRegistry compiled once per session (into a temp dir: build output is
never written into the source tree), funded accounts on the harness neo-go node, and a GAS log.

The GAS log collects the fees of the transactions and test invocations the tests make; with
``BDMI_GAS_REPORT=/path/report.json`` it is written out at the end of the session, which is how
the table in ``contracts/README.md`` is measured.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest
from neo3.api import noderpc
from neo3.api.wrappers import ChainFacade, GasToken
from neo3.core import types
from neo3.wallet.account import Account

from contracts.build import (
    DATA_REGISTRY,
    IDV_REGISTRY,
    SETTLEMENT,
    TEST_TOKEN,
    ContractArtifacts,
    compile_contract,
)
from edge_sync.gateway.chain import signing_pair
from tests.harness.neogo import NeoGoNode

GAS = 10**8  # datoshi per GAS


@pytest.fixture(scope="session")
def registry_artifacts(tmp_path_factory: pytest.TempPathFactory) -> ContractArtifacts:
    """contracts/idv_registry.py compiled by neo3-boa, once per session."""
    return compile_contract(IDV_REGISTRY, tmp_path_factory.mktemp("contracts-build"))


@pytest.fixture(scope="session")
def settlement_artifacts(tmp_path_factory: pytest.TempPathFactory) -> ContractArtifacts:
    """contracts/settlement.py (FeeSettlement) compiled by neo3-boa, once per session."""
    return compile_contract(SETTLEMENT, tmp_path_factory.mktemp("contracts-build"))


@pytest.fixture(scope="session")
def data_registry_artifacts(tmp_path_factory: pytest.TempPathFactory) -> ContractArtifacts:
    """contracts/data_registry.py (ConsentRegistry) compiled by neo3-boa, once per session."""
    return compile_contract(DATA_REGISTRY, tmp_path_factory.mktemp("contracts-build"))


@pytest.fixture(scope="session")
def token_artifacts(tmp_path_factory: pytest.TempPathFactory) -> ContractArtifacts:
    """contracts/test_token.py (BdmiTestToken, NEP-17) compiled by neo3-boa, once per session."""
    return compile_contract(TEST_TOKEN, tmp_path_factory.mktemp("contracts-build"))


def fund(node: NeoGoNode, accounts: list[Account], gas: int = 100) -> None:
    """Send ``gas`` GAS from the genesis committee account to each account (one transaction)."""
    committee = node.committee_account()

    async def run() -> str:
        receipt = await node.facade().invoke(
            GasToken().transfer_multi(
                committee.script_hash,
                [a.script_hash for a in accounts],
                gas * GAS,
                abort_on_failure=True,
            ),
            signers=[signing_pair(committee)],
        )
        return str(receipt.state)

    assert asyncio.run(run()) == "HALT"


def new_funded_accounts(node: NeoGoNode, count: int, gas: int = 100) -> list[Account]:
    accounts = [Account.create_new() for _ in range(count)]
    fund(node, accounts, gas)
    return accounts


@dataclass(frozen=True)
class GasEntry:
    method: str
    how: str  # "transaction" or "test invocation"
    system_fee: int
    network_fee: int


class GasLog:
    """Fees of what the tests did, keyed by method; the last measurement of a method wins."""

    def __init__(self) -> None:
        self.entries: dict[str, GasEntry] = {}
        self.policy: dict[str, int] = {}
        """PolicyContract values the fees depend on (a network's committee can change them)."""

    async def record_tx(self, facade: ChainFacade, method: str, tx_hash: types.UInt256) -> GasEntry:
        """The fees the sender actually paid for a transaction (read back from the chain)."""
        async with noderpc.NeoRpcClient(facade.rpc_host) as client:
            tx = await client.get_transaction(tx_hash)
        entry = GasEntry(method, "transaction", tx.system_fee, tx.network_fee)
        self.entries[method] = entry
        return entry

    def record_test(self, method: str, gas_consumed: int) -> GasEntry:
        entry = GasEntry(method, "test invocation", gas_consumed, 0)
        self.entries[method] = entry
        return entry

    def to_json(self) -> str:
        rows = []
        for entry in sorted(self.entries.values(), key=lambda e: (e.how, e.method)):
            row = asdict(entry)
            row["system_fee_gas"] = entry.system_fee / GAS
            row["network_fee_gas"] = entry.network_fee / GAS
            row["total_gas"] = (entry.system_fee + entry.network_fee) / GAS
            rows.append(row)
        return json.dumps({"policy": self.policy, "fees": rows}, indent=2) + "\n"


@pytest.fixture(scope="session")
def gas_log() -> Iterator[GasLog]:
    log = GasLog()
    yield log
    target = os.environ.get("BDMI_GAS_REPORT")
    if target:
        Path(target).write_text(log.to_json(), encoding="utf-8")
