"""``kioskctl doc``: check identity-document data offline, from files a technician captured.

* ``parse-sam FILE``: decode one raw SAM response frame (binary, or hex text) into its status
  and blocks. Personal fields (name, ID number, address, ...) are printed only with
  ``--show-personal-data``: a technician's terminal may be recorded or screen-shared.
* ``verify-lds --sod FILE --dg N=FILE ... [--csca DIR] [--at TIME]``: passive authentication
  of EF.SOD and data-group files (ICAO 9303-11). Exit 0 PASSED, 1 FAILED, 3 UNKNOWN_CSCA.
* ``mrz-check TEXT``: parse an MRZ and say which field fails its check.
* ``read``: read the document on the configured reader (``kiosk/cli/doc_read.py``).

Every command takes ``--json``. Exit codes: 0 ok, 1 the thing checked is bad, 2 usage or
configuration, 3 (verify-lds only) the issuing country's CSCA is not in the trust store.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path
from typing import Any

from drivers.document import ChipAuthentication
from drivers.errors import DocumentInvalid, DriverError, ProtocolError
from drivers.mrz import MrzError, parse_mrz
from kiosk.cli import doc_read
from kiosk.cli.output import (
    EXIT_BAD,
    EXIT_OK,
    EXIT_UNKNOWN_CSCA,
    EXIT_USAGE,
    emit,
    error_dict,
)

_HEX_TEXT = re.compile(rb"[0-9A-Fa-f\s]+")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``doc`` group to ``kioskctl``'s sub-parsers."""
    doc = subparsers.add_parser(
        "doc", help="read and check identity documents (SAM ID cards, ePassports, MRZ)"
    )
    actions = doc.add_subparsers(dest="action", required=True, metavar="ACTION")

    sam = actions.add_parser("parse-sam", help="decode a raw SAM response frame (binary or hex)")
    sam.add_argument("file", help="file holding one response frame, raw bytes or hex text")
    sam.add_argument(
        "--show-personal-data",
        action="store_true",
        help="also print the card's personal fields (off by default: terminals get recorded)",
    )
    sam.add_argument("--json", action="store_true", help="machine-readable output")
    sam.set_defaults(handler=_parse_sam)

    lds = actions.add_parser(
        "verify-lds",
        help="passive authentication of EF.SOD and DG files (exit 0 passed, 1 failed, "
        "3 unknown CSCA)",
    )
    lds.add_argument("--sod", required=True, help="EF.SOD file")
    lds.add_argument(
        "--dg",
        action="append",
        default=[],
        metavar="N=FILE",
        type=_dg_argument,
        help="a data group file and its number, e.g. 1=DG1.bin (repeat)",
    )
    lds.add_argument("--csca", help="directory of trusted CSCA certificates (PEM or DER)")
    lds.add_argument(
        "--at",
        type=_aware_datetime,
        help="check certificate validity at this ISO time (default: now, UTC)",
    )
    lds.add_argument("--json", action="store_true", help="machine-readable output")
    lds.set_defaults(handler=_verify_lds)

    mrz = actions.add_parser("mrz-check", help="parse an MRZ and name the field that fails")
    mrz.add_argument("text", help="the MRZ: lines separated by newlines, or run together")
    mrz.add_argument(
        "--show-personal-data", action="store_true", help="also print names, numbers and dates"
    )
    mrz.add_argument("--json", action="store_true", help="machine-readable output")
    mrz.set_defaults(handler=_mrz_check)

    doc_read.register(actions)


def _dg_argument(value: str) -> tuple[int, Path]:
    number, sep, path = value.partition("=")
    if not sep or not number.isdigit() or not 1 <= int(number) <= 16 or not path:
        raise argparse.ArgumentTypeError(f"expected N=FILE with N in 1..16, got {value!r}")
    return int(number), Path(path)


