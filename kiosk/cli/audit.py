"""``kioskctl audit verify``: walk the store's hash-chained audit log and name the first
entry that does not hold.

    kioskctl audit verify [--config FILE | --db PATH --key-file PATH]
                          [--expect-head SEQ:HASH] [--json]

Exit 0 intact, 1 tampered (the reason code and the first bad entry's seq are printed),
2 usage, or a store that cannot be opened (its ``STORE_*`` code is printed). The store is
only read: not migrated, never created. ``--expect-head`` takes the head the kiosk published
(health report, gateway) and so also catches a cut-off tail, which the chain alone cannot
show. On a terminal, progress goes to stderr for long logs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kiosk.cli.output import EXIT_BAD, EXIT_OK, EXIT_USAGE, emit
from kiosk.config import check_config, resolve_path


def register(subparsers: argparse._SubParsersAction) -> None:
    audit = subparsers.add_parser("audit", help="verify the hash-chained audit log")
    actions = audit.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = actions.add_parser(
        "verify", help="check every entry of the audit log; exit 1 naming the first bad one"
    )
    verify.add_argument(
        "--config", help="kiosk config naming the store and its key (default: as the kiosk)"
    )
    verify.add_argument("--db", help="store file, instead of --config (needs --key-file)")
    verify.add_argument("--key-file", help="the store's key file, with --db")
    verify.add_argument(
        "--expect-head",
        metavar="SEQ:HASH",
        help="the head the kiosk published; detects entries cut off the end",
    )
    verify.add_argument("--json", action="store_true", help="machine-readable output")
    verify.set_defaults(handler=_verify)


def _fail(as_json: bool, reason: str | None, message: str) -> int:
    """A problem before any entry was checked: usage, config or a store that will not open."""
    if as_json:
        print(
            json.dumps(
                {"ok": False, "error": {"reason": reason, "message": message}},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print(
            f"{reason}: {message}" if reason else f"kioskctl audit verify: {message}",
            file=sys.stderr,
        )
    return EXIT_USAGE


def _store_location(args: argparse.Namespace) -> tuple[Path, Path] | tuple[str | None, str]:
    """(database, key file), or (reason or None, message) when they cannot be known."""
    if args.db or args.key_file:
        if args.config:
            return None, "give either --config or --db with --key-file, not both"
        if not (args.db and args.key_file):
            return None, "--db and --key-file go together"
        return Path(args.db), Path(args.key_file)
    from kiosk.store.database import store_key_path

    path = resolve_path(args.config)
    config, issues = check_config(path)
    errors = [i for i in issues if i.severity == "error"]
    if config is None or errors:
        first = (errors or issues)[0]
        return first.reason, "\n".join(issue.format(str(path)) for issue in errors or issues)
    return config.database_path, store_key_path(config)


class _Progress:
    """``verifying audit log: n/total`` on one rewritten stderr line."""

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        print(f"\rverifying audit log: {done}/{total} entries", end="", file=sys.stderr, flush=True)
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            print(file=sys.stderr)


def _verify(args: argparse.Namespace) -> int:
    from peewee import DatabaseError
    from sqlcipher3 import dbapi2 as sqlcipher

    from kiosk.store.audit import Head, verify_chain
    from kiosk.store.database import open_store
    from kiosk.store.errors import StoreError
    from kiosk.store.key import load_key

    location = _store_location(args)
    if not isinstance(location[0], Path):
        return _fail(args.json, location[0], str(location[1]))
    db_path, key_path = location
    expected = None
    if args.expect_head:
        try:
            expected = Head.parse(args.expect_head)
        except ValueError as error:
            return _fail(args.json, None, f"--expect-head: {error}")
    try:
        db = open_store(db_path, load_key(Path(key_path)), migrate=False)
    except StoreError as error:
        return _fail(args.json, error.reason, str(error.args[0]))
    progress = _Progress() if sys.stderr.isatty() else None
    try:
        from kiosk.store.migrations import schema_version

        if schema_version(db) == 0:
            return _fail(args.json, "STORE_NOT_FOUND", f"{db_path} holds no kiosk store")
        report = verify_chain(db, expected_head=expected, progress=progress)
    except (DatabaseError, sqlcipher.DatabaseError) as error:  # a damaged page or table
        return _fail(args.json, "STORE_OPEN_FAILED", f"cannot read {db_path}: {error}")
    finally:
        if progress is not None:
            progress.finish()
        db.close()
    head = f"head {report.head}" if report.head else "empty log"
    if report.ok:
        lines = [f"{db_path}: audit log intact: {report.entries} entries, {head}"]
    else:
        lines = [
            f"{report.reason} at entry {report.first_bad_seq}: {report.message}",
            f"{db_path}: audit log TAMPERED; entries before it verified: {report.entries}",
        ]
    emit(args.json, {"db": str(db_path), **report.to_dict()}, lines)
    return EXIT_OK if report.ok else EXIT_BAD
