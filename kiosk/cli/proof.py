"""``kioskctl proof verify RESULT_ID``: is this result really on chain?

Reads the result's signed payload and the inclusion proof the gateway sent (stored with the
outbox row when it was anchored), asks a NEO node for the root the IdvRegistry holds for
that batch, and checks the payload's leaf against it (edge_sync/protocol/proof.py). Only the chain's
root is trusted; the gateway could have sent anything. Exit 0 proven, 1 not proven (the
reason code says why), 2 usage or configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid

from edge_sync.protocol.anchor import Anchor
from kiosk.config import ConfigError, load_config, resolve_path
from kiosk.store.database import open_from_config
from kiosk.store.errors import StoreError
from kiosk.store.models import Outbox, Result


def register(sub: argparse._SubParsersAction) -> None:
    proof = sub.add_parser("proof", help="check a result's Merkle proof against the chain")
    actions = proof.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = actions.add_parser("verify", help="verify one anchored result")
    verify.add_argument("result_id")
    verify.add_argument("--config", help="kiosk config (default: $BDMI_CONFIG)")
    verify.add_argument("--rpc", help="NEO RPC URL (default: sync.chain_rpc_url)")
    verify.add_argument("--contract", help="IdvRegistry hash (default: sync.registry_contract)")
    verify.set_defaults(handler=_verify)


def _fail(reason: str, message: str, code: int = 1) -> int:
    print(f"{reason}: {message}", file=sys.stderr)
    print(json.dumps({"ok": False, "reason": reason}))
    return code


class _ChainUnreachable(Exception):
    pass


async def _read_anchor(rpc: str, contract: str, batch_id: str) -> Anchor | None:
    """What the IdvRegistry holds for ``batch_id``: its ``get_anchor``, a free test invocation
    without signers (the contract's ABI: ``[root, count, block_index, block_time_ms]``, or
    empty). The device reads this one value itself; the gateway's chain client, with its
    writes, signers and receipts, is server code the kiosk never imports."""
    import aiohttp
    from neo3.api import noderpc
    from neo3.api.wrappers import ChainFacade, GenericContract
    from neo3.core import types

    facade = ChainFacade(rpc_host=rpc)
    registry = GenericContract(types.UInt160.from_string(contract))
    call = registry.call_function("get_anchor", [uuid.UUID(batch_id).bytes])
    try:
        result = await facade.test_invoke(call, signers=[])
    except noderpc.JsonRpcError as exc:
        raise _ChainUnreachable(f"get_anchor: the node refused the call: {exc}") from exc
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise _ChainUnreachable(f"get_anchor: RPC node unreachable: {exc!r}") from exc
    if result.state != "HALT":
        raise _ChainUnreachable(f"get_anchor refused by the VM: {result.exception}")
    execution = result.result
    assert isinstance(execution, noderpc.ExecutionResult)
    items = execution.stack[0].as_list()
    if not items:
        return None
    root, count, height, time_ms = items
    return Anchor(root.as_bytes(), count.as_int(), height.as_int(), time_ms.as_int())


def _verify(args: argparse.Namespace) -> int:
    from edge_sync.protocol.proof import InclusionProof, ProofError, check_proof

    try:
        config = load_config(resolve_path(args.config))
    except ConfigError as exc:
        print(f"kioskctl proof: configuration invalid:\n{exc}", file=sys.stderr)
        return 2
    rpc = args.rpc or config.sync.chain_rpc_url
    contract = args.contract or config.sync.registry_contract
    if not rpc or not contract:
        needed = "sync.chain_rpc_url and sync.registry_contract (or --rpc and --contract)"
        return _fail("CFG_MISSING", f"set {needed}", 2)
    try:
        db = open_from_config(config)
    except StoreError as exc:
        return _fail(exc.reason, str(exc))
    try:
        with db.bound():
            row = (
                Outbox.select(Outbox, Result)
                .join(Result)
                .where(Outbox.result == args.result_id)
                .first()
            )
            if row is None:
                return _fail("STORE_RESULT_UNKNOWN", f"no result {args.result_id} in this store")
            if row.state != "anchored" or row.merkle_proof is None:
                return _fail("PROOF_NOT_ANCHORED", f"result {args.result_id} is {row.state}")
            payload = bytes(row.result.payload)
            blob = bytes(row.merkle_proof)
    finally:
        db.close()
    try:
        proof = InclusionProof.decode(blob)
    except ProofError as exc:
        return _fail(exc.reason, str(exc))
    print(f"asking {rpc} for batch {proof.batch_id} ...", file=sys.stderr)
    try:
        anchor = asyncio.run(_read_anchor(rpc, contract, proof.batch_id))
    except _ChainUnreachable as exc:
        return _fail("PROOF_CHAIN_UNREACHABLE", str(exc))
    check = check_proof(payload, proof, anchor)
    print(
        json.dumps(
            {
                "result_id": args.result_id,
                "batch_id": proof.batch_id,
                "tx_hash": proof.tx_hash,
                "leaf_index": proof.leaf_index,
                "tree_size": proof.tree_size,
                **check.as_dict(),
            }
        )
    )
    if not check.ok:
        print(f"{check.reason}: the proof does not hold", file=sys.stderr)
    return 0 if check.ok else 1
