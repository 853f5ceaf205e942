"""The detectors on real footage from ../shared/data/liveness.

What the issue asks us to show: blinks found in the blink clip, left and right head turns
in zubair/real.webm, and what the checks say on the print and replay material. The replay
is judged against challenge orders the way the kiosk would draw them; the stills are
presented as a hand-held print. These numbers are measurements on a handful of clips, not
attack-detection rates.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import pytest

from drivers.camera.frames import cover_resize
from kiosk.cli.face import still_frames
from kiosk.idv.analysis import FaceAnalyzer, FrameAnalysis
from kiosk.idv.gestures import Gesture, GestureDetector, GestureEvent
from kiosk.idv.liveness import LivenessSession, Phase
from tests.drivers.shared_data import require_shared_data


def analyse_clip(path: Path) -> list[FrameAnalysis]:
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 15.0
    analyzer, frames = FaceAnalyzer(), []
    index = 0
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(analyzer.analyse(cover_resize(image, 640, 480), index / fps))
        index += 1
    capture.release()
    assert frames, f"{path} gave no frames"
    return frames


def gestures(frames: list[FrameAnalysis]) -> list[GestureEvent]:
    detector = GestureDetector()
    return [e for f in frames for e in detector.update(f.timestamp, f.measures)]


def judge(frames: list[FrameAnalysis], order: tuple[Gesture, ...]) -> LivenessSession:
    """The liveness verdict on a recording, as if ``order`` had been drawn. Identity checks
    are not part of this (the footage shows one person throughout)."""
    session = LivenessSession(list(order))
    for frame in frames:
        if session.observe(frame) in (Phase.PASSED, Phase.FAILED):
            break
    return session


TURNS = {Gesture.TURN_LEFT, Gesture.TURN_RIGHT}
# Every order the default policy can draw: 2 or 3 distinct gestures, at least one a turn.
ALL_ORDERS = [
    order
    for n in (2, 3)
    for order in itertools.permutations(list(Gesture), n)
    if TURNS & set(order)
]


def pass_probability(verdicts: dict[tuple[Gesture, ...], LivenessSession]) -> float:
    """Chance that a recording passes one session: the count (2 or 3) is drawn uniformly,
    then the order uniformly among those of that count."""
    by_count: dict[int, list[bool]] = {}
    for order, session in verdicts.items():
        by_count.setdefault(len(order), []).append(session.phase is Phase.PASSED)
    return sum(sum(v) / len(v) for v in by_count.values()) / len(by_count)


@pytest.fixture(scope="module")
def blink_clip() -> list[FrameAnalysis]:
    return analyse_clip(require_shared_data("liveness", "repeating_blink_video.mp4"))


@pytest.fixture(scope="module")
def real_clip() -> list[FrameAnalysis]:
    return analyse_clip(require_shared_data("liveness", "zubair", "real.webm"))


@pytest.fixture(scope="module")
def replay_clip() -> list[FrameAnalysis]:
    return analyse_clip(require_shared_data("liveness", "zubair", "fake_phone_replay.webm"))


def test_blinks_are_found_in_the_blink_clip(blink_clip):
    blinks = [e.start for e in gestures(blink_clip) if e.gesture is Gesture.BLINK]
    # Counted by eye, frame by frame: short blinks start near 0.4, 1.7, 3.4, 4.6, 9.2 and
    # 10.0 s; the eyes are then held shut 5.7-8.1 s and 10.9-13.6 s, which are not blinks.
    assert len(blinks) == 6
    for found, expected in zip(blinks, [0.42, 1.67, 3.42, 4.63, 9.21, 9.96], strict=True):
        assert found == pytest.approx(expected, abs=0.15)
    assert not any(5.8 < t < 8.0 or 11.0 < t < 13.5 for t in blinks)


def test_left_and_right_turns_are_found_in_the_real_clip(real_clip):
    events = gestures(real_clip)
    rights = [e for e in events if e.gesture is Gesture.TURN_RIGHT]
    lefts = [e for e in events if e.gesture is Gesture.TURN_LEFT]
    # He turns to his right (towards the image's left) from ~5 s and to his left from ~9 s.
    assert any(5.0 <= e.start <= 8.5 and e.magnitude > 25 for e in rights)
    assert any(9.0 <= e.start <= 11.0 and e.magnitude > 25 for e in lefts)
    yaws = [f.measures.pose.yaw for f in real_clip if f.measures]
    assert min(yaws) < -30 and max(yaws) > 30


def test_the_replay_fails_nearly_every_order_the_kiosk_could_draw(replay_clip):
    verdicts = {order: judge(replay_clip, order) for order in ALL_ORDERS}
    reasons = {s.reason for s in verdicts.values() if s.phase is Phase.FAILED}
    # Measured 2 of 68 orders (7.1% of draws, both "turn_left first, then blink or open
    # mouth"): docs/biometrics.md. The bound guards against a regression.
    assert pass_probability(verdicts) <= 0.08
    assert "IDV_LIVENESS_WRONG_ACTION" in reasons


def test_a_recording_of_a_live_person_does_not_answer_random_prompts_either(real_clip):
    verdicts = {order: judge(real_clip, order) for order in ALL_ORDERS}
    # Measured 4 of 68 orders (9.0% of draws; 7 of 68 before the wall-time windows): he
    # blinks, talks and nods all the time, then turns right first; the orders that pass end
    # with that turn.
    assert pass_probability(verdicts) <= 0.10


def test_the_blink_clip_answers_no_draw(blink_clip):
    """It blinks on a rhythm of its own and never turns: every draw includes a turn."""
    verdicts = {order: judge(blink_clip, order) for order in ALL_ORDERS}
    assert pass_probability(verdicts) == 0.0
    assert {s.reason for s in verdicts.values()} == {"IDV_LIVENESS_TIMEOUT"}


@pytest.mark.parametrize("name", ["image_F1.jpg", "image_F2.jpg", "image_T1.jpg"])
def test_a_still_held_up_to_the_camera_answers_no_challenge(name):
    image = cv2.imread(str(require_shared_data("liveness", "silent_face", name)))
    frames = []
    analyzer = FaceAnalyzer()
    for picture, t in still_frames(cover_resize(image, 640, 480), seconds=9.0):
        frames.append(analyzer.analyse(picture, t))
    for order in [(Gesture.BLINK, Gesture.NOD), (Gesture.TURN_LEFT, Gesture.OPEN_MOUTH)]:
        session = judge(frames, order)
        assert session.phase is Phase.FAILED
        assert session.reason in {"IDV_LIVENESS_TIMEOUT", "IDV_LIVENESS_NO_BASELINE"}
    assert not [e for e in gestures(frames)]
