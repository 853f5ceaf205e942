"""``kioskctl selftest``: check every device, the network, the clock, the disk, the store and
the audit log, and print one report.

    kioskctl selftest [--config FILE] [--json]

Progress goes to stderr as each check starts (a camera that never delivers a frame takes its
timeout; the technician sees which check is waiting). The report goes to stdout: a table for
people, or with ``--json`` the object ``SelfTestReport.to_dict`` builds (schema in
docs/operations.md, "Read the self-test"). Exit 0 when every check is ok, warned or skipped,
1 when any failed, 2 usage or a config that does not load.
"""

from __future__ import annotations

import argparse
import json
import sys

from kiosk.cli.output import EXIT_USAGE
from kiosk.config import ConfigError, load_config, resolve_path


def register(subparsers: argparse._SubParsersAction) -> None:
    selftest = subparsers.add_parser(
        "selftest", help="check every device, the network, the store and the clock"
    )
    selftest.add_argument(
        "--config", help="kiosk config (default: $BDMI_CONFIG, then /etc/bdmi-kiosk/kiosk.toml)"
    )
    selftest.add_argument("--json", action="store_true", help="machine-readable output")
    selftest.set_defaults(handler=_selftest)


def _progress(index: int, total: int, name: str) -> None:
    print(f"selftest [{index}/{total}] {name} ...", file=sys.stderr, flush=True)


def format_table(report: object) -> str:
    """The report as a fixed-width table, widest message last so it may wrap."""
    from kiosk.ops.selftest import SelfTestReport

    assert isinstance(report, SelfTestReport)
    rows = [("CHECK", "STATUS", "REASON", "TIME", "WHAT WAS FOUND")]
    for check in report.checks:
        rows.append(
            (
                check.name,
                check.status.upper() if check.status in ("warn", "fail") else check.status,
                check.reason or "-",
                f"{check.duration_s:.1f}s",
                check.message,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True))
        + "  "
        + row[4]
        for row in rows
    ]
    counts = {s: sum(1 for c in report.checks if c.status == s) for s in ("ok", "warn", "fail")}
    skipped = len(report.checks) - sum(counts.values())
    lines.append("")
    lines.append(
        f"self-test {report.status.upper()}: {counts['ok']} ok, {counts['warn']} warn, "
        f"{counts['fail']} fail, {skipped} skipped (reason codes: docs/operations.md)"
    )
    return "\n".join(lines)


def _selftest(args: argparse.Namespace) -> int:
    from kiosk.ops.selftest import run_selftest

    path = resolve_path(args.config)
    try:
        config = load_config(path)
    except ConfigError as exc:
        first = exc.issues[0].reason if exc.issues else "CFG_INVALID_VALUE"
        print(f"{first}: configuration {path} invalid:\n{exc}", file=sys.stderr)
        if args.json:
            error = {"reason": first, "message": str(exc)}
            print(json.dumps({"ok": False, "error": error}, ensure_ascii=False, indent=2))
        return EXIT_USAGE
    report = run_selftest(config, _progress)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        print(format_table(report))
    return report.exit_code
