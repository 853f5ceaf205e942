"""Structured logging to stderr, which systemd hands to journald.

One line per event, JSON or key=value, with the event's fields as keys, so a technician
can grep and a log shipper can parse. Personal data stays out by construction (drivers
and flows log codes, lengths and pseudonymous ids, and ``IdentityDocument`` has a
redacted repr); ``PrivacyFilter`` is the second line of defence that masks anything
shaped like a resident ID number or an MRZ line should one slip into a message.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal, TextIO

# Attributes every LogRecord has; anything else was passed through ``extra=`` and is a field.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}

# GB 11643 citizen number: 17 digits and a check character. MRZ: a run of the MRZ
# alphabet (A-Z, 0-9, filler '<') at least as long as the shortest MRZ line (TD1, 30);
# nothing the kiosk logs on purpose looks like that (ULIDs are 26, hashes lower-case).
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
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            out["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=str)


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created))
        parts = [f"{stamp}", record.levelname, record.name, _quote(record.getMessage())]
        parts += [f"{k}={_quote(str(v))}" for k, v in _fields(record).items()]
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return line


def _quote(value: str) -> str:
    return json.dumps(value, ensure_ascii=False) if (" " in value or not value) else value


def configure_logging(
    level: str = "INFO",
    fmt: Literal["json", "kv"] = "json",
    stream: TextIO | None = None,
) -> logging.Handler:
    """Replace the root handlers with one privacy-filtered handler. Returns it so a test
    or a CLI can detach it again."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else KeyValueFormatter())
    handler.addFilter(PrivacyFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


@dataclass(frozen=True, slots=True)
class RecentReason:
    at: float
    """Epoch seconds."""
    level: str
    reason: str
    logger: str


class RecentReasons(logging.Handler):
    """The last warnings and errors that carry a reason code, for the service screen: a
    technician at the kiosk sees what went wrong without a laptop. Only the code, the level,
    the logger and the time are kept, never the message, so nothing personal can reach the
    screen even if a message slipped past the privacy filter."""

    def __init__(self, size: int = 20) -> None:
        super().__init__(logging.WARNING)
        self._lock_recent = threading.Lock()
        self._recent: deque[RecentReason] = deque(maxlen=size)

    def emit(self, record: logging.LogRecord) -> None:
        reason = getattr(record, "reason", None)
        if isinstance(reason, str) and reason:
            item = RecentReason(record.created, record.levelname, reason, record.name)
            with self._lock_recent:
                self._recent.append(item)

    def recent(self) -> list[RecentReason]:
        """Newest first."""
        with self._lock_recent:
            return list(reversed(self._recent))
