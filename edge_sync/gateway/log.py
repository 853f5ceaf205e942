"""The gateway's logging: one JSON object per line on stderr, which systemd hands to journald.

The gateway's own set-up, not the kiosk's (``kiosk/log.py``): the server never imports device
code. It keeps the same line shape (``ts``, ``level``, ``logger``, ``msg`` and the ``extra=``
fields as keys) so one log shipper parses both, and the same second line of defence, from the
shared contract (edge_sync/protocol/log_lines.py): the gateway receives no personal data by
design (pseudonymous ids and hashes only), yet anything shaped like a resident ID number or an
MRZ line is masked should one ever reach a message, and logged SQL statements (peewee at
DEBUG) lose their parameter values.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from edge_sync.protocol.log_lines import JsonFormatter, PrivacyFilter


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
