"""The hospital check-in as a state machine: every path, with a clock the test moves.

The inputs are the real types the shell would send (an ``IdentityDocument``, a
``LivenessReport``, 128-d descriptors); the decision and the match are the real ones from
``kiosk.idv``. Nothing runs a device: that is the shell's job (tests/ui drives the whole
kiosk on simulated devices).
"""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest

from drivers.document import ChipAuthentication, DocumentType, IdentityDocument
from kiosk.flows.messages import (
    CancelRead,
    DocumentFailed,
    DocumentRead,
    FaceFinished,
    FaceUpdate,
    ReadDocument,
    ReadProgress,
    Recorded,
    RecordFailed,
    RecordResult,
    StartFace,
    StopFace,
    Tap,
    Tick,
    Wiped,
)
from kiosk.flows.verification import Step, VerificationFlow, reference_code
from kiosk.idv.decision import Assurance, Decision, DocumentEvidence, FlowPolicy
from kiosk.idv.gestures import Gesture
from kiosk.idv.liveness import ChallengeReport, LivenessPolicy, LivenessReport
from kiosk.idv.matching import thresholds_for

MODEL = "dlib_resnet_v1"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def flow(clock: Clock, **kw) -> VerificationFlow:
    return VerificationFlow(
        name="hospital_checkin",
        policy=FlowPolicy(require=Assurance.EA5_MINUS),
        thresholds=lambda mode: thresholds_for(MODEL, mode),
        liveness=LivenessPolicy(),
        clock=clock,
        rng=random.Random(7),
        **kw,
    )


def card(number: str = "11010519491231002X") -> IdentityDocument:
    return IdentityDocument(
        doc_type=DocumentType.CN_RESIDENT_ID, document_number=number, name="张三", sex="M",
        birth_date=dt.date(1949, 12, 31), nationality="汉", issuer="北京市公安局",
        valid_from=dt.date(2015, 1, 1), valid_until=None, portrait=b"\x00" * 16,
        portrait_format="wlt",
    )  # fmt: skip


def descriptor(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=128)
    return vector / np.linalg.norm(vector) * 0.6  # the scale of dlib descriptors


def read_event(template: np.ndarray | None, doc_type=DocumentType.CN_RESIDENT_ID) -> DocumentRead:
    evidence = DocumentEvidence(doc_type, ChipAuthentication.NOT_APPLICABLE, sam_authenticated=True)
    return DocumentRead(card(), evidence, template)


def liveness(passed: bool = True, reason: str | None = None) -> LivenessReport:
    challenges = (ChallengeReport(Gesture.TURN_LEFT, 1.0, 2.1, (("turn_left", 1.9),)),)
    return LivenessReport(passed, reason, challenges, 0.5, 2.2, {})


def near(vector: np.ndarray, distance: float) -> np.ndarray:
    direction = np.random.default_rng(99).normal(size=128)
    direction -= direction @ vector / (vector @ vector) * vector
    return vector + direction / np.linalg.norm(direction) * distance


def to_face(f: VerificationFlow, template: np.ndarray | None = None) -> list:
    commands = f.handle(Tap("start"))
    assert ReadDocument() in commands and f.step is Step.PRESENT_DOCUMENT
    f.handle(ReadProgress("reading", 0.4))
    assert f.step is Step.READING and f.view().progress == 0.4
    return f.handle(read_event(template))


def test_a_patient_passes_and_gets_a_reference_then_the_session_is_wiped():
    clock = Clock()
    f = flow(clock)
    template = descriptor(1)
    commands = to_face(f, template)
    start = next(c for c in commands if isinstance(c, StartFace))
    assert f.step is Step.FACE and len(start.challenges) >= 2
    assert any(c in (Gesture.TURN_LEFT, Gesture.TURN_RIGHT) for c in start.challenges)
    f.handle(FaceUpdate(Gesture.BLINK, "IDV_TOO_FAR", 5.0, face_present=True))
    assert f.view().hint == "IDV_TOO_FAR" and f.view().challenge is Gesture.BLINK
    commands = f.handle(FaceFinished(liveness(), near(template, 0.2), probe_images=3))
    record = next(c for c in commands if isinstance(c, RecordResult))
    assert record.verdict.decision is Decision.PASS and f.step is Step.SAVING
    assert record.document_number == "11010519491231002X"  # for the pseudonym, in the shell
    f.handle(Recorded("01a2025e-4b0b-7df1-8140-4c0b65bff775"))
    view = f.view()
    assert view.step is Step.RESULT and view.decision is Decision.PASS
    assert view.reference == reference_code("01a2025e-4b0b-7df1-8140-4c0b65bff775")
    assert f.holds_personal_data()
    assert Wiped() in f.handle(Tap("done"))
    assert f.step is Step.WELCOME and not f.holds_personal_data()


def test_the_view_never_carries_a_name_or_number():
    clock = Clock()
    f = flow(clock)
    to_face(f, descriptor(1))
    text = repr(f.view()) + repr(f.personal.read)
    assert "张三" not in text and "11010519491231002X" not in text


def test_a_face_that_does_not_match_the_card_fails():
    f = flow(Clock())
    template = descriptor(1)
    to_face(f, template)
    commands = f.handle(FaceFinished(liveness(), descriptor(2), probe_images=3))
    verdict = next(c for c in commands if isinstance(c, RecordResult)).verdict
    assert verdict.decision is Decision.FAIL and "IDV_MATCH_REJECTED" in verdict.reasons


