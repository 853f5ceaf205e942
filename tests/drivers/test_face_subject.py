"""The simulated subject, measured the way the kiosk measures a person: real rendering, real
dlib (HOG detector, 68-point predictor, ResNet descriptor), solvePnP on the usual 6-point
model. No mocks. Time is a fake clock where the schedule matters, and real time only in the
Camera-protocol tests, which wait generously and never assert a duration."""

from __future__ import annotations

import importlib.resources
import math
from collections.abc import Iterator

import cv2
import dlib
import numpy as np
import pytest
import skimage.data

from drivers.camera.base import Camera, Frame
from drivers.errors import CameraUnavailable
from drivers.simulators.face_subject import (
    ACTIONS,
    BLINK_DURATION,
    IDLE_BLINK_INTERVAL,
    IDLE_BLINK_TIMING,
    PERFORMED_TIMING,
    REACTION_S,
    SimulatedSubject,
)
from tests.drivers.shared_data import require_shared_data

WIDTH, HEIGHT = 640, 480
WAIT = 10.0  # generous: a loaded CI machine must not fail these
MODELS = importlib.resources.files("face_recognition_models") / "models"

# the usual 6-point head model, in camera axes (x right, y down, z away from the camera)
POSE_POINTS = [30, 8, 36, 45, 48, 54]  # nose tip, chin, outer eye corners, mouth corners
MODEL_POINTS = np.array(
    [
        (0.0, 0.0, 0.0),
        (0.0, 330.0, 65.0),
        (-225.0, -170.0, 135.0),
        (225.0, -170.0, 135.0),
        (-150.0, 150.0, 125.0),
        (150.0, 150.0, 125.0),
    ]
)


# -- measuring ------------------------------------------------------------------------


class Measure:
    def __init__(self) -> None:
        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(str(MODELS / "shape_predictor_68_face_landmarks.dat"))
        self.encoder = dlib.face_recognition_model_v1(
            str(MODELS / "dlib_face_recognition_resnet_model_v1.dat")
        )

    def face(self, bgr: np.ndarray) -> dlib.rectangle | None:
        faces = self.detector(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), 0)
        return max(faces, key=lambda r: r.area()) if faces else None

    def landmarks(self, bgr: np.ndarray, box: dlib.rectangle | None = None) -> np.ndarray:
        box = box or self.face(bgr)
        assert box is not None, "no face detected"
        shape = self.predictor(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), box)
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)

    def descriptor(self, bgr: np.ndarray) -> np.ndarray:
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        box = self.face(bgr)
        assert box is not None, "no face detected"
        return np.array(self.encoder.compute_face_descriptor(rgb, self.predictor(rgb, box)))


def eye_aspect_ratio(points: np.ndarray) -> float:
    def one(eye: np.ndarray) -> float:
        vertical = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
        return float(vertical / (2.0 * np.linalg.norm(eye[0] - eye[3])))

    return (one(points[36:42]) + one(points[42:48])) / 2.0


def mouth_aspect_ratio(points: np.ndarray) -> float:
    inner = points[60:68]
    vertical = sum(np.linalg.norm(inner[a] - inner[b]) for a, b in ((1, 7), (2, 6), (3, 5)))
    return float(vertical / (2.0 * np.linalg.norm(inner[0] - inner[4])))


def camera_matrix() -> np.ndarray:
    return np.array([[WIDTH, 0.0, WIDTH / 2], [0.0, WIDTH, HEIGHT / 2], [0.0, 0.0, 1.0]])


def head_pose(points: np.ndarray) -> tuple[float, float]:
    """(yaw, pitch) in degrees: yaw positive when the nose moves to the image's right (the
    person turning to their own left), pitch positive when the chin goes down."""
    image_points = points[POSE_POINTS].astype(np.float64)
    span = float(np.linalg.norm(image_points[3] - image_points[2]))
    guess = np.array([[0.0], [0.0], [WIDTH * 450.0 / span]])
    ok, rvec, _ = cv2.solvePnP(
        MODEL_POINTS, image_points, camera_matrix(), None, np.zeros((3, 1)), guess, True
    )
    assert ok
    angles, *_ = cv2.RQDecomp3x3(cv2.Rodrigues(rvec)[0])
    return -float(angles[1]), float(angles[0])


def nose_offset(points: np.ndarray) -> float:
    """Nose tip right of the eye corners' midpoint, in eye spans: a pose-free yaw cue."""
    middle = (points[36] + points[45]) / 2.0
    return float((points[30, 0] - middle[0]) / np.linalg.norm(points[45] - points[36]))


