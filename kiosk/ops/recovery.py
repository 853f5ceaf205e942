"""Recovery actions the health daemon takes on a failed device, and how often it may.

What each does: the camera is re-opened (a fresh capture: a V4L2 driver that stopped
streaming usually streams again on a new open); the SAM reader's serial port is re-opened
and the SAM asked for its status; a PC/SC card that does not answer is warm-reset
(``SCardReconnect`` with ``SCARD_RESET_CARD``). Then the check runs again and its new result
stands in the report. A reader that pcscd does not list has nothing to reset from here, and
nothing is tried.

Each attempt is an audit entry (action ``device_recovery``, actor ``system``/``bdmi-health``,
record the check's name, detail: the action, the code that triggered it, the outcome and the
code after), written before the daemon moves on. The same entries are the rate limiter's
memory, so it holds across restarts and across ``run --once`` from a timer: after an attempt
the next one on that device waits ``recovery_min_interval_s``, doubling with each failed
attempt in a row up to ``recovery_max_interval_s``. A dead device is retried a few times an
hour, not hammered every round, and its failure stays visible in every report meanwhile.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from kiosk.ops.camera_check import check_camera
from kiosk.ops.check import Check, Planned, run_checks
from kiosk.ops.context import CheckContext
from kiosk.ops.reader_checks import check_reader

if TYPE_CHECKING:
    from kiosk.store.database import StoreDatabase

log = logging.getLogger(__name__)

ACTION = "device_recovery"
ACTOR_ID = "bdmi-health"
OPS_RECOVERY_CAMERA_REOPEN = "OPS_RECOVERY_CAMERA_REOPEN"
OPS_RECOVERY_READER_REOPEN = "OPS_RECOVERY_READER_REOPEN"
OPS_RECOVERY_CARD_RESET = "OPS_RECOVERY_CARD_RESET"
OPS_RECOVERY_RATE_LIMITED = "OPS_RECOVERY_RATE_LIMITED"
OPS_RECOVERY_NOT_RECORDED = "OPS_RECOVERY_NOT_RECORDED"
_HISTORY = 16

Outcome = Literal["recovered", "failed"]


@dataclass(frozen=True, slots=True)
class Attempt:
    at_ms: int
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class Recovery:
    """One action taken (or held back) this round, as the health message reports it."""

    device: str
    action: str
    trigger: str
    outcome: Literal["recovered", "failed", "rate_limited"]
    result: str | None
    next_allowed_ms: int | None = None


def next_allowed_ms(attempts: Sequence[Attempt], min_s: int, max_s: int) -> int:
    """When the next attempt on a device may run, given its attempts newest first: the last
    attempt plus ``min_s`` doubled for each failure in a row after the first, at most
    ``max_s``. 0 (at once) without any."""
    if not attempts:
        return 0
    failures = 0
    for attempt in attempts:
        if attempt.outcome != "failed":
            break
        failures += 1
    interval = min(max_s, min_s * 2 ** max(0, failures - 1)) if failures else min_s
    return attempts[0].at_ms + interval * 1000


def history(db: StoreDatabase, device: str) -> list[Attempt]:
    """The device's last recovery attempts, newest first, from the audit log."""
    with db.bound():
        rows = db.execute_sql(
            "SELECT at_ms, detail FROM audit_entry WHERE action = ? AND record_id = ? "
            "ORDER BY seq DESC LIMIT ?",
            (ACTION, device, _HISTORY),
        ).fetchall()
    found: list[Attempt] = []
    for at_ms, detail in rows:
        try:
            outcome = json.loads(detail).get("outcome")
        except (ValueError, AttributeError):
            outcome = None
        found.append(Attempt(int(at_ms), "recovered" if outcome == "recovered" else "failed"))
    return found


def _reset_pcsc_card(ctx: CheckContext) -> None:
    """Warm-reset the card in the configured PC/SC reader (before the check runs again)."""
    from smartcard.System import readers

    pcsc = ctx.config.readers.pcsc
    wanted = pcsc.reader if pcsc is not None and pcsc.kind == "pcsc" else ""
    from kiosk.devices import SIMULATED_PCSC_READER

    wanted = wanted or (SIMULATED_PCSC_READER if pcsc and pcsc.kind == "simulated" else "")
    names = [str(r) for r in readers() if wanted in str(r)]
    if names:
        from kiosk.ops.pcsc_probe import reset_card

        reset_card(names[0])


