"""The neo-go fixture is a live one-validator chain usable through neo-mamba."""

from __future__ import annotations

import asyncio
import time

import pytest
from neo3.api import noderpc
from neo3.api.helpers.signing import sign_with_multisig_account
from neo3.api.wrappers import GasToken
from neo3.network.payloads.verification import Signer, WitnessScope
from neo3.wallet import account

from tests.harness.neogo import NeoGoNode

pytestmark = pytest.mark.services


def test_version_magic_and_growing_height(neo_node: NeoGoNode) -> None:
    async def run() -> tuple[noderpc.GetVersionResponse, int, int]:
        async with noderpc.NeoRpcClient(neo_node.rpc_url) as client:
            version = await client.get_version()
            first = await client.get_block_count()
            deadline = time.monotonic() + 10
            later = first
            while later <= first and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
                later = await client.get_block_count()
            return version, first, later

    version, first, later = asyncio.run(run())
    assert version.protocol.network == neo_node.magic
    assert version.protocol.validators_count == 1
    assert version.protocol.ms_per_block == neo_node.block_time_ms
    assert later > first


def test_committee_holds_gas_and_can_transfer(neo_node: NeoGoNode) -> None:
    committee = neo_node.committee_account()
    validator = neo_node.validator_account()
    assert committee.address == neo_node.keys.committee_address
    assert validator.address == neo_node.keys.address
    # The validator's own account earns GAS every block (committee reward), so send to a fresh one.
    destination = account.Account.create_new()
    gas = GasToken()

    async def run() -> tuple[int, int, int, str]:
        facade = neo_node.facade()
        committee_balance = (await facade.test_invoke(gas.balance_of(committee.script_hash))).result
        before = (await facade.test_invoke(gas.balance_of(destination.script_hash))).result
        receipt = await facade.invoke(
            gas.transfer(committee.script_hash, destination.script_hash, 10 * 10**8),
            signers=[
                (
                    sign_with_multisig_account(committee),
                    Signer(committee.script_hash, WitnessScope.CALLED_BY_ENTRY),
                )
            ],
        )
        after = (await facade.test_invoke(gas.balance_of(destination.script_hash))).result
        return committee_balance, before, after, receipt.state

    committee_balance, before, after, state = asyncio.run(run())
    assert committee_balance > 1_000_000 * 10**8  # genesis GAS supply sits with the committee
    assert state == "HALT"
    assert (before, after) == (0, 10 * 10**8)


def test_node_restart_keeps_chain(neo_node: NeoGoNode) -> None:
    height = neo_node.block_count()
    neo_node.stop()
    assert not neo_node.running
    neo_node.start()
    assert neo_node.block_count() > height
