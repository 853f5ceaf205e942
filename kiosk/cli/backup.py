"""``kioskctl backup``: encrypted full and incremental backups of the store; verify; restore.

    kioskctl backup create  [--config FILE] --out DIR [--incremental-from ARCHIVE]
                            [--technician ID] [--passphrase-file FILE] [--json]
    kioskctl backup verify  ARCHIVE... [--work-dir DIR] [--passphrase-file FILE] [--json]
    kioskctl backup restore [--config FILE] ARCHIVE... [--force --technician ID]
                            [--passphrase-file FILE] [--json]

The passphrase comes from ``--passphrase-file``, else ``$BDMI_BACKUP_PASSPHRASE``, else a
prompt when stdin is a terminal (twice for ``create``); never from the command line, where
``ps`` and the shell history would show it. Progress goes to stderr: one rewritten
percentage line on a terminal, a line every 10% otherwise (a journal, a script). The
result goes to stdout, as JSON with ``--json``.

Exit codes: 0 done; 1 refused or failed (the ``STORE_*`` reason is printed: a bad archive,
a broken chain, another device's backup, a store in use); 2 usage, configuration, or no
passphrase available.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.cli.output import EXIT_BAD, EXIT_OK, EXIT_USAGE, emit
from kiosk.config import check_config, resolve_path

if TYPE_CHECKING:
    from kiosk.config.schema import KioskConfig

PASSPHRASE_ENV = "BDMI_BACKUP_PASSPHRASE"


def register(subparsers: argparse._SubParsersAction) -> None:
    backup = subparsers.add_parser(
        "backup", help="encrypted full and incremental backups of the store; verify; restore"
    )
    actions = backup.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = actions.add_parser(
        "create", help="back the store up into a new encrypted archive (full or incremental)"
    )
    _config_argument(create)
    create.add_argument("--out", required=True, metavar="DIR", help="directory for the archive")
    create.add_argument(
        "--incremental-from",
        metavar="ARCHIVE",
        help="the previous archive of this device: keep only the pages changed since",
    )
    create.add_argument("--technician", metavar="ID", help="who makes it (audit log)")
    _common_arguments(create)
    create.set_defaults(handler=_create)

    verify = actions.add_parser(
        "verify",
        help="decrypt archives, check their chain and rebuild and check the store, without "
        "restoring",
    )
    verify.add_argument("archives", nargs="+", metavar="ARCHIVE", help="full, then incrementals")
    verify.add_argument(
        "--work-dir",
        metavar="DIR",
        help="where to rebuild the store for the checks (default: the first archive's "
        "directory); needs the store's size free",
    )
    _common_arguments(verify)
    verify.set_defaults(handler=_verify)

    restore = actions.add_parser(
        "restore", help="replace the store with the one in the archives (the old one is kept)"
    )
    _config_argument(restore)
    restore.add_argument("archives", nargs="+", metavar="ARCHIVE", help="full, then incrementals")
    restore.add_argument(
        "--force",
        action="store_true",
        help="restore a backup not shown to be this device's (needs --technician)",
    )
    restore.add_argument("--technician", metavar="ID", help="who restores (audit log)")
    _common_arguments(restore)
    restore.set_defaults(handler=_restore)


def _config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", help="kiosk config naming the store, its key and the device (default: as "
        "the kiosk)"
    )  # fmt: skip


def _common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--passphrase-file",
        metavar="FILE",
        help=f"file holding the backup passphrase (default: ${PASSPHRASE_ENV}, else a prompt)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable result on stdout")


class _Usage(Exception):
    """A problem before any work: printed with its reason, exit 2."""

    def __init__(self, reason: str | None, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _fail(as_json: bool, reason: str | None, message: str, code: int, **extra: Any) -> int:
    if as_json:
        error = {"reason": reason, "message": message, **extra}
        print(json.dumps({"ok": False, "error": error}, ensure_ascii=False, indent=2))
    print(f"{reason}: {message}" if reason else f"kioskctl backup: {message}", file=sys.stderr)
    return code


def _load_config(args: argparse.Namespace) -> KioskConfig:
    path = resolve_path(args.config)
    config, issues = check_config(path)
    errors = [i for i in issues if i.severity == "error"]
    if config is None or errors:
        shown = errors or issues
        raise _Usage(shown[0].reason, "\n".join(issue.format(str(path)) for issue in shown))
    return config


def _device_id(config: KioskConfig) -> str | None:
    """The device id, or None when the device has no keyring yet (recorded as null)."""
    from kiosk.security.errors import SecurityError
    from kiosk.security.identity import device_id_from_config

    try:
        return device_id_from_config(config)
    except SecurityError as error:
        if error.reason == "SEC_KEY_MISSING":
            return None
        raise _Usage(error.reason, str(error.args[0])) from None


def _passphrase(args: argparse.Namespace, *, confirm: bool) -> str:
    if args.passphrase_file:
        try:
            text = Path(args.passphrase_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise _Usage(
                "STORE_BACKUP_PASSPHRASE_MISSING",
                f"cannot read --passphrase-file {args.passphrase_file}: {error}",
            ) from None
        passphrase = text.removesuffix("\n").removesuffix("\r")
    elif os.environ.get(PASSPHRASE_ENV):
        passphrase = os.environ[PASSPHRASE_ENV]
    elif sys.stdin.isatty():
        passphrase = getpass.getpass("backup passphrase: ")
        if confirm and getpass.getpass("the same again: ") != passphrase:
            raise _Usage("STORE_BACKUP_PASSPHRASE_MISSING", "the two passphrases differ")
    else:
        raise _Usage(
            "STORE_BACKUP_PASSPHRASE_MISSING",
            f"no backup passphrase: set ${PASSPHRASE_ENV}, give --passphrase-file, or run "
            "on a terminal to be asked",
        )
    if not passphrase:
        raise _Usage("STORE_BACKUP_PASSPHRASE_MISSING", "the backup passphrase is empty")
    return passphrase


@dataclass
class _Percent:
    """``<label>: NN%`` on stderr: rewritten in place on a terminal, else every 10%."""

    label: str
    shown: int = -1
    terminal: bool = field(default_factory=lambda: sys.stderr.isatty())

    def __call__(self, done: int, total: int) -> None:
        percent = 100 if total <= 0 else max(0, min(100, done * 100 // total))
        if self.terminal:
            if percent != self.shown:
                print(f"\r{self.label}: {percent}%", end="", file=sys.stderr, flush=True)
                self.shown = percent
        elif percent // 10 > self.shown // 10 or self.shown < 0:
            print(f"{self.label}: {percent}%", file=sys.stderr, flush=True)
            self.shown = percent

    def finish(self) -> None:
        if self.terminal and self.shown >= 0:
            print(file=sys.stderr)


def _run(args: argparse.Namespace, work: Any) -> int:
    """Run ``work()`` -> (report dict, lines), mapping errors to reason codes and exits."""
    from kiosk.store.backup import BackupError
    from kiosk.store.errors import StoreError

    try:
        report, lines = work()
    except _Usage as error:
        return _fail(args.json, error.reason, str(error), EXIT_USAGE)
    except BackupError as error:
        extra = {k: v for k, v in error.to_dict().items() if k not in ("reason", "message")}
        return _fail(args.json, error.reason, str(error.args[0]), EXIT_BAD, **extra)
    except StoreError as error:
        return _fail(args.json, error.reason, str(error.args[0]), EXIT_BAD)
    emit(args.json, report, lines)
    return EXIT_OK


def _create(args: argparse.Namespace) -> int:
    def work() -> tuple[dict[str, Any], list[str]]:
        from kiosk.store.backup import create_backup
        from kiosk.store.database import store_key_path
        from kiosk.store.key import load_key

        config = _load_config(args)
        device_id = _device_id(config)
        passphrase = _passphrase(args, confirm=True)
        progress = _Percent("backup")
        try:
            report = create_backup(
                config.database_path,
                load_key(store_key_path(config)),
                Path(args.out),
                passphrase=passphrase,
                device_id=device_id,
                site=config.device.site,
                parent=Path(args.incremental_from) if args.incremental_from else None,
                progress=progress,
                actor_kind="technician" if args.technician else "system",
                actor_id=args.technician or "kioskctl",
            )
        finally:
            progress.finish()
        m = report.manifest
        lines = [
            f"{report.path}: {m.kind} backup {m.backup_id}",
            f"  {m.pages_included} of {m.page_count} pages, {report.archive_bytes} bytes, "
            f"{m.results} results, device {m.device_id or 'none (no keyring)'}, "
            f"{report.seconds:.1f} s",
        ]
        return report.to_dict(), lines

    return _run(args, work)


def _verify(args: argparse.Namespace) -> int:
    def work() -> tuple[dict[str, Any], list[str]]:
        from kiosk.store.backup import verify_backups

        archives = [Path(a) for a in args.archives]
        passphrase = _passphrase(args, confirm=False)
        work_dir = Path(args.work_dir) if args.work_dir else archives[0].resolve().parent
        progress = _Percent("verify")
        try:
            report = verify_backups(archives, passphrase, work_dir=work_dir, progress=progress)
        finally:
            progress.finish()
        lines = [
            f"{p}: ok ({m.kind} {m.backup_id}, {m.pages_included} pages)"
            for p, m in zip(report.archives, report.manifests, strict=True)
        ]
        head = report.audit.head
        lines.append(
            f"chain ok: {len(report.archives)} archive(s) rebuild a store of "
            f"{report.final.page_count} pages (SHA-256 {report.final.image_sha256.hex()[:16]}...), "
            f"{report.results} results, audit log intact ({report.audit.entries} entries"
            f"{f', head {head}' if head else ''})"
        )
        return report.to_dict(), lines

    return _run(args, work)


def _restore(args: argparse.Namespace) -> int:
    def work() -> tuple[dict[str, Any], list[str]]:
        from kiosk.store.backup import restore_backup
        from kiosk.store.database import store_key_path
        from kiosk.store.key import create_key_file, load_key

        if args.force and not args.technician:
            raise _Usage(
                "STORE_BACKUP_TECHNICIAN_REQUIRED", "--force needs --technician ID (audit log)"
            )
        config = _load_config(args)
        device_id = _device_id(config)
        key_path = store_key_path(config)
        passphrase = _passphrase(args, confirm=False)
        if config.store.key_file is None and not key_path.exists():
            create_key_file(key_path)  # demo: the kiosk would make this key at first start
        progress = _Percent("restore")
        try:
            report = restore_backup(
                [Path(a) for a in args.archives],
                passphrase,
                target=config.database_path,
                target_key=load_key(key_path),
                target_device=device_id,
                force=args.force,
                technician=args.technician,
                progress=progress,
            )
        finally:
            progress.finish()
        lines = [
            f"{report.target}: restored backup {report.verified.final.backup_id} "
            f"({len(report.verified.archives)} archive(s), {report.verified.results} results)",
            f"  previous store kept as {report.previous}"
            if report.previous
            else "  there was no store before",
        ]
        if report.rekeyed:
            lines.append("  re-keyed to this device's store key")
        if report.forced:
            lines.append(
                f"  FORCED by technician {args.technician}: backup of device "
                f"{report.source_device or 'unknown'} (recorded in the audit log)"
            )
        lines.append(f"  audit head {report.audit_head}")
        return report.to_dict(), lines

    return _run(args, work)
