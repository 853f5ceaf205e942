"""Forwards the kiosk's calls for staff to the site's broker (``bdmi-health``).

The kiosk writes each call as an audit entry ``staff_called`` (kiosk/shell/runner.py): the
store is the one hand-over between the two processes, so a call made while the broker is
down, or while this daemon restarts, is forwarded when it can be, and only once. The daemon
looks for new entries every ``[assist] staff_call_poll_s`` seconds and publishes each, QoS 1
and not retained (a call is an event, not a state), on ``bdmi/v1/{site}/{device}/staff_call``.
The last forwarded entry's ``seq`` is kept in ``<state_dir>/staff_call.seq``.

The message holds the audit seq, the time, the screen and the reason code shown: never
anything about the person.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.store import audit
from kiosk.store.errors import StoreError

if TYPE_CHECKING:
    from kiosk.config.schema import KioskConfig
    from kiosk.store.database import StoreDatabase

log = logging.getLogger(__name__)

STAFF_CALLED = "staff_called"
"""The audit action the kiosk writes (kiosk.shell.runner.STAFF_CALLED)."""
OPS_STAFF_CALL_NOT_FORWARDED = "OPS_STAFF_CALL_NOT_FORWARDED"
CURSOR_FILE = "staff_call.seq"


def staff_call_topic(site: str, device_id: str) -> str:
    return f"bdmi/v1/{site}/{device_id}/staff_call"


@dataclass(frozen=True, slots=True)
class StaffCall:
    seq: int
    at_ms: int
    screen: str
    reason: str | None

    def payload(self) -> bytes:
        return json.dumps(
            {"source": "bdmi-health", "seq": self.seq, "at_ms": self.at_ms,
             "screen": self.screen, "reason": self.reason},
            sort_keys=True, separators=(",", ":"),
        ).encode("ascii")  # fmt: skip


def calls_after(db: StoreDatabase, seq: int, limit: int = 100) -> list[StaffCall]:
    rows = db.execute_sql(
        f"SELECT seq, at_ms, detail FROM {audit.TABLE} WHERE action = ? AND seq > ? "
        "ORDER BY seq LIMIT ?",
        (STAFF_CALLED, seq, limit),
    ).fetchall()
    calls = []
    for row_seq, at_ms, detail in rows:
        fields = json.loads(detail or "{}")
        screen, reason = fields.get("screen"), fields.get("reason")
        calls.append(StaffCall(int(row_seq), int(at_ms), str(screen or ""),
                               reason if isinstance(reason, str) else None))  # fmt: skip
    return calls


def read_cursor(path: Path) -> int | None:
    """The last forwarded (or passed over) seq; ``None`` before the first pass."""
    try:
        return int(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        return None
    except ValueError:
        log.warning("staff call cursor unreadable, starting from now",
                    extra={"reason": OPS_STAFF_CALL_NOT_FORWARDED})  # fmt: skip
        return None


def write_cursor(path: Path, seq: int) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(f"{seq}\n", encoding="ascii")
    os.replace(partial, path)


Send = Callable[[StaffCall], None]
"""Publishes one call; raises ``PublishFailed`` when it cannot."""


def forward_calls(db: StoreDatabase, cursor: Path, send: Send, *, now_ms: int,
                  max_age_ms: int) -> int:  # fmt: skip
    """Forward the calls not yet forwarded, oldest first; returns how many went out.

    A call older than ``max_age_ms`` (the time a call holds the kiosk) has lapsed: nobody
    waits for staff any more, so it is passed over (it stays in the audit log). A failed
    publish stops the pass; the next pass retries it."""
    from kiosk.ops.health import PublishFailed

    last = read_cursor(cursor) or 0
    sent = 0
    for call in calls_after(db, last):
        if now_ms - call.at_ms <= max_age_ms:
            try:
                send(call)
            except PublishFailed as exc:
                log.warning("staff call not forwarded: %s", exc, extra={"reason": exc.reason})
                break
            shown = {"seq": call.seq, "screen": call.screen, "shown": call.reason}
            log.info("staff call forwarded", extra=shown)
            sent += 1
        write_cursor(cursor, call.seq)
    return sent


def forward_from_config(config: KioskConfig) -> int:
    """One pass with the kiosk's store and broker; 0 when sync is off or the store is not
    there yet (logged: the daemon runs on)."""
    from kiosk.ops.health import publish
    from kiosk.store.database import open_from_config

    if not config.sync.enabled:
        return 0

    def send(call: StaffCall) -> None:
        publish(config, lambda device: staff_call_topic(config.device.site, device),
                call.payload(), retain=False, reason=OPS_STAFF_CALL_NOT_FORWARDED)  # fmt: skip

    try:
        db = open_from_config(config)
    except StoreError as exc:
        log.warning("staff calls not read", extra={"reason": exc.reason})
        return 0
    try:
        return forward_calls(db, config.device.state_dir / CURSOR_FILE, send,
                             now_ms=int(time.time() * 1000),
                             max_age_ms=config.assist.staff_call_hold_s * 1000)  # fmt: skip
    finally:
        db.close()
