"""Clock sanity: a kiosk with a wrong clock signs results the gateway refuses
(``GW_TIME_FUTURE``, ``GW_TIME_TOO_OLD``) and checks certificates at the wrong time.

A kiosk without a battery-backed clock boots in 1970 or at its image's build date, so the
check compares the time with two floors no correct clock can be under: the release of this
software (``RELEASE_FLOOR``; bump it with each release) and the last time the store itself
recorded (the newest audit entry or result; the clock once reached it, so a clock now earlier
went backwards). A few minutes of slack absorb an NTP step back. Then it asks whether the
clock is synchronised: ``timedatectl`` when systemd runs the machine, else the kernel's own
NTP state through ``adjtimex(2)``, which any NTP daemon (chrony, ntpd, timesyncd) keeps.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import subprocess
from pathlib import Path
from typing import Literal

from kiosk.ops.check import Check, fail, ok, warn
from kiosk.ops.context import CheckContext
from kiosk.store.errors import StoreError

NAME = "clock"
RELEASE_FLOOR = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
"""No correct clock is earlier than the release of the software it runs."""
STORE_SLACK_MS = 5 * 60 * 1000
OPS_CLOCK_BEFORE_RELEASE = "OPS_CLOCK_BEFORE_RELEASE"
OPS_CLOCK_BEHIND_STORE = "OPS_CLOCK_BEHIND_STORE"
OPS_CLOCK_NOT_SYNCED = "OPS_CLOCK_NOT_SYNCED"

NtpState = Literal["synchronized", "unsynchronized", "unknown"]
_TIME_ERROR = 5  # adjtimex(2): "clock not synchronized"
_TIMEX_BYTES = 512  # larger than struct timex on every Linux ABI; modes = 0 reads only


def systemd_is_init() -> bool:
    """sd_booted(3): systemd runs the machine when /run/systemd/system exists."""
    return Path("/run/systemd/system").is_dir()


def parse_timedatectl(text: str) -> dict[str, str]:
    """``timedatectl show`` output, ``Key=Value`` per line; other lines are ignored."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        key = key.strip()
        if sep and key.isidentifier():
            found[key] = value.strip()
    return found


def ntp_from_timedatectl(properties: dict[str, str]) -> NtpState:
    value = properties.get("NTPSynchronized", "").lower()
    if value == "yes":
        return "synchronized"
    if value == "no":
        return "unsynchronized"
    return "unknown"


def ntp_from_adjtimex(state: int) -> NtpState:
    """The kernel's clock state (``TIME_OK`` .. ``TIME_ERROR``); -1 when the call failed."""
    if state < 0:
        return "unknown"
    return "unsynchronized" if state == _TIME_ERROR else "synchronized"


def ntp_state() -> tuple[NtpState, str]:
    """(state, where it came from)."""
    if systemd_is_init():
        try:
            done = subprocess.run(
                ["timedatectl", "show", "--property=NTPSynchronized"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return "unknown", "timedatectl"
        if done.returncode != 0:
            return "unknown", "timedatectl"
        return ntp_from_timedatectl(parse_timedatectl(done.stdout)), "timedatectl"
    library = ctypes.util.find_library("c")
    if library is None:
        return "unknown", "adjtimex"
    buffer = (ctypes.c_char * _TIMEX_BYTES)()
    return ntp_from_adjtimex(int(ctypes.CDLL(library, use_errno=True).adjtimex(buffer))), "adjtimex"


def last_known_ms(ctx: CheckContext) -> int | None:
    """The newest time the store recorded (audit entries, results); ``None`` without one."""
    db = ctx.store()
    with db.bound():
        row = db.execute_sql(
            "SELECT max(t) FROM (SELECT max(at_ms) AS t FROM audit_entry "
            "UNION ALL SELECT max(created_at_ms) FROM result)"
        ).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def judge(now_ms: int, store_ms: int | None, ntp: NtpState, source: str) -> Check:
    now = dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC)
    detail: dict[str, object] = {"now": f"{now:%Y-%m-%dT%H:%M:%SZ}", "ntp": ntp, "source": source}
    if now < RELEASE_FLOOR:
        return fail(
            NAME,
            OPS_CLOCK_BEFORE_RELEASE,
            f"the clock says {now:%Y-%m-%d %H:%M} UTC, before this software was released "
            f"({RELEASE_FLOOR:%Y-%m-%d})",
            **detail,
        )
    if store_ms is not None:
        detail["store_last_ms"] = store_ms
        if now_ms + STORE_SLACK_MS < store_ms:
            last = dt.datetime.fromtimestamp(store_ms / 1000, dt.UTC)
            return fail(
                NAME,
                OPS_CLOCK_BEHIND_STORE,
                f"the clock says {now:%Y-%m-%d %H:%M} UTC, earlier than the store's last "
                f"record ({last:%Y-%m-%d %H:%M} UTC): the clock went backwards",
                **detail,
            )
    if ntp == "unsynchronized":
        return warn(
            NAME,
            OPS_CLOCK_NOT_SYNCED,
            f"{now:%Y-%m-%d %H:%M} UTC, but not synchronised by NTP ({source})",
            **detail,
        )
    return ok(NAME, f"{now:%Y-%m-%d %H:%M} UTC, NTP {ntp} ({source})", **detail)


def check_clock(ctx: CheckContext) -> Check:
    try:
        store_ms = last_known_ms(ctx)
    except StoreError:
        store_ms = None  # the store check reports why; the other floors still apply
    ntp, source = ntp_state()
    return judge(ctx.wall_ms(), store_ms, ntp, source)
