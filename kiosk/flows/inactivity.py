"""The inactivity timer: a countdown warning, then the session is wiped.

A patient who walks away from a hospital kiosk in the middle of a check-in must not leave
their name and face on the screen for the next person. Any tap or sign of the person
(a face in front of the camera) restarts the timer; in the last ``warn_s`` seconds the
screen shows a countdown with a "continue" button. ``warn_s`` is the time a person has to
answer it, so it is never under the 20 s WCAG 2.2.1 asks (``ui.inactivity_warning_s``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Inactivity:
    timeout_s: float
    warn_s: float = 30.0
    last_activity: float = 0.0

    def touch(self, now: float) -> None:
        self.last_activity = now

    def remaining(self, now: float) -> float:
        return max(0.0, self.timeout_s - (now - self.last_activity))

    def warning(self, now: float) -> int | None:
        """Whole seconds left when the countdown is showing, else ``None``."""
        left = self.remaining(now)
        if 0 < left <= self.warn_s:
            return int(left + 0.999)
        return None

    def expired(self, now: float) -> bool:
        return self.remaining(now) <= 0
