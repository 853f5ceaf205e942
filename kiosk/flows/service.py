"""The staff / technician service mode's door: a PIN with a lockout.

Pure, like the flows: the PIN check is a callable (the shell passes the scrypt check of
kiosk/security/pin.py) and time is a clock. The count of wrong PINs lives on this object for
the kiosk's lifetime, not per attempt, so tapping the hidden corner again does not reset
it: in a public hall anyone can find the gesture, and the lockout is what stops guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class Door(StrEnum):
    OPEN = "open"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass
class ServiceGate:
    check_pin: Callable[[str], bool]
    clock: Callable[[], float]
    max_failures: int = 3
    lockout_s: float = 300.0
    _failures: int = field(default=0, init=False)
    _locked_until: float = field(default=float("-inf"), init=False)

    def __post_init__(self) -> None:
        if self.max_failures < 1 or self.lockout_s < 0:
            raise ValueError("max_failures must be >= 1 and lockout_s >= 0")

    def locked(self) -> bool:
        return self.clock() < self._locked_until

    def seconds_locked(self) -> int:
        """Whole seconds until PINs are taken again (0: not locked), for the lockout screen."""
        left = self._locked_until - self.clock()
        return max(0, int(left + 0.999)) if left > 0 else 0

    def attempts_left(self) -> int:
        return self.max_failures - self._failures

    def try_pin(self, pin: str) -> Door:
        if self.locked():
            return Door.LOCKED
        if self.check_pin(pin):
            self._failures = 0
            return Door.OPEN
        self._failures += 1
        if self._failures >= self.max_failures:
            self._failures = 0
            self._locked_until = self.clock() + self.lockout_s
            return Door.LOCKED
        return Door.WRONG
