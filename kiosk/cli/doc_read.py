"""``kioskctl doc read``: read the document on a configured reader, as the kiosk would.

A technician's check that a reader, its cable and its driver work end to end. Personal
fields are masked unless ``--show-personal-data`` is given (terminals get recorded); the
document type, the chip's passive- and active-authentication outcomes and the portrait's
format and size are always shown (a chip that fails Active Authentication is a failed read:
``DRV_EMRTD_CLONE_SUSPECTED``). Progress goes to stderr so ``--json`` output stays clean.

Exit codes: 0 read (and, for a chip, passive authentication not failed), 1 the read or the
document failed (the reason code says why), 2 usage or configuration, 3 the chip's issuing
country has no CSCA in the trust store.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from drivers.document import ChipAuthentication, IdentityDocument
from drivers.emrtd.reader import PcscPassportReader
from drivers.errors import DriverError
from drivers.mrz import MrzError, mrz_information, parse_mrz
from kiosk.cli.output import EXIT_BAD, EXIT_OK, EXIT_UNKNOWN_CSCA, EXIT_USAGE, emit, error_dict
from kiosk.config import ConfigError, load_config, resolve_path
from kiosk.devices import document_reader

PERSONAL_FIELDS = ("document_number", "name", "birth_date", "issuer", "valid_from", "valid_until")
CARD_WAIT_S = 30.0


def register(actions: argparse._SubParsersAction) -> None:
    read = actions.add_parser("read", help="read the document on the configured reader")
    read.add_argument("--config", help="kiosk config (default: $BDMI_CONFIG or /etc/bdmi-kiosk)")
    read.add_argument(
        "--reader", choices=("sam", "pcsc"), help="which reader (default: the SAM if configured)"
    )
    read.add_argument("--mrz", help="ePassport: the MRZ that opens the chip (BAC key)")
    read.add_argument(
        "--show-personal-data", action="store_true", help="print names, numbers and dates"
    )
    read.add_argument("--json", action="store_true", help="machine-readable output")
    read.set_defaults(handler=_read)


def _progress(text: str) -> None:
    print(f"... {text}", file=sys.stderr, flush=True)


def _read(args: argparse.Namespace) -> int:
    try:
        config = load_config(resolve_path(args.config))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    kind = args.reader or ("sam" if config.readers.sam else "pcsc")
    access_mrz = None
    if args.mrz:
        try:
            access_mrz = mrz_information(parse_mrz(args.mrz))
        except MrzError as exc:
            emit(args.json, {"ok": False, "error": error_dict(exc)}, [f"MRZ rejected: {exc}"])
            return EXIT_USAGE
    try:
        _progress(f"opening the {kind} reader")
        with document_reader(config, kind) as opened:
            reader = opened.reader
            if isinstance(reader, PcscPassportReader):
                key = access_mrz or opened.access_mrz
                if key is None:
                    print("an ePassport needs --mrz (the two MRZ lines)", file=sys.stderr)
                    return EXIT_USAGE
                reader.set_access_key(key)
                _progress("waiting for a passport on the reader")
                reader.wait_for_card(CARD_WAIT_S)
            _progress("reading the document")
            document = reader.read()
            apdus = reader.last_read.apdu_count if isinstance(reader, PcscPassportReader) else None
    except DriverError as exc:
        emit(
            args.json,
            {"ok": False, "reader": kind, "error": error_dict(exc)},
            [f"read failed: {exc}"],
        )
        return EXIT_BAD
    report = _describe(document, kind, args.show_personal_data, apdus)
    emit(args.json, report, [f"{key}: {_text(value)}" for key, value in report.items()])
    status = document.chip_authentication
    if status is ChipAuthentication.FAILED:
        return EXIT_BAD
    return EXIT_UNKNOWN_CSCA if status is ChipAuthentication.UNKNOWN_CSCA else EXIT_OK


def _describe(
    document: IdentityDocument, kind: str, show: bool, apdus: int | None
) -> dict[str, Any]:
    failed = document.chip_authentication is ChipAuthentication.FAILED
    report: dict[str, Any] = {
        "ok": not failed,  # the same verdict as the exit code: a failed check is not ok
        "reader": kind,
        "doc_type": document.doc_type.value,
        "chip_authentication": document.chip_authentication.value,
        "active_authentication": document.active_authentication.value,
    }
    algorithm = document.extra.get("active_authentication_algorithm", "")
    if algorithm:
        report["active_authentication_algorithm"] = algorithm
    # Why passive authentication did not pass, as reason codes the technician guide
    # explains; shown whenever there are any (an unknown CSCA names DRV_PA_CSCA_UNKNOWN).
    reasons = document.extra.get("passive_authentication_reasons", "")
    if reasons:
        report["passive_authentication_reasons"] = reasons.split(",")
    report["portrait_format"] = document.portrait_format
    report["portrait_bytes"] = len(document.portrait)
    if apdus is not None:
        report["apdus"] = apdus
    for name in PERSONAL_FIELDS:
        value = getattr(document, name)
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif name == "valid_until" and value is None:
            value = "no expiry"  # 长期: not personal, and an empty field would look like a bug
        report[name] = value if show else _mask(value)
    report["personal_data"] = "shown" if show else "masked (--show-personal-data to print)"
    return report


def _text(value: object) -> str:
    """A report value on one line: lists of codes comma-separated, not as Python repr."""
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _mask(value: object) -> str:
    return "" if value in (None, "") else "*" * min(len(str(value)), 8)
