"""``kioskctl``: one entry point, one sub-command group per job a technician does.

Groups register themselves in ``GROUPS``; a group whose work has not landed yet is listed
(so ``--help`` shows the whole tool to come) and says so with exit code 2 when called.
Exit codes: 0 ok, 1 the thing checked is bad, 2 usage or not available.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from kiosk import __version__
from kiosk.cli.audit import register as register_audit
from kiosk.cli.backup import register as register_backup
from kiosk.cli.doc import register as register_doc
from kiosk.cli.face import register as register_face
from kiosk.cli.outbox import register as register_outbox
from kiosk.cli.pin import register as register_pin
from kiosk.cli.proof import register as register_proof
from kiosk.cli.provision import register as register_provision
from kiosk.cli.retention import register as register_retention
from kiosk.cli.selftest import register as register_selftest
from kiosk.config import check_config

Handler = Callable[[argparse.Namespace], int]

# name -> (help, issue that brings it); groups with a builder are available now.
PLANNED: dict[str, str] = {}


def _config_group(sub: argparse._SubParsersAction) -> None:
    config = sub.add_parser("config", help="check and show the kiosk configuration file")
    actions = config.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check", help="validate a config file; exit 1 naming every bad key and its line"
    )
    check.add_argument("file")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(handler=_config_check)
    show = actions.add_parser("show", help="print the effective config (secrets are paths only)")
    show.add_argument("file")
    show.set_defaults(handler=_config_show)


def _config_check(args: argparse.Namespace) -> int:
    config, issues = check_config(args.file)
    ok = config is not None and not any(i.severity == "error" for i in issues)
    if args.json:
        print(
            json.dumps(
                {
                    "file": args.file,
                    "ok": ok,
                    "issues": [
                        {
                            "severity": i.severity,
                            "reason": i.reason,
                            "key": i.key,
                            "line": i.line,
                            "message": i.message,
                        }
                        for i in issues
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for issue in issues:
            print(issue.format(args.file), file=sys.stderr)
        print(f"{args.file}: {'ok' if ok else 'INVALID'}")
    return 0 if ok else 1


def _config_show(args: argparse.Namespace) -> int:
    config, issues = check_config(args.file)
    if config is None:
        for issue in issues:
            print(issue.format(args.file), file=sys.stderr)
        return 1
    print(json.dumps(config.model_dump(mode="json"), ensure_ascii=False, indent=2))
    return 0


def _planned(name: str) -> Handler:
    def handler(_: argparse.Namespace) -> int:
        print(f"kioskctl {name}: not available in this version yet", file=sys.stderr)
        return 2

    return handler


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kioskctl",
        description="BDMI Kiosk technician tool. Reason codes are explained in docs/operations.md.",
    )
    parser.add_argument("--version", action="version", version=f"kioskctl {__version__}")
    sub = parser.add_subparsers(dest="group", required=True, metavar="GROUP")
    _config_group(sub)
    register_doc(sub)
    register_face(sub)
    register_audit(sub)
    register_backup(sub)
    register_proof(sub)
    register_outbox(sub)
    register_pin(sub)
    register_selftest(sub)
    register_provision(sub)
    register_retention(sub)
    for name, help_text in PLANNED.items():
        sub.add_parser(name, help=f"{help_text} (coming)").set_defaults(handler=_planned(name))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
