"""``kioskctl outbox``: what is waiting to sync, and the USB bundle for sites without a network.

    kioskctl outbox status [--config FILE] [--json]
    kioskctl outbox list   [--config FILE] [--state S] [--limit N] [--json]
    kioskctl outbox show RESULT_ID [--config FILE] [--json]
    kioskctl outbox export --to DIR --technician ID [--config FILE] [--json]

``status``, ``list`` and ``show`` only read the store (not migrated, never created), so they
are safe next to a running kiosk and sync agent. Nothing they print is personal: a result
carries pseudonymous references only, and ``list`` does not even print those.

``export`` writes the results the gateway has not accepted yet (pending and sending) into
one signed bundle file (edge_sync/protocol/bundle.py) in DIR, a mounted USB stick, for
``bdmi-gateway import``. It changes no outbox state: the results stay pending and the agent
keeps offering them, because the gateway stores each ``result_id`` once whichever way it
arrives first. The only write is the audit entry that records who took how many results
away, and the bundle's SHA-256.

Exit codes: 0 ok; 1 the thing asked about is bad or missing (an unknown result id, a full
store for ``status``, a bundle that could not be written); 2 usage, configuration, or a
store or device key that cannot be opened (its reason code is printed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.cli.output import EXIT_BAD, EXIT_OK, EXIT_USAGE, emit
from kiosk.config import ConfigError, load_config, resolve_path
from kiosk.store.models import OUTBOX_STATES

if TYPE_CHECKING:
    from kiosk.config.schema import KioskConfig
    from kiosk.store.database import StoreDatabase

_TECHNICIAN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
WRITE_CHUNK = 1024 * 1024
"""Bytes per write to the stick: progress moves on slow USB sticks, memory stays flat."""


class _Fail(Exception):
    """A problem reported to the technician: ``REASON: message`` and an exit code."""

    def __init__(self, reason: str | None, message: str, code: int) -> None:
        super().__init__(message)
        self.reason = reason
        self.code = code


def register(subparsers: argparse._SubParsersAction) -> None:
    outbox = subparsers.add_parser(
        "outbox", help="results waiting to sync: status, list, show, export to USB"
    )
    actions = outbox.add_subparsers(dest="action", required=True, metavar="ACTION")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, help=help_text)
        parser.add_argument("--config", help="kiosk config (default: $BDMI_CONFIG, then /etc)")
        parser.add_argument("--json", action="store_true", help="machine-readable output")
        return parser

    add("status", "results per state, oldest unsent, rejected ones, disk").set_defaults(
        handler=_status
    )
    listing = add("list", "results with their sync state, newest first")
    listing.add_argument("--state", choices=OUTBOX_STATES, help="only results in this state")
    listing.add_argument("--limit", type=int, default=50, help="at most N rows (default 50)")
    listing.set_defaults(handler=_list)
    show = add("show", "one result: its outbox row, signed payload and inclusion proof")
    show.add_argument("result_id")
    show.set_defaults(handler=_show)
    export = add("export", "write the unsent results to a USB stick for bdmi-gateway import")
    export.add_argument("--to", required=True, metavar="DIR", help="the mounted USB stick")
    export.add_argument(
        "--technician", required=True, metavar="ID", help="your technician id, for the audit log"
    )
    export.set_defaults(handler=_export)


# helpers -------------------------------------------------------------------------------------
def _now_ms() -> int:
    return int(time.time() * 1000)


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _age(ms: int) -> str:
    seconds = ms // 1000
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {seconds} s"
    return f"{seconds} s"


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def _config(args: argparse.Namespace) -> KioskConfig:
    path = resolve_path(args.config)
    try:
        return load_config(path)
    except ConfigError as exc:
        first = exc.issues[0].reason if exc.issues else None
        raise _Fail(first, f"configuration {path} invalid:\n{exc}", EXIT_USAGE) from None


def _open(config: KioskConfig, *, write: bool) -> StoreDatabase:
    """Readers open without migrating (a kiosk is at its own version); ``export`` writes
    one audit entry and so opens the store as the kiosk does."""
    from kiosk.store.capacity import CapacityPolicy
    from kiosk.store.database import open_from_config, open_store, store_key_path
    from kiosk.store.errors import StoreError
    from kiosk.store.key import load_key
    from kiosk.store.migrations import schema_version

    try:
        if write:
            db = open_from_config(config)
        else:
            db = open_store(
                config.database_path,
                load_key(store_key_path(config)),
                capacity=CapacityPolicy.from_config(config.store),
                migrate=False,
            )
    except StoreError as exc:
        raise _Fail(exc.reason, str(exc.args[0]), EXIT_USAGE) from None
    if schema_version(db) == 0:
        db.close()
        raise _Fail("STORE_NOT_FOUND", f"{config.database_path} holds no kiosk store", EXIT_USAGE)
    return db


def _run(args: argparse.Namespace, work: Any) -> int:
    """Run ``work(args)``; a ``_Fail`` becomes ``REASON: message`` on stderr (and a JSON
    error object on stdout with --json) and its exit code."""
    try:
        return work(args)
    except _Fail as fail:
        prefix = f"{fail.reason}: " if fail.reason else f"kioskctl outbox {args.action}: "
        print(f"{prefix}{fail}", file=sys.stderr)
        if args.json:
            error = {"reason": fail.reason, "message": str(fail)}
            print(json.dumps({"ok": False, "error": error}, ensure_ascii=False, indent=2))
        return fail.code


# status --------------------------------------------------------------------------------------
def _status(args: argparse.Namespace) -> int:
    return _run(args, _do_status)


def _rejected(db: StoreDatabase) -> dict[str, int]:
    """Results parked after a gateway rejection, per reason code (kiosk/sync/store_outbox.py)."""
    from kiosk.store.models import Outbox
    from kiosk.sync.store_outbox import REJECTED_PREFIX

    prefix_len = len(REJECTED_PREFIX)
    found: dict[str, int] = {}
    with db.bound():
        rows = (
            Outbox.select(Outbox.last_error)
            .where((Outbox.state == "pending") & Outbox.last_error.startswith(REJECTED_PREFIX))
            .tuples()
        )
        for (last_error,) in rows:
            reason = last_error[prefix_len:].strip() or "GW_REJECTED"
            found[reason] = found.get(reason, 0) + 1
    return dict(sorted(found.items()))


def _his_status(db: StoreDatabase) -> dict[str, Any] | None:
    """The check-in messages for the hospital's system (his_outbox.py); ``None`` on a store
    from before they existed (schema 4)."""
    from kiosk.store import his_outbox
    from kiosk.store.migrations import schema_version

    if schema_version(db) < 4:
        return None
    found = his_outbox.status(db, now_ms=_now_ms())
    age = found.oldest_pending_age_ms
    return {"counts": found.counts, "oldest_pending_age_s": None if age is None else age // 1000,
            "last_error": found.last_error}  # fmt: skip


def _do_status(args: argparse.Namespace) -> int:
    from kiosk.store import outbox
    from kiosk.store.capacity import check_capacity

    config = _config(args)
    db = _open(config, write=False)
    try:
        state = outbox.status(db, now_ms=_now_ms())
        rejected = _rejected(db)
        capacity = check_capacity(db)
        his = _his_status(db)
    finally:
        db.close()
    age_ms = state.oldest_pending_age_ms
    report = {
        "store": str(config.database_path),
        "counts": state.counts,
        "total": sum(state.counts.values()),
        "oldest_unsent_age_s": None if age_ms is None else age_ms // 1000,
        "rejected_waiting": sum(rejected.values()),
        "rejected_by_reason": rejected,
        "capacity": {
            "status": capacity.status,
            "store_bytes": capacity.store_bytes,
            "quota_bytes": capacity.quota_bytes,
            "free_bytes": capacity.free_bytes,
            "min_free_bytes": capacity.min_free_bytes,
        },
        "his": his,
    }
    counts = ", ".join(f"{state.counts[s]} {s}" for s in OUTBOX_STATES)
    reasons = ", ".join(f"{code} {n}" for code, n in rejected.items())
    lines = [
        f"store {config.database_path}",
        f"results: {counts} ({report['total']} in all)",
        "oldest unsent: " + ("none, everything was accepted" if age_ms is None else _age(age_ms)),
        f"rejected by the gateway, waiting to retry: {report['rejected_waiting']}"
        + (f" ({reasons})" if reasons else ""),
        f"disk: store {_size(capacity.store_bytes)} of {_size(capacity.quota_bytes)} quota; "
        f"{_size(capacity.free_bytes)} free (minimum {_size(capacity.min_free_bytes)}): "
        + ("ok" if capacity.ok else f"{capacity.status}, new results are refused"),
    ]
    if his is not None and (config.his is not None or any(his["counts"].values())):
        his_counts = ", ".join(f"{n} {s}" for s, n in his["counts"].items())
        oldest = his["oldest_pending_age_s"]
        lines.append(
            f"hospital system (HIS) check-ins: {his_counts}; oldest pending: "
            + ("none" if oldest is None else _age(oldest * 1000))
            + (f"; last error {his['last_error']}" if his["last_error"] else "")
        )
    emit(args.json, report, lines)
    return EXIT_OK if capacity.ok else EXIT_BAD


# list ----------------------------------------------------------------------------------------
def _list(args: argparse.Namespace) -> int:
    return _run(args, _do_list)


def _do_list(args: argparse.Namespace) -> int:
    from kiosk.store.models import Outbox, Result

    if args.limit < 1:
        raise _Fail(None, "--limit must be at least 1", EXIT_USAGE)
    config = _config(args)
    db = _open(config, write=False)
    try:
        with db.bound():
            # Named columns only: the payload (and its pseudonymous refs) is never read here.
            query = (
                Outbox.select(
                    Result.result_id,
                    Result.flow,
                    Result.decision,
                    Result.created_at_ms,
                    Outbox.state,
                    Outbox.attempts,
                    Outbox.last_error,
                )
                .join(Result)
                .order_by(Result.result_id.desc())
                .limit(args.limit)
            )
            if args.state:
                query = query.where(Outbox.state == args.state)
            rows = [
                {
                    "result_id": result_id,
                    "flow": flow,
                    "decision": decision,
                    "created": _iso(created_at_ms),
                    "created_at_ms": created_at_ms,
                    "state": state,
                    "attempts": attempts,
                    "last_error": last_error,
                }
                for result_id, flow, decision, created_at_ms, state, attempts, last_error in (
                    query.tuples()
                )
            ]
    finally:
        db.close()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows:
        print("no results" + (f" in state {args.state}" if args.state else ""))
        return EXIT_OK
    header = ("result_id", "flow", "decision", "created", "state")
    print("{:36}  {:18} {:8} {:20} {:8} tries  last error".format(*header))
    for r in rows:
        error = (r["last_error"] or "")[:60]
        print(
            f"{r['result_id']:36}  {r['flow']:18} {r['decision']:8} {r['created']:20} "
            f"{r['state']:8} {r['attempts']:5}  {error}".rstrip()
        )
    return EXIT_OK


# show ----------------------------------------------------------------------------------------
def _show(args: argparse.Namespace) -> int:
    return _run(args, _do_show)


def _decoded_payload(payload: bytes) -> dict[str, Any]:
    from edge_sync.protocol.result import decode_payload
    from kiosk.security.errors import SecurityError

    try:
        return decode_payload(payload).model_dump(mode="json")
    except SecurityError as exc:  # shown, not fatal: the row is still worth seeing
        return {"error": {"reason": exc.reason, "message": str(exc.args[0])}}


def _decoded_proof(blob: bytes | None) -> dict[str, Any] | None:
    from edge_sync.protocol.proof import InclusionProof, ProofError

    if blob is None:
        return None
    try:
        proof = InclusionProof.decode(blob)
    except ProofError as exc:
        return {"error": {"reason": exc.reason, "message": str(exc)}}
    return {
        "batch_id": proof.batch_id,
        "tx_hash": proof.tx_hash,
        "leaf_index": proof.leaf_index,
        "tree_size": proof.tree_size,
        "path": [node.hex() for node in proof.path],
    }


def _do_show(args: argparse.Namespace) -> int:
    from kiosk.store.models import Outbox, Result

    config = _config(args)
    db = _open(config, write=False)
    try:
        with db.bound():
            row = (
                Outbox.select(Outbox, Result)
                .join(Result)
                .where(Outbox.result == args.result_id)
                .first()
            )
            if row is None:
                raise _Fail(
                    "STORE_RESULT_UNKNOWN", f"no result {args.result_id} in this store", EXIT_BAD
                )
            result = row.result
            payload, signature = bytes(result.payload), bytes(result.signature)
            report: dict[str, Any] = {
                "result_id": result.result_id,
                "device_id": result.device_id,
                "key_id": result.key_id,
                "kind": result.kind,
                "flow": result.flow,
                "decision": result.decision,
                "created": _iso(result.created_at_ms),
                "created_at_ms": result.created_at_ms,
                "outbox": {
                    "state": row.state,
                    "attempts": row.attempts,
                    "next_attempt_at_ms": row.next_attempt_at_ms,
                    "accepted_at_ms": row.accepted_at_ms,
                    "anchored_at_ms": row.anchored_at_ms,
                    "tx_hash": row.tx_hash,
                    "batch_id": row.batch_id,
                    "last_error": row.last_error,
                },
                "signature": signature.hex(),
                "payload_bytes": len(payload),
                "payload": _decoded_payload(payload),
                "proof": _decoded_proof(
                    None if row.merkle_proof is None else bytes(row.merkle_proof)
                ),
            }
    finally:
        db.close()
    box = report["outbox"]
    lines = [
        f"result {report['result_id']}: {report['kind']} {report['flow']} {report['decision']}, "
        f"created {report['created']}",
        f"device {report['device_id']}, key {report['key_id']}",
        f"outbox: {box['state']}, {box['attempts']} failed attempts"
        + (f", last error: {box['last_error']}" if box["last_error"] else ""),
    ]
    if box["accepted_at_ms"] is not None:
        lines.append(f"accepted by the gateway {_iso(box['accepted_at_ms'])}")
    if box["anchored_at_ms"] is not None:
        lines.append(f"anchored {_iso(box['anchored_at_ms'])} in tx {box['tx_hash']}")
    lines.append(f"signed payload ({len(payload)} bytes, pseudonymous):")
    lines.append(json.dumps(report["payload"], ensure_ascii=False, indent=2))
    proof = report["proof"]
    if proof is not None and "error" in proof:
        lines.append(f"inclusion proof unreadable: {proof['error']['reason']}")
    elif proof is not None:
        lines.append(
            f"inclusion proof: batch {proof['batch_id']}, tx {proof['tx_hash']}, leaf "
            f"{proof['leaf_index']} of {proof['tree_size']}, path:"
        )
        lines.extend(f"  {node}" for node in proof["path"])
    emit(args.json, report, lines)
    return EXIT_OK


# export --------------------------------------------------------------------------------------
def _export(args: argparse.Namespace) -> int:
    return _run(args, _do_export)


class _Progress:
    """``label: n/total`` on one rewritten stderr line, on a terminal only (a script's log
    gets the stage lines, not hundreds of carriage returns)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if self.tty:
            print(f"\r{self.label}: {done}/{total}", end="", file=sys.stderr, flush=True)
            self.shown = True

    def finish(self) -> None:
        if self.shown:
            print(file=sys.stderr)


