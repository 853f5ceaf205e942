"""Structured logging to stderr, which systemd hands to journald.

One line per event, JSON or key=value, with the event's fields as keys, so a technician
can grep and a log shipper can parse. Personal data stays out by construction (drivers
and flows log codes, lengths and pseudonymous ids, and ``IdentityDocument`` has a
redacted repr); ``PrivacyFilter`` (shared with the gateway, edge_sync/protocol/log_lines.py)
is the second line of defence that masks anything shaped like a resident ID number or an MRZ
line should one slip into a message.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Literal, TextIO

from edge_sync.protocol.log_lines import JsonFormatter, PrivacyFilter, fields, redact

__all__ = ["JsonFormatter", "PrivacyFilter", "RecentReasons", "configure_logging", "redact"]


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created))
        parts = [f"{stamp}", record.levelname, record.name, _quote(record.getMessage())]
        parts += [f"{k}={_quote(str(v))}" for k, v in fields(record).items()]
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