def nose_drop(points: np.ndarray) -> float:
    """Nose tip below the eye corners' midpoint, in eye spans: a pose-free pitch cue."""
    middle = (points[36] + points[45]) / 2.0
    return float((points[30, 1] - middle[1]) / np.linalg.norm(points[45] - points[36]))


# -- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def measure() -> Measure:
    return Measure()


@pytest.fixture(scope="module")
def subject() -> SimulatedSubject:
    """Shared, never changed (no present/set_portrait): its frame cache serves every test."""
    subject = SimulatedSubject(width=WIDTH, height=HEIGHT, idle_blinks=False)
    subject.prepare()
    return subject


@pytest.fixture(scope="module")
def neutral(subject: SimulatedSubject, measure: Measure) -> np.ndarray:
    return measure.landmarks(subject.render(None, 0.0))


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def camera() -> Iterator[SimulatedSubject]:
    with SimulatedSubject(width=WIDTH, height=HEIGHT, idle_blinks=False) as cam:
        yield cam


# -- the head-pose helper itself --------------------------------------------------------


def test_head_pose_sign_convention() -> None:
    # Project the model turned so that the nose lands right of the face's middle: the
    # helper must call that positive yaw; tipped so that the nose drops towards the mouth
    # (chin down), positive pitch.
    camera = camera_matrix()
    tvec = np.array([[0.0], [0.0], [1500.0]])

    def project(rvec: tuple[float, float, float]) -> np.ndarray:
        projected, _ = cv2.projectPoints(MODEL_POINTS, np.array(rvec), tvec, camera, None)
        points = np.zeros((68, 2))
        points[POSE_POINTS] = projected.reshape(-1, 2)
        return points

    level = project((0.0, 0.0, 0.0))
    assert head_pose(level) == pytest.approx((0.0, 0.0), abs=0.5)
    for turn in (20.0, -20.0):
        points = project((0.0, -math.radians(turn), 0.0))
        assert math.copysign(1.0, nose_offset(points)) == math.copysign(1.0, turn)
        assert head_pose(points) == pytest.approx((turn, 0.0), abs=0.5)
    tipped = project((math.radians(15.0), 0.0, 0.0))
    assert nose_drop(tipped) > nose_drop(level)
    assert head_pose(tipped) == pytest.approx((0.0, 15.0), abs=0.5)


# -- the rendered movements -----------------------------------------------------------


def test_neutral_frame_is_a_centred_face(subject: SimulatedSubject, neutral: np.ndarray) -> None:
    frame = subject.render(None, 0.0)
    assert frame.shape == (HEIGHT, WIDTH, 3)
    assert frame.dtype == np.uint8
    face_width = np.linalg.norm(neutral[16] - neutral[0])
    assert 0.25 * WIDTH < face_width < 0.45 * WIDTH
    centre = neutral.mean(axis=0)
    assert abs(centre[0] - WIDTH / 2) < 0.1 * WIDTH
    assert abs(centre[1] - HEIGHT / 2) < 0.15 * HEIGHT
    yaw, _ = head_pose(neutral)
    assert abs(yaw) < 8.0


def test_blink_closes_the_eyes(
    subject: SimulatedSubject, measure: Measure, neutral: np.ndarray
) -> None:
    closed = measure.landmarks(subject.render("blink", 1.0))
    assert eye_aspect_ratio(closed) < 0.6 * eye_aspect_ratio(neutral)


@pytest.mark.parametrize(("action", "sign"), [("turn_left", 1.0), ("turn_right", -1.0)])
def test_turns_follow_the_yaw_convention(
    subject: SimulatedSubject, measure: Measure, neutral: np.ndarray, action: str, sign: float
) -> None:
    # turn_left: the person's own left, so the nose goes to the image's right (positive yaw)
    turned = measure.landmarks(subject.render(action, 1.0))
    yaw, _ = head_pose(turned)
    assert sign * yaw > 15.0
    assert sign * (nose_offset(turned) - nose_offset(neutral)) > 0.1


def test_nod_pitches_the_chin_down(
    subject: SimulatedSubject, measure: Measure, neutral: np.ndarray
) -> None:
    nodded = measure.landmarks(subject.render("nod", 1.0))
    assert head_pose(nodded)[1] - head_pose(neutral)[1] > 8.0
    # and the nose drops towards the mouth, away from the eyes
    assert nose_drop(nodded) > nose_drop(neutral)
    assert np.linalg.norm(nodded[8] - nodded[30]) < np.linalg.norm(neutral[8] - neutral[30])


