"""``bdmi-gateway deploy``: compile and deploy the IdvRegistry with the admin wallet and print
its hash (``--contract settlement|data-registry|test-token``: the others, through
edge_sync/gateway/deploy_contracts.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from neo3.api.wrappers import ChainFacade
from neo3.wallet import utils as wallet_utils

from edge_sync.gateway.chain import IdvRegistryClient, deploy
from edge_sync.gateway.cli.common import UsageError, load_account
from edge_sync.gateway.config import GatewayConfig


def register(sub: argparse._SubParsersAction) -> None:
    dep = sub.add_parser("deploy", help="compile and deploy a contract (admin wallet)")
    dep.add_argument("--build-dir", default="build/contracts")
    dep.add_argument(
        "--contract",
        default="idv-registry",
        choices=["idv-registry", "settlement", "data-registry", "test-token"],
        help="which contract (default idv-registry); see docs/operations.md",
    )
    dep.add_argument("--gateway-address", help="NEO address allowed to anchor / record consents")
    dep.add_argument("--registry", help="settlement: the IdvRegistry hash")
    dep.add_argument("--token", help="settlement: the NEP-17 token hash")
    dep.add_argument("--fee", type=int, help="settlement: fee per result, token units")
    dep.add_argument("--payee", action="append", help="settlement: ADDRESS=BASIS_POINTS")
    dep.add_argument("--mint", action="append", help="test-token: ADDRESS=AMOUNT")
    dep.set_defaults(handler=_deploy)


def _deploy(config: GatewayConfig, args: argparse.Namespace) -> int:
    from contracts.build import IDV_REGISTRY, compile_contract

    chain = config.chain
    admin = load_account(chain.admin_wallet_file, chain.admin_wallet_password_file, "admin_")
    if args.contract != "idv-registry":
        from edge_sync.gateway.deploy_contracts import DeployUsageError, deploy_other

        try:
            return deploy_other(config, args, admin)
        except DeployUsageError as exc:
            raise UsageError(str(exc)) from None
    print("compiling contracts/idv_registry.py with neo3-boa ...", file=sys.stderr)
    artifacts = compile_contract(IDV_REGISTRY, Path(args.build_dir))
    print(f"deploying to {chain.rpc_url} ...", file=sys.stderr)
    facade = ChainFacade(rpc_host=chain.rpc_url, receipt_timeout=chain.receipt_timeout_s)

    async def work() -> str:
        contract_hash = await deploy(facade, admin, artifacts.nef, artifacts.manifest)
        registry = IdvRegistryClient(facade, contract_hash, None, admin_account=admin,
                                     receipt_timeout=chain.receipt_timeout_s)  # fmt: skip
        if args.gateway_address:
            gateway = wallet_utils.address_to_script_hash(args.gateway_address)
            await registry.set_gateway(gateway)
        return f"0x{contract_hash}"

    contract_hash = asyncio.run(work())
    print(json.dumps({"contract_hash": contract_hash}))
    return 0
