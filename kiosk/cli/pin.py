"""``kioskctl pin set FILE``: write the staff PIN's hash (security.service_pin_file).

    kioskctl pin set /etc/bdmi-kiosk/secrets/service-pin          # asks twice, not echoed
    printf '%s\\n' "$PIN" | kioskctl pin set FILE --stdin          # provisioning scripts

The PIN is never an argument (it would land in the shell history and in ``ps``). The file
gets mode 0600; give it to the kiosk's user (``chown bdmi: FILE``). A running kiosk reads it
at start: restart it after a change.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from kiosk.cli.output import EXIT_BAD, EXIT_OK
from kiosk.security.errors import SecurityError
from kiosk.security.pin import write_pin_file


def register(subparsers: argparse._SubParsersAction) -> None:
    pin = subparsers.add_parser("pin", help="set the staff PIN (pension enrolment)")
    actions = pin.add_subparsers(dest="action", required=True, metavar="ACTION")
    set_ = actions.add_parser("set", help="write the hash of a new staff PIN to FILE")
    set_.add_argument("file", help="the file security.service_pin_file names")
    set_.add_argument("--stdin", action="store_true", help="read the PIN from one stdin line")
    set_.set_defaults(handler=_set)


def _set(args: argparse.Namespace) -> int:
    if args.stdin:
        pin = sys.stdin.readline().strip()
    else:
        pin = getpass.getpass("new staff PIN (4-12 digits): ")
        if getpass.getpass("again: ") != pin:
            print("SEC_PIN_INVALID: the two entries differ; nothing written", file=sys.stderr)
            return EXIT_BAD
    try:
        write_pin_file(Path(args.file), pin)
    except SecurityError as exc:
        print(f"{exc.reason}: {exc.args[0]}; nothing written", file=sys.stderr)
        return EXIT_BAD
    except OSError as exc:
        print(f"SEC_PIN_FILE_BAD: cannot write {args.file}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD
    print(f"{args.file}: staff PIN set (restart bdmi-kiosk to use it)")
    return EXIT_OK
