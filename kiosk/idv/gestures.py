"""Gestures seen in a stream of face measures, judged against the person's own baseline.

People differ: resting eye openness, a smile that never fully closes, a camera mounted
above the screen that makes everyone look down. So every gesture is a change from the
*baseline* this person showed in their first half second (medians, robust to a blink), not
an absolute value. Head angles are median-filtered over the last ``smoothing_s`` of wall
time because a 68-point fit on a small face jitters by several degrees; blinks use the raw
eye aspect ratio because a blink lasts only 100-400 ms.

Every window here is wall-clock time, never a count of frames: a kiosk whose CPU is busy
analyses 5 frames a second instead of 15, and a turn held for half a second must count the
same there (a three-frame median at 5 fps spans 0.6 s and erased it, which is how a slow
CPU became ``IDV_LIVENESS_TIMEOUT``). The one count left is ``confirm_frames``: two frames
beyond a threshold, so that a single mis-fitted frame is never a gesture.

Events are reported when a gesture is confirmed (a turn: two frames beyond the threshold;
a blink: the eye has closed and opened again within ``max_blink_s``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from statistics import median

from kiosk.idv.quality import FaceMeasures


class Gesture(StrEnum):
    BLINK = "blink"
    TURN_LEFT = "turn_left"  # the person's own left: yaw > 0
    TURN_RIGHT = "turn_right"
    NOD = "nod"  # chin down: pitch > 0
    OPEN_MOUTH = "open_mouth"


@dataclass(frozen=True, slots=True)
class GestureThresholds:
    baseline_s: float = 0.5
    """Wall time the resting face is watched before the first prompt..."""
    baseline_min_frames: int = 3
    """...over at least this many frames (a median of fewer is one frame's noise)."""
    smoothing_s: float = 0.18
    """Head angles are the median of the frames of the last this many seconds (three
    frames at 15 fps, one or two on a slow CPU)."""
    blink_close_ratio: float = 0.72
    """Eye closed when EAR < baseline x this."""
    blink_open_ratio: float = 0.85
    max_blink_s: float = 0.8
    turn_degrees: float = 18.0
    """Yaw change from the baseline that makes a turn..."""
    turn_min_absolute: float = 10.0
    """...provided the head is also at least this far from frontal in that direction: a
    person whose baseline was taken slightly turned does not "turn" by looking straight."""
    nod_degrees: float = 12.0
    steady_yaw_for_nod_and_blink: float = 12.0
    """Pitch and eye openness are unreliable from a 68-point fit on a turned head, so nods and
    blinks count only while the head is within this yaw of the baseline."""
    mouth_open_delta: float = 0.25
    confirm_frames: int = 2


@dataclass(frozen=True, slots=True)
class Baseline:
    ear: float
    mar: float
    yaw: float
    pitch: float


@dataclass(frozen=True, slots=True)
class GestureEvent:
    gesture: Gesture
    start: float
    """Time of the first frame beyond the threshold."""
    confirmed: float
    """Time the gesture was confirmed (the event's report time)."""
    magnitude: float
    """Degrees for turns and nods, the EAR drop ratio for blinks, the MAR rise for mouths."""


@dataclass
class GestureDetector:
    thresholds: GestureThresholds = field(default_factory=GestureThresholds)
    baseline: Baseline | None = None
    _samples: list[tuple[float, FaceMeasures]] = field(default_factory=list)
    _angles: deque[tuple[float, float, float]] = field(default_factory=deque)
    """(time, yaw, pitch) of the frames inside the smoothing window."""
    _eye_closed_at: float | None = None
    _min_ear: float = 1.0
    _runs: dict[Gesture, tuple[float, int, float]] = field(default_factory=dict)
    _active: set[Gesture] = field(default_factory=set)

    def reset(self) -> None:
        """Forget the face: a new person (or the same one re-found) gets a new baseline."""
        self.baseline = None
        self._samples.clear()
        self._angles.clear()
        self._eye_closed_at = None
        self._runs.clear()
        self._active.clear()

    def _absolute_angles(self) -> tuple[float, float]:
        return median(a[1] for a in self._angles), median(a[2] for a in self._angles)

    def smoothed_angles(self) -> tuple[float, float] | None:
        """(yaw, pitch) relative to the baseline, median over the smoothing window."""
        if self.baseline is None or not self._angles:
            return None
        yaw, pitch = self._absolute_angles()
        return yaw - self.baseline.yaw, pitch - self.baseline.pitch

    def pending_start(self, gesture: Gesture) -> float | None:
        """When ``gesture`` began, if it is under way and not yet confirmed."""
        if gesture is Gesture.BLINK:
            return self._eye_closed_at
        run = self._runs.get(gesture)
        if run is None or gesture in self._active:
            return None
        return run[0]

    def update(self, t: float, measures: FaceMeasures | None) -> list[GestureEvent]:
        if measures is None:
            self._angles.clear()
            self._eye_closed_at = None
            self._runs.clear()
            return []
        self._angles.append((t, measures.pose.yaw, measures.pose.pitch))
        # Keep the frames inside the window, and always the newest one.
        while len(self._angles) > 1 and t - self._angles[0][0] >= self.thresholds.smoothing_s:
            self._angles.popleft()
        if self.baseline is None:
            self._collect_baseline(t, measures)
            return []
        events: list[GestureEvent] = []
        relative = self.smoothed_angles()
        assert relative is not None
        yaw, pitch = relative
        absolute_yaw = self._absolute_angles()[0]
        limits = self.thresholds
        steady = abs(yaw) < limits.steady_yaw_for_nod_and_blink
        blink = self._blink(t, measures.ear) if steady else None
        if blink:
            events.append(blink)
        left = yaw > limits.turn_degrees and absolute_yaw > limits.turn_min_absolute
        right = -yaw > limits.turn_degrees and -absolute_yaw > limits.turn_min_absolute
        beyond = {
            Gesture.TURN_LEFT: yaw if left else None,
            Gesture.TURN_RIGHT: -yaw if right else None,
            Gesture.NOD: pitch if steady and pitch > limits.nod_degrees else None,
            Gesture.OPEN_MOUTH: (
                measures.mar - self.baseline.mar
                if measures.mar - self.baseline.mar > limits.mouth_open_delta
                else None
            ),
        }
        for gesture, magnitude in beyond.items():
            event = self._sustained(gesture, t, magnitude)
            if event:
                events.append(event)
        return events

    def _collect_baseline(self, t: float, measures: FaceMeasures) -> None:
        self._samples.append((t, measures))
        limits = self.thresholds
        if len(self._samples) < limits.baseline_min_frames:
            return
        if t - self._samples[0][0] < limits.baseline_s:
            return
        s = [m for _, m in self._samples]
        self.baseline = Baseline(
            ear=median(m.ear for m in s),
            mar=median(m.mar for m in s),
            yaw=median(m.pose.yaw for m in s),
            pitch=median(m.pose.pitch for m in s),
        )
        self._samples = []

    def _blink(self, t: float, ear: float) -> GestureEvent | None:
        assert self.baseline is not None
        limits = self.thresholds
        if self._eye_closed_at is None:
            if ear < self.baseline.ear * limits.blink_close_ratio:
                self._eye_closed_at, self._min_ear = t, ear
            return None
        self._min_ear = min(self._min_ear, ear)
        if ear <= self.baseline.ear * limits.blink_open_ratio:
            return None
        closed_at, self._eye_closed_at = self._eye_closed_at, None
        if t - closed_at > limits.max_blink_s:
            return None  # eyes held shut: not a blink (the quality gate speaks of it)
        drop = 1.0 - self._min_ear / self.baseline.ear if self.baseline.ear > 0 else 0.0
        return GestureEvent(Gesture.BLINK, closed_at, t, round(drop, 3))

    def _sustained(
        self, gesture: Gesture, t: float, magnitude: float | None
    ) -> GestureEvent | None:
        """Report a gesture once, when held for ``confirm_frames``; re-arm when it ends."""
        if magnitude is None:
            self._runs.pop(gesture, None)
            self._active.discard(gesture)
            return None
        start, count, peak = self._runs.get(gesture, (t, 0, magnitude))
        count, peak = count + 1, max(peak, magnitude)
        self._runs[gesture] = (start, count, peak)
        if count >= self.thresholds.confirm_frames and gesture not in self._active:
            self._active.add(gesture)
            return GestureEvent(gesture, start, t, round(peak, 2))
        return None
