"""``bdmi-gateway followups``: fee settlements and consent records, and why any is waiting.

An operator's view of ``edge_sync/gateway/followup_db.py``: what is still pending with its reason
code (and the contract's or node's own words), newest first; ``--all`` adds what is done.  No
personal data is kept there to show: batch ids, accounts, amounts, consent ids, reasons.
"""

from __future__ import annotations

import argparse
import json

from edge_sync.gateway.config import GatewayConfig
from edge_sync.gateway.db import open_gateway_db
from edge_sync.gateway.followup_db import (
    PENDING,
    ConsentEntry,
    SettlementEntry,
    create_followup_tables,
)


def followups(config: GatewayConfig, args: argparse.Namespace) -> int:
    """Print the follow-ups as JSON; exit 0 (a report, not a check)."""
    open_gateway_db(config.database)
    create_followup_tables()
    settlements = SettlementEntry.select().order_by(SettlementEntry.attempted_at_ms.desc())
    consents = ConsentEntry.select().order_by(ConsentEntry.attempted_at_ms.desc())
    if not args.all:
        settlements = settlements.where(SettlementEntry.state == PENDING)
        consents = consents.where(ConsentEntry.state == PENDING)
    report = {
        "settlements": [
            {
                "batch_id": s.batch_id, "payer": s.payer, "count": s.count, "amount": s.amount,
                "state": s.state, "reason": s.reason, "detail": s.detail, "tx_hash": s.tx_hash,
                "at_ms": s.attempted_at_ms,
            }
            for s in settlements.limit(args.limit)
        ],
        "consents": [
            {
                "consent_id": c.consent_id, "batch_id": c.batch_id,
                "relying_party": c.relying_party, "state": c.state, "reason": c.reason,
                "detail": c.detail, "tx_hash": c.tx_hash, "at_ms": c.attempted_at_ms,
            }
            for c in consents.limit(args.limit)
        ],
    }  # fmt: skip
    print(json.dumps(report, indent=2))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    fol = sub.add_parser("followups", help="fee settlements and consent records still waiting")
    fol.add_argument("--limit", type=int, default=50)
    fol.add_argument("--all", action="store_true", help="also those that are done")
    fol.set_defaults(handler=_followups)


def _followups(config: GatewayConfig, args: argparse.Namespace) -> int:
    return followups(config, args)
