"""Build the gateway's follow-ups (settlement, consent records) from its configuration.

Kept apart from ``edge_sync/gateway/cli/`` so the command module only wires: which wallets to
open and which clients to make is decided here, from ``[settlement]`` and ``[consent]``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from neo3.api.wrappers import ChainFacade
from neo3.wallet.account import Account

from edge_sync.gateway.config import GatewayConfig
from edge_sync.gateway.consent_job import ConsentRecorder
from edge_sync.gateway.contracts_clients import ConsentRegistryClient, SettlementClient
from edge_sync.gateway.followup import FollowUps
from edge_sync.gateway.settlement_job import BatchSettler, Payer


def build_follow_ups(
    config: GatewayConfig,
    gateway_account: Account,
    load_account: Callable[[Path | None, Path | None, str], Account],
    clock_ms: Callable[[], int],
) -> FollowUps | None:
    """The follow-ups the config asks for, or None when it asks for neither.
    ``load_account(wallet_file, password_file, what)`` opens a NEP-6 wallet (the gateway's)."""
    settlement, consent = config.settlement, config.consent
    if settlement is None and consent is None:
        return None
    chain = config.chain
    facade = ChainFacade(rpc_host=chain.rpc_url, receipt_timeout=chain.receipt_timeout_s)
    timing = {"receipt_timeout": chain.receipt_timeout_s}
    settler = None
    if settlement is not None:
        payers = [
            Payer(
                load_account(p.wallet_file, p.wallet_password_file, "settlement.payers[]."),
                frozenset(p.sites),
                p.fee_per_result,
            )
            for p in settlement.payers
        ]
        client = SettlementClient(facade, settlement.contract_hash, **timing)
        settler = BatchSettler(client, payers, clock_ms)
    recorder = None
    if consent is not None:
        registry = ConsentRegistryClient(facade, consent.contract_hash, gateway_account, **timing)
        accounts = {party.id: party.account for party in consent.relying_parties}
        recorder = ConsentRecorder(registry, accounts, clock_ms)
    return FollowUps(settler, recorder, clock_ms)
