"""A whole face-verification session against the simulated subject, frame by frame.

The subject (drivers/simulators/face_subject.py) answers prompts the way a person does,
which no recorded clip can; it drives the session's logic end to end (tracking, baseline,
prompts, identity checks, probe fusion, matching, decision). It proves nothing about
detection accuracy on real people: that is measured on the shared clips.

Time is a test clock advanced one frame period per step, so a session of several seconds
runs as fast as the pipeline computes and every timing is reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import skimage.data

from drivers.document import ChipAuthentication, DocumentType
from drivers.simulators.face_subject import SimulatedSubject
from kiosk.idv.decision import Assurance, Decision, DocumentEvidence, FlowPolicy, decide
from kiosk.idv.embedding import DlibResNetEmbedder, embed_photo, load_rgb
from kiosk.idv.face_session import FaceVerificationSession
from kiosk.idv.gestures import Gesture
from kiosk.idv.liveness import LivenessPolicy, Phase
from kiosk.idv.matching import MatchMode, MatchZone, match, mode_for, thresholds_for
from tests.drivers.shared_data import require_shared_data

FPS = 15.0
REACTION_S = 0.6


class SteppedClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def embedder() -> DlibResNetEmbedder:
    return DlibResNetEmbedder()


def run_session(
    embedder: DlibResNetEmbedder,
    order: list[Gesture],
    *,
    respond: Callable[[Gesture], str | None] = lambda g: g.value,
    at: dict[float, Callable[[SimulatedSubject], None]] | None = None,
    limit_s: float = 45.0,
) -> FaceVerificationSession:
    """Plays the subject against a session. ``respond`` maps the prompt shown to the action
    the subject performs (None: it does nothing); ``at`` runs events at given seconds."""
    clock = SteppedClock()
    session = FaceVerificationSession(embedder, order, LivenessPolicy(time_limit_s=6.0))
    events = dict(at or {})
    with SimulatedSubject(fps=FPS, clock=clock, idle_blinks=False) as subject:
        subject.prepare()
        start, last, prompted, pending = clock.now, -1, None, None
        while not session.done and clock.now - start < limit_s:
            elapsed = clock.now - start
            for when in [w for w in events if w <= elapsed]:
                events.pop(when)(subject)
            frame = subject.latest(newer_than=last, timeout=1.0)
            last = frame.sequence
            status = session.feed(frame.image, frame.timestamp)
            shown = status.challenge is not None and status.remaining_s is not None
            if shown and status.challenge is not prompted:
                prompted, pending = status.challenge, clock.now + REACTION_S
            if pending is not None and clock.now >= pending:
                pending = None
                action = respond(prompted)  # type: ignore[arg-type]
                if action:
                    subject.perform(action)
            clock.now += 1.0 / FPS
    return session


def test_a_subject_who_follows_the_prompts_passes_and_matches_the_portrait(embedder):
    order = [Gesture.TURN_LEFT, Gesture.BLINK, Gesture.TURN_RIGHT]
    session = run_session(embedder, order)
    report = session.report()
    assert session.phase is Phase.PASSED, report
    assert [c.challenge for c in report.challenges] == order
    for challenge in report.challenges:
        assert challenge.completed_at - challenge.issued_at >= REACTION_S
    # Several probe descriptors at different angles, fused.
    assert len(session.probe_samples) >= 2
    yaws = [p.yaw for p in session.probe_samples]
    assert max(yaws) - min(yaws) >= 4.0
    portrait = embed_photo(embedder, skimage.data.astronaut())  # the "document portrait"
    probe = session.probe()
    assert probe is not None
    mode = mode_for(len(session.probe_samples), 1)
    assert mode is MatchMode.PROBE_FUSED
    result = match(probe, portrait.embedding, thresholds_for(embedder.name, mode))
    assert result.zone is MatchZone.ACCEPT, result.as_dict()
    document = DocumentEvidence(DocumentType.ICAO_TD3, ChipAuthentication.PASSED)
    verdict = decide(FlowPolicy(Assurance.EA5_PLUS), document, report, result)
    assert verdict.decision is Decision.PASS and verdict.assurance is Assurance.EA5_PLUS
    # Descriptors are rare: the reference, identity checks about once a second, probes. The
    # session's length varies with its random waits before each prompt (liveness.py), so the
    # bound follows it: the frames' clock starts at 1000 s (SteppedClock).
    seconds = report.challenges[-1].completed_at - 1000.0
    assert session.descriptors_computed <= 1 + math.ceil(seconds) + len(session.probe_samples)
    assert session.descriptors_computed < seconds * FPS / 3  # a small share of the frames


def test_someone_else_is_rejected_or_referred_never_accepted(embedder):
    session = run_session(embedder, [Gesture.NOD, Gesture.TURN_RIGHT])
    assert session.phase is Phase.PASSED
    stranger = embed_photo(
        embedder, load_rgb(require_shared_data("faces", "deepface_pairs", "img1.jpg"))
    )
    mode = mode_for(len(session.probe_samples), 1)
    result = match(session.probe(), stranger.embedding, thresholds_for(embedder.name, mode))
    assert result.zone is MatchZone.REJECT
    document = DocumentEvidence(DocumentType.ICAO_TD3, ChipAuthentication.PASSED)
    verdict = decide(FlowPolicy(Assurance.EA5_PLUS), document, session.report(), result)
    assert verdict.decision is Decision.FAIL and "IDV_MATCH_REJECTED" in verdict.reasons


def test_a_subject_who_does_nothing_times_out(embedder):
    session = run_session(embedder, [Gesture.TURN_LEFT, Gesture.NOD], respond=lambda g: None)
    assert session.phase is Phase.FAILED
    assert session.report().reason == "IDV_LIVENESS_TIMEOUT"


def test_the_wrong_turn_fails(embedder):
    opposite = {Gesture.TURN_LEFT: "turn_right"}
    session = run_session(
        embedder, [Gesture.TURN_LEFT, Gesture.BLINK], respond=lambda g: opposite.get(g, g.value)
    )
    assert session.report().reason == "IDV_LIVENESS_WRONG_ACTION"


def test_a_face_swapped_in_mid_session_fails(embedder):
    other = load_rgb(require_shared_data("faces", "deepface_pairs", "img1.jpg"))

    def swap(subject: SimulatedSubject) -> None:
        subject.set_portrait(other)

    session = run_session(
        embedder,
        [Gesture.BLINK, Gesture.NOD, Gesture.OPEN_MOUTH],
        respond=lambda g: None,  # nobody answers: only the swap can end it early
        at={2.0: swap},
    )
    assert session.phase is Phase.FAILED
    assert session.report().reason == "IDV_LIVENESS_FACE_CHANGED"
    assert session.report().finished_at is not None


def test_stepping_away_mid_session_fails(embedder):
    session = run_session(
        embedder,
        [Gesture.TURN_RIGHT, Gesture.NOD],
        respond=lambda g: None,
        at={1.5: lambda s: s.present(False)},
    )
    assert session.report().reason == "IDV_LIVENESS_FACE_LOST"


def test_probe_fusion_needs_at_least_one_good_frame(embedder):
    session = FaceVerificationSession(embedder, [Gesture.BLINK, Gesture.NOD])
    session.feed(np.full((480, 640, 3), 128, np.uint8), 0.0)
    assert session.probe() is None