_UNSENT = (
    "SELECT r.result_id, r.device_id, r.key_id, r.kind, r.flow, r.decision, r.created_at_ms, "
    "r.payload, r.signature, o.state FROM outbox o JOIN result r USING (result_id) "
    "WHERE o.state IN ('pending', 'sending') ORDER BY r.result_id"
)


def _unsent(db: StoreDatabase) -> tuple[list[Any], dict[str, int]]:
    """The results not yet accepted by a gateway, from one snapshot, in creation order."""
    from edge_sync.protocol.signed import SignedResult

    results: list[SignedResult] = []
    states = {"pending": 0, "sending": 0}
    with db.atomic("DEFERRED"):
        for row in db.execute_sql(_UNSENT):
            results.append(
                SignedResult(
                    result_id=row[0],
                    device_id=row[1],
                    key_id=row[2],
                    kind=row[3],
                    flow=row[4],
                    decision=row[5],
                    created_at_ms=row[6],
                    payload=bytes(row[7]),
                    signature=bytes(row[8]),
                )
            )
            states[row[9]] += 1
    return results, states


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable. Some file systems (vfat on some kernels) refuse to open or
    fsync a directory; the file's own fsync already happened, so that is not fatal."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomically(directory: Path, name: str, data: bytes, progress: _Progress) -> Path:
    """``directory/name`` with ``data``, all or nothing: a temporary file fsync'd, then
    renamed. A stick pulled mid-copy leaves a ``.tmp`` file, never a truncated bundle under
    the real name. Never overwrites an existing file."""
    final = directory / name
    if final.exists():
        raise FileExistsError(f"{final} exists already")
    tmp = directory / f".{name}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            view = memoryview(data)
            for start in range(0, len(data), WRITE_CHUNK):
                handle.write(view[start : start + WRITE_CHUNK])
                progress(min(start + WRITE_CHUNK, len(data)), len(data))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(directory)
    return final


