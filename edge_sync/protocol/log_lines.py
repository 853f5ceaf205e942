"""The log line both programs write, and its privacy filter: one JSON object per line on
stderr, which systemd hands to journald, with the event's fields as keys (``ts``, ``level``,
``logger``, ``msg`` and whatever was passed through ``extra=``), so one log shipper parses the
kiosk's and the gateway's alike.

Here, in the shared contract, because the filter is a privacy rule: the kiosk and the gateway
must mask the same shapes, and two copies would drift. Personal data stays out by
construction (codes, lengths and pseudonymous ids are what gets logged); ``PrivacyFilter`` is
the second line of defence that masks anything shaped like a resident ID number or an MRZ
line should one slip into a message, and drops the values of logged SQL statements.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

STANDARD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}
"""Attributes every LogRecord has; anything else was passed through ``extra=`` and is a field."""

# GB 11643 citizen number: 17 digits and a check character. MRZ: a run of the MRZ
# alphabet (A-Z, 0-9, filler '<') at least as long as the shortest MRZ line (TD1, 30);
# nothing either program logs on purpose looks like that (ULIDs are 26, hashes lower-case).
_CN_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
_MRZ = re.compile(r"[A-Z0-9<]{30,}")
_MASK = "[redacted]"


def redact(text: str) -> str:
    return _MRZ.sub(_MASK, _CN_ID.sub(_MASK, text))


def _without_query_parameters(record: logging.LogRecord) -> None:
    """peewee logs every statement at DEBUG as the tuple ``(sql, params)``, and the params of
    the store's writes are personal data (a name, a portrait, a template). Keep the SQL, which
    has only placeholders, and the count of values: enough to trace what ran, never what it
    carried. Any other logger that hands a tuple as the message is treated the same way."""
    if isinstance(record.msg, tuple) and len(record.msg) == 2 and isinstance(record.msg[0], str):
        sql, params = record.msg
        count = len(params) if isinstance(params, (list, tuple, dict)) else 1
        record.msg = f"{sql} [{count} parameters not logged]"
        record.args = None


class PrivacyFilter(logging.Filter):
    """Masks ID-number and MRZ shapes in the message and in every extra field, and drops
    the values of logged SQL statements."""

    def filter(self, record: logging.LogRecord) -> bool:
        _without_query_parameters(record)
        record.msg = redact(record.getMessage())
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in STANDARD_FIELDS and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """The ``extra=`` fields of a record."""
    return {k: v for k, v in vars(record).items() if k not in STANDARD_FIELDS}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            **fields(record),
        }
        if record.exc_info:
            out["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=str)
