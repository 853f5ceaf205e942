"""Face quality gates: is this frame good enough to judge, and if not, what should the
person change?

Each gate has a reason code, the way certified liveness SDKs report capture feedback
(ISO/IEC 29794-5 names the same defects): the UI turns the first failing gate into a hint
("come closer", "more light"), the report counts them. Thresholds are ratios of the frame
or of the face, not pixels, so they hold at any camera resolution.

The occlusion gate is a heuristic (a mask or scarf changes the colour of the lower face
against the cheeks; sunglasses darken the eye band against the cheeks); it catches the
obvious cases and is documented as such, not as a certified occlusion detector.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np

from kiosk.idv.face_tracker import TrackedFace
from kiosk.idv.head_pose import HeadPose


class QualityIssue(StrEnum):
    NO_FACE = "IDV_NO_FACE"
    MULTIPLE_FACES = "IDV_MULTIPLE_FACES"
    TOO_FAR = "IDV_FACE_TOO_FAR"
    TOO_NEAR = "IDV_FACE_TOO_NEAR"
    OFF_CENTRE = "IDV_FACE_OFF_CENTRE"
    YAW = "IDV_POSE_YAW"
    PITCH = "IDV_POSE_PITCH"
    ROLL = "IDV_POSE_ROLL"
    TOO_DARK = "IDV_TOO_DARK"
    TOO_BRIGHT = "IDV_TOO_BRIGHT"
    BLURRED = "IDV_FACE_BLURRED"
    EYES_CLOSED = "IDV_EYES_CLOSED"
    OCCLUDED = "IDV_FACE_OCCLUDED"


@dataclass(frozen=True, slots=True)
class QualityThresholds:
    min_face_width: float = 0.16
    """Face box width over frame width; below, the person is too far."""
    max_face_width: float = 0.65
    max_centre_offset: float = 0.25
    """Face centre's distance from the frame centre, as a fraction of width / height."""
    max_yaw: float = 25.0
    max_pitch: float = 30.0
    max_roll: float = 20.0
    min_brightness: float = 50.0
    """Mean grey level of the face (0-255)."""
    max_brightness: float = 215.0
    min_sharpness: float = 12.0
    """Variance of the Laplacian of the face scaled to 128 px wide."""
    min_eye_aspect_ratio: float = 0.18
    max_lower_face_chroma_shift: float = 25.0
    """Distance in YCrCb chroma between the lower face and the nose bridge: skin to skin is
    under ~13 on our clips (beards included), a surgical mask or scarf well above 25."""
    min_eye_band_ratio: float = 0.25
    """Eye-centre brightness over cheek brightness: 0.34-0.5 for dark open eyes on our clips,
    sunglasses far below."""


@dataclass(frozen=True, slots=True)
class FaceMeasures:
    """What one frame says about the tracked face; the inputs to gates and gestures."""

    ear: float
    mar: float
    pose: HeadPose
    width_ratio: float
    centre_offset: tuple[float, float]
    brightness: float
    sharpness: float
    lower_face_chroma_shift: float
    eye_band_ratio: float


def measure(
    bgr: np.ndarray, gray: np.ndarray, face: TrackedFace, pose: HeadPose, ear: float, mar: float
) -> FaceMeasures:
    height, width = gray.shape[:2]
    left, top, right, bottom = face.box
    crop = gray[max(top, 0) : max(bottom, 1), max(left, 0) : max(right, 1)]
    brightness = float(crop.mean()) if crop.size else 0.0
    sharpness = 0.0
    if crop.size:
        scaled = cv2.resize(crop, (128, max(1, round(128 * crop.shape[0] / crop.shape[1]))))
        sharpness = float(cv2.Laplacian(scaled, cv2.CV_64F).var())
    chroma_shift, eye_ratio = _occlusion_signals(bgr, face.landmarks)
    return FaceMeasures(
        ear=ear,
        mar=mar,
        pose=pose,
        width_ratio=(right - left) / width,
        centre_offset=(
            ((left + right) / 2.0 - width / 2.0) / width,
            ((top + bottom) / 2.0 - height / 2.0) / height,
        ),
        brightness=brightness,
        sharpness=sharpness,
        lower_face_chroma_shift=chroma_shift,
        eye_band_ratio=eye_ratio,
    )


