"""``bdmi-gateway proof verify RESULT_ID``: a stored result's Merkle proof, rebuilt from the
gateway's database, against the root the IdvRegistry holds on chain."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from edge_sync.gateway.cli.common import registry_client
from edge_sync.gateway.config import GatewayConfig
from edge_sync.gateway.db import Batch, ReceivedResult, open_gateway_db
from edge_sync.protocol.merkle import audit_path, leaf_hash
from edge_sync.protocol.proof import InclusionProof, check_proof


def register(sub: argparse._SubParsersAction) -> None:
    proof = sub.add_parser("proof", help="Merkle proofs").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    ver = proof.add_parser("verify", help="check a result's proof against the chain")
    ver.add_argument("result_id")
    ver.set_defaults(handler=_proof_verify)


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
