"""What several ``bdmi-gateway`` subcommands share: the clock, the wallets, the IdvRegistry
client built from the config, key parsing, and the usage error (exit 2)."""

from __future__ import annotations

import time
from pathlib import Path

from neo3.api.wrappers import ChainFacade
from neo3.core import cryptography
from neo3.wallet import utils as wallet_utils
from neo3.wallet.account import Account
from neo3.wallet.wallet import Wallet

from edge_sync.gateway.chain import IdvRegistryClient
from edge_sync.gateway.config import GatewayConfig, GatewayConfigError


def _now_ms() -> int:
    return int(time.time() * 1000)


def load_account(wallet_file: Path | None, password_file: Path | None, what: str) -> Account:
    if wallet_file is None or password_file is None:
        raise GatewayConfigError(
            f"CFG_MISSING: chain.{what}wallet_file and chain.{what}wallet_password_file are needed"
        )
    password = password_file.read_text(encoding="utf-8").strip()
    try:
        wallet = Wallet.from_file(str(wallet_file), passwords=[password])
    except (OSError, ValueError) as exc:
        raise GatewayConfigError(f"CFG_WALLET: {wallet_file}: {exc}") from exc
    return wallet.account_default


def registry_client(config: GatewayConfig, *, admin: bool = False) -> IdvRegistryClient:
    chain = config.chain
    if chain.contract_hash is None:
        raise GatewayConfigError("CFG_MISSING: chain.contract_hash (bdmi-gateway deploy prints it)")
    gateway = None
    if chain.wallet_file is not None:
        gateway = load_account(chain.wallet_file, chain.wallet_password_file, "")
    admin_account = None
    if admin:
        admin_account = load_account(
            chain.admin_wallet_file, chain.admin_wallet_password_file, "admin_"
        )
    return IdvRegistryClient(
        ChainFacade(rpc_host=chain.rpc_url, receipt_timeout=chain.receipt_timeout_s),
        chain.contract_hash,
        gateway,
        admin_account=admin_account,
        receipt_timeout=chain.receipt_timeout_s,
    )


class UsageError(ValueError):
    pass


def _parse_key(text: str) -> tuple[bytes, str]:
    try:
        public_key = bytes.fromhex(text)
        return public_key, key_id_of(public_key)
    except (ValueError, cryptography.ECCException) as exc:
        raise UsageError(f"--public-key is not a compressed secp256r1 key in hex: {exc}") from None


def key_id_of(public_key: bytes) -> str:
    point = cryptography.ECPoint.deserialize_from_bytes(public_key)
    return f"0x{wallet_utils.public_key_to_script_hash(point)}"
