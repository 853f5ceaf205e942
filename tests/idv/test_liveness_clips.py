"""The detectors on real footage from ../shared/data/liveness.

What the issue asks us to show: blinks found in the blink clip, left and right head turns
in zubair/real.webm, and what the checks say on the print and replay material. The replay
is judged against challenge orders the way the kiosk would draw them; the stills are
presented as a hand-held print. These numbers are measurements on a handful of clips, not
attack-detection rates.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from collections import Counter
from pathlib import Path

import cv2
import pytest

from drivers.camera.frames import cover_resize
from kiosk.cli.face import still_frames
from kiosk.idv.analysis import FaceAnalyzer, FrameAnalysis
from kiosk.idv.gestures import Gesture, GestureDetector, GestureEvent
from kiosk.idv.liveness import LivenessPolicy, LivenessSession, Phase, draw_challenges
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


def judge(
    frames: list[FrameAnalysis],
    order: tuple[Gesture, ...],
    rng: random.Random | None = None,
    policy: LivenessPolicy | None = None,
) -> LivenessSession:
    """The liveness verdict on a recording, as if ``order`` had been drawn (and the waits
    before the prompts drawn from ``rng``). Identity checks are not part of this (the
    footage shows one person throughout)."""
    session = LivenessSession(list(order), policy, rng=rng or random.Random(0))
    for frame in frames:
        if session.observe(frame) in (Phase.PASSED, Phase.FAILED):
            break
    return session


def looped(frames: list[FrameAnalysis], times: int) -> list[FrameAnalysis]:
    """The clip played ``times`` times in a row, as a replay on repeat would show it."""
    if not frames:
        return []
    period = frames[-1].timestamp + (frames[-1].timestamp - frames[-2].timestamp)
    return [
        dataclasses.replace(f, timestamp=f.timestamp + k * period)
        for k in range(times)
        for f in frames
    ]


DRAWS = 2000
LOOPS = 3


def replay_draws(
    frames: list[FrameAnalysis], draws: int = DRAWS, seed: int = 15
) -> tuple[int, Counter[str]]:
    """Passes over ``draws`` sessions drawn as the kiosk draws them (order and waits), the
    recording played on a loop; and the reasons of the failures."""
    policy = LivenessPolicy()
    passes, reasons = 0, Counter[str]()
    for n in range(draws):
        rng = random.Random(f"{seed}-{n}")
        session = judge(frames, tuple(draw_challenges(policy, rng)), rng, policy)
        if session.phase is Phase.PASSED:
            passes += 1
        else:
            reasons[session.reason or "unfinished (the recording ended)"] += 1
    return passes, reasons


def upper_95(passes: int, n: int) -> float:
    """Clopper-Pearson one-sided 95% upper bound on a pass rate of ``passes`` in ``n``."""
    from scipy.stats import beta

    return 1.0 if passes == n else float(beta.ppf(0.95, passes + 1, n - passes))


TURNS = {Gesture.TURN_LEFT, Gesture.TURN_RIGHT}
# Every order the old policy could draw: 2 or 3 distinct gestures, at least one a turn.
OLD_ORDERS = [
    order
    for n in (2, 3)
    for order in itertools.permutations(list(Gesture), n)
    if TURNS & set(order)
]


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


@pytest.mark.parametrize("clip", ["replay_clip", "real_clip", "blink_clip"])
def test_a_recording_passes_at_most_one_percent_of_draws(clip, request):
    """Each clip, on a loop, against 2000 sessions drawn as the kiosk draws them: the
    gestures' order and the random waits before the prompts. Measured: 0 of 2000 for each
    (docs/biometrics.md); the analytic bound is 0.92% (tests/unit/test_liveness_session.py).
    """
    frames = looped(request.getfixturevalue(clip), LOOPS)
    passes, reasons = replay_draws(frames)
    print(f"{clip}: {passes}/{DRAWS} passed; {dict(reasons)}")
    assert passes / DRAWS <= 0.01
    assert upper_95(passes, DRAWS) <= 0.01


def test_the_old_draws_with_immediate_prompts_let_the_recordings_through(real_clip, replay_clip):
    """Before: 2-3 of 5 gestures, each prompt shown as soon as the head was at rest. The
    same recordings passed 7-9% of those draws (docs/biometrics.md); the random waits and
    the rules before a prompt are what close it."""
    from tests.unit.test_liveness_session import gaps

    old = gaps(0.0, min_challenges=2, challenges=tuple(Gesture), answer_window_s=7.0)
    for frames in (real_clip, replay_clip):
        verdicts = [judge(frames, order, policy=old) for order in OLD_ORDERS]
        assert any(v.phase is Phase.PASSED for v in verdicts)


@pytest.mark.parametrize("name", ["image_F1.jpg", "image_F2.jpg", "image_T1.jpg"])
def test_a_still_held_up_to_the_camera_answers_no_challenge(name):
    image = cv2.imread(str(require_shared_data("liveness", "silent_face", name)))
    frames = []
    analyzer = FaceAnalyzer()
    for picture, t in still_frames(cover_resize(image, 640, 480), seconds=9.0):
        frames.append(analyzer.analyse(picture, t))
    for order in [(Gesture.BLINK, Gesture.NOD), (Gesture.TURN_LEFT, Gesture.OPEN_MOUTH)]:
        session = judge(frames, order)
        # Failed, or still waiting for an answer when the 9 s ran out (the prompt may come
        # up to 6.5 s after the baseline).
        assert session.phase is not Phase.PASSED
        assert session.reason in {"IDV_LIVENESS_TIMEOUT", "IDV_LIVENESS_NO_BASELINE", None}
        assert not [c for c in session.report().challenges if c.completed_at is not None]
    assert not [e for e in gestures(frames)]
