"""``bdmi-gateway consent show|revoke CONSENT_ID``: one consent in the ConsentRegistry.

``revoke`` is how a person's withdrawal reaches the chain: the person has no chain account,
so the operator revokes on their behalf with the gateway account (the registry allows the
gateway or the relying party).  Test-invoked first like every write; a consent already
revoked or unknown is refused with the registry's reason (``GW_CHAIN``, exit 1) and nothing is
sent.  ``show`` prints what the chain holds: the pseudonymous ``subject_ref`` and hashes only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid

from neo3.api.wrappers import ChainFacade
from neo3.wallet.account import Account

from edge_sync.gateway.cli.common import UsageError, load_account
from edge_sync.gateway.config import GatewayConfig, GatewayConfigError
from edge_sync.gateway.contracts_clients import ConsentInfo, ConsentRegistryClient


class ConsentUsageError(ValueError):
    """A consent id that is not a UUID (reported as ``GW_USAGE``)."""


def _client(config: GatewayConfig, gateway: Account | None) -> ConsentRegistryClient:
    if config.consent is None:
        raise GatewayConfigError("CFG_MISSING: [consent] contract_hash (the ConsentRegistry)")
    chain = config.chain
    facade = ChainFacade(rpc_host=chain.rpc_url, receipt_timeout=chain.receipt_timeout_s)
    return ConsentRegistryClient(facade, config.consent.contract_hash, gateway,
                                 receipt_timeout=chain.receipt_timeout_s)  # fmt: skip


def _consent_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise ConsentUsageError(f"{text!r} is not a consent id (a UUID)") from None


def show(config: GatewayConfig, args: argparse.Namespace) -> int:
    """Exit 0 and the consent as JSON; exit 1 when the registry does not hold it."""
    consent_id = _consent_id(args.consent_id)
    client = _client(config, None)

    async def work() -> tuple[ConsentInfo | None, bool]:
        return await client.get_consent(consent_id), await client.is_valid(consent_id)

    info, valid = asyncio.run(work())
    if info is None:
        print(f"GW_CONSENT_UNKNOWN: {consent_id} is not in the registry", file=sys.stderr)
        print(json.dumps({"consent_id": str(consent_id), "recorded": False}))
        return 1
    print(
        json.dumps(
            {
                "consent_id": str(consent_id),
                "recorded": True,
                "valid": valid,
                "relying_party": f"0x{info.relying_party}",
                "subject_ref": info.subject_ref.hex(),
                "scope_hash": info.scope_hash.hex(),
                "expires_ms": info.expires_ms,
                "recorded_ms": info.recorded_ms,
                "revoked_ms": info.revoked_ms or None,
            }
        )
    )
    return 0


def revoke(config: GatewayConfig, args: argparse.Namespace, gateway: Account) -> int:
    """Revoke as the gateway; print the transaction."""
    consent_id = _consent_id(args.consent_id)
    client = _client(config, gateway)
    print(f"revoking consent {consent_id} ...", file=sys.stderr)
    receipt = asyncio.run(client.revoke_consent(consent_id))
    print(json.dumps({"consent_id": str(consent_id), "revoked": True,
                      "tx_hash": f"0x{receipt.tx_hash}"}))  # fmt: skip
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    consent = sub.add_parser("consent", help="the ConsentRegistry").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    for action, about in (
        ("show", "what the chain holds for a consent"),
        ("revoke", "withdraw a consent for its subject (gateway account)"),
    ):
        one = consent.add_parser(action, help=about)
        one.add_argument("consent_id", help="the consent record's result_id (a UUID)")
        one.set_defaults(handler=_consent)


def _consent(config: GatewayConfig, args: argparse.Namespace) -> int:
    try:
        if args.action == "show":
            return show(config, args)
        gateway = load_account(config.chain.wallet_file, config.chain.wallet_password_file, "")
        return revoke(config, args, gateway)
    except ConsentUsageError as exc:
        raise UsageError(str(exc)) from None
