"""``bdmi-gateway``: the chain gateway that verifies, batches and anchors results.

Sub-commands, each a job an operator does:

* ``run``: the service (MQTT intake, batching, anchoring, acks) until SIGTERM.
* ``deploy``: compile and deploy the IdvRegistry with the admin wallet; prints its hash
  (``--contract settlement|data-registry|test-token``: the others, edge_sync/deploy_contracts.py).
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
import asyncio
import json
import logging
import secrets
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from neo3.api.wrappers import ChainFacade
from neo3.core import cryptography
from neo3.wallet import utils as wallet_utils
from neo3.wallet.account import Account
from neo3.wallet.wallet import Wallet

from edge_sync.broker_config import BrokerConfigError, BrokerSite, write_files
from edge_sync.chain import ChainError, IdvRegistryClient, deploy
from edge_sync.gateway_config import GatewayConfig, GatewayConfigError, load_gateway_config
from edge_sync.gateway_db import (
    Batch,
    Device,
    DeviceKey,
    ReceivedResult,
    Rejection,
    open_gateway_db,
)
from edge_sync.protocol.merkle import audit_path, leaf_hash
from edge_sync.protocol.mqtt_session import BrokerSettings
from edge_sync.protocol.proof import InclusionProof, check_proof

if TYPE_CHECKING:
    from edge_sync.registration import Registrar

log = logging.getLogger(__name__)


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


# run -------------------------------------------------------------------------------------------
def _run(config: GatewayConfig, _args: argparse.Namespace) -> int:
    from edge_sync.followup_setup import build_follow_ups
    from edge_sync.gateway_service import GatewayService

    db = open_gateway_db(config.database)
    client = registry_client(config)
    if client.gateway_account is None:
        raise GatewayConfigError("CFG_MISSING: chain.wallet_file (the gateway's anchoring account)")
    follow_ups = build_follow_ups(config, client.gateway_account, load_account, _now_ms)
    registrar = _registrar(config, db)
    broker = config.broker
    if broker.share_group is None:
        raise GatewayConfigError(
            "CFG_MISSING: broker.share_group (the site's secret gateway group; "
            "`bdmi-gateway broker-config` prints one)"
        )
    service = GatewayService(
        db,
        client,
        BrokerSettings(
            broker.host,
            broker.port,
            broker.ca_file,
            broker.cert_file,
            broker.key_file,
            session_expiry_s=broker.session_expiry_s,
        ),
        broker.client_id,
        broker.share_group,
        client.gateway_account.sign,
        batch_size=config.batch.max_size,
        batch_interval_s=config.batch.interval_s,
        follow_ups=follow_ups,
        registrar=registrar,
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.info("gateway started", extra={"client_id": broker.client_id})
    service.run(stop)
    log.info("gateway stopped", extra=dict(service.counters))
    return 0


def _registrar(config: GatewayConfig, db: object) -> Registrar | None:
    """Self-registration over MQTT when ``[registration] enabled`` (edge_sync/registration.py)."""
    from edge_sync.protocol.device_cert import DeviceCertError, load_bundle
    from edge_sync.registration import Registrar

    if not config.registration.enabled:
        return None
    ca_file = config.registration.ca_file or config.broker.ca_file
    if ca_file is None:
        raise GatewayConfigError("CFG_MISSING: registration.ca_file (the site CA bundle)")
    try:
        roots = load_bundle(ca_file.read_bytes())
    except (OSError, DeviceCertError) as exc:
        raise GatewayConfigError(
            f"CFG_INVALID_VALUE: registration.ca_file {ca_file}: {exc}"
        ) from None
    registry = registry_client(config, admin=True)
    gateway = registry.gateway_account
    if gateway is None:
        raise GatewayConfigError("CFG_MISSING: chain.wallet_file (the key that signs the acks)")
    return Registrar(
        db,  # type: ignore[arg-type]
        registry,
        roots,
        _now_ms,
        gateway.public_key.encode_point(True),
        gateway.sign,
    )


# deploy ----------------------------------------------------------------------------------------
def _deploy(config: GatewayConfig, args: argparse.Namespace) -> int:
    from contracts.build import IDV_REGISTRY, compile_contract

    chain = config.chain
    admin = load_account(chain.admin_wallet_file, chain.admin_wallet_password_file, "admin_")
    if args.contract != "idv-registry":
        from edge_sync.deploy_contracts import DeployUsageError, deploy_other

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


# devices ---------------------------------------------------------------------------------------
def _device_register(config: GatewayConfig, args: argparse.Namespace) -> int:
    public_key, key_id = _parse_key(args.public_key)
    device_id = args.device_id or key_id
    db = open_gateway_db(config.database)
    if not args.no_chain:
        client = registry_client(config, admin=True)
        print(f"registering {device_id} on chain ...", file=sys.stderr)
        asyncio.run(client.register_device(device_id, public_key, args.site))
    with db.atomic():
        Device.insert(
            device_id=device_id, site=args.site, revoked=False, registered_at_ms=_now_ms()
        ).on_conflict(
            conflict_target=[Device.device_id],
            update={Device.site: args.site, Device.revoked: False},
        ).execute()
        _upsert_key(key_id, device_id, public_key)
    print(json.dumps({"device_id": device_id, "key_id": key_id, "site": args.site}))
    return 0


def _upsert_key(key_id: str, device_id: str, public_key: bytes) -> None:
    # on_conflict with a target and an update: the one upsert SQLite and PostgreSQL share.
    DeviceKey.insert(
        key_id=key_id, device=device_id, public_key=public_key, active=True
    ).on_conflict(conflict_target=[DeviceKey.key_id], update={DeviceKey.active: True}).execute()


def _device_rotate(config: GatewayConfig, args: argparse.Namespace) -> int:
    public_key, key_id = _parse_key(args.public_key)
    db = open_gateway_db(config.database)
    if Device.get_or_none(Device.device_id == args.device_id) is None:
        print(f"GW_DEVICE_UNKNOWN: {args.device_id} is not registered", file=sys.stderr)
        return 1
    if not args.no_chain:
        asyncio.run(registry_client(config, admin=True).rotate_key(args.device_id, public_key))
    with db.atomic():
        # Older keys stay: results they signed before the rotation still verify.
        DeviceKey.update(active=False).where(DeviceKey.device == args.device_id).execute()
        _upsert_key(key_id, args.device_id, public_key)
    print(json.dumps({"device_id": args.device_id, "key_id": key_id}))
    return 0


def _device_revoke(config: GatewayConfig, args: argparse.Namespace) -> int:
    db = open_gateway_db(config.database)
    if Device.get_or_none(Device.device_id == args.device_id) is None:
        print(f"GW_DEVICE_UNKNOWN: {args.device_id} is not registered", file=sys.stderr)
        return 1
    if not args.no_chain:
        asyncio.run(registry_client(config, admin=True).revoke_device(args.device_id))
    with db.atomic():
        Device.update(revoked=True).where(Device.device_id == args.device_id).execute()
    print(json.dumps({"device_id": args.device_id, "revoked": True}))
    return 0


def _device_list(config: GatewayConfig, _args: argparse.Namespace) -> int:
    open_gateway_db(config.database)
    rows = [
        {
            "device_id": d.device_id,
            "site": d.site,
            "revoked": d.revoked,
            "keys": [k.key_id for k in d.keys],
            "results": d.results.count(),
        }
        for d in Device.select().order_by(Device.device_id)
    ]
    print(json.dumps(rows, indent=2))
    return 0


def _rejections(config: GatewayConfig, args: argparse.Namespace) -> int:
    open_gateway_db(config.database)
    rows = [
        {"at_ms": r.at_ms, "topic": r.topic, "result_id": r.result_id, "reason": r.reason}
        for r in Rejection.select().order_by(Rejection.at_ms.desc()).limit(args.limit)
    ]
    print(json.dumps(rows, indent=2))
    return 0


def _consent(config: GatewayConfig, args: argparse.Namespace) -> int:
    from edge_sync.consent_cli import ConsentUsageError, revoke, show

    try:
        if args.action == "show":
            return show(config, args)
        gateway = load_account(config.chain.wallet_file, config.chain.wallet_password_file, "")
        return revoke(config, args, gateway)
    except ConsentUsageError as exc:
        raise UsageError(str(exc)) from None


def _followups(config: GatewayConfig, args: argparse.Namespace) -> int:
    from edge_sync.followup_report import followups

    return followups(config, args)


# proof -----------------------------------------------------------------------------------------
def _proof_verify(config: GatewayConfig, args: argparse.Namespace) -> int:
    open_gateway_db(config.database)
    row = ReceivedResult.get_or_none(ReceivedResult.result_id == args.result_id)
    if row is None:
        print(f"PROOF_RESULT_UNKNOWN: no result {args.result_id} here", file=sys.stderr)
        return 1
    batch: Batch | None = row.batch
    if batch is None or batch.state != "anchored":
        print(f"PROOF_NOT_ANCHORED: result {args.result_id} is not anchored yet", file=sys.stderr)
        return 1
    leaves = [
        leaf_hash(bytes(m.payload))
        for m in ReceivedResult.select(ReceivedResult.payload)
        .where(ReceivedResult.batch == batch)
        .order_by(ReceivedResult.result_id)
    ]
    proof = InclusionProof(
        batch.batch_id, batch.tx_hash or "", row.leaf_index, batch.size,
        tuple(audit_path(leaves, row.leaf_index)),
    )  # fmt: skip
    anchor = asyncio.run(registry_client(config).get_anchor(batch.batch_id))
    check = check_proof(bytes(row.payload), proof, anchor)
    print(json.dumps({"result_id": args.result_id, "batch_id": batch.batch_id, **check.as_dict()}))
    return 0 if check.ok else 1


# import ----------------------------------------------------------------------------------------
def _import(config: GatewayConfig, args: argparse.Namespace) -> int:
    """A USB bundle from a kiosk without a network: every result through the MQTT intake's
    checks (edge_sync/bundle_import.py). Exit 1 when the bundle itself is refused."""
    from edge_sync.bundle_import import import_bundle
    from edge_sync.intake import MAX_AGE_MS
    from edge_sync.protocol.bundle import BundleError

    if args.max_age_days is not None and args.max_age_days < 1:
        raise UsageError("--max-age-days must be at least 1")
    path = Path(args.bundle)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"BUNDLE_UNREADABLE: {path}: {exc.strerror or exc}", file=sys.stderr)
        print(json.dumps({"file": str(path), "ok": False, "reason": "BUNDLE_UNREADABLE"}))
        return 1
    db = open_gateway_db(config.database)
    max_age_ms = MAX_AGE_MS if args.max_age_days is None else args.max_age_days * 86_400_000
    print(f"importing {path} ({len(data)} bytes) ...", file=sys.stderr)
    try:
        counts = import_bundle(db, data, _now_ms, max_age_ms=max_age_ms, source=path.name)
    except BundleError as exc:
        print(f"{exc}", file=sys.stderr)
        refused = {"file": str(path), "ok": False, "reason": exc.reason, "message": str(exc)}
        print(json.dumps({**refused, "offset": exc.offset, "index": exc.index}))
        return 1
    print(json.dumps({"file": str(path), "ok": True, **counts}))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bdmi-gateway", description="BDMI chain gateway")
    parser.add_argument(
        "--config", default="/etc/bdmi-gateway/gateway.toml", help="gateway config file"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="the gateway service").set_defaults(handler=_run)

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

    device = sub.add_parser("device", help="the device registry").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    reg = device.add_parser("register", help="register a device and its public key")
    reg.add_argument("--public-key", required=True, help="compressed secp256r1 key, hex")
    reg.add_argument("--device-id", help="default: the key's script hash (its first key)")
    reg.add_argument("--site", required=True)
    reg.add_argument("--no-chain", action="store_true", help="gateway database only")
    reg.set_defaults(handler=_device_register)
    rot = device.add_parser("rotate", help="a new key for a registered device")
    rot.add_argument("--device-id", required=True)
    rot.add_argument("--public-key", required=True)
    rot.add_argument("--no-chain", action="store_true")
    rot.set_defaults(handler=_device_rotate)
    rev = device.add_parser("revoke", help="refuse every further result of a device")
    rev.add_argument("--device-id", required=True)
    rev.add_argument("--no-chain", action="store_true")
    rev.set_defaults(handler=_device_revoke)
    device.add_parser("list", help="registered devices").set_defaults(handler=_device_list)

    rej = sub.add_parser("rejections", help="refused messages, newest first")
    rej.add_argument("--limit", type=int, default=50)
    rej.set_defaults(handler=_rejections)

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

    fol = sub.add_parser("followups", help="fee settlements and consent records still waiting")
    fol.add_argument("--limit", type=int, default=50)
    fol.add_argument("--all", action="store_true", help="also those that are done")
    fol.set_defaults(handler=_followups)

    proof = sub.add_parser("proof", help="Merkle proofs").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    ver = proof.add_parser("verify", help="check a result's proof against the chain")
    ver.add_argument("result_id")
    ver.set_defaults(handler=_proof_verify)

    imp = sub.add_parser("import", help="import a kiosk's USB bundle (kioskctl outbox export)")
    imp.add_argument("bundle", help="the bdmi-bundle-*.cbor file")
    imp.add_argument(
        "--max-age-days",
        type=int,
        help="accept results up to this old (default 90: older ones are GW_TIME_TOO_OLD)",
    )
    imp.set_defaults(handler=_import)

    sub.add_parser(
        "ack-key", help="the public key devices pin to check this gateway's acks"
    ).set_defaults(handler=_ack_key)

    broker = sub.add_parser(
        "broker-config", help="write the site broker's mosquitto.conf and ACL (no gateway config)"
    )
    broker.add_argument("--out", required=True, help="directory for bdmi.conf and bdmi.acl")
    broker.add_argument(
        "--gateway-cn", action="append", required=True, help="a gateway certificate's CN (repeat)"
    )
    broker.add_argument("--cafile", required=True, help="the site CA that signs device certs")
    broker.add_argument("--certfile", required=True, help="the broker's server certificate")
    broker.add_argument("--keyfile", required=True, help="the broker's server key")
    broker.add_argument("--port", type=int, default=8883)
    broker.add_argument("--host", default="0.0.0.0", help="listen address (default: all)")
    broker.add_argument("--persistence", default="/var/lib/mosquitto")
    broker.add_argument("--log-dest", default="syslog", help="syslog, stderr or 'file PATH'")
    broker.add_argument(
        "--share-group", help="keep this site's existing gateway group (default: a new secret)"
    )
    broker.set_defaults(handler=_broker_config, needs_config=False)
    return parser


def _ack_key(config: GatewayConfig, _args: argparse.Namespace) -> int:
    """The anchoring account's public key, which signs every ack: it goes into each kiosk's
    ``[sync] gateway_public_keys`` (provisioning pins it from the registration answer)."""
    chain = config.chain
    account = load_account(chain.wallet_file, chain.wallet_password_file, "")
    public_key = account.public_key.encode_point(True).hex()
    print(json.dumps({"public_key": public_key, "address": account.address}))
    return 0


def _broker_config(args: argparse.Namespace) -> int:
    """Render the site broker's files; see edge_sync/broker_config.py for what they enforce."""
    out = Path(args.out)
    try:
        site = BrokerSite(
            ca_file=Path(args.cafile),
            cert_file=Path(args.certfile),
            key_file=Path(args.keyfile),
            acl_file=out / "bdmi.acl",
            persistence_dir=Path(args.persistence),
            gateway_usernames=tuple(args.gateway_cn),
            port=args.port,
            host=args.host,
            log_dest=args.log_dest,
        )
    except BrokerConfigError as exc:
        raise UsageError(str(exc)) from None
    write_files(site, out / "bdmi.conf")
    # Printed once, never written beside the broker's files: it belongs in every gateway's
    # config ([broker] share_group), and the broker itself never needs it.
    share_group = args.share_group or secrets.token_urlsafe(24)
    print(
        json.dumps(
            {
                "config": str(out / "bdmi.conf"),
                "acl": str(site.acl_file),
                "share_group": share_group,
            }
        )
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from kiosk.log import configure_logging

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
    configure_logging("INFO", "json")
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
