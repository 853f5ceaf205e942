"""Head pose from six landmarks with ``cv2.solvePnP``.

Conventions (the liveness challenges and the simulated subject depend on them): frames are
not mirrored; **yaw** is positive when the person turns to their own left (the nose moves
towards the image's right); **pitch** is positive when the chin goes down; **roll** is
positive when the head tilts clockwise in the image. Angles are in degrees.

The 3-D model is a generic adult face in camera axes (x right, y down, z away from the
camera, millimetre-like units) so that a frontal face gives a rotation near identity and
the Euler angles need no unwrapping. The focal length is taken as the frame width: an
uncalibrated webcam is close enough for thresholds of tens of degrees.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# 68-point indices: nose tip, chin, outer eye corners, mouth corners.
POSE_POINTS = (30, 8, 36, 45, 48, 54)
MODEL_POINTS = np.array(
    [
        (0.0, 0.0, 0.0),
        (0.0, 330.0, 65.0),
        (-225.0, -170.0, 135.0),
        (225.0, -170.0, 135.0),
        (-150.0, 150.0, 125.0),
        (150.0, 150.0, 125.0),
    ],
    dtype=np.float64,
)


@dataclass(frozen=True, slots=True)
class HeadPose:
    yaw: float
    pitch: float
    roll: float


def estimate_head_pose(points: np.ndarray, frame_size: tuple[int, int]) -> HeadPose | None:
    """Pose of the face whose 68 landmarks are ``points``; ``None`` when solvePnP fails."""
    width, height = frame_size
    camera = np.array(
        [[width, 0.0, width / 2.0], [0.0, width, height / 2.0], [0.0, 0.0, 1.0]],
        dtype=np.float64,
    )
    image_points = points[list(POSE_POINTS)].astype(np.float64)
    # Start from a frontal face at the distance its eye span implies: without a guess the
    # iterative solver sometimes lands on the mirror solution (roll near 180 degrees).
    span = float(np.linalg.norm(image_points[3] - image_points[2])) or 1.0
    rvec = np.zeros((3, 1), dtype=np.float64)
    tvec = np.array([[0.0], [0.0], [width * 450.0 / span]], dtype=np.float64)
    ok, rvec, _tvec = cv2.solvePnP(
        MODEL_POINTS,
        image_points,
        camera,
        None,
        rvec,
        tvec,
        useExtrinsicGuess=True,
        flags=cv2.SOLVEPNP_ITERATIVE,
    )
    if not ok:
        return None
    rotation, _ = cv2.Rodrigues(rvec)
    angles, *_ = cv2.RQDecomp3x3(rotation)
    pitch, yaw_about_y, roll = (float(a) for a in angles)
    # Turning to one's own left rotates the nose towards +x, a negative angle about y.
    return HeadPose(yaw=-yaw_about_y, pitch=pitch, roll=roll)
