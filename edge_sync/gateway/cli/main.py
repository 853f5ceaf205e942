"""``bdmi-gateway``: the chain gateway that verifies, batches and anchors results.

Sub-commands, each a job an operator does:

* ``run``: the service (MQTT intake, batching, anchoring, acks) until SIGTERM.
* ``deploy``: compile and deploy the IdvRegistry with the admin wallet; prints its hash
  (``--contract settlement|data-registry|test-token``: the others,
  edge_sync/gateway/deploy_contracts.py).
* ``device register|rotate|revoke|list``: the device registry, in the gateway database and,
  when an admin wallet is configured, on chain (both, or the command fails and says which).
* ``rejections``: what was refused lately, with reason codes.
* ``followups``: fee settlements and consent records after anchoring, and why any waits.
* ``consent show|revoke CONSENT_ID``: one consent in the ConsentRegistry; revoke for its subject.
* ``proof verify RESULT_ID``: a stored result's Merkle proof against the root on chain.

Exit codes: 0 ok, 1 the thing checked is bad or the work failed, 2 usage or configuration.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from edge_sync.gateway.chain import ChainError
from edge_sync.gateway.cli import (
    ack_key,
    broker_config,
    consent,
    deploy,
    device,
    followups,
    import_bundle,
    proof,
    rejections,
    run,
)
from edge_sync.gateway.cli.common import UsageError
from edge_sync.gateway.config import GatewayConfigError, load_gateway_config
from edge_sync.gateway.log import configure_logging

SUBCOMMANDS = (run, deploy, device, rejections, consent, followups, proof, import_bundle,
               ack_key, broker_config)  # fmt: skip
"""One module per subcommand, in the order ``--help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bdmi-gateway", description="BDMI chain gateway")
    parser.add_argument(
        "--config", default="/etc/bdmi-gateway/gateway.toml", help="gateway config file"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not getattr(args, "needs_config", True):
        try:
            return int(args.handler(args))
        except UsageError as exc:
            print(f"bdmi-gateway: GW_USAGE: {exc}", file=sys.stderr)
            return 2
    try:
        config = load_gateway_config(Path(args.config))
    except GatewayConfigError as exc:
        print(f"bdmi-gateway: {exc}", file=sys.stderr)
        return 2
    configure_logging("INFO")
    try:
        return args.handler(config, args)
    except GatewayConfigError as exc:
        print(f"bdmi-gateway: {exc}", file=sys.stderr)
        return 2
    except ChainError as exc:
        print(f"bdmi-gateway: GW_CHAIN: {exc}", file=sys.stderr)
        return 1
    except UsageError as exc:
        print(f"bdmi-gateway: GW_USAGE: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
