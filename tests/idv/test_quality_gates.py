"""Each quality gate fires on a real face frame degraded the way kiosks see it degrade.

The base frame is a frontal, well-lit face from the shared blink clip (2 s in, eyes open).
Each degradation is made with OpenCV on that frame: darker, brighter, defocused, a mask, dark
glasses, the person too far or off to one side, a tilted head, a second person.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from drivers.camera.frames import cover_resize
from kiosk.idv.analysis import FaceAnalyzer
from kiosk.idv.quality import QualityIssue
from tests.drivers.shared_data import require_shared_data


@pytest.fixture(scope="module")
def face_frame() -> np.ndarray:
    capture = cv2.VideoCapture(str(require_shared_data("liveness", "repeating_blink_video.mp4")))
    capture.set(cv2.CAP_PROP_POS_MSEC, 2000)
    ok, image = capture.read()
    capture.release()
    assert ok
    # Contain (not cover): the whole head with some room, as a kiosk camera frames it.
    canvas = np.full((480, 640, 3), 200, np.uint8)
    small = cv2.resize(image, (270, 480))
    canvas[:, 185:455] = small
    return canvas


def issues(image: np.ndarray) -> list[QualityIssue]:
    analysis = FaceAnalyzer().analyse(image, 0.0)
    return list(analysis.issues)


def landmarks(image: np.ndarray) -> np.ndarray:
    face = FaceAnalyzer().analyse(image, 0.0).face
    assert face is not None
    return face.landmarks


def test_the_base_frame_passes_every_gate(face_frame):
    assert issues(face_frame) == []


def test_no_face(face_frame):
    assert issues(np.full_like(face_frame, 128)) == [QualityIssue.NO_FACE]


def test_too_dark_and_too_bright(face_frame):
    assert QualityIssue.TOO_DARK in issues((face_frame * 0.3).astype(np.uint8))
    bright = cv2.convertScaleAbs(face_frame, alpha=1.0, beta=110)
    assert QualityIssue.TOO_BRIGHT in issues(bright)


def test_blurred(face_frame):
    assert QualityIssue.BLURRED in issues(cv2.GaussianBlur(face_frame, (0, 0), 4))


def test_too_far_and_off_centre(face_frame):
    far = np.full_like(face_frame, 200)
    small = cv2.resize(face_frame, None, fx=0.45, fy=0.45)
    far[132 : 132 + small.shape[0], 176 : 176 + small.shape[1]] = small
    assert QualityIssue.TOO_FAR in issues(far)
    aside = np.full_like(face_frame, 200)
    aside[:, :440] = face_frame[:, 200:640]  # face centre moves from 320 to ~120 px
    assert QualityIssue.OFF_CENTRE in issues(aside)


def test_too_near(face_frame):
    near = cv2.resize(face_frame[100:380, 200:440], (640, 480))
    found = issues(near)
    assert QualityIssue.TOO_NEAR in found or QualityIssue.NO_FACE in found


def test_tilted_head_is_roll(face_frame):
    matrix = cv2.getRotationMatrix2D((320, 240), 30, 1.0)
    tilted = cv2.warpAffine(face_frame, matrix, (640, 480), borderValue=(200, 200, 200))
    assert QualityIssue.ROLL in issues(tilted)


def test_a_second_face_in_view(face_frame):
    pair = np.full_like(face_frame, 200)
    half = cv2.resize(face_frame[:, 160:480], (320, 480))
    pair[:, :320] = half
    pair[:, 320:] = half
    assert QualityIssue.MULTIPLE_FACES in issues(pair)


def test_a_mask_over_the_lower_face_is_occlusion(face_frame):
    points = landmarks(face_frame)
    masked = face_frame.copy()
    polygon = np.vstack([points[1:16], points[[29]]]).astype(np.int32)
    cv2.fillPoly(masked, [polygon], (235, 206, 160))  # surgical-mask blue (BGR)
    assert QualityIssue.OCCLUDED in issues(masked)


def test_dark_glasses_are_occlusion(face_frame):
    points = landmarks(face_frame)
    glasses = face_frame.copy()
    for eye in (points[36:42], points[42:48]):
        centre = eye.mean(axis=0).astype(int)
        width = int(np.ptp(eye[:, 0]) * 1.4)
        cv2.ellipse(glasses, tuple(centre), (width // 2 + 4, width // 3 + 4), 0, 0, 360,
                    (20, 20, 20), -1)  # fmt: skip
    assert QualityIssue.OCCLUDED in issues(glasses)


def test_closed_eyes(face_frame):
    capture = cv2.VideoCapture(str(require_shared_data("liveness", "repeating_blink_video.mp4")))
    capture.set(cv2.CAP_PROP_POS_MSEC, 7000)  # eyes held shut 5.7-8.1 s
    ok, image = capture.read()
    assert ok
    canvas = np.full((480, 640, 3), 200, np.uint8)
    canvas[:, 185:455] = cv2.resize(image, (270, 480))
    assert QualityIssue.EYES_CLOSED in issues(canvas)


def test_cover_resize_keeps_the_aspect_ratio():
    image = np.zeros((854, 480, 3), np.uint8)
    image[:, 240:] = 255
    out = cover_resize(image, 640, 480)
    assert out.shape == (480, 640, 3)
    assert out[:, :310].max() == 0 and out[:, 330:].min() == 255
