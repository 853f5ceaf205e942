"""``bdmi-gateway broker-config``: write the site broker's mosquitto.conf and ACL (needs no
gateway config)."""

from __future__ import annotations

import argparse
import json
import secrets
from pathlib import Path

from edge_sync.gateway.broker_config import BrokerConfigError, BrokerSite, write_files
from edge_sync.gateway.cli.common import UsageError


def register(sub: argparse._SubParsersAction) -> None:
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


def _broker_config(args: argparse.Namespace) -> int:
    """Render the site broker's files; see edge_sync/gateway/broker_config.py for what they
    enforce."""
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
