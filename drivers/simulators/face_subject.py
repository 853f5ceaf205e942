"""A *simulated subject*: a camera that shows a portrait which answers liveness challenges.

A recorded clip cannot answer a random challenge ("turn left", then "blink"), and no clip of
a real face that we may ship exists in PyPI or Debian. So when the demo has no webcam, and in
UI and flow tests, the camera is this: a public-domain portrait (by default NASA's
``skimage.data.astronaut()``, shipped in the scikit-image wheel) warped on its dlib
68-point landmarks so that, when asked, the head turns or nods, the eyes close and the mouth
opens, while the flow watches through the ordinary :class:`~drivers.camera.base.Camera`
interface.

Its timing is a person's, in wall time, whatever the kiosk's frame rate: a blink is over in
100-400 ms and an answer starts 0.3-1.5 s after the prompt (:meth:`SimulatedSubject.answer`),
both drawn from the seed. A busy kiosk that analyses five frames a second sees the same
person as an idle one, only fewer pictures of them: what a benchmark of the kiosk under
load must measure (``bench/face_session.py``).

It exists to *drive* flows, never to *measure* liveness: the movements are cartoons tuned to
cross our own thresholds, and a simulated subject passes every liveness check by design.
Liveness accuracy is measured only on the real clips in ``../shared/data/liveness``, and the
production configuration refuses this camera.

How a movement is drawn: every landmark gets a rough depth (cheeks curving back, nose and
lips in front), the face points are rotated in 3-D about a pivot behind the face and
projected back (turns and nods), or moved in the image plane (upper eyelids onto the lower
ones, lower lip and chin down); the picture follows by a piecewise-affine warp over a
Delaunay mesh of the landmarks, forehead points, a fixed ring around the head and the frame
border. Frames are cached per movement at a few amounts, so a frame costs a copy.

Conventions shared with ``kiosk.idv.head_pose``: frames are not mirrored; ``turn_left`` is
the person turning to *their own* left, so the nose moves towards the image's right (positive
yaw); a nod is the chin going down (positive pitch) and back.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import dlib
import numpy as np
import skimage.data

from drivers.camera.base import Frame
from drivers.errors import CameraUnavailable
from drivers.lifecycle import OpenCloseContext

ACTIONS = ("blink", "turn_left", "turn_right", "nod", "open_mouth")
ALIASES = {"smile": "open_mouth"}  # the flows may ask for a smile; an open mouth answers it
STEPS = 8  # cached amounts per movement (plus neutral): 8 frames from rest to the peak

# Peak amplitudes of the rough head model below. The kiosk's own measures on the rendered
# astronaut (dlib's 68 landmarks, solvePnP on the 6-point model) read less, because that
# model's face is flatter: about +27 / -25 degrees of yaw and 16 degrees more pitch.
YAW_DEGREES = 32.0
PITCH_DEGREES = 24.0
MOUTH_OPENING = 0.34  # lower inner lip drop at the peak, in half face widths
FACE_WIDTH = 0.35  # jaw width (landmarks 0 to 16) over frame width
POSE_SMOOTHING = 0.14  # blur of a turn's or nod's displacement, in half face widths

# (ease, hold) in seconds: a performed movement takes 2 * ease + hold.
PERFORMED_TIMING = (0.25, 0.3)
BLINK_DURATION = (0.1, 0.4)
"""A performed blink lasts this long in all (a person's takes 100-400 ms): 30% closing,
40% shut, 30% opening, drawn afresh for every blink."""
REACTION_S = (0.3, 1.5)
"""How long after a prompt a person starts to answer it (:meth:`SimulatedSubject.answer`)."""
IDLE_BLINK_TIMING = (0.08, 0.06)
IDLE_BLINK_INTERVAL = (3.0, 6.0)

_WALL_TOP = np.array((206, 204, 198), dtype=np.float32)  # BGR: a pale, slightly warm wall
_WALL_BOTTOM = np.array((176, 174, 170), dtype=np.float32)
_MOUTH_INSIDE = np.array((38, 30, 70), dtype=np.float32)  # BGR: dark red-brown


def _model_path(name: str) -> str:
    return str(importlib.resources.files("face_recognition_models") / "models" / name)


@functools.cache
def _dlib_models() -> tuple[dlib.fhog_object_detector, dlib.shape_predictor]:
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(_model_path("shape_predictor_68_face_landmarks.dat"))
    return detector, predictor


_landmark_cache: dict[bytes, np.ndarray] = {}
_landmark_lock = threading.Lock()


def portrait_landmarks(rgb: np.ndarray) -> np.ndarray:
    """The 68 landmarks (float64, shape (68, 2)) of the largest face in ``rgb``.

    Cached per portrait content: detection costs about 0.1-0.5 s and tests build many
    subjects from the same picture. Raises ``ValueError`` when there is no face.
    """
    key = hashlib.blake2b(
        np.ascontiguousarray(rgb).tobytes() + repr(rgb.shape).encode(), digest_size=16
    ).digest()
    with _landmark_lock:
        cached = _landmark_cache.get(key)
    if cached is not None:
        return cached.copy()
    detector, predictor = _dlib_models()
    # Detect on a copy no larger than 800 px (HOG at one upsampling finds faces down to
    # about 40 px there), then fit the landmarks on the full-resolution picture.
    scale = min(1.0, 800.0 / max(rgb.shape[:2]))
    small = rgb if scale == 1.0 else cv2.resize(rgb, None, fx=scale, fy=scale)
    faces = detector(np.ascontiguousarray(small), 1)
    if not faces:
        raise ValueError("no face found in the portrait")
    box = max(faces, key=lambda r: r.area())
    full = dlib.rectangle(
        round(box.left() / scale),
        round(box.top() / scale),
        round(box.right() / scale),
        round(box.bottom() / scale),
    )
    shape = predictor(np.ascontiguousarray(rgb), full)
    points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
    with _landmark_lock:
        _landmark_cache[key] = points
    return points.copy()


def _wall(width: int, height: int) -> np.ndarray:
    """The empty scene: a plain wall with a soft vertical gradient (BGR)."""
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    column = (1.0 - t) * _WALL_TOP + t * _WALL_BOTTOM
    return np.repeat(column[:, None, :], width, axis=1).round().astype(np.uint8)


def _depths(points: np.ndarray) -> np.ndarray:
    """A rough depth for each of the 68 landmarks, away from the camera, in half face widths.

    Not a measured head model, just enough shape for a convincing turn: the cheeks curve back
    like a cylinder, the brows sit a little forward of the eyes, the nose and the middle of
    the lips stand out in front.
    """
    half = float(np.linalg.norm(points[16] - points[0])) / 2.0
    centre = points[27:31, 0].mean()
    u = np.clip((points[:, 0] - centre) / half, -1.0, 1.0)
    z = 0.66 * (1.0 - np.sqrt(np.maximum(1.0 - u**2, 0.05)))
    z[17:27] -= 0.05
    z[27:31] -= (0.2, 0.3, 0.4, 0.5)
    z[31:36] -= (0.28, 0.33, 0.36, 0.33, 0.28)
    mouth_half = float(np.linalg.norm(points[54] - points[48])) / 2.0 / half
    z[48:68] -= 0.3 * (1.0 - np.minimum(1.0, (u[48:68] / mouth_half) ** 2))
    return z


def _triangulate(points: np.ndarray, width: int, height: int) -> np.ndarray:
    """Delaunay triangles over ``points`` (all inside the frame), as index triples."""
    subdiv = cv2.Subdiv2D((0, 0, width + 1, height + 1))
    exact = points.astype(np.float32)
    index = {(float(x), float(y)): i for i, (x, y) in enumerate(exact)}
    subdiv.insert([(float(x), float(y)) for x, y in exact])
    triangles = []
    for tri in subdiv.getTriangleList():
        corners = [(float(tri[k]), float(tri[k + 1])) for k in (0, 2, 4)]
        if all(c in index for c in corners):
            triangles.append([index[c] for c in corners])
    return np.array(triangles, dtype=np.int32)


def _warp(
    image: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    triangles: np.ndarray,
    depth: np.ndarray,
    smooth: float = 0.0,
) -> np.ndarray:
    """Piecewise-affine warp taking ``src`` points to ``dst``, one remap for the whole frame.

    Each destination pixel is labelled with the triangle covering it (far triangles drawn
    first, so the nose hides the cheek behind it in a turn), then mapped back through that
    triangle's inverse affine. Triangles that do not move are left out of the remap.
    """
    moved = np.abs(dst - src).max(axis=1) > 1e-3
    active = np.flatnonzero(moved[triangles].any(axis=1))
    if active.size == 0:
        return image.copy()
    height, width = image.shape[:2]
    corners = np.concatenate([src[triangles[active]], dst[triangles[active]]]).reshape(-1, 2)
    x0, y0 = (int(v) for v in np.maximum(np.floor(corners.min(axis=0)) - 1, 0))
    x1, y1 = (int(v) for v in np.minimum(np.ceil(corners.max(axis=0)) + 2, (width, height)))
    label = np.zeros((y1 - y0, x1 - x0), dtype=np.int32)  # 0: identity
    inverse = np.zeros((active.size + 1, 6), dtype=np.float64)
    inverse[0] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    offset = np.array((x0, y0), dtype=np.float64)
    order = active[np.argsort(-depth[triangles[active]].mean(axis=1), kind="stable")]
    for n, k in enumerate(order, start=1):
        d = dst[triangles[k]]
        area = (d[1, 0] - d[0, 0]) * (d[2, 1] - d[0, 1]) - (d[2, 0] - d[0, 0]) * (d[1, 1] - d[0, 1])
        if abs(area) < 0.5:  # collapsed (a closed eyelid): covers no pixel
            continue
        inverse[n] = cv2.getAffineTransform(
            (d - offset).astype(np.float32), src[triangles[k]].astype(np.float32)
        ).ravel()
        vertices = np.round((d - offset) * 16.0).astype(np.int32)
        cv2.fillConvexPoly(label, vertices, n, lineType=cv2.LINE_8, shift=4)
        # and its outline, else pixels on a shared edge can belong to neither triangle
        cv2.polylines(label, [vertices], True, n, 1, lineType=cv2.LINE_8, shift=4)
    ys, xs = np.mgrid[0 : y1 - y0, 0 : x1 - x0].astype(np.float32)
    affine = inverse.astype(np.float32)[label]
    map_x = affine[..., 0] * xs + affine[..., 1] * ys + affine[..., 2]
    map_y = affine[..., 3] * xs + affine[..., 4] * ys + affine[..., 5]
    identity = label == 0
    map_x[identity] = xs[identity] + x0
    map_y[identity] = ys[identity] + y0
    if smooth > 0:
        # Piecewise-affine is only continuous: where the nose passes over the cheek the
        # kink shows as a crease. Blurring the displacement rounds the kinks off.
        map_x = cv2.GaussianBlur(map_x - xs - x0, (0, 0), smooth) + xs + x0
        map_y = cv2.GaussianBlur(map_y - ys - y0, (0, 0), smooth) + ys + y0
    out = image.copy()
    out[y0:y1, x0:x1] = cv2.remap(
        image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return out


def _paint(image: np.ndarray, mask: np.ndarray, colour: np.ndarray, alpha: float) -> None:
    """Paint ``colour`` over ``image`` where ``mask`` (uint8) is set, with soft edges."""
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return
    y0, y1 = max(int(ys.min()) - 3, 0), int(ys.max()) + 4
    x0, x1 = max(int(xs.min()) - 3, 0), int(xs.max()) + 4
    weight = cv2.GaussianBlur(mask[y0:y1, x0:x1], (5, 5), 0).astype(np.float32)
    weight = weight[..., None] * (alpha / 255.0)
    patch = image[y0:y1, x0:x1].astype(np.float32)
    image[y0:y1, x0:x1] = (patch * (1.0 - weight) + colour * weight).round().astype(np.uint8)


class _Rig:
    """One portrait placed in the frame, with its mesh: renders any movement at any amount."""

    def __init__(self, rgb: np.ndarray, width: int, height: int) -> None:
        landmarks = portrait_landmarks(rgb)
        face_width = float(np.linalg.norm(landmarks[16] - landmarks[0]))
        scale = FACE_WIDTH * width / face_width
        interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_CUBIC
        bgr = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR)
        scaled = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=interpolation)
        points = landmarks * scale
        low, high = points.min(axis=0), points.max(axis=0)
        shift = np.round(np.array((width, height)) / 2.0 - (low + high) / 2.0).astype(int)
        self.neutral = _wall(width, height)
        # paste the scaled portrait at ``shift``, clipped to the frame
        sx0, sy0 = np.maximum(-shift, 0)
        dx0, dy0 = np.maximum(shift, 0)
        w = min(scaled.shape[1] - sx0, width - dx0)
        h = min(scaled.shape[0] - sy0, height - dy0)
        self.neutral[dy0 : dy0 + h, dx0 : dx0 + w] = scaled[sy0 : sy0 + h, sx0 : sx0 + w]
        points = points + shift
        _separate_lips(points)
        self.width, self.height = width, height
        self.half = face_width * scale / 2.0
        eye = np.round(points[36:42]).astype(np.int32)
        inside = np.zeros((height, width), dtype=np.uint8)
        cv2.fillPoly(inside, [eye], 255)
        self.lash_colour = np.percentile(self.neutral[inside > 0], 10, axis=0).astype(np.float32)
        self.lash_width = max(1, round(face_width * scale / 120.0))
        self.points, depth = self._mesh(points)
        self.depth = depth
        self.triangles = _triangulate(self.points, width, height)
        # the 68 landmarks and the forehead move; the ring round the head and the border don't
        self.moving = 68 + 5
        centre_x = float(points[27:31, 0].mean())
        ears_y = float(points[[0, 16], 1].mean())
        self.yaw_pivot = np.array((centre_x, 0.0, 0.9 * self.half))
        self.pitch_pivot = np.array((0.0, ears_y + 0.3 * self.half, 1.0 * self.half))

    def _mesh(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Landmarks, forehead, a fixed ring round the head, frame border; with depths."""
        half = float(np.linalg.norm(points[16] - points[0])) / 2.0
        depth = _depths(points) * half
        brows = points[[17, 19, 21, 24, 26]].copy()
        brows[2] = (points[21] + points[22]) / 2.0
        forehead = brows - (0.0, 0.6 * half)
        forehead_depth = depth[[17, 19, 21, 24, 26]]
        centre = points[27:36].mean(axis=0)
        angles = np.linspace(0.0, 2.0 * math.pi, 16, endpoint=False)
        ring = centre + np.stack([1.6 * half * np.cos(angles), 2.0 * half * np.sin(angles)], 1)
        w, h = self.width, self.height
        ring = ring[np.all((ring > 4) & (ring < (w - 5, h - 5)), axis=1)]
        xs, ys = (0, w / 2, w - 1), (0, h / 2, h - 1)
        border = np.array([(x, y) for x in xs for y in ys if (x, y) != (xs[1], ys[1])])
        mesh = np.concatenate([points, forehead, ring, border])
        far = np.full(len(ring) + len(border), 3.0 * half)
        return mesh, np.concatenate([depth, forehead_depth, far])

    def pose(self, action: str | None, amount: float) -> tuple[np.ndarray, np.ndarray]:
        """Where the mesh points go for ``action`` at ``amount`` (0 rest, 1 peak); with depths."""
        points = self.points.copy()
        depth = self.depth.copy()
        m = self.moving
        if action in ("turn_left", "turn_right"):
            angle = math.radians(YAW_DEGREES * amount) * (1.0 if action == "turn_left" else -1.0)
            px, _, pz = self.yaw_pivot
            x, z = points[:m, 0] - px, depth[:m] - pz
            # nose (in front of the pivot: z < 0) goes to +x for a positive angle
            points[:m, 0] = px + x * math.cos(angle) - z * math.sin(angle)
            depth[:m] = pz + x * math.sin(angle) + z * math.cos(angle)
        elif action == "nod":
            angle = math.radians(PITCH_DEGREES * amount)
            _, py, pz = self.pitch_pivot
            y, z = points[:m, 1] - py, depth[:m] - pz
            points[:m, 1] = py + y * math.cos(angle) - z * math.sin(angle)
            depth[:m] = pz + y * math.sin(angle) + z * math.cos(angle)
        elif action == "blink":
            for upper, lower in ((37, 41), (38, 40), (43, 47), (44, 46)):
                target = points[lower] - (0.0, 0.3)
                points[upper] += (target - points[upper]) * amount
        elif action == "open_mouth":
            drop = MOUTH_OPENING * self.half * amount
            points[[65, 66, 67]] += (0.0, drop)
            points[[56, 57, 58]] += (0.0, drop * 0.95)
            points[[55, 59]] += (0.0, drop * 0.7)
            points[[64, 60]] += (0.0, drop * 0.35)
            points[[54, 48]] += (0.0, drop * 0.25)
            points[[60, 48]] += (drop * 0.12, 0.0)  # the corners come in a little
            points[[64, 54]] -= (drop * 0.12, 0.0)
            chin = np.array([0.35, 0.6, 0.8, 0.9, 0.8, 0.6, 0.35])
            points[5:12, 1] += drop * 0.85 * chin
        return points, depth

    def render(self, action: str | None, amount: float) -> np.ndarray:
        if action is None or amount <= 0.0:
            return self.neutral.copy()
        points, depth = self.pose(action, amount)
        # (not for the eyes and mouth: a blur would open the closed lids again)
        smooth = POSE_SMOOTHING * self.half if action in ("turn_left", "turn_right", "nod") else 0
        image = _warp(self.neutral, self.points, points, self.triangles, depth, smooth)
        if action == "open_mouth":
            inner = points[60:68]
            opening = float(np.mean(inner[[7, 6, 5], 1] - inner[[1, 2, 3], 1]))
            alpha = float(np.clip((opening - 1.5) / 5.0, 0.0, 0.92))
            mask = np.zeros(image.shape[:2], dtype=np.uint8)
            cv2.fillPoly(mask, [np.round(inner * 16.0).astype(np.int32)], 255, cv2.LINE_AA, 4)
            _paint(image, mask, _MOUTH_INSIDE, alpha)
        elif action == "blink" and amount > 0.5:
            # Where the lids meet, the warp samples the lid margin and shows specks of the
            # white of the eye: draw the lash line over it.
            mask = np.zeros(image.shape[:2], dtype=np.uint8)
            for lid in ((36, 37, 38, 39), (42, 43, 44, 45)):
                line = np.round(points[list(lid)] * 16.0).astype(np.int32)
                cv2.polylines(mask, [line], False, 255, self.lash_width, cv2.LINE_AA, 4)
            _paint(image, mask, self.lash_colour, min(1.0, (amount - 0.5) * 2.0) * 0.85)
        return image


def _separate_lips(points: np.ndarray) -> None:
    """Keep inner lip points apart (a closed mouth can give identical ones), in place, so
    that each is its own mesh vertex and the lower lip can move away from the upper."""
    for upper, lower in ((61, 67), (62, 66), (63, 65)):
        gap = points[lower, 1] - points[upper, 1]
        if gap < 1.0:
            middle = (points[lower, 1] + points[upper, 1]) / 2.0
            points[upper, 1], points[lower, 1] = middle - 0.5, middle + 0.5


def _smoothstep(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3.0 - 2.0 * x)


@dataclass(frozen=True, slots=True)
class _Movement:
    action: str
    start: float
    ease: float
    hold: float

    @property
    def end(self) -> float:
        return self.start + 2.0 * self.ease + self.hold

    def amount(self, t: float) -> float:
        """Ease in, hold at the peak, ease out."""
        into = t - self.start
        if into < self.ease:
            return _smoothstep(into / self.ease)
        if into < self.ease + self.hold:
            return 1.0
        return _smoothstep((self.end - t) / self.ease)


class SimulatedSubject(OpenCloseContext):
    """A :class:`~drivers.camera.base.Camera` showing a portrait that performs on request.

    Frames are made on demand, paced by ``clock``: frame ``n`` is the picture at
    ``opened + n / fps``, and :meth:`latest` hands out the newest one (waiting for the next
    when asked for something newer). No thread: a frame nobody asks for costs nothing.

    ``portrait`` is RGB (default: the astronaut); ``seed`` drives the idle blinks, a short
    natural blink every 3-6 s while no movement is under way. :meth:`perform` answers a
    challenge, :meth:`present` makes the person step away and back, :meth:`set_portrait`
    swaps the face, :meth:`render` draws any pose the way the camera will show it.
    """

    def __init__(
        self,
        *,
        width: int = 640,
        height: int = 480,
        fps: float = 15.0,
        portrait: np.ndarray | None = None,
        seed: int = 0,
        clock: Callable[[], float] = time.monotonic,
        idle_blinks: bool = True,
    ) -> None:
        if width < 64 or height < 64 or fps <= 0:
            raise ValueError(f"unusable camera settings {width}x{height} at {fps} fps")
        self._width, self._height, self._fps = width, height, float(fps)
        self._clock = clock
        self._idle_blinks = idle_blinks
        self._random = random.Random(seed)
        self._answers = random.Random(f"answers-{seed}")
        """Reaction times and blink lengths: apart from the idle blinks' draws."""
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._closed.set()
        self._opened_at = 0.0
        self._last_sequence = -1
        self._movements: list[_Movement] = []
        self._next_idle_blink: float | None = None
        self._present = True
        self._empty = _wall(width, height)
        self._rig = self._make_rig(portrait)
        self._cache: dict[tuple[str | None, int], np.ndarray] = {}

    def _make_rig(self, portrait: np.ndarray | None) -> _Rig:
        if portrait is None:
            portrait = skimage.data.astronaut()
        if portrait.ndim != 3 or portrait.shape[2] != 3 or portrait.dtype != np.uint8:
            raise ValueError("the portrait must be an RGB uint8 image")
        return _Rig(portrait, self._width, self._height)

    # -- Camera -----------------------------------------------------------------------

    def open(self) -> None:
        with self._lock:
            if not self._closed.is_set():
                return
            self._opened_at = self._clock()
            self._last_sequence = -1
            low, high = IDLE_BLINK_INTERVAL
            self._next_idle_blink = self._opened_at + self._random.uniform(low, high)
            self._closed.clear()
        # Render every movement now, beside the kiosk, not in the kiosk's frame loop the
        # first time a movement is asked for: a warp costs 50-100 ms, which on a slow CPU
        # blinded the session through the very gesture being answered.
        threading.Thread(
            target=self.prepare, kwargs={"until_closed": True}, name="subject-prepare", daemon=True
        ).start()

    def close(self) -> None:
        self._closed.set()

    @property
    def resolution(self) -> tuple[int, int]:
        return self._width, self._height

    @property
    def fps(self) -> float:
        return self._fps

    def latest(self, *, newer_than: int = -1, timeout: float = 1.0) -> Frame:
        # Two deadlines: the injected clock's (the camera's time) and the real one, so that a
        # test clock that never advances ends in CameraUnavailable rather than a hang.
        real_deadline = time.monotonic() + timeout
        clock_deadline = self._clock() + timeout
        while True:
            if self._closed.is_set():
                raise CameraUnavailable("the simulated subject is closed")
            now = self._clock()
            with self._lock:
                elapsed = (now - self._opened_at) * self._fps + 1e-6  # 1e-6: float rounding
                sequence = max(int(elapsed), self._last_sequence)
                if sequence > newer_than:
                    self._last_sequence = sequence
                    timestamp = self._opened_at + sequence / self._fps
                    return Frame(self._frame_at(timestamp), timestamp, sequence)
                due = self._opened_at + (newer_than + 1) / self._fps
            if due > clock_deadline or time.monotonic() >= real_deadline:
                raise CameraUnavailable(f"no frame newer than {newer_than} within {timeout} s")
            self._closed.wait(min(max(due - now, 0.001), max(real_deadline - time.monotonic(), 0)))

    # -- the subject ------------------------------------------------------------------

    def perform(self, action: str, *, after: float = 0.0) -> tuple[float, float]:
        """Make the movement ``action`` (one of :data:`ACTIONS`, or ``"smile"``) ``after``
        seconds from now: ease in, hold, ease out; about 0.8 s for a turn, nod or open
        mouth, 0.1-0.4 s for a blink. Asked during another movement, it follows that one.
        Returns when it starts and ends, on the subject's clock."""
        action = ALIASES.get(action, action)
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; expected one of {ACTIONS}")
        if not 0.0 <= after <= 60.0:
            raise ValueError(f"a movement is planned 0-60 s ahead, not {after}")
        with self._lock:
            if action == "blink":
                duration = self._answers.uniform(*BLINK_DURATION)
                ease, hold = 0.3 * duration, 0.4 * duration
            else:
                ease, hold = PERFORMED_TIMING
            start = self._clock() + after
            if self._movements:
                start = max(start, self._movements[-1].end)
            movement = _Movement(action, start, ease, hold)
            self._movements.append(movement)
            return movement.start, movement.end

    def answer(self, action: str) -> tuple[float, float]:
        """Answer a prompt just shown, as a person does: after a reaction time drawn from
        :data:`REACTION_S`, on the subject's own clock (not at the kiosk's next frame)."""
        with self._lock:
            reaction = self._answers.uniform(*REACTION_S)
        return self.perform(action, after=reaction)

    def present(self, on: bool) -> None:
        """``False``: the person steps away and frames show the empty wall; ``True``: back."""
        with self._lock:
            self._present = on

    def set_portrait(self, rgb: np.ndarray) -> None:
        """Another face from the next frame on (an impostor swapping in mid-session)."""
        rig = self._make_rig(rgb)
        with self._lock:
            self._rig = rig
            self._cache.clear()

    def render(self, action: str | None, phase: float) -> np.ndarray:
        """The frame for ``action`` at ``phase`` (0 at rest, 1 at the peak), as the camera
        shows it: quantised to :data:`STEPS` amounts and cached. ``None`` is the rest pose.
        Deterministic; what the camera hands out and what tests measure."""
        if action is not None:
            action = ALIASES.get(action, action)
            if action not in ACTIONS:
                raise ValueError(f"unknown action {action!r}; expected one of {ACTIONS}")
        with self._lock:
            return self._rendered(action, phase).copy()

    def prepare(self, *, until_closed: bool = False) -> None:
        """Render every cached frame now (about 0.5 s at 640x480 on one core) instead of
        one warp per new frame during the first time each movement is performed. ``open``
        runs it on a thread of its own (``until_closed``: it stops when the subject is
        closed); calling it directly waits for it."""
        for action in ACTIONS:
            for level in range(1, STEPS + 1):
                with self._lock:  # one warp at a time: latest() can slip in between
                    if until_closed and self._closed.is_set():
                        return
                    self._cached(action, level)

    # -- internals (called with the lock held) ----------------------------------------

    def _frame_at(self, t: float) -> np.ndarray:
        action, amount = self._state_at(t)
        return self._rendered(action, amount).copy()

    def _rendered(self, action: str | None, amount: float) -> np.ndarray:
        if not self._present:
            return self._empty
        return self._cached(action, round(min(max(amount, 0.0), 1.0) * STEPS))

    def _cached(self, action: str | None, level: int) -> np.ndarray:
        key = (action if level else None, level)
        image = self._cache.get(key)
        if image is None:
            image = self._rig.render(key[0], level / STEPS)
            image.flags.writeable = False
            self._cache[key] = image
        return image

    def _state_at(self, t: float) -> tuple[str | None, float]:
        while self._movements and self._movements[0].end <= t:
            self._movements.pop(0)
        if self._movements and self._movements[0].start <= t:
            movement = self._movements[0]
            return movement.action, movement.amount(t)
        if not self._idle_blinks or self._next_idle_blink is None:
            return None, 0.0
        ease, hold = IDLE_BLINK_TIMING
        low, high = IDLE_BLINK_INTERVAL
        blink = _Movement("blink", self._next_idle_blink, ease, hold)
        while blink.end <= t:
            self._next_idle_blink = blink.start + self._random.uniform(low, high)
            blink = _Movement("blink", self._next_idle_blink, ease, hold)
        upcoming = self._movements[0].start if self._movements else math.inf
        if blink.start <= t and blink.end <= upcoming:
            return "blink", blink.amount(t)
        return None, 0.0
