"""Output shared by ``kioskctl`` commands: exit codes, JSON or lines, error descriptions."""

from __future__ import annotations

import json
from typing import Any

from drivers.errors import DocumentInvalid, DriverError, ProtocolError
from drivers.mrz import MrzError

EXIT_OK = 0
EXIT_BAD = 1  # the thing checked or read is bad
EXIT_USAGE = 2  # usage or configuration
EXIT_UNKNOWN_CSCA = 3  # passive authentication: the issuing country's CSCA is not trusted


def error_dict(error: DriverError) -> dict[str, Any]:
    found: dict[str, Any] = {"reason": error.reason, "message": str(error)}
    if isinstance(error, ProtocolError):
        found["offset"] = error.offset
    if isinstance(error, DocumentInvalid):
        found["field"] = error.field
    if isinstance(error, MrzError):
        found["line"] = error.line
        found["position"] = error.position
    return found


def emit(as_json: bool, report: dict[str, Any], lines: list[str]) -> None:
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        print("\n".join(lines))
