"""Another try after a retryable failure, up to the configured count; then staff.

Real flows, the real ``decide``; the liveness reports are the types the face job sends.
"""

from __future__ import annotations

import pytest

from kiosk.flows.messages import (
    CallStaff,
    DocumentFailed,
    FaceFinished,
    ReadDocument,
    Recorded,
    RecordResult,
    Speak,
    StartFace,
    Tap,
)
from kiosk.flows.pension import EnrolmentMissing, PensionStep
from kiosk.flows.verification import Step, reference_code
from kiosk.idv.decision import Decision
from tests.flows.test_checkin import Clock, descriptor, flow, liveness, near, to_face
from tests.flows.test_pension import PIN, to_lookup
from tests.flows.test_pension import flow as pension_flow

RESULT_ID = "01a2025e-4b0b-7df1-8140-4c0b65bff775"


def fail_face(f, reason: str = "IDV_LIVENESS_TIMEOUT") -> list:
    commands = f.handle(FaceFinished(liveness(False, reason), None, 0))
    record = next(c for c in commands if isinstance(c, RecordResult))
    assert record.verdict.decision is Decision.FAIL  # recorded (and audited) every time
    return f.handle(Recorded(RESULT_ID))


def test_a_liveness_timeout_offers_try_again_twice_then_calls_staff():
    f = flow(Clock())
    template = descriptor(1)
    to_face(f, template)
    for attempt in range(2):
        commands = fail_face(f)
        view = f.view()
        assert view.step is Step.RESULT and view.retryable, attempt
        assert view.reason == "IDV_LIVENESS_TIMEOUT" and not view.staff_called
        assert commands == [Speak("result_retry", reason="IDV_LIVENESS_TIMEOUT")]
        commands = f.handle(Tap("retry"))
        assert f.step is Step.FACE and any(isinstance(c, StartFace) for c in commands)
    commands = fail_face(f)
    view = f.view()
    assert not view.retryable and view.staff_called  # the tries are used up: staff
    reference = reference_code(RESULT_ID)
    assert CallStaff(screen="result", reason="IDV_LIVENESS_TIMEOUT") in commands
    assert Speak("result_fail", reason="IDV_LIVENESS_TIMEOUT", reference=reference) in commands
    assert f.handle(Tap("retry")) == [] and f.step is Step.RESULT


def test_a_retry_can_pass():
    f = flow(Clock())
    template = descriptor(1)
    to_face(f, template)
    fail_face(f, "IDV_LIVENESS_FACE_LOST")
    f.handle(Tap("retry"))
    commands = f.handle(FaceFinished(liveness(), near(template, 0.2), probe_images=3))
    record = next(c for c in commands if isinstance(c, RecordResult))
    assert record.verdict.decision is Decision.PASS
    commands = f.handle(Recorded(RESULT_ID))
    assert f.view().decision is Decision.PASS and not f.view().retryable
    assert commands == [Speak("result_pass", reference=reference_code(RESULT_ID))]


def test_no_tries_configured_means_staff_at_the_first_failure():
    f = flow(Clock(), retries=0)
    to_face(f, descriptor(1))
    commands = fail_face(f)
    assert not f.view().retryable and any(isinstance(c, CallStaff) for c in commands)


def test_a_face_that_does_not_match_is_never_retried_it_goes_to_staff():
    f = flow(Clock())
    to_face(f, descriptor(1))
    commands = f.handle(FaceFinished(liveness(), descriptor(2), probe_images=3))
    verdict = next(c for c in commands if isinstance(c, RecordResult)).verdict
    assert "IDV_MATCH_REJECTED" in verdict.reasons  # recorded: the audit trail has it
    commands = f.handle(Recorded(RESULT_ID))
    view = f.view()
    assert not view.retryable and view.reason == "IDV_MATCH_REJECTED" and view.staff_called
    assert CallStaff(screen="result", reason="IDV_MATCH_REJECTED") in commands
    assert f.handle(Tap("retry")) == [] and f.step is Step.RESULT


def test_a_new_session_gets_its_tries_back():
    f = flow(Clock(), retries=1)
    to_face(f, descriptor(1))
    fail_face(f)
    f.handle(Tap("retry"))
    fail_face(f)
    assert not f.view().retryable
    f.handle(Tap("done"))
    to_face(f, descriptor(1))
    fail_face(f)
    assert f.view().retryable


@pytest.mark.parametrize("code", ["DRV_SAM_CARD_REMOVED", "DRV_SAM_READ_FAILED"])
def test_a_card_lifted_too_early_is_read_again_and_staff_come_after_the_tries(code):
    f = flow(Clock())
    f.handle(Tap("start"))
    for attempt in range(3):  # the first read and two more tries
        commands = f.handle(DocumentFailed(code))
        assert Speak("document_failed", reason=code) in commands
        assert any(isinstance(c, ReadDocument) for c in commands)
        assert not any(isinstance(c, CallStaff) for c in commands), attempt
        assert f.view().error == code
    commands = f.handle(DocumentFailed(code))
    assert CallStaff(screen="present_document", reason=code) in commands
    assert any(isinstance(c, ReadDocument) for c in commands)  # still waiting for a card


def test_a_reader_that_is_down_calls_staff_at_once():
    f = flow(Clock())
    f.handle(Tap("start"))
    commands = f.handle(DocumentFailed("DRV_SAM_PORT_LOST"))
    assert CallStaff(screen="present_document", reason="DRV_SAM_PORT_LOST") in commands


def test_a_first_visit_tries_again_under_supervision():
    f = pension_flow(Clock())
    to_lookup(f)
    f.handle(EnrolmentMissing())
    f.handle(Tap("pin", PIN))
    assert f.step is PensionStep.ENROL
    commands = f.handle(FaceFinished(liveness(False, "IDV_LIVENESS_TIMEOUT"), None, 0))
    assert any(isinstance(c, RecordResult) for c in commands)  # the failed proof is recorded
    f.handle(Recorded(RESULT_ID))
    assert f.view().retryable
    f.handle(Tap("retry"))
    assert f.step is PensionStep.ENROL
