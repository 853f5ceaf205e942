"""``bdmi-gateway ack-key``: the public key devices pin to check this gateway's acks."""

from __future__ import annotations

import argparse
import json

from edge_sync.gateway.cli.common import load_account
from edge_sync.gateway.config import GatewayConfig


def register(sub: argparse._SubParsersAction) -> None:
    sub.add_parser(
        "ack-key", help="the public key devices pin to check this gateway's acks"
    ).set_defaults(handler=_ack_key)


def _ack_key(config: GatewayConfig, _args: argparse.Namespace) -> int:
    """The anchoring account's public key, which signs every ack: it goes into each kiosk's
    ``[sync] gateway_public_keys`` (provisioning pins it from the registration answer)."""
    chain = config.chain
    account = load_account(chain.wallet_file, chain.wallet_password_file, "")
    public_key = account.public_key.encode_point(True).hex()
    print(json.dumps({"public_key": public_key, "address": account.address}))
    return 0
