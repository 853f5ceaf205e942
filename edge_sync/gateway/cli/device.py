"""``bdmi-gateway device register|rotate|revoke|list``: the device registry, in the gateway
database and, unless ``--no-chain``, on chain with the admin wallet (both, or the command fails
and says which)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from edge_sync.gateway.cli.common import _now_ms, _parse_key, registry_client
from edge_sync.gateway.config import GatewayConfig
from edge_sync.gateway.db import Device, DeviceKey, open_gateway_db


def register(sub: argparse._SubParsersAction) -> None:
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
