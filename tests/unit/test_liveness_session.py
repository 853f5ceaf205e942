"""The challenge-response state machine on synthetic measures with exact timings.

These frames are built, not filmed: they pin the rules (order, time limits, reaction time,
return to rest, the same face throughout). Whether the detectors see gestures in real
footage is tested on the shared clips in tests/idv/.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.idv.analysis import FrameAnalysis
from kiosk.idv.face_tracker import TrackedFace
from kiosk.idv.gestures import Gesture
from kiosk.idv.head_pose import HeadPose
from kiosk.idv.liveness import LivenessPolicy, LivenessSession, Phase, draw_challenges
from kiosk.idv.quality import FaceMeasures, QualityIssue

FPS = 15.0
REST = {"ear": 0.3, "mar": 0.05, "yaw": 0.0, "pitch": 0.0}
POSES = {
    Gesture.TURN_LEFT: {"yaw": 30.0},
    Gesture.TURN_RIGHT: {"yaw": -30.0},
    Gesture.NOD: {"pitch": 18.0},
    Gesture.OPEN_MOUTH: {"mar": 0.6},
    Gesture.BLINK: {"ear": 0.08},
}


def frame(t: float, *, track: int = 1, faces: int = 1, present: bool = True, **values: float):
    if not present:
        return FrameAnalysis(t, None, None, (QualityIssue.NO_FACE,))
    v = {**REST, **values}
    measures = FaceMeasures(
        ear=v["ear"],
        mar=v["mar"],
        pose=HeadPose(v["yaw"], v["pitch"], 0.0),
        width_ratio=0.3,
        centre_offset=(0.0, 0.0),
        brightness=120.0,
        sharpness=100.0,
        lower_face_chroma_shift=5.0,
        eye_band_ratio=0.6,
    )
    face = TrackedFace((200, 120, 400, 320), np.zeros((68, 2), np.float32), track, True, faces)
    issues = (QualityIssue.MULTIPLE_FACES,) if faces > 1 else ()
    return FrameAnalysis(t, face, measures, issues)


class Script:
    """Feeds frames at 15 fps; ``hold`` keeps a pose for some seconds."""

    def __init__(self, session: LivenessSession) -> None:
        self.session, self.t = session, 0.0

    def hold(self, seconds: float, **kwargs: object) -> Phase:
        phase = self.session.phase
        for _ in range(round(seconds * FPS)):
            phase = self.session.observe(frame(self.t, **kwargs))  # type: ignore[arg-type]
            self.t += 1 / FPS
        return phase

    def perform(self, gesture: Gesture, *, react: float = 0.6, duration: float = 0.5) -> Phase:
        self.hold(react)
        self.hold(duration, **POSES[gesture])
        return self.hold(0.5)


def test_following_the_prompts_passes_and_reports_each_challenge():
    order = [Gesture.TURN_LEFT, Gesture.BLINK, Gesture.TURN_RIGHT]
    session = LivenessSession(order)
    script = Script(session)
    assert script.hold(1.0) is Phase.CHALLENGE
    assert session.current is Gesture.TURN_LEFT
    for gesture in order:
        assert session.current is gesture
        script.perform(gesture)
    assert session.phase is Phase.PASSED
    report = session.report()
    assert report.passed and report.reason is None
    assert [c.challenge for c in report.challenges] == order
    for c in report.challenges:
        assert c.issued_at is not None and c.completed_at is not None
        assert c.completed_at > c.issued_at
        assert c.challenge.value in [g for g, _ in c.seen]


@pytest.mark.parametrize(
    ("asked", "done"),
    [
        (Gesture.TURN_LEFT, Gesture.TURN_RIGHT),
        (Gesture.TURN_RIGHT, Gesture.TURN_LEFT),
        (Gesture.NOD, Gesture.TURN_LEFT),
        (Gesture.BLINK, Gesture.TURN_RIGHT),
    ],
)
def test_an_unasked_head_turn_fails_at_once(asked: Gesture, done: Gesture):
    session = LivenessSession([asked, Gesture.OPEN_MOUTH])
    script = Script(session)
    script.hold(1.0)
    script.perform(done)
    assert session.phase is Phase.FAILED
    assert session.reason == "IDV_LIVENESS_WRONG_ACTION"


def test_natural_blinks_and_speech_do_not_count_against_a_turn():
    session = LivenessSession([Gesture.TURN_LEFT, Gesture.TURN_RIGHT])
    script = Script(session)
    script.hold(1.0)
    script.perform(Gesture.BLINK)
    script.perform(Gesture.OPEN_MOUTH)
    assert session.phase is Phase.CHALLENGE
    script.perform(Gesture.TURN_LEFT)
    script.perform(Gesture.TURN_RIGHT)
    assert session.phase is Phase.PASSED


def test_doing_nothing_times_out_with_the_time_limit():
    policy = LivenessPolicy(time_limit_s=3.0)
    session = LivenessSession([Gesture.BLINK, Gesture.NOD], policy)
    script = Script(session)
    script.hold(1.0)
    issued = session.report().challenges[0].issued_at
    assert issued is not None
    assert script.hold(issued + 2.8 - script.t) is Phase.CHALLENGE
    assert script.hold(0.4) is Phase.FAILED
    assert session.reason == "IDV_LIVENESS_TIMEOUT"
    assert session.report().finished_at == pytest.approx(issued + 3.0, abs=0.15)


def test_a_turn_faster_than_a_person_can_react_is_a_recording():
    session = LivenessSession([Gesture.TURN_LEFT, Gesture.TURN_RIGHT])
    script = Script(session)
    script.hold(1.0)
    script.hold(0.6)
    script.hold(0.5, **POSES[Gesture.TURN_LEFT])
    # Through the resting pose in one swing, straight into the other turn: a recording
    # running ahead of the prompt that appears as the head passes the middle.
    script.hold(0.07)
    script.hold(0.5, **POSES[Gesture.TURN_RIGHT])
    assert session.phase is Phase.FAILED
    assert session.reason == "IDV_LIVENESS_TOO_EARLY"


def test_the_next_prompt_waits_for_the_head_to_come_back():
    session = LivenessSession([Gesture.TURN_LEFT, Gesture.NOD])
    script = Script(session)
    script.hold(1.0)
    script.hold(0.6)
    script.hold(2.0, **POSES[Gesture.TURN_LEFT])  # holds the turn
    second = session.report().challenges[1]
    assert second.issued_at is None  # not shown while the head is still turned
    script.hold(0.5)
    assert session.report().challenges[1].issued_at is not None


def test_a_gesture_begun_before_the_prompt_answers_nothing():
    session = LivenessSession([Gesture.BLINK, Gesture.OPEN_MOUTH])
    script = Script(session)
    script.hold(1.0)
    script.hold(0.6, mar=0.6)  # opens the mouth while the blink prompt is shown
    script.hold(0.3, mar=0.6, ear=0.08)
    script.hold(1.0, mar=0.6)
    report = session.report()
    assert report.challenges[0].completed_at is not None
    assert report.challenges[1].issued_at is not None
    # Mouth already open when its prompt appeared, kept open: never a fresh gesture.
    assert report.challenges[1].completed_at is None


def test_losing_the_face_during_a_challenge_fails_after_the_grace_gap():
    session = LivenessSession([Gesture.BLINK, Gesture.NOD])
    script = Script(session)
    script.hold(1.0)
    assert script.hold(0.8, present=False) is Phase.CHALLENGE
    assert script.hold(0.4, present=False) is Phase.FAILED
    assert session.reason == "IDV_LIVENESS_FACE_LOST"


def test_several_faces_in_view_fail_after_the_grace_gap():
    session = LivenessSession([Gesture.BLINK, Gesture.NOD])
    script = Script(session)
    script.hold(1.0)
    script.hold(1.5, faces=2)
    assert session.reason == "IDV_LIVENESS_MULTIPLE_FACES"


def test_a_new_track_pauses_gestures_until_identity_is_confirmed():
    session = LivenessSession([Gesture.TURN_LEFT, Gesture.NOD])
    script = Script(session)
    script.hold(1.0)
    script.hold(0.1, present=False)
    script.hold(0.6, track=2)
    assert session.needs_identity_check
    script.hold(0.5, track=2, **POSES[Gesture.TURN_LEFT])
    assert session.report().challenges[0].completed_at is None  # did not count
    session.identity_checked(0.2, script.t)
    assert not session.needs_identity_check
    script.hold(1.1, track=2)
    script.hold(0.5, track=2, **POSES[Gesture.TURN_LEFT])
    assert session.report().challenges[0].completed_at is not None


def test_a_different_face_fails_the_session():
    session = LivenessSession([Gesture.BLINK, Gesture.NOD])
    script = Script(session)
    script.hold(1.0)
    assert session.identity_checked(0.9, script.t) is Phase.FAILED
    assert session.reason == "IDV_LIVENESS_FACE_CHANGED"


def test_no_usable_face_ever_fails_for_want_of_a_baseline():
    session = LivenessSession([Gesture.BLINK, Gesture.NOD], LivenessPolicy(baseline_timeout_s=3))
    script = Script(session)
    assert script.hold(3.5, present=False) is Phase.FAILED
    assert session.reason == "IDV_LIVENESS_NO_BASELINE"


def test_challenges_are_drawn_at_random_without_repeats():
    import random

    policy = LivenessPolicy()
    seen = set()
    for seed in range(200):
        order = draw_challenges(policy, random.Random(seed))
        assert 2 <= len(order) <= 3 and len(set(order)) == len(order)
        assert {Gesture.TURN_LEFT, Gesture.TURN_RIGHT} & set(order)
        seen.add(tuple(order))
    assert len(seen) > 40  # many different orders, not a fixed script
    fixed = LivenessPolicy(fixed_order=(Gesture.NOD, Gesture.BLINK))
    assert draw_challenges(fixed) == [Gesture.NOD, Gesture.BLINK]


POSE_CHOICES = st.sampled_from([{}, *POSES.values()])


@settings(max_examples=80, deadline=None)
@given(
    order=st.permutations(list(Gesture)).map(lambda p: p[:3]),
    steps=st.lists(
        st.tuples(st.floats(0.05, 1.5), POSE_CHOICES, st.booleans(), st.integers(1, 3)),
        max_size=25,
    ),
    checks=st.lists(st.floats(0.0, 1.2), max_size=3),
)
def test_any_stream_ends_in_a_consistent_state(order, steps, checks):
    session = LivenessSession(list(order), LivenessPolicy(time_limit_s=4.0))
    script = Script(session)
    for seconds, pose, present, track in steps:
        script.hold(seconds, present=present, track=track, **pose)
        if checks and session.needs_identity_check:
            session.identity_checked(checks.pop(), script.t)
    report = session.report()
    if session.phase is Phase.PASSED:
        assert report.reason is None
        assert all(c.completed_at is not None for c in report.challenges)
    elif session.phase is Phase.FAILED:
        assert report.reason and report.reason.startswith("IDV_LIVENESS_")
        assert not report.passed
    completed = [c.completed_at for c in report.challenges if c.completed_at is not None]
    assert completed == sorted(completed)