def _patch(image: np.ndarray, centre: np.ndarray, half: float) -> np.ndarray:
    x, y, h = int(centre[0]), int(centre[1]), max(int(half), 1)
    return image[max(y - h, 0) : max(y + h, 1), max(x - h, 0) : max(x + h, 1)]


def _occlusion_signals(bgr: np.ndarray, points: np.ndarray) -> tuple[float, float]:
    """(lower-face chroma shift against the nose bridge, eye band over cheek brightness)."""
    span = float(np.linalg.norm(points[36:42].mean(axis=0) - points[42:48].mean(axis=0)))
    half = max(span * 0.12, 2.0)
    # Only the face's region is converted: the patches lie inside the landmarks' hull.
    height, width = bgr.shape[:2]
    x0, y0 = (max(int(v - half) - 1, 0) for v in points.min(axis=0))
    x1, y1 = (int(v + half) + 2 for v in points.max(axis=0))
    x1, y1 = min(max(x1, x0 + 1), width), min(max(y1, y0 + 1), height)
    if x0 >= width or y0 >= height:
        return 0.0, 1.0
    ycrcb = cv2.cvtColor(np.ascontiguousarray(bgr[y0:y1, x0:x1]), cv2.COLOR_BGR2YCrCb)
    points = points - np.array((x0, y0), dtype=points.dtype)
    # Cheeks: between the outer eye corner and the mouth corner on each side. The bridge of
    # the nose between the eyes is skin above any mask; the lower face is below the nose.
    cheeks = [(points[36] + points[48]) / 2.0, (points[45] + points[54]) / 2.0]
    bridge = [points[27], (points[27] + points[28]) / 2.0]
    lower = [(points[57] + points[8]) / 2.0, (points[33] + points[51]) / 2.0]
    eyes = [points[36:42].mean(axis=0), points[42:48].mean(axis=0)]

    def mean_of(centres: list[np.ndarray]) -> np.ndarray | None:
        patches = [_patch(ycrcb, c, half).reshape(-1, 3) for c in centres]
        pixels = np.concatenate([p for p in patches if p.size])
        return pixels.mean(axis=0) if len(pixels) else None

    cheek, top, low, eye = mean_of(cheeks), mean_of(bridge), mean_of(lower), mean_of(eyes)
    if cheek is None or top is None or low is None or eye is None:
        return 0.0, 1.0
    chroma_shift = float(np.linalg.norm(low[1:] - top[1:]))
    eye_ratio = float(eye[0] / cheek[0]) if cheek[0] > 0 else 1.0
    return chroma_shift, eye_ratio


def check(
    face: TrackedFace | None, measures: FaceMeasures | None, limits: QualityThresholds
) -> list[QualityIssue]:
    """Every gate this frame fails, most important first (the first one is the hint)."""
    if face is None or measures is None:
        return [QualityIssue.NO_FACE]
    issues: list[QualityIssue] = []
    if face.faces_in_view > 1:
        issues.append(QualityIssue.MULTIPLE_FACES)
    if measures.width_ratio < limits.min_face_width:
        issues.append(QualityIssue.TOO_FAR)
    elif measures.width_ratio > limits.max_face_width:
        issues.append(QualityIssue.TOO_NEAR)
    dx, dy = measures.centre_offset
    if max(abs(dx), abs(dy)) > limits.max_centre_offset:
        issues.append(QualityIssue.OFF_CENTRE)
    if abs(measures.pose.yaw) > limits.max_yaw:
        issues.append(QualityIssue.YAW)
    if abs(measures.pose.pitch) > limits.max_pitch:
        issues.append(QualityIssue.PITCH)
    if abs(measures.pose.roll) > limits.max_roll:
        issues.append(QualityIssue.ROLL)
    if measures.brightness < limits.min_brightness:
        issues.append(QualityIssue.TOO_DARK)
    elif measures.brightness > limits.max_brightness:
        issues.append(QualityIssue.TOO_BRIGHT)
    if measures.sharpness < limits.min_sharpness:
        issues.append(QualityIssue.BLURRED)
    if (
        measures.lower_face_chroma_shift > limits.max_lower_face_chroma_shift
        or measures.eye_band_ratio < limits.min_eye_band_ratio
    ):
        issues.append(QualityIssue.OCCLUDED)
    elif measures.ear < limits.min_eye_aspect_ratio:
        issues.append(QualityIssue.EYES_CLOSED)
    return issues
