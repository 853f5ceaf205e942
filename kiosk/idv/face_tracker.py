"""Find the face once, then follow it: detection is the expensive part of a frame.

dlib's HOG detector costs ~15 ms on a 640x480 frame on the kiosk's CPU, ~4 ms on the same
frame halved; the 68-point predictor costs ~1 ms. So the tracker detects on a downscaled
grey frame every ``detect_every`` frames (or when it has lost the face) and in between
derives the next search box from the previous frame's landmarks: at 15 fps a head moves
little between frames, and the predictor refits the points inside the box.

Confirming the face in a small crop around it instead of the whole frame was tried and
dropped: at the crop's larger scale the detector also "finds" heads in near profile, and
the 68-point fit on those flips the yaw's sign, which turned one head turn into the other
on zubair/real.webm.

A *track* is one continuous sighting of one face. When a detection does not overlap the
tracked box (someone else stepped in, or the face left and came back), a new track starts:
liveness uses the track id to notice that the face it has been following may have changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import dlib
import numpy as np

from kiosk.idv.landmarks import interocular_distance, to_array
from kiosk.idv.models import frontal_face_detector, shape_predictor

Box = tuple[int, int, int, int]  # left, top, right, bottom in full-frame pixels


@dataclass(frozen=True, slots=True)
class TrackedFace:
    box: Box
    landmarks: np.ndarray
    """68 (x, y) points, float32, full-frame pixels."""
    track_id: int
    detected: bool
    """True when this frame ran the detector, False when the face was followed."""
    faces_in_view: int
    """Faces the most recent detection saw (tracked frames repeat it)."""

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]


def iou(a: Box, b: Box) -> float:
    left, top = max(a[0], b[0]), max(a[1], b[1])
    right, bottom = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0, right - left) * max(0, bottom - top)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@dataclass
class _Anchor:
    """Where the detector's box sat relative to the landmarks when it last ran."""

    offset: np.ndarray  # box centre minus landmark centroid, in interocular units
    size: float  # box side in interocular units


