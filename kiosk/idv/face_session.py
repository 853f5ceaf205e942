"""One person in front of the camera, from the first frame to a liveness report and a
fused probe embedding.

Per frame it runs the cheap analysis (``analysis.py``) and the liveness state machine.
Descriptors (~65 ms each) are taken only when they earn their cost: the first good frame
(the session's reference for "is this still the same person"), whenever the tracker lost
and re-found a face, about once a second to catch a smooth swap, and from good frames at
different head angles for the probe; on a slow CPU the last two never while a prompt
awaits its answer (the gesture would be missed), and identity is confirmed after each
answer instead. Several probe descriptors fused into one reduce false
rejects at the same false-accept rate (measured in ``bench/face_fusion.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from kiosk.idv.analysis import FaceAnalyzer, FrameAnalysis
from kiosk.idv.embedding import FaceEmbedder, distance, fuse
from kiosk.idv.gestures import Gesture
from kiosk.idv.liveness import LivenessPolicy, LivenessReport, LivenessSession, Phase
from kiosk.idv.quality import QualityIssue

# Quality issues that do not spoil a descriptor taken only to confirm identity.
_POSE_ONLY = {QualityIssue.YAW, QualityIssue.PITCH, QualityIssue.EYES_CLOSED}


def _whole_face_in_view(
    landmarks: np.ndarray, shape: tuple[int, ...], margin: float = 0.02
) -> bool:
    """Every landmark (the chin included) inside the frame, off its edge by ``margin``."""
    height, width = shape[:2]
    x, y = landmarks[:, 0], landmarks[:, 1]
    return bool(
        x.min() >= margin * width
        and x.max() <= (1 - margin) * width
        and y.min() >= margin * height
        and y.max() <= (1 - margin) * height
    )


@dataclass(frozen=True, slots=True)
class ProbeSample:
    embedding: np.ndarray
    timestamp: float
    yaw: float
    sharpness: float


@dataclass(frozen=True, slots=True)
class FrameStatus:
    """What the UI needs after each frame."""

    phase: Phase
    challenge: Gesture | None
    remaining_s: float | None
    hint: str | None
    """The first quality issue's reason code, for the guidance line under the preview."""
    face_box: tuple[int, int, int, int] | None


@dataclass
class FaceVerificationSession:
    embedder: FaceEmbedder
    challenges: list[Gesture]
    policy: LivenessPolicy = field(default_factory=LivenessPolicy)
    analyzer: FaceAnalyzer = field(default_factory=FaceAnalyzer)
    probe_size: int = 3
    identity_interval_s: float = 1.0
    max_descriptor_gap_s: float = 0.25
    """A descriptor after which the next frame came later than this (a busy CPU: 0.5-0.7 s
    at a quarter of a core) blinds the session through a gesture held half a second, so
    none is taken while a prompt awaits its answer (the frames' timestamps tell, not a
    clock: the session stays a pure function of its frames)."""
    min_probe_yaw_step: float = 4.0
    """Probe frames are kept only if their yaw differs from those already kept by this much:
    several angles carry more information than several copies of one."""
    _liveness: LivenessSession = field(init=False)
    _reference: np.ndarray | None = field(default=None, init=False)
    _last_identity_at: float = field(default=float("-inf"), init=False)
    _probes: list[ProbeSample] = field(default_factory=list, init=False)
    descriptors_computed: int = field(default=0, init=False)
    _described_at: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._liveness = LivenessSession(self.challenges, self.policy)
        self.analyzer.reset()

    @property
    def phase(self) -> Phase:
        return self._liveness.phase

    @property
    def done(self) -> bool:
        return self.phase in (Phase.PASSED, Phase.FAILED)

    def feed(self, bgr: np.ndarray, timestamp: float) -> FrameStatus:
        frame = self.analyzer.analyse(bgr, timestamp)
        if self._described_at is not None:
            gap = timestamp - self._described_at
            self._liveness.descriptor_blinds = gap > self.max_descriptor_gap_s
            self._described_at = None
        if not self.done:
            self._liveness.observe(frame)
            self._maybe_describe(bgr, frame)
        return FrameStatus(
            phase=self._liveness.phase,
            challenge=self._liveness.current,
            remaining_s=self._liveness.remaining_s(timestamp),
            hint=frame.issues[0].value if frame.issues else None,
            face_box=frame.face.box if frame.face else None,
        )

    def _maybe_describe(self, bgr: np.ndarray, frame: FrameAnalysis) -> None:
        if frame.face is None or frame.measures is None or self.done:
            return
        if not all(issue in _POSE_ONLY for issue in frame.issues):
            return
        # Identity is compared on frontal frames with the whole face in view only: a head
        # bowed with the chin cut off, or turned, gives a descriptor 0.6 away from the same
        # person's frontal one (measured), which read as someone else.
        comparable = all(
            issue is QualityIssue.EYES_CLOSED for issue in frame.issues
        ) and _whole_face_in_view(frame.face.landmarks, bgr.shape)
        t = frame.timestamp
        needs_identity = comparable and self._liveness.needs_identity_check
        wants_reference = self._reference is None and frame.good
        # On a slow CPU no optional descriptor is taken while a prompt awaits its answer:
        # one costs as much as ten analysed frames (0.6 s at a quarter of a core) and
        # swallowed a whole head turn. The liveness session then asks for an identity
        # check after each answer instead (``LivenessPolicy.describe_min_fps``).
        live = self._liveness
        optional = not live.awaiting_answer or live.describes_during_prompts
        periodic = (
            optional
            and comparable
            and self._reference is not None
            and t - self._last_identity_at >= self.identity_interval_s
        )
        wants_probe = (
            optional
            and frame.good
            and len(self._probes) < self.probe_size
            and self._new_angle(frame)
        )
        if not (needs_identity or wants_reference or periodic or wants_probe):
            return
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        embedding = self.embedder.embed(rgb, frame.face.box)
        self.descriptors_computed += 1
        self._last_identity_at = self._described_at = t
        if self._reference is None:
            if not frame.good:
                return
            self._reference = embedding
        elif comparable:
            self._liveness.identity_checked(distance(embedding, self._reference), t)
        if frame.good and self._new_angle(frame):
            self._probes.append(
                ProbeSample(embedding, t, frame.measures.pose.yaw, frame.measures.sharpness)
            )
            if len(self._probes) > self.probe_size:
                self._probes.sort(key=lambda p: p.sharpness, reverse=True)
                del self._probes[self.probe_size :]

    def _new_angle(self, frame: FrameAnalysis) -> bool:
        assert frame.measures is not None
        yaw = frame.measures.pose.yaw
        return all(abs(yaw - p.yaw) >= self.min_probe_yaw_step for p in self._probes)

    def report(self) -> LivenessReport:
        return self._liveness.report()

    @property
    def probe_samples(self) -> list[ProbeSample]:
        return list(self._probes)

    def probe(self) -> np.ndarray | None:
        """The fused probe embedding, or ``None`` when no frame was good enough."""
        if not self._probes:
            return None
        return fuse([p.embedding for p in self._probes])