@dataclass(frozen=True, slots=True)
class _Action:
    action: str
    reason: str
    prepare: Callable[[CheckContext], None] | None
    check: Callable[[CheckContext], Check | Sequence[Check]]
    replaces: tuple[str, ...]


ACTIONS: dict[str, _Action] = {
    "camera": _Action("camera_reopen", OPS_RECOVERY_CAMERA_REOPEN, None, check_camera, ("camera",)),
    "reader.sam": _Action(
        "serial_reopen",
        OPS_RECOVERY_READER_REOPEN,
        None,
        lambda ctx: check_reader(ctx, "sam"),
        ("reader.sam", "card.sam"),
    ),
    "card.sam": _Action(
        "serial_reopen",
        OPS_RECOVERY_READER_REOPEN,
        None,
        lambda ctx: check_reader(ctx, "sam"),
        ("reader.sam", "card.sam"),
    ),
    "card.pcsc": _Action(
        "card_reset",
        OPS_RECOVERY_CARD_RESET,
        _reset_pcsc_card,
        lambda ctx: check_reader(ctx, "pcsc"),
        ("reader.pcsc", "card.pcsc"),
    ),
}
"""Failed check -> what to do. Only failures are acted on: a warning (a dark picture) is
for a person to fix, and a reset would not help."""


def recover(
    ctx: CheckContext, checks: list[Check], *, min_s: int, max_s: int
) -> tuple[list[Check], list[Recovery]]:
    """Act on each recoverable failure that the rate limit allows; returns the checks with
    the re-checked results in place, and what was done."""
    from kiosk.store import audit
    from kiosk.store.errors import StoreError

    done: list[Recovery] = []
    by_name = {check.name: check for check in checks}
    handled: set[str] = set()
    for check in checks:
        step = ACTIONS.get(check.name)
        if check.status != "fail" or step is None or check.name in handled:
            continue
        handled.update(step.replaces)
        trigger = check.reason or "OPS_CHECK_CRASHED"
        try:
            db = ctx.store()
            allowed_at = next_allowed_ms(history(db, check.name), min_s, max_s)
        except StoreError as exc:
            log.warning(
                "recovery of %s not attempted: the audit log cannot record it",
                check.name,
                extra={"reason": OPS_RECOVERY_NOT_RECORDED, "store_reason": exc.reason},
            )
            continue
        now = ctx.wall_ms()
        if now < allowed_at:
            log.info(
                "recovery of %s held back until the rate limit allows it",
                check.name,
                extra={"reason": OPS_RECOVERY_RATE_LIMITED, "wait_s": (allowed_at - now) // 1000},
            )
            done.append(
                Recovery(check.name, step.action, trigger, "rate_limited", None, allowed_at)
            )
            continue
        again = _attempt(ctx, step)
        after = {c.name: c for c in again}
        mine = after.get(check.name)
        recovered = mine is not None and mine.status != "fail"
        result = None if mine is None else mine.reason
        outcome: Outcome = "recovered" if recovered else "failed"
        audit.append(
            db,
            at_ms=ctx.wall_ms(),
            actor_kind="system",
            actor_id=ACTOR_ID,
            action=ACTION,
            record_kind="device",
            record_id=check.name,
            detail={
                "reason": step.reason,
                "action": step.action,
                "trigger": trigger,
                "outcome": outcome,
                "result": result or "ok",
            },
        )
        log.info(
            "recovery %s on %s: %s",
            step.action,
            check.name,
            outcome,
            extra={"reason": step.reason, "trigger": trigger, "result": result or "ok"},
        )
        done.append(Recovery(check.name, step.action, trigger, outcome, result))
        for name in step.replaces:
            if name in after:
                by_name[name] = after[name]
    return [by_name[check.name] for check in checks], done


def _attempt(ctx: CheckContext, step: _Action) -> list[Check]:
    """Prepare (a reset), then the check again; both under the runner's no-crash rule."""
    prepare = step.prepare

    def run() -> Check | Sequence[Check]:
        if prepare is not None:
            try:
                prepare(ctx)
            except Exception as exc:  # a reset that fails leaves the re-check to tell
                log.info("recovery preparation failed: %s", type(exc).__name__)
        time.sleep(0.2)  # let the device settle after close/reset
        return step.check(ctx)

    return run_checks([Planned(step.replaces[0], run)])