@dataclass
class FaceTracker:
    detect_width: int = 320
    """Width of the grey frame the detector sees; faces narrower than ~80 px at 640 wide
    are then too small to find, which the quality gates call too far anyway."""
    detect_every: int = 5
    detect_after_s: float = 0.15
    """...or sooner, when this much time has passed since the last frame: on a slow CPU the
    head moves further between two analysed frames than the landmark fit can follow from
    the previous frame's box, so the (downscaled) detector re-anchors it."""
    coast_frames: int = 4
    """How many frames the face may be followed without the detector confirming it: a head
    turned beyond ~40 degrees escapes the frontal detector, and the turn challenge needs
    the landmarks through it."""
    landmark_model: Path | None = None
    min_overlap: float = 0.3
    _track_id: int = 0
    _last: TrackedFace | None = None
    _anchor: _Anchor | None = None
    _since_detection: int = 0
    _last_time: float | None = None
    _misses: int = 0
    _unconfirmed: int = 0
    _detector: dlib.fhog_object_detector = field(default_factory=frontal_face_detector)
    _predictor: dlib.shape_predictor | None = None

    def __post_init__(self) -> None:
        self._predictor = shape_predictor(self.landmark_model, points=68)

    def reset(self) -> None:
        self._last = None
        self._anchor = None
        self._unconfirmed = 0

    def update(self, gray: np.ndarray, timestamp: float | None = None) -> TrackedFace | None:
        """The face in this grey frame (taken at ``timestamp``, in seconds), or ``None``."""
        gap = 0.0
        if timestamp is not None:
            if self._last_time is not None:
                gap = timestamp - self._last_time
            self._last_time = timestamp
        due = self._since_detection + 1 >= self.detect_every or gap >= self.detect_after_s
        if self._last is None or due:
            found = self._detect(gray)
            if found is not None or self._last is None:
                return found
            # The detector lost a face we were following: coast on the landmarks a while.
            self._unconfirmed += 1
            if self._unconfirmed > self.coast_frames:
                self.reset()
                return None
        return self._follow(gray)

    @staticmethod
    def _plausible(before: np.ndarray, after: np.ndarray, shape: tuple[int, ...]) -> bool:
        """Whether followed landmarks still describe the same face: between two frames a
        face neither changes size by a third nor jumps by more than its eye span. A fit
        that does has drifted onto the background."""
        span_before = interocular_distance(before)
        span_after = interocular_distance(after)
        if span_before <= 0 or not 0.75 < span_after / span_before < 1.33:
            return False
        if np.linalg.norm(after.mean(axis=0) - before.mean(axis=0)) > span_before:
            return False
        height, width = shape[:2]
        x, y = after[:, 0], after[:, 1]
        return bool(x.min() > -0.1 * width and x.max() < 1.1 * width and y.max() < 1.1 * height)

    def _follow(self, gray: np.ndarray) -> TrackedFace | None:
        assert self._last is not None
        self._since_detection += 1
        box = self._box_from_landmarks(self._last.landmarks, gray.shape)
        landmarks = self._fit(gray, box)
        last = self._last
        if not self._plausible(last.landmarks, landmarks, gray.shape):
            self.reset()
            return None
        self._last = TrackedFace(
            box, landmarks, last.track_id, detected=False, faces_in_view=last.faces_in_view
        )
        return self._last

    def detect_all(self, gray: np.ndarray, *, full_resolution: bool = True) -> list[Box]:
        """Every face the detector finds, largest first, in full-frame pixels: first on the
        downscaled frame, then, if that finds none, on the full frame (a face under ~160 px
        at 640 wide is below the detector's 80 px window once halved)."""
        boxes = self._detect_at(gray, min(1.0, self.detect_width / gray.shape[1]))
        if not boxes and full_resolution and self.detect_width < gray.shape[1]:
            boxes = self._detect_at(gray, 1.0)
        return boxes

    def _detect_at(self, gray: np.ndarray, scale: float) -> list[Box]:
        height, width = gray.shape[:2]
        small = gray if scale == 1.0 else cv2.resize(gray, None, fx=scale, fy=scale)
        rects = self._detector(small, 0)
        boxes = [
            (
                max(0, int(r.left() / scale)),
                max(0, int(r.top() / scale)),
                min(width, int(r.right() / scale)),
                min(height, int(r.bottom() / scale)),
            )
            for r in rects
        ]
        return sorted(boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]), reverse=True)

    def _detect(self, gray: np.ndarray) -> TrackedFace | None:
        """A fresh detection; ``None`` when the detector finds nothing (the caller decides
        whether to coast on the track it had)."""
        self._since_detection = 0
        # The full-resolution pass (4x the pixels of the downscaled one) runs only to find a
        # face nobody is following, and then on every third miss: an empty kiosk should not
        # cost a core. While a face is tracked, a miss on the downscaled frame is a head
        # turned past the frontal detector, not a small face, and the track coasts on its
        # landmarks instead (this pass was 27% of a liveness frame's cost during turns).
        tracking = self._last is not None
        boxes = self.detect_all(gray, full_resolution=not tracking and self._misses % 3 == 0)
        faces_in_view = len(boxes)
        if not boxes:
            self._misses += 1
            return None
        self._misses = 0
        self._unconfirmed = 0
        box = boxes[0]
        if self._last is not None:
            # Prefer the face we were following, if it is still there.
            best = max(boxes, key=lambda b: iou(b, self._last.box))  # type: ignore[union-attr]
            if iou(best, self._last.box) >= self.min_overlap:
                box = best
            else:
                self._last = None
        if self._last is None:
            self._track_id += 1
        landmarks = self._fit(gray, box)
        scale = max(interocular_distance(landmarks), 1.0)
        centre = np.array([(box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0], dtype=np.float32)
        self._anchor = _Anchor((centre - landmarks.mean(axis=0)) / scale, (box[2] - box[0]) / scale)
        self._last = TrackedFace(box, landmarks, self._track_id, True, faces_in_view)
        return self._last

    def _box_from_landmarks(self, landmarks: np.ndarray, shape: tuple[int, ...]) -> Box:
        assert self._anchor is not None
        scale = max(interocular_distance(landmarks), 1.0)
        centre = landmarks.mean(axis=0) + self._anchor.offset * scale
        half = self._anchor.size * scale / 2.0
        height, width = shape[:2]
        return (
            max(0, int(centre[0] - half)),
            max(0, int(centre[1] - half)),
            min(width, int(centre[0] + half)),
            min(height, int(centre[1] + half)),
        )

    def _fit(self, gray: np.ndarray, box: Box) -> np.ndarray:
        assert self._predictor is not None
        return to_array(self._predictor(gray, dlib.rectangle(*box)))