def _aware_datetime(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date/time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


# --- parse-sam ------------------------------------------------------------------------------


# The largest file that can hold one SAM frame: the longest frame (preamble, length field and
# MAX_LENGTH bytes) written as hex text with a separator after every byte and a line break
# every 16 (3 characters per byte, rounded up to 16 KiB). ``/dev/zero`` or a 50 MB capture
# is refused after reading this much, with DRV_SAM_FRAME_LENGTH, instead of filling memory.
MAX_FRAME_FILE_SIZE = 16 * 1024


class _FileTooLong(ProtocolError):
    """More bytes in the file than any one frame can take."""


def _read_frame(path: Path) -> bytes:
    from drivers.sam.frame import REASON_LENGTH

    with path.open("rb") as handle:
        raw = handle.read(MAX_FRAME_FILE_SIZE + 1)
    if len(raw) > MAX_FRAME_FILE_SIZE:
        raise _FileTooLong(
            f"the file holds more than {MAX_FRAME_FILE_SIZE} bytes: longer than any SAM frame, "
            "even as hex text",
            raw=raw[:16],
            offset=MAX_FRAME_FILE_SIZE,
            reason=REASON_LENGTH,
        )
    if raw and _HEX_TEXT.fullmatch(raw):
        compact = b"".join(raw.split())
        if len(compact) % 2 == 0:
            return bytes.fromhex(compact.decode("ascii"))
    return raw


def _parse_sam(args: argparse.Namespace) -> int:
    # Imported here: the SAM package pulls in pyserial, which other commands do not need.
    from drivers.sam import status as sam_status
    from drivers.sam.frame import decode_response

    try:
        raw = _read_frame(Path(args.file))
    except OSError as exc:
        print(f"kioskctl doc parse-sam: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except _FileTooLong as exc:
        report = {"file": args.file, "ok": False, "error": error_dict(exc)}
        emit(args.json, report, [f"{args.file}: INVALID: {exc}"])
        return EXIT_BAD
    report: dict[str, Any] = {"file": args.file, "frame_length": len(raw), "ok": False}
    lines = [f"{args.file}: {len(raw)} bytes"]
    try:
        response = decode_response(raw)
    except ProtocolError as exc:
        report["error"] = error_dict(exc)
        lines.append(f"INVALID frame: {exc}")
        emit(args.json, report, lines)
        return EXIT_BAD
    found = sam_status.lookup(response.sw3)
    report.update(
        sw1=response.sw1,
        sw2=response.sw2,
        status={
            "code": f"0x{found.code:02X}",
            "name": found.name,
            "message": found.message,
            "reason": found.reason,
            "ok": found.ok,
        },
        data_length=len(response.data),
    )
    lines.append(f"status: SW3=0x{found.code:02X} {found.name} ({found.message}) [{found.reason}]")
    lines.append(f"data: {len(response.data)} bytes")
    ok = found.ok
    if found.ok and response.data:
        ok = _describe_base_message(response.data, args.show_personal_data, report, lines)
    report["ok"] = ok
    emit(args.json, report, lines)
    return EXIT_OK if ok else EXIT_BAD


def _describe_base_message(
    data: bytes, show_personal: bool, report: dict[str, Any], lines: list[str]
) -> bool:
    """Blocks and text fields of a read-base-message response; values only on request."""
    from drivers.sam.message import decode_base_message_any_layout
    from drivers.sam.text import LAYOUT, parse_text_block

    # A captured frame does not say which read it answers (30 01 or 30 10): the message
    # codec tries both layouts and, when neither adds up, names the one the frame is closest to.
    try:
        message = decode_base_message_any_layout(data)
    except ProtocolError as error:
        report["error"] = error_dict(error)
        lines.append(f"INVALID data: {error}")
        return False
    blocks = {
        "text": len(message.text),
        "photo": len(message.photo),
        "fingerprint": len(message.fingerprint),
    }
    report["blocks"] = blocks
    lines.append("blocks: " + ", ".join(f"{name} {size} bytes" for name, size in blocks.items()))
    fields = []
    for name, start, size in LAYOUT:
        chunk = message.text[start : start + size]
        try:
            characters = len(chunk.decode("utf-16-le").rstrip(" "))
        except UnicodeDecodeError:
            characters = None
        fields.append({"name": name, "bytes": size, "characters": characters})
    ok = True
    try:
        text = parse_text_block(message.text)
    except DocumentInvalid as exc:
        ok = False
        report["error"] = error_dict(exc)
        lines.append(f"INVALID text block: {exc}")
        text = None
    if show_personal and text is not None:
        values = {
            "name": text.name,
            "sex": text.sex.value,
            "nation": f"{text.nation_code} {text.nation}",
            "birth_date": text.birth_date.isoformat(),
            "address": text.address,
            "id_number": text.id_number,
            "issuer": text.issuer,
            "valid_from": text.valid_from.isoformat(),
            "valid_until": text.valid_until.isoformat() if text.valid_until else "长期",
        }
        for item in fields:
            if item["name"] in values:
                item["value"] = values[item["name"]]
    report["fields"] = fields
    lines.append("text fields (name: bytes, characters used):")
    for item in fields:
        shown = f" = {item['value']}" if "value" in item else ""
        lines.append(f"  {item['name']}: {item['bytes']}, {item['characters']}{shown}")
    if not show_personal:
        lines.append("(personal values hidden; add --show-personal-data to print them)")
    return ok


# --- verify-lds -----------------------------------------------------------------------------


def _verify_lds(args: argparse.Namespace) -> int:
    from drivers.emrtd.passive_auth import load_trust_store, passive_authentication

    at = args.at or dt.datetime.now(dt.UTC)
    try:
        sod = Path(args.sod).read_bytes()
        groups = {number: path.read_bytes() for number, path in args.dg}
    except OSError as exc:
        print(f"kioskctl doc verify-lds: {exc}", file=sys.stderr)
        return EXIT_USAGE
    store = None
    if args.csca:
        try:
            store = load_trust_store(args.csca)
        except DriverError as exc:
            print(f"kioskctl doc verify-lds: {exc}", file=sys.stderr)
            return EXIT_USAGE
        for problem in store.problems:
            print(f"warning: CSCA trust store: {problem}", file=sys.stderr)
    try:
        result = passive_authentication(sod, groups, trust_store=store, at=at)
    except DriverError as exc:
        report = {"sod": args.sod, "status": ChipAuthentication.FAILED.value}
        report["error"] = error_dict(exc)
        emit(args.json, report, [f"FAILED: EF.SOD cannot be parsed: {exc}"])
        return EXIT_BAD
    report = {
        "sod": args.sod,
        "at": at.isoformat(),
        "status": result.status.value,
        "signature": result.signature.value,
        "chain": result.chain.value,
        "hash_algorithm": result.hash_algorithm,
        "signature_algorithm": result.signature_algorithm,
        "ds_certificate": {
            "subject": result.ds_subject,
            "issuer": result.ds_issuer,
            "serial_number": result.ds_serial_number,
            "not_before": result.ds_not_before,
            "not_after": result.ds_not_after,
        },
        "csca": result.csca_subject,
        "data_groups": [
            {
                "number": item.number,
                "status": item.status.value,
                "expected_hash": item.expected_hash.hex() if item.expected_hash else None,
                "computed_hash": item.computed_hash.hex() if item.computed_hash else None,
            }
            for item in result.data_groups
        ],
        "failures": [
            {"reason": f.reason, "message": f.message, "data_group": f.data_group}
            for f in result.failures
        ],
    }
    lines = [
        f"EF.SOD {args.sod}: {result.hash_algorithm} hashes, {result.signature_algorithm}",
        f"DS certificate: {result.ds_subject}",
        f"  issuer: {result.ds_issuer}",
        f"  valid {result.ds_not_before} .. {result.ds_not_after}",
        f"signature: {result.signature.value}",
        f"chain: {result.chain.value}"
        + (f" (CSCA {result.csca_subject})" if result.csca_subject else ""),
    ]
    lines += [f"DG{item.number}: {item.status.value}" for item in result.data_groups]
    lines += [f"  {f.reason}: {f.message}" for f in result.failures]
    lines.append(f"passive authentication: {result.status.value.upper()}")
    emit(args.json, report, lines)
    return {
        ChipAuthentication.PASSED: EXIT_OK,
        ChipAuthentication.UNKNOWN_CSCA: EXIT_UNKNOWN_CSCA,
    }.get(result.status, EXIT_BAD)


# --- mrz-check ------------------------------------------------------------------------------


def _mrz_check(args: argparse.Namespace) -> int:
    try:
        mrz = parse_mrz(args.text)
    except MrzError as exc:
        where = f" line {exc.line}" if exc.line else ""
        where += f" position {exc.position}" if exc.position else ""
        emit(
            args.json,
            {"ok": False, "error": error_dict(exc)},
            [f"INVALID: field {exc.field}{where}: {exc}"],
        )
        return EXIT_BAD
    report: dict[str, Any] = {
        "ok": True,
        "format": mrz.format.value,
        "document_code": mrz.document_code,
        "issuing_state": mrz.issuing_state,
        "name_truncated": mrz.name_truncated,
    }
    lines = [
        f"ok: {mrz.format.value.upper()} MRZ, document code {mrz.document_code}, "
        f"issued by {mrz.issuing_state}; every check digit verifies"
    ]
    if args.show_personal_data:
        personal = {
            "document_number": mrz.document_number,
            "primary_identifier": mrz.primary_identifier,
            "secondary_identifier": mrz.secondary_identifier,
            "nationality": mrz.nationality,
            "birth_date": mrz.birth_date.isoformat() if mrz.birth_date else None,
            "sex": mrz.sex,
            "expiry_date": mrz.expiry_date.isoformat() if mrz.expiry_date else None,
        }
        report["personal"] = personal
        lines += [f"  {key}: {value}" for key, value in personal.items()]
    else:
        lines.append("(personal values hidden; add --show-personal-data to print them)")
    emit(args.json, report, lines)
    return EXIT_OK