def test_open_mouth_and_its_smile_alias(
    subject: SimulatedSubject, measure: Measure, neutral: np.ndarray
) -> None:
    opened = measure.landmarks(subject.render("open_mouth", 1.0))
    assert mouth_aspect_ratio(opened) > 2.0 * mouth_aspect_ratio(neutral)
    assert np.array_equal(subject.render("smile", 1.0), subject.render("open_mouth", 1.0))


def test_each_movement_starts_from_rest(subject: SimulatedSubject) -> None:
    rest = subject.render(None, 0.0)
    for action in ACTIONS:
        assert np.array_equal(subject.render(action, 0.0), rest)
        assert not np.array_equal(subject.render(action, 0.5), rest)


def test_unknown_action_is_refused(subject: SimulatedSubject) -> None:
    with pytest.raises(ValueError, match="wink"):
        subject.perform("wink")
    with pytest.raises(ValueError, match="wink"):
        subject.render("wink", 1.0)


def test_stepping_away_leaves_no_face(measure: Measure) -> None:
    subject = SimulatedSubject(width=WIDTH, height=HEIGHT, idle_blinks=False)
    subject.present(False)
    assert measure.face(subject.render(None, 0.0)) is None
    assert measure.face(subject.render("turn_left", 1.0)) is None
    subject.present(True)
    assert measure.face(subject.render(None, 0.0)) is not None


def test_a_swapped_in_face_is_another_identity(measure: Measure) -> None:
    other = cv2.imread(str(require_shared_data("faces", "deepface_pairs", "img1.jpg")))
    assert other is not None
    astronaut = cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR)
    with SimulatedSubject(width=WIDTH, height=HEIGHT, idle_blinks=False) as cam:
        before = cam.latest(timeout=WAIT)
        cam.set_portrait(cv2.cvtColor(other, cv2.COLOR_BGR2RGB))
        after = cam.latest(newer_than=before.sequence, timeout=WAIT)
    # the placement keeps the astronaut's identity; the swap changes it
    original = measure.descriptor(astronaut)
    assert np.linalg.norm(measure.descriptor(before.image) - original) < 0.5
    assert np.linalg.norm(measure.descriptor(after.image) - original) > 0.6
    assert np.linalg.norm(measure.descriptor(after.image) - measure.descriptor(other)) < 0.5


def test_a_portrait_without_a_face_is_refused() -> None:
    with pytest.raises(ValueError, match="no face"):
        SimulatedSubject(portrait=np.full((200, 200, 3), 128, dtype=np.uint8))


# -- the Camera protocol ----------------------------------------------------------------


def test_is_a_camera(camera: SimulatedSubject) -> None:
    cam: Camera = camera  # checked by type checkers; here: the attributes exist
    assert cam.resolution == (WIDTH, HEIGHT)
    assert cam.fps == 15.0
    first = cam.latest(timeout=WAIT)
    second = cam.latest(newer_than=first.sequence, timeout=WAIT)
    assert isinstance(second, Frame)
    assert second.sequence > first.sequence
    assert second.timestamp > first.timestamp
    assert (second.width, second.height) == (WIDTH, HEIGHT)
    assert second.image.dtype == np.uint8
    second.image[:] = 0  # a consumer may draw on its frame without touching the camera's
    assert cam.latest(newer_than=second.sequence, timeout=WAIT).image.any()


def test_closed_camera_is_unavailable() -> None:
    cam = SimulatedSubject(width=WIDTH, height=HEIGHT)
    with pytest.raises(CameraUnavailable):
        cam.latest(timeout=0.1)
    with cam:
        cam.latest(timeout=WAIT)
    with pytest.raises(CameraUnavailable):
        cam.latest(timeout=0.1)


def test_no_newer_frame_times_out() -> None:
    clock = FakeClock()  # time stands still: frame 0 forever
    with SimulatedSubject(width=WIDTH, height=HEIGHT, clock=clock) as cam:
        assert cam.latest(timeout=WAIT).sequence == 0
        with pytest.raises(CameraUnavailable):
            cam.latest(newer_than=0, timeout=0.2)


def test_performed_blink_shows_in_the_stream(camera: SimulatedSubject, measure: Measure) -> None:
    first = camera.latest(timeout=WAIT)
    box = measure.face(first.image)  # a blink does not move the face: one detection will do
    assert box is not None
    start, end = camera.perform("blink")
    assert BLINK_DURATION[0] <= end - start <= BLINK_DURATION[1]  # a person's blink
    frames = [camera.latest(newer_than=first.sequence, timeout=WAIT)]
    while frames[-1].timestamp < end + 0.4:
        frames.append(camera.latest(newer_than=frames[-1].sequence, timeout=WAIT))
    ears = [eye_aspect_ratio(measure.landmarks(f.image, box)) for f in frames]
    open_ear = eye_aspect_ratio(measure.landmarks(first.image, box))
    assert min(ears) < 0.6 * open_ear
    assert ears[-1] > 0.9 * open_ear  # and open again


