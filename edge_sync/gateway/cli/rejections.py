"""``bdmi-gateway rejections``: what was refused lately, with reason codes, newest first."""

from __future__ import annotations

import argparse
import json

from edge_sync.gateway.config import GatewayConfig
from edge_sync.gateway.db import Rejection, open_gateway_db


def register(sub: argparse._SubParsersAction) -> None:
    rej = sub.add_parser("rejections", help="refused messages, newest first")
    rej.add_argument("--limit", type=int, default=50)
    rej.set_defaults(handler=_rejections)


def _rejections(config: GatewayConfig, args: argparse.Namespace) -> int:
    open_gateway_db(config.database)
    rows = [
        {"at_ms": r.at_ms, "topic": r.topic, "result_id": r.result_id, "reason": r.reason}
        for r in Rejection.select().order_by(Rejection.at_ms.desc()).limit(args.limit)
    ]
    print(json.dumps(rows, indent=2))
    return 0
