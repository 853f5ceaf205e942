"""When a face-position hint ("come a little closer") is said aloud.

The screen shows the hint of every analysed frame, and it can change several times a second
while a person settles in front of the camera. Saying each change would be a stream of
half-sentences, and a person with poor eyesight would hear none of them to the end. So a hint
is said once it has held for a moment, never sooner than a pause after the last thing said
(a challenge prompt keeps its place), and the same hint is said again only after a longer
pause. Pure logic with an injected clock: the controller feeds
it the hint of each view and says what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STEADY_S = 1.2
"""A hint must be on screen this long before it is said: a passing one is not worth a word."""
GAP_S = 3.0
"""At least this long after anything else was said (a challenge, another hint)."""
REPEAT_S = 8.0
"""The same hint again only after this long: a person still too far hears it once more."""


@dataclass(slots=True)
class HintPacing:
    steady_s: float = STEADY_S
    gap_s: float = GAP_S
    repeat_s: float = REPEAT_S
    _hint: str | None = None
    _since: float = 0.0
    _last_said_at: float = field(default=-1e9)
    _last_hint_said: str | None = None
    _last_hint_at: float = field(default=-1e9)

    def spoke(self, now: float) -> None:
        """Something else was said (a challenge, a result): hints wait their turn."""
        self._last_said_at = now

    def reset(self) -> None:
        """A new screen: no hint held, and the last one said may be said again (what was
        said a moment ago, on any screen, still keeps the pause)."""
        self._hint, self._last_hint_said = None, None
        self._last_hint_at = -1e9

    def observe(self, hint: str | None, now: float) -> str | None:
        """The hint on screen now; returns the hint to say now, or ``None``."""
        if hint != self._hint:
            self._hint, self._since = hint, now
        if hint is None or now - self._since < self.steady_s:
            return None
        if now - self._last_said_at < self.gap_s:
            return None
        if hint == self._last_hint_said and now - self._last_hint_at < self.repeat_s:
            return None
        self._last_said_at = self._last_hint_at = now
        self._last_hint_said = hint
        return hint
