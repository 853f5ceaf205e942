"""The gateway's logging: one JSON object per line on stderr, which systemd hands to journald.

The gateway's own set-up, not the kiosk's (``kiosk/log.py``): the server never imports device
code. It keeps the same line shape (``ts``, ``level``, ``logger``, ``msg`` and the ``extra=``
fields as keys) so one log shipper parses both, and the same second line of defence: the
gateway receives no personal data by design (pseudonymous ids and hashes only), yet anything
shaped like a resident ID number or an MRZ line is masked should one ever reach a message, and
logged SQL statements (peewee at DEBUG) lose their parameter values.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any, TextIO

# Attributes every LogRecord has; anything else was passed through ``extra=`` and is a field.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}

# GB 11643 citizen number (17 digits and a check character) and a run of the MRZ alphabet at
# least as long as the shortest MRZ line; nothing the gateway logs on purpose looks like that.
_CN_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
_MRZ = re.compile(r"[A-Z0-9<]{30,}")
_MASK = "[redacted]"


def redact(text: str) -> str:
    return _MRZ.sub(_MASK, _CN_ID.sub(_MASK, text))


class PrivacyFilter(logging.Filter):
    """Masks ID-number and MRZ shapes in the message and every extra field, and keeps only the
    SQL and the count of values of a logged ``(sql, params)`` statement."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (
            isinstance(record.msg, tuple)
            and len(record.msg) == 2
            and isinstance(record.msg[0], str)
        ):
            sql, params = record.msg
            count = len(params) if isinstance(params, (list, tuple, dict)) else 1
            record.msg = f"{sql} [{count} parameters not logged]"
            record.args = None
        record.msg = redact(record.getMessage())
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            **{k: v for k, v in vars(record).items() if k not in _STANDARD},
        }
        if record.exc_info:
            out["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> logging.Handler:
    """Replace the root handlers with one privacy-filtered JSON handler; returns it so a test
    can detach it again."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(PrivacyFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
