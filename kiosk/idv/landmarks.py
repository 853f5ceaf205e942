"""Measures taken from the 68-point landmark layout (iBUG 300-W numbering, 0-based).

Ratios, not pixel distances, so they do not depend on how near the person stands: the eye
aspect ratio (Soukupová and Čech, 2016) drops towards zero when the eye closes; the mouth
aspect ratio over the inner lip points rises when the mouth opens.
"""

from __future__ import annotations

import numpy as np

JAW = slice(0, 17)
RIGHT_EYE = slice(36, 42)  # the person's right eye: image left in an unmirrored frame
LEFT_EYE = slice(42, 48)
INNER_MOUTH = slice(60, 68)
NOSE_TIP = 30
CHIN = 8


def to_array(shape: object) -> np.ndarray:
    """dlib ``full_object_detection`` → float32 array of shape (n, 2)."""
    parts = shape.parts()  # type: ignore[attr-defined]
    return np.array([(p.x, p.y) for p in parts], dtype=np.float32)


def _eye_ratio(eye: np.ndarray) -> float:
    vertical = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
    horizontal = 2.0 * np.linalg.norm(eye[0] - eye[3])
    return float(vertical / horizontal) if horizontal > 0 else 0.0


def eye_aspect_ratio(points: np.ndarray) -> float:
    """Mean EAR of both eyes: about 0.25-0.35 open, under 0.15 closed for most adults."""
    return (_eye_ratio(points[RIGHT_EYE]) + _eye_ratio(points[LEFT_EYE])) / 2.0


def mouth_aspect_ratio(points: np.ndarray) -> float:
    """Inner-lip opening over mouth width: near 0 closed, above 0.4 wide open."""
    inner = points[INNER_MOUTH]
    vertical = (
        np.linalg.norm(inner[1] - inner[7])
        + np.linalg.norm(inner[2] - inner[6])
        + np.linalg.norm(inner[3] - inner[5])
    )
    horizontal = 2.0 * np.linalg.norm(inner[0] - inner[4])
    return float(vertical / horizontal) if horizontal > 0 else 0.0


def interocular_distance(points: np.ndarray) -> float:
    """Distance between the eye centres, in pixels: the face's scale in the frame."""
    return float(np.linalg.norm(points[RIGHT_EYE].mean(axis=0) - points[LEFT_EYE].mean(axis=0)))