def bundle_name(device_id: str, now_ms: int) -> str:
    """``bdmi-bundle-<device>-<UTC time to the millisecond>.cbor``: sorts by time, and two
    exports never collide (no ``:``, which FAT file systems refuse)."""
    stamp = datetime.fromtimestamp(now_ms / 1000, UTC).strftime("%Y%m%dT%H%M%S")
    return f"bdmi-bundle-{device_id}-{stamp}.{now_ms % 1000:03d}Z.cbor"


def _do_export(args: argparse.Namespace) -> int:
    from edge_sync.protocol.bundle import write_bundle
    from kiosk.security.errors import SecurityError
    from kiosk.security.identity import keyring_from_config
    from kiosk.store import audit
    from kiosk.store.errors import StoreError

    if not _TECHNICIAN.match(args.technician):
        raise _Fail(
            None,
            "--technician takes your technician id (letters, digits, . _ - @), not a name",
            EXIT_USAGE,
        )
    target = Path(args.to)
    if not target.is_dir():
        raise _Fail(
            None, f"{target} is not a directory: is the USB stick mounted there?", EXIT_USAGE
        )
    config = _config(args)
    try:
        key = keyring_from_config(config).active()
    except SecurityError as exc:
        raise _Fail(exc.reason, str(exc.args[0]), EXIT_USAGE) from None
    db = _open(config, write=True)
    try:
        print(f"reading unsent results from {config.database_path} ...", file=sys.stderr)
        results, states = _unsent(db)
        if not results:
            emit(
                args.json,
                {"file": None, "results": 0, **states},
                ["nothing to export: every result was accepted by a gateway; no file written"],
            )
            return EXIT_OK
        now_ms = _now_ms()
        print(f"signing a bundle of {len(results)} results ...", file=sys.stderr)
        data = write_bundle(
            device_id=key.device_id,
            site=config.device.site,
            created_at_ms=now_ms,
            results=results,
            signer=key,
        )
        digest = hashlib.sha256(data).hexdigest()
        name = bundle_name(key.device_id, now_ms)
        progress = _Progress(f"writing {name} ({_size(len(data))})")
        try:
            path = write_atomically(target, name, data, progress)
        except OSError as exc:
            raise _Fail(None, f"cannot write the bundle to {target}: {exc}", EXIT_BAD) from None
        finally:
            progress.finish()
        try:
            head = audit.append(
                db,
                at_ms=now_ms,
                actor_kind="technician",
                actor_id=args.technician,
                action="outbox_exported",
                record_kind="bundle",
                record_id=digest,  # a hex digest would trip the detail's ID-number guard
                detail={"results": len(results), "bytes": len(data), **states},
            )
        except StoreError as exc:
            # Every bundle that leaves on a stick is in the audit log, or it does not leave.
            path.unlink(missing_ok=True)
            raise _Fail(exc.reason, f"{exc.args[0]}; the bundle was removed", EXIT_BAD) from None
    finally:
        db.close()
    report = {
        "file": str(path),
        "results": len(results),
        **states,
        "bytes": len(data),
        "sha256": digest,
        "device_id": key.device_id,
        "key_id": key.key_id,
        "created_at_ms": now_ms,
        "audit_seq": head.seq,
    }
    lines = [
        f"exported {len(results)} results ({states['pending']} pending, {states['sending']} "
        f"sending) to {path}",
        f"{len(data)} bytes, sha256 {digest}",
        "the results stay in the outbox until a gateway accepts them; import the file with "
        "`bdmi-gateway import`",
    ]
    emit(args.json, report, lines)
    return EXIT_OK
