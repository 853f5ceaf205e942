"""Face continuity on a real person's head movements (zubair/real.webm: he talks, bows
and turns his head far both ways): the same person must never read as someone else.

Each frame the face session would compare (frontal enough, the whole face in view) is
described and compared with the session's reference, in order, through the liveness
session's own rule. Mid-movement frames may read far for a moment; the rule ends a
session only when far readings persist 0.6 s, which a real swap does (tests/idv/
test_face_session_subject.py swaps faces mid-session).
"""

from __future__ import annotations

import cv2
import pytest

from drivers.camera.frames import cover_resize
from kiosk.idv.embedding import DlibResNetEmbedder, distance
from kiosk.idv.face_session import _whole_face_in_view
from kiosk.idv.gestures import Gesture
from kiosk.idv.liveness import LivenessPolicy, LivenessSession, Phase
from kiosk.idv.quality import QualityIssue
from tests.drivers.shared_data import require_shared_data
from tests.idv.test_liveness_clips import analyse_clip


@pytest.fixture(scope="module")
def readings() -> list[tuple[float, float, float, bool]]:
    """(time, yaw, pitch, comparable) and the distance for every other frame with a face."""
    path = require_shared_data("liveness", "zubair", "real.webm")
    frames = analyse_clip(path)
    capture = cv2.VideoCapture(str(path))
    images = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        images.append(cover_resize(image, 640, 480))
    embedder = DlibResNetEmbedder()
    reference, out = None, []
    for index, (frame, image) in enumerate(zip(frames, images, strict=True)):
        if frame.face is None or frame.measures is None or index % 2:
            continue
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        embedding = embedder.embed(rgb, frame.face.box)
        if reference is None:
            if frame.good:
                reference = embedding
            continue
        comparable = all(i is QualityIssue.EYES_CLOSED for i in frame.issues) and (
            _whole_face_in_view(frame.face.landmarks, image.shape)
        )
        pose = frame.measures.pose
        out.append(
            (frame.timestamp, pose.yaw, pose.pitch, comparable, distance(embedding, reference))
        )
    return out


def test_the_clip_has_the_head_movements_that_matter(readings):
    assert any(abs(yaw) > 30 for _, yaw, _, _, _ in readings)  # turned far
    assert any(abs(pitch) >= 12 for _, _, pitch, _, _ in readings)  # bowed or raised


def test_turned_frames_are_not_compared(readings):
    for _, yaw, _, comparable, _ in readings:
        if abs(yaw) > 25:
            assert not comparable


def test_the_same_person_is_never_taken_for_someone_else(readings):
    session = LivenessSession([Gesture.BLINK, Gesture.NOD], LivenessPolicy())
    for t, _, _, comparable, d in readings:
        if comparable:
            assert session.identity_checked(d, t) is not Phase.FAILED, (t, d)


def test_a_far_reading_pauses_and_one_that_persists_fails():
    session = LivenessSession([Gesture.BLINK, Gesture.NOD])
    assert session.identity_checked(0.62, 1.0) is not Phase.FAILED
    assert session.needs_identity_check  # gestures wait for a near reading
    assert session.identity_checked(0.3, 1.1) is not Phase.FAILED
    assert not session.needs_identity_check
    session.identity_checked(0.62, 2.0)
    assert session.identity_checked(0.6, 2.3) is not Phase.FAILED
    assert session.identity_checked(0.6, 2.6) is Phase.FAILED
    assert session.reason == "IDV_LIVENESS_FACE_CHANGED"
