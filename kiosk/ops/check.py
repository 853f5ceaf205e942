"""One check's outcome, and the runner that keeps one broken check from hiding the others.

A self-test exists for the day something is wrong, so the runner assumes checks will fail in
ways nobody planned: each runs on its own, an exception becomes a ``fail`` carrying the
exception's reason code (``OPS_CHECK_CRASHED`` when it has none), and the next check still
runs. The report's exit code follows ``kioskctl``'s convention: 0 when every check is ok,
warned or skipped, 1 when any failed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

log = logging.getLogger(__name__)

Status = Literal["ok", "warn", "fail", "skipped"]
STATUSES: tuple[Status, ...] = ("ok", "warn", "fail", "skipped")
OPS_CHECK_CRASHED = "OPS_CHECK_CRASHED"

_SEVERITY: dict[Status, int] = {"skipped": 0, "ok": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True, slots=True)
class Check:
    """What one check found. ``reason`` is ``None`` only for ``ok``; ``detail`` holds numbers,
    flags and codes (it is published by the health daemon, so never personal data)."""

    name: str
    status: Status
    reason: str | None
    message: str
    detail: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "message": self.message,
            "detail": self.detail,
            "duration_s": round(self.duration_s, 3),
        }


def ok(name: str, message: str, **detail: Any) -> Check:
    return Check(name, "ok", None, message, detail)


def warn(name: str, reason: str, message: str, **detail: Any) -> Check:
    return Check(name, "warn", reason, message, detail)


def fail(name: str, reason: str, message: str, **detail: Any) -> Check:
    return Check(name, "fail", reason, message, detail)


def skipped(name: str, reason: str, message: str, **detail: Any) -> Check:
    return Check(name, "skipped", reason, message, detail)


def worst(checks: Iterable[Check]) -> Status:
    """The report's overall status: the most severe; ``ok`` when nothing ran or all skipped."""
    found: Status = "ok"
    for check in checks:
        if _SEVERITY[check.status] > _SEVERITY[found]:
            found = check.status
    return found


def exit_code(checks: Iterable[Check]) -> int:
    return 1 if worst(checks) == "fail" else 0


CheckFn = Callable[[], Check | Sequence[Check]]
"""A check: no arguments (it closes over its context), one Check or several (a reader and
the test card read on it come from one opened reader)."""

Progress = Callable[[int, int, str], None]
"""(index from 1, total, check name) just before a check starts."""


@dataclass(frozen=True, slots=True)
class Planned:
    name: str
    run: CheckFn


def run_checks(planned: Sequence[Planned], progress: Progress | None = None) -> list[Check]:
    """Run every check in order; each one's failure, however it happens, is its own."""
    results: list[Check] = []
    for index, entry in enumerate(planned, start=1):
        if progress is not None:
            progress(index, len(planned), entry.name)
        started = time.monotonic()
        try:
            produced = entry.run()
            found = [produced] if isinstance(produced, Check) else list(produced)
        except Exception as exc:  # a check's bug must not stop the self-test
            reason = getattr(exc, "reason", None)
            if not isinstance(reason, str):
                reason = OPS_CHECK_CRASHED
                log.exception("self-test check %s crashed", entry.name)
            message = str(exc.args[0]) if exc.args else type(exc).__name__
            found = [fail(entry.name, reason, f"{type(exc).__name__}: {message}")]
        elapsed = time.monotonic() - started
        share = elapsed / max(1, len(found))
        results.extend(replace(check, duration_s=share) for check in found)
    return results
