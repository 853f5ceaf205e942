"""Landmark ratios and the head-pose sign conventions the liveness challenges rely on."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.idv.head_pose import MODEL_POINTS, POSE_POINTS, estimate_head_pose
from kiosk.idv.landmarks import eye_aspect_ratio, mouth_aspect_ratio

SIZE = (640, 480)


def projected_face(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """68 points (only the six pose points meaningful) of the generic face model rotated by
    person-centred angles and projected by a camera like the one the estimator assumes."""
    # Our yaw is positive towards the person's left = a negative rotation about camera y.
    rx, ry, rz = (np.deg2rad(a) for a in (pitch, -yaw, roll))
    rotation = (
        cv2.Rodrigues(np.array([0.0, 0.0, rz]))[0]
        @ cv2.Rodrigues(np.array([0.0, ry, 0.0]))[0]
        @ cv2.Rodrigues(np.array([rx, 0.0, 0.0]))[0]
    )
    rvec = cv2.Rodrigues(rotation)[0]
    camera = np.array([[640.0, 0, 320], [0, 640.0, 240], [0, 0, 1]])
    image, _ = cv2.projectPoints(MODEL_POINTS, rvec, np.array([0.0, 0, 3000]), camera, None)
    points = np.zeros((68, 2), dtype=np.float32)
    points[list(POSE_POINTS)] = image.reshape(-1, 2)
    return points


def test_frontal_face_is_near_zero():
    pose = estimate_head_pose(projected_face(0, 0, 0), SIZE)
    assert pose is not None
    assert abs(pose.yaw) < 1 and abs(pose.pitch) < 1 and abs(pose.roll) < 1


def test_turning_to_ones_own_left_moves_the_nose_right_and_gives_positive_yaw():
    points = projected_face(25, 0, 0)
    eye_mid_x = (points[36, 0] + points[45, 0]) / 2
    assert points[30, 0] > eye_mid_x  # nose towards the image's right
    pose = estimate_head_pose(points, SIZE)
    assert pose is not None and pose.yaw == pytest.approx(25, abs=2)


def test_chin_down_gives_positive_pitch():
    points = projected_face(0, 15, 0)
    pose = estimate_head_pose(points, SIZE)
    assert pose is not None and pose.pitch == pytest.approx(15, abs=2)


@settings(max_examples=60, deadline=None)
@given(
    yaw=st.floats(-40, 40),
    pitch=st.floats(-25, 25),
    roll=st.floats(-20, 20),
)
def test_pose_recovers_the_angles(yaw: float, pitch: float, roll: float):
    pose = estimate_head_pose(projected_face(yaw, pitch, roll), SIZE)
    assert pose is not None
    assert pose.yaw == pytest.approx(yaw, abs=3)
    assert pose.pitch == pytest.approx(pitch, abs=3)
    assert pose.roll == pytest.approx(roll, abs=3)


def eye(open_height: float) -> np.ndarray:
    # p1..p6 around an eye 30 px wide
    return np.array(
        [
            (0, 0),
            (10, -open_height),
            (20, -open_height),
            (30, 0),
            (20, open_height),
            (10, open_height),
        ],
        dtype=np.float32,
    )


def test_eye_aspect_ratio_falls_when_the_eye_closes():
    points = np.zeros((68, 2), dtype=np.float32)
    points[36:42] = eye(5)
    points[42:48] = eye(5) + np.array([60, 0])
    open_ratio = eye_aspect_ratio(points)
    assert open_ratio == pytest.approx(20 / 60)
    points[36:42] = eye(1)
    points[42:48] = eye(1) + np.array([60, 0])
    assert eye_aspect_ratio(points) < open_ratio / 3


def test_mouth_aspect_ratio_rises_when_the_mouth_opens():
    points = np.zeros((68, 2), dtype=np.float32)
    top = [(0, 0), (10, 0), (20, 0), (30, 0), (40, 0)]
    points[60:65] = top
    points[65:68] = [(30, 0), (20, 0), (10, 0)]
    closed = mouth_aspect_ratio(points)
    points[65:68] = [(30, 20), (20, 24), (10, 20)]
    assert closed == 0
    assert mouth_aspect_ratio(points) > 0.5
