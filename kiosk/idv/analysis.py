"""One frame in, everything the verification needs to know about it out.

The per-frame cost is what the kiosk pays 15 times a second: a grey conversion, the
tracker (detection only every few frames), the 68 landmarks, solvePnP and a few patch
means. Descriptors (~65 ms) are not computed here: the session asks for them on the few
frames where it needs one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from kiosk.idv.face_tracker import FaceTracker, TrackedFace
from kiosk.idv.head_pose import estimate_head_pose
from kiosk.idv.landmarks import eye_aspect_ratio, mouth_aspect_ratio
from kiosk.idv.quality import FaceMeasures, QualityIssue, QualityThresholds, check, measure


@dataclass(frozen=True, slots=True)
class FrameAnalysis:
    timestamp: float
    face: TrackedFace | None
    measures: FaceMeasures | None
    issues: tuple[QualityIssue, ...]

    @property
    def good(self) -> bool:
        return not self.issues


@dataclass
class FaceAnalyzer:
    tracker: FaceTracker = field(default_factory=FaceTracker)
    limits: QualityThresholds = field(default_factory=QualityThresholds)

    def analyse(self, bgr: np.ndarray, timestamp: float) -> FrameAnalysis:
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        face = self.tracker.update(gray, timestamp)
        measures = None
        if face is not None:
            pose = estimate_head_pose(face.landmarks, (gray.shape[1], gray.shape[0]))
            if pose is not None:
                ear = eye_aspect_ratio(face.landmarks)
                mar = mouth_aspect_ratio(face.landmarks)
                measures = measure(bgr, gray, face, pose, ear, mar)
        issues = tuple(check(face, measures, self.limits))
        return FrameAnalysis(timestamp, face if measures else None, measures, issues)

    def reset(self) -> None:
        self.tracker.reset()
