"""``bdmi-gateway import BUNDLE``: a kiosk's USB bundle (``kioskctl outbox export``), every
result through the MQTT intake's checks."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from edge_sync.gateway.cli.common import UsageError, _now_ms
from edge_sync.gateway.config import GatewayConfig
from edge_sync.gateway.db import open_gateway_db


def register(sub: argparse._SubParsersAction) -> None:
    imp = sub.add_parser("import", help="import a kiosk's USB bundle (kioskctl outbox export)")
    imp.add_argument("bundle", help="the bdmi-bundle-*.cbor file")
    imp.add_argument(
        "--max-age-days",
        type=int,
        help="accept results up to this old (default 90: older ones are GW_TIME_TOO_OLD)",
    )
    imp.set_defaults(handler=_import)


def _import(config: GatewayConfig, args: argparse.Namespace) -> int:
    """A USB bundle from a kiosk without a network: every result through the MQTT intake's
    checks (edge_sync/gateway/bundle_import.py). Exit 1 when the bundle itself is refused."""
    from edge_sync.gateway.bundle_import import import_bundle
    from edge_sync.gateway.intake import MAX_AGE_MS
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
