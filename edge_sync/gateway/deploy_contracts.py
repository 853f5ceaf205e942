"""``bdmi-gateway deploy --contract settlement|data-registry|test-token``: the other contracts.

Each is compiled from ``contracts/`` with neo3-boa, deployed by the admin wallet
(``chain.admin_wallet_file``, which becomes the contract's admin) and configured in the same
command, every step test-invoked first (``edge_sync.gateway.chain``).  Progress goes to stderr;
stdout is one JSON object with the contract hash, for scripts.

* ``settlement``: ``--registry HASH --token HASH --fee N --payee ADDR=BPS ...`` (the shares must
  add up to 10000 basis points; the first payee also gets rounding remainders);
* ``data-registry``: ``--gateway-address ADDR`` (the account allowed to record consents);
* ``test-token``: ``--mint ADDR=AMOUNT ...`` (private networks only: the admin can mint).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from neo3.api.wrappers import ChainFacade
from neo3.core import types
from neo3.wallet import utils as wallet_utils
from neo3.wallet.account import Account

from edge_sync.gateway.chain import deploy
from edge_sync.gateway.config import GatewayConfig
from edge_sync.gateway.contracts_clients import (
    ConsentRegistryClient,
    SettlementClient,
    TestTokenClient,
)

CONTRACTS = ("settlement", "data-registry", "test-token")


class DeployUsageError(ValueError):
    """A malformed ``deploy`` option (reported as ``GW_USAGE``)."""


def _address(text: str, option: str) -> types.UInt160:
    try:
        if text.startswith("0x"):
            return types.UInt160.from_string(text)
        return wallet_utils.address_to_script_hash(text)
    except ValueError as exc:
        raise DeployUsageError(f"{option}: {text!r} is not a NEO address or 0x hash") from exc


def _pairs(values: list[str], option: str) -> list[tuple[types.UInt160, int]]:
    pairs = []
    for value in values:
        account, sep, number = value.partition("=")
        if not sep or not (number.isascii() and number.isdigit()):  # "²".isdigit() too
            raise DeployUsageError(f"{option}: {value!r} is not ADDRESS=INTEGER")
        pairs.append((_address(account, option), int(number)))
    return pairs


def _source(contract: str) -> Path:
    from contracts.build import DATA_REGISTRY, SETTLEMENT, TEST_TOKEN

    return {"settlement": SETTLEMENT, "data-registry": DATA_REGISTRY, "test-token": TEST_TOKEN}[
        contract
    ]


def deploy_other(config: GatewayConfig, args: argparse.Namespace, admin: Account) -> int:
    """Compile, deploy and configure ``args.contract``; print its hash as JSON."""
    from contracts.build import compile_contract

    contract = args.contract
    payees = _pairs(args.payee or [], "--payee")
    mints = _pairs(args.mint or [], "--mint")
    if contract == "settlement":
        if args.registry is None or args.token is None or args.fee is None or not payees:
            raise DeployUsageError("settlement needs --registry, --token, --fee and --payee")
        registry = _address(args.registry, "--registry")
        token = _address(args.token, "--token")
    chain = config.chain
    source = _source(contract)
    print(f"compiling contracts/{source.name} with neo3-boa ...", file=sys.stderr)
    artifacts = compile_contract(source, Path(args.build_dir))
    facade = ChainFacade(rpc_host=chain.rpc_url, receipt_timeout=chain.receipt_timeout_s)
    timing = {"receipt_timeout": chain.receipt_timeout_s}

    async def work() -> types.UInt160:
        print(f"deploying {source.stem} to {chain.rpc_url} ...", file=sys.stderr)
        contract_hash = await deploy(facade, admin, artifacts.nef, artifacts.manifest, **timing)
        if contract == "settlement":
            client = SettlementClient(facade, contract_hash, admin_account=admin, **timing)
            print(f"configuring: fee {args.fee}, {len(payees)} payees ...", file=sys.stderr)
            await client.configure(registry, token, args.fee)
            await client.set_shares(payees)
        elif contract == "data-registry" and args.gateway_address:
            consents = ConsentRegistryClient(facade, contract_hash, None, admin_account=admin,
                                             **timing)  # fmt: skip
            await consents.set_gateway(_address(args.gateway_address, "--gateway-address"))
        elif contract == "test-token":
            token_client = TestTokenClient(facade, contract_hash, admin_account=admin, **timing)
            for number, (account, amount) in enumerate(mints, 1):
                print(f"minting {number}/{len(mints)} ...", file=sys.stderr)
                await token_client.mint(account, amount)
        return contract_hash

    contract_hash = asyncio.run(work())
    print(json.dumps({"contract": contract, "contract_hash": f"0x{contract_hash}"}))
    return 0