def test_a_liveness_failure_fails_without_a_match():
    f = flow(Clock())
    to_face(f, descriptor(1))
    commands = f.handle(FaceFinished(liveness(False, "IDV_WRONG_ACTION"), None, 0))
    verdict = next(c for c in commands if isinstance(c, RecordResult)).verdict
    assert verdict.decision is Decision.FAIL and verdict.reasons == ("IDV_WRONG_ACTION",)
    f.handle(Recorded("01a2025e-4b0b-7df1-8140-4c0b65bff776"))
    assert f.view().decision is Decision.FAIL


def test_a_card_removed_mid_read_asks_again_and_keeps_reading():
    f = flow(Clock())
    f.handle(Tap("start"))
    f.handle(ReadProgress("reading", 0.2))
    commands = f.handle(DocumentFailed("DRV_CARD_REMOVED"))
    assert f.step is Step.PRESENT_DOCUMENT and f.view().error == "DRV_CARD_REMOVED"
    assert ReadDocument() in commands  # the first failure: read again at once


def test_a_card_that_fails_twice_is_not_read_again_until_it_leaves_the_reader():
    f = flow(Clock())
    f.handle(Tap("start"))
    assert ReadDocument() in f.handle(DocumentFailed("DRV_SAM_CARD_TYPE"))
    commands = f.handle(DocumentFailed("DRV_SAM_CARD_TYPE"))
    assert ReadDocument(after_removal=True) in commands
    assert f.view().error == "DRV_SAM_CARD_TYPE"
    f.handle(Tap("cancel"))  # a new session starts with a fresh count
    f.handle(Tap("start"))
    assert ReadDocument() in f.handle(DocumentFailed("DRV_SAM_READ_FAILED"))


def test_a_card_the_flow_does_not_take_is_refused():
    f = flow(Clock(), accepted_documents=frozenset({DocumentType.ICAO_TD3}))
    f.handle(Tap("start"))
    commands = f.handle(read_event(descriptor(1)))
    assert f.step is Step.PRESENT_DOCUMENT and f.view().error == "UI_DOCUMENT_NOT_ACCEPTED"
    assert ReadDocument(after_removal=True) in commands and not f.holds_personal_data()


def test_inactivity_warns_with_a_countdown_then_wipes():
    clock = Clock()
    f = flow(clock, inactivity_s=60, inactivity_warning_s=20)
    to_face(f, descriptor(1))
    clock.now += 39
    assert f.view().countdown is None
    clock.now += 2
    f.handle(Tick())
    assert f.view().countdown == 19
    f.handle(Tap("continue"))  # the person is still there
    clock.now += 55
    f.handle(Tick())
    assert f.step is Step.FACE
    clock.now += 6
    commands = f.handle(Tick())
    assert StopFace() in commands and Wiped() in commands
    assert f.step is Step.WELCOME and f.view().error == "UI_TIMEOUT"
    assert not f.holds_personal_data()


def test_a_face_in_front_of_the_camera_counts_as_activity():
    clock = Clock()
    f = flow(clock, inactivity_s=30)
    to_face(f, descriptor(1))
    for _ in range(10):
        clock.now += 10
        f.handle(FaceUpdate(Gesture.TURN_LEFT, None, 5.0, face_present=True))
        f.handle(Tick())
    assert f.step is Step.FACE


def test_the_result_screen_returns_to_welcome_by_itself():
    clock = Clock()
    f = flow(clock, result_display_s=20)
    to_face(f, descriptor(1))
    f.handle(FaceFinished(liveness(), near(descriptor(1), 0.1), 3))
    f.handle(Recorded("01a2025e-4b0b-7df1-8140-4c0b65bff777"))
    clock.now += 21
    f.handle(Tick())
    assert f.step is Step.WELCOME and not f.holds_personal_data()


@pytest.mark.parametrize("where", ["present", "reading", "face"])
def test_cancel_from_any_step_stops_the_job_and_wipes(where):
    f = flow(Clock())
    f.handle(Tap("start"))
    expected = CancelRead()
    if where == "reading":
        f.handle(ReadProgress("reading", 0.5))
    if where == "face":
        f.handle(read_event(descriptor(1)))
        expected = StopFace()
    commands = f.handle(Tap("cancel"))
    assert expected in commands and Wiped() in commands
    assert f.step is Step.WELCOME and not f.holds_personal_data()


def test_a_result_that_cannot_be_saved_says_so_and_sends_to_staff():
    f = flow(Clock())
    to_face(f, descriptor(1))
    f.handle(FaceFinished(liveness(), near(descriptor(1), 0.1), 3))
    f.handle(RecordFailed("STORE_QUOTA_REACHED"))
    view = f.view()
    assert view.step is Step.RESULT and view.error == "STORE_QUOTA_REACHED"


def test_late_news_from_an_abandoned_job_is_ignored():
    f = flow(Clock())
    f.handle(Tap("start"))
    f.handle(Tap("cancel"))
    assert f.handle(read_event(descriptor(1))) == []
    assert f.step is Step.WELCOME and not f.holds_personal_data()


def test_reference_codes_are_short_and_unambiguous():
    code = reference_code("01a2025e-4b0b-7df1-8140-4c0b65bff775")
    assert len(code) == 9 and code[4] == "-"
    assert not set(code) & set("ILOU")
    assert code != reference_code("01a2025e-4b0b-7df1-8140-4c0b65bff776")
