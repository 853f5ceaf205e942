"""The liveness step when the kiosk analyses only 5 frames a second (a busy, slow CPU).

The frames are real (../shared/data/liveness) or the simulated subject's, with wall-clock
timestamps; frames are dropped the way a slow analyser drops them (it takes the newest
frame when it is ready for one). Nothing here measures speed: the rate is in the
timestamps, so these tests pass the same on an idle and on a loaded machine.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from drivers.camera.frames import cover_resize
from drivers.simulators.face_subject import SimulatedSubject
from kiosk.idv.analysis import FaceAnalyzer, FrameAnalysis
from kiosk.idv.embedding import DlibResNetEmbedder, load_rgb
from kiosk.idv.face_session import FaceVerificationSession
from kiosk.idv.gestures import Gesture, GestureDetector, GestureEvent
from kiosk.idv.liveness import LivenessPolicy, LivenessSession, Phase
from tests.drivers.shared_data import require_shared_data

SLOW_FPS = 5.0
# Counted by eye in the blink clip (tests/idv/test_liveness_clips.py): short blinks.
TRUE_BLINKS = [0.42, 1.67, 3.42, 4.63, 9.21, 9.96]


def analyse_at(path: Path, rate: float) -> list[FrameAnalysis]:
    """The clip as an analyser that keeps up with ``rate`` frames a second sees it."""
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 15.0
    analyzer, frames = FaceAnalyzer(), []
    index, next_at = 0, 0.0
    while True:
        ok, image = capture.read()
        if not ok:
            break
        t = index / fps
        index += 1
        if t + 1e-9 < next_at:
            continue  # the analyser is still busy with the previous frame
        next_at += 1.0 / rate
        frames.append(analyzer.analyse(cover_resize(image, 640, 480), t))
    capture.release()
    assert frames, f"{path} gave no frames"
    return frames


def gestures(frames: list[FrameAnalysis]) -> list[GestureEvent]:
    detector = GestureDetector()
    return [e for f in frames for e in detector.update(f.timestamp, f.measures)]


@pytest.fixture(scope="module")
def slow_real() -> list[FrameAnalysis]:
    return analyse_at(require_shared_data("liveness", "zubair", "real.webm"), SLOW_FPS)


@pytest.fixture(scope="module")
def slow_blinks() -> list[FrameAnalysis]:
    path = require_shared_data("liveness", "repeating_blink_video.mp4")
    return analyse_at(path, SLOW_FPS)


def test_the_head_turn_is_found_at_5_fps(slow_real):
    # At the clip's 15 fps he turns to his right from ~5 s (test_liveness_clips.py).
    rights = [e for e in gestures(slow_real) if e.gesture is Gesture.TURN_RIGHT]
    assert any(5.0 <= e.start <= 8.5 and e.magnitude > 25 for e in rights), rights


def test_blinks_seen_at_5_fps_are_real_blinks(slow_blinks):
    """Some blinks fall between two frames at 5 fps (why a slow session is not asked for
    one), but what is seen is a blink, never the eyes held shut."""
    blinks = [e.start for e in gestures(slow_blinks) if e.gesture is Gesture.BLINK]
    assert blinks
    for found in blinks:
        assert min(abs(found - true) for true in TRUE_BLINKS) <= 0.25, blinks


def test_a_slow_session_asks_for_a_held_gesture_instead_of_a_blink(slow_blinks):
    from tests.unit.test_liveness_session import gaps

    # Blinks are not drawn by default any more; a site may still list them.
    session = LivenessSession([Gesture.BLINK, Gesture.TURN_LEFT], gaps(0.0))
    for frame in slow_blinks[:10]:
        session.observe(frame)
    assert session.phase is Phase.CHALLENGE
    assert session.current in {Gesture.NOD, Gesture.OPEN_MOUTH}
    first = session.report().challenges[0]
    assert first.replaced is Gesture.BLINK
    assert first.fps == pytest.approx(SLOW_FPS, rel=0.1)
    assert session.report().as_dict()["challenges"][0]["replaced"] == "blink"


def test_at_full_rate_the_blink_is_kept():
    frames = analyse_at(require_shared_data("liveness", "repeating_blink_video.mp4"), 15.0)
    from tests.unit.test_liveness_session import gaps

    session = LivenessSession([Gesture.BLINK, Gesture.TURN_LEFT], gaps(0.0))
    for frame in frames[:15]:
        session.observe(frame)
    first = session.report().challenges[0]
    assert first.issued_at is not None and first.fps == pytest.approx(15.0, rel=0.1)
    assert first.challenge is Gesture.BLINK and first.replaced is None


def test_a_turn_held_half_a_second_counts_at_4_fps():
    """Wall-time windows: the median of the frames of the last 0.18 s is one frame here,
    so two frames beyond the threshold confirm the turn (a three-frame median did not)."""
    from tests.unit.test_liveness_session import frame

    detector = GestureDetector()
    events: list[GestureEvent] = []
    t = 0.0
    for yaw in [0.0, 0.0, 0.0, 0.0, 30.0, 30.0, 0.0]:
        events += detector.update(t, frame(t, yaw=yaw).measures)
        t += 0.25
    assert [e.gesture for e in events] == [Gesture.TURN_LEFT]
    assert events[0].start == pytest.approx(1.0)


class SteppedClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def embedder() -> DlibResNetEmbedder:
    return DlibResNetEmbedder()


def play_at_5_fps(
    embedder: DlibResNetEmbedder, order: list[Gesture], seed: int, *, swap_after: int = 0
) -> FaceVerificationSession:
    """The subject answers every prompt shown; with ``swap_after``, another face takes its
    place once that many prompts were answered."""
    clock = SteppedClock()
    session = FaceVerificationSession(embedder, order, LivenessPolicy(time_limit_s=7.0))
    other = load_rgb(require_shared_data("faces", "deepface_pairs", "img1.jpg"))
    with SimulatedSubject(fps=15.0, clock=clock, seed=seed) as subject:
        subject.prepare()
        start, last, prompted, answered = clock.now, -1, None, 0
        while not session.done and clock.now - start < 60.0:
            if swap_after and answered == swap_after and subject_done(session, answered):
                subject.set_portrait(other)
                swap_after = 0
            frame = subject.latest(newer_than=last, timeout=1.0)
            last = frame.sequence
            status = session.feed(frame.image, frame.timestamp)
            shown = status.challenge is not None and status.remaining_s is not None
            if shown and status.challenge is not prompted:
                prompted = status.challenge
                subject.answer(prompted.value)  # type: ignore[union-attr]
                answered += 1
            clock.now += 1.0 / SLOW_FPS
    return session


def subject_done(session: FaceVerificationSession, answered: int) -> bool:
    """The ``answered``-th challenge has been completed."""
    completed = [c for c in session.report().challenges if c.completed_at is not None]
    return len(completed) >= answered


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_simulated_person_passes_at_5_fps(embedder, seed):
    """A whole session (tracking, baseline, prompts, identity checks) against the subject
    with human timing, while the kiosk analyses 5 frames a second."""
    order = [Gesture.BLINK, Gesture.TURN_RIGHT, Gesture.OPEN_MOUTH]
    session = play_at_5_fps(embedder, order, seed)
    report = session.report()
    assert session.phase is Phase.PASSED, report.as_dict()
    assert report.challenges[0].replaced is Gesture.BLINK
    assert Gesture.BLINK not in [c.challenge for c in report.challenges]


def test_at_5_fps_a_face_swapped_in_after_an_answer_fails_before_the_next_prompt(embedder):
    """The person answers the first prompt, then someone else takes their place: at 5 fps
    too, the session ends before the newcomer is shown a prompt."""
    order = [Gesture.TURN_RIGHT, Gesture.OPEN_MOUTH, Gesture.NOD]
    session = play_at_5_fps(embedder, order, seed=4, swap_after=1)
    report = session.report()
    assert session.phase is Phase.FAILED, report.as_dict()
    assert report.reason == "IDV_LIVENESS_FACE_CHANGED"
    assert report.challenges[0].completed_at is not None
    assert report.challenges[1].issued_at is None  # the next prompt was never shown


@pytest.mark.parametrize(("fps", "pauses"), [(5.0, True), (15.0, False)])
def test_below_the_describing_rate_identity_is_confirmed_between_prompts(fps, pauses):
    """At 5 fps no descriptor is taken while a prompt waits (one would blind the session
    through the gesture), so after each answer the next prompt waits for an identity
    check; at 15 fps the checks run during prompts and nothing waits."""
    from tests.unit.test_liveness_session import POSES, frame, gaps

    session = LivenessSession([Gesture.TURN_LEFT, Gesture.NOD], gaps(0.0))
    t = 0.0

    def hold(seconds: float, **pose: float) -> None:
        nonlocal t
        for _ in range(round(seconds * fps)):
            session.observe(frame(t, **pose))
            t += 1.0 / fps

    hold(1.0)
    assert session.current is Gesture.TURN_LEFT
    assert session.describes_during_prompts is not pauses
    hold(0.6)
    hold(0.6, **POSES[Gesture.TURN_LEFT])
    hold(1.0)
    assert session.report().challenges[0].completed_at is not None
    assert session.needs_identity_check is pauses
    assert (session.report().challenges[1].issued_at is None) is pauses
    if pauses:
        session.identity_checked(0.2, t)
        hold(0.4)
        assert session.report().challenges[1].issued_at is not None


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_a_cpu_where_each_descriptor_takes_0_6_s_still_sees_every_answer(embedder, seed):
    """A quarter of a core as the face session lives it: frames come at 15 fps, but each
    descriptor holds the next frame up by 0.6 s (measured in bench/face_session.py), long
    enough to swallow a nod. After the first such gap no descriptor is taken while a
    prompt waits, and identity is confirmed between prompts instead."""
    order = [Gesture.NOD, Gesture.TURN_LEFT, Gesture.OPEN_MOUTH]
    clock = SteppedClock()
    session = FaceVerificationSession(embedder, order, LivenessPolicy(time_limit_s=7.0))
    with SimulatedSubject(fps=15.0, clock=clock, seed=seed, idle_blinks=False) as subject:
        subject.prepare()
        start, last, prompted, answers = clock.now, -1, None, 0
        while not session.done and clock.now - start < 60.0:
            frame = subject.latest(newer_than=last, timeout=1.0)
            last = frame.sequence
            before = session.descriptors_computed
            status = session.feed(frame.image, frame.timestamp)
            shown = status.challenge is not None and status.remaining_s is not None
            if shown and status.challenge is not prompted:
                prompted = status.challenge
                subject.answer(prompted.value)  # type: ignore[union-attr]
                answers += 1
            clock.now += 1.0 / 15.0 + (0.6 if session.descriptors_computed > before else 0.0)
    report = session.report()
    assert session.phase is Phase.PASSED, report.as_dict()
    assert answers == len(order)  # each answered once: none was missed and repeated