def test_movements_queue_and_peak_as_rendered() -> None:
    clock = FakeClock()
    with SimulatedSubject(width=WIDTH, height=HEIGHT, clock=clock, idle_blinks=False) as cam:
        ease, hold = PERFORMED_TIMING
        _, turn_end = cam.perform("turn_left")
        blink_start, blink_end = cam.perform("blink")  # asked during the turn: it follows it
        assert blink_start == turn_end
        seen = cam.latest(timeout=WAIT)
        frames: dict[float, Frame] = {}
        blink_peak_at = (blink_start + blink_end) / 2.0 - 1000.0
        for at in (ease + hold / 2, blink_peak_at, blink_end - 1000.0 + 0.2):
            clock.now = 1000.0 + at
            seen = frames[at] = cam.latest(newer_than=seen.sequence, timeout=WAIT)
        turn_peak, blink_peak, after = (frames[k].image for k in sorted(frames))
        assert np.array_equal(turn_peak, cam.render("turn_left", 1.0))
        assert np.array_equal(blink_peak, cam.render("blink", 1.0))
        assert np.array_equal(after, cam.render(None, 0.0))


def test_idle_blinks_are_seeded_and_spaced() -> None:
    def blink_starts(seed: int, idle: bool = True) -> list[float]:
        clock = FakeClock()
        cam = SimulatedSubject(width=WIDTH, height=HEIGHT, clock=clock, seed=seed, idle_blinks=idle)
        rest = cam.render(None, 0.0)
        starts: list[float] = []
        blinking = False
        with cam:
            frame = cam.latest(timeout=WAIT)
            while clock.now < 1000.0 + 20.0:
                clock.now += 1.0 / cam.fps
                frame = cam.latest(newer_than=frame.sequence, timeout=WAIT)
                now_blinking = not np.array_equal(frame.image, rest)
                if now_blinking and not blinking:
                    starts.append(frame.timestamp - 1000.0)
                blinking = now_blinking
        return starts

    starts = blink_starts(seed=7)
    low, high = IDLE_BLINK_INTERVAL
    ease, hold = IDLE_BLINK_TIMING
    assert 20.0 / (high + 2 * ease + hold) - 1 <= len(starts) <= 20.0 / low + 1
    gaps = np.diff(starts)
    assert np.all(gaps > low - 0.2)
    assert np.all(gaps < high + 0.2)
    assert blink_starts(seed=7) == starts
    assert blink_starts(seed=8) != starts
    assert blink_starts(seed=7, idle=False) == []


def test_answers_and_blinks_keep_human_time_whatever_the_frame_rate() -> None:
    """The subject answers on its own clock: 0.3-1.5 s after the prompt, blinks of
    100-400 ms, whether the kiosk takes 15 frames a second or 2."""
    for kiosk_fps in (15.0, 2.0):
        clock = FakeClock()
        with SimulatedSubject(width=WIDTH, height=HEIGHT, clock=clock, idle_blinks=False) as cam:
            rest = cam.render(None, 0.0)
            frame = cam.latest(timeout=WAIT)
            prompted = clock.now
            start, end = cam.answer("blink")
            assert REACTION_S[0] <= start - prompted <= REACTION_S[1]
            assert BLINK_DURATION[0] <= end - start <= BLINK_DURATION[1]
            # Frames the kiosk asks for at its own pace show the blink only inside it.
            while clock.now < end + 1.0:
                clock.now += 1.0 / kiosk_fps
                frame = cam.latest(newer_than=frame.sequence, timeout=WAIT)
                if not np.array_equal(frame.image, rest):
                    assert start < frame.timestamp < end
        # The draws come from the seed: another kiosk rate, the same person.
        clock = FakeClock()
        with SimulatedSubject(width=WIDTH, height=HEIGHT, clock=clock, idle_blinks=False) as cam:
            assert cam.answer("blink") == (start, end)


def test_a_movement_is_planned_ahead_within_bounds(camera: SimulatedSubject) -> None:
    with pytest.raises(ValueError, match="0-60 s"):
        camera.perform("nod", after=-1.0)
    with pytest.raises(ValueError, match="0-60 s"):
        camera.perform("nod", after=float("nan"))
