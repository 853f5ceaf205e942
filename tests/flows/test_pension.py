"""Pension survival authentication as a state machine: every path, with a clock the test moves.

As in test_checkin.py: the real types the shell would send, 128-d descriptors, the real
``decide`` and ``match`` and the shipped calibration; nothing runs a device. The date the
certificate is issued on comes from a fixed ``today``.
"""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest

from drivers.document import DocumentType
from kiosk.flows.messages import (
    CallStaff,
    FaceFinished,
    FaceUpdate,
    ReadDocument,
    Recorded,
    RecordFailed,
    RecordResult,
    Speak,
    StartFace,
    StopFace,
    Tap,
    Tick,
    Wiped,
)
from kiosk.flows.pension import (
    SUPERVISED,
    Enrol,
    Enrolled,
    EnrolmentFound,
    EnrolmentMissing,
    LifeCertificate,
    LookupEnrolment,
    PensionFlow,
    PensionStep,
    add_months,
)
from kiosk.flows.service import Door, ServiceGate
from kiosk.flows.verification import Step, reference_code
from kiosk.idv.decision import Assurance, Decision, FlowPolicy
from kiosk.idv.embedding import fuse
from kiosk.idv.gestures import Gesture
from kiosk.idv.liveness import LivenessPolicy
from kiosk.idv.matching import MatchMode, thresholds_for
from tests.flows.test_checkin import MODEL, Clock, descriptor, liveness, near, read_event

NUMBER = "11010519491231002X"
NAME = "张三"
PIN = "2468"
TODAY = dt.date(2025, 3, 10)
RESULT_ID = "01a2025e-4b0b-7df1-8140-4c0b65bff780"


def flow(clock: Clock, *, max_pin_failures: int = 3, pin_lockout_s: float = 300.0,
         **kw) -> PensionFlow:  # fmt: skip
    kw.setdefault("today", lambda: TODAY)
    kw.setdefault("staff_gate", ServiceGate(check_pin=lambda pin: pin == PIN, clock=clock,
                                            max_failures=max_pin_failures,
                                            lockout_s=pin_lockout_s))  # fmt: skip
    return PensionFlow(
        name="pension_survival",
        policy=FlowPolicy(require=Assurance.EA5_PLUS),
        thresholds=lambda mode: thresholds_for(MODEL, mode),
        liveness=LivenessPolicy(),
        clock=clock,
        rng=random.Random(7),
        **kw,
    )


def to_lookup(f: PensionFlow, portrait: np.ndarray | None = None) -> None:
    assert ReadDocument() in f.handle(Tap("start"))
    commands = f.handle(read_event(portrait))
    assert commands == [LookupEnrolment(NUMBER)] and f.step is PensionStep.LOOKUP


def to_enrol(f: PensionFlow, portrait: np.ndarray | None = None) -> list:
    to_lookup(f, portrait)
    commands = f.handle(EnrolmentMissing())
    assert f.step is PensionStep.STAFF_PIN and Speak("first_visit") in commands
    assert CallStaff(screen="staff_pin") in commands and f.view().staff_called
    return f.handle(Tap("pin", PIN))


def assert_wiped(f: PensionFlow) -> None:
    text = repr(f.view())
    assert f.step is Step.WELCOME and not f.holds_personal_data()
    assert NAME not in text and NUMBER not in text


# -- later visits: match against the enrolment -----------------------------------------------
def test_a_pensioner_matching_the_enrolment_gets_a_life_certificate():
    clock = Clock()
    f = flow(clock)
    enrolled = descriptor(1)
    to_lookup(f, portrait=descriptor(5))  # the card's portrait is someone else's: not used
    commands = f.handle(EnrolmentFound(enrolled, 3, last_proof_ms=1_700_000_000_000))
    assert f.step is Step.FACE and any(isinstance(c, StartFace) for c in commands)
    commands = f.handle(FaceFinished(liveness(), near(enrolled, 0.2), probe_images=3))
    record = next(c for c in commands if isinstance(c, RecordResult))
    assert record.verdict.decision is Decision.PASS
    assert record.verdict.assurance is Assurance.EA5_PLUS
    assert record.verdict.match is not None
    assert record.verdict.match.thresholds.mode is MatchMode.BOTH_FUSED  # 3 x 3 images
    assert record.document_number == NUMBER and f.step is Step.SAVING
    f.handle(Recorded(RESULT_ID))
    view = f.view()
    assert view.step is Step.RESULT and view.decision is Decision.PASS and not view.see_staff
    assert view.certificate == LifeCertificate(
        valid_until=dt.date(2026, 3, 10), next_due=dt.date(2026, 2, 8),
        reference=reference_code(RESULT_ID),
    )  # fmt: skip
    assert view.reference == view.certificate.reference
    assert Wiped() in f.handle(Tap("done"))
    assert_wiped(f)


def test_the_validity_window_and_the_reminder_are_configurable():
    f = flow(Clock(), validity_months=6, remind_days=14, today=lambda: dt.date(2024, 8, 31))
    enrolled = descriptor(1)
    to_lookup(f)
    f.handle(EnrolmentFound(enrolled, 3, None))
    f.handle(FaceFinished(liveness(), near(enrolled, 0.1), 3))
    f.handle(Recorded(RESULT_ID))
    certificate = f.view().certificate
    assert certificate is not None
    assert certificate.valid_until == dt.date(2025, 2, 28)  # no 31 February
    assert certificate.next_due == dt.date(2025, 2, 14)


def test_calendar_months_clamp_to_the_end_of_a_short_month():
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 11, 15), 3) == dt.date(2026, 2, 15)
    assert add_months(dt.date(2023, 12, 31), 2) == dt.date(2024, 2, 29)


def test_a_face_that_does_not_match_the_enrolment_fails_without_a_certificate():
    f = flow(Clock())
    to_lookup(f)
    f.handle(EnrolmentFound(descriptor(1), 3, None))
    commands = f.handle(FaceFinished(liveness(), descriptor(2), 3))
    verdict = next(c for c in commands if isinstance(c, RecordResult)).verdict
    assert verdict.decision is Decision.FAIL and "IDV_MATCH_REJECTED" in verdict.reasons
    commands = f.handle(Recorded(RESULT_ID))
    view = f.view()
    assert view.step is Step.RESULT and view.decision is Decision.FAIL
    assert view.certificate is None and view.see_staff and not view.retryable
    reference = reference_code(RESULT_ID)  # a match reject goes to staff, with its reference
    assert CallStaff(screen="result", reason="IDV_MATCH_REJECTED") in commands
    assert Speak("result_fail", reason="IDV_MATCH_REJECTED", reference=reference) in commands
    f.handle(Tap("done"))
    assert_wiped(f)


def test_a_grey_zone_match_is_referred_without_a_certificate():
    f = flow(Clock())
    enrolled = descriptor(1)
    to_lookup(f)
    f.handle(EnrolmentFound(enrolled, 3, None))
    f.handle(FaceFinished(liveness(), near(enrolled, 0.42), 3))  # between 0.35 and 0.49
    f.handle(Recorded(RESULT_ID))
    view = f.view()
    assert view.decision is Decision.REFERRED and view.certificate is None and view.see_staff


def test_only_a_resident_id_card_is_taken():
    f = flow(Clock())
    f.handle(Tap("start"))
    commands = f.handle(read_event(descriptor(1), doc_type=DocumentType.ICAO_TD3))
    assert f.step is Step.PRESENT_DOCUMENT and f.view().error == "UI_DOCUMENT_NOT_ACCEPTED"
    assert ReadDocument(after_removal=True) in commands
    assert not any(isinstance(c, LookupEnrolment) for c in commands)
    assert not f.holds_personal_data()
    with pytest.raises(TypeError):
        flow(Clock(), accepted_documents=frozenset(DocumentType))  # not a parameter here


# -- first visit: supervised enrolment -----------------------------------------------------------
@pytest.mark.parametrize(("with_portrait", "probe_images", "images"),
                         [(True, 1, 2), (False, 1, 1), (True, 3, 4), (False, 3, 3)])  # fmt: skip
def test_a_first_visit_enrols_under_staff_supervision(with_portrait, probe_images, images):
    f = flow(Clock())
    face = descriptor(1)
    portrait = face if with_portrait else None
    commands = to_enrol(f, portrait)
    assert f.step is PensionStep.ENROL and any(isinstance(c, StartFace) for c in commands)
    f.handle(FaceUpdate(Gesture.BLINK, "IDV_TOO_FAR", 5.0, face_present=True))
    assert f.step is PensionStep.ENROL and f.view().hint == "IDV_TOO_FAR"
    probe = near(face, 0.1)
    commands = f.handle(FaceFinished(liveness(), probe, probe_images))
    enrol = next(c for c in commands if isinstance(c, Enrol))
    assert not any(isinstance(c, RecordResult) for c in commands)  # the template first
    assert enrol.images == images and enrol.document_number == NUMBER
    # each live capture and the portrait weigh one in the template
    expected = fuse([probe, portrait], [probe_images, 1]) if with_portrait else fuse([probe])
    np.testing.assert_allclose(enrol.template, expected)
    assert f.step is Step.SAVING
    assert f.handle(Recorded(RESULT_ID)) == []  # not the answer to Enrol: ignored
    commands = f.handle(Enrolled())
    record = next(c for c in commands if isinstance(c, RecordResult))
    assert record.verdict.decision is Decision.PASS and SUPERVISED in record.verdict.reasons
    assert record.probe_images == probe_images and record.document_number == NUMBER
    assert record.verdict.assurance is (
        Assurance.EA5_PLUS if with_portrait else Assurance.EA5_MINUS
    )
    if not with_portrait:
        assert "IDV_NO_REFERENCE_FACE" in record.verdict.reasons
    f.handle(Recorded(RESULT_ID))
    view = f.view()
    assert view.step is Step.RESULT and view.decision is Decision.PASS
    assert view.certificate is not None and view.certificate.valid_until == dt.date(2026, 3, 10)
    f.handle(Tap("done"))
    assert_wiped(f)


def test_a_liveness_failure_during_enrolment_enrols_nothing():
    f = flow(Clock())
    to_enrol(f)
    commands = f.handle(FaceFinished(liveness(False, "IDV_LIVENESS_WRONG_ACTION"), None, 0))
    assert not any(isinstance(c, Enrol) for c in commands)
    verdict = next(c for c in commands if isinstance(c, RecordResult)).verdict
    assert verdict.decision is Decision.FAIL and verdict.reasons == ("IDV_LIVENESS_WRONG_ACTION",)
    assert f.handle(Enrolled()) == []  # nothing was asked to be enrolled
    f.handle(Recorded(RESULT_ID))
    view = f.view()
    assert view.step is Step.RESULT and view.decision is Decision.FAIL
    assert view.certificate is None and view.see_staff
    f.handle(Tap("done"))
    assert_wiped(f)


def test_someone_elses_card_is_not_enrolled_even_with_staff_present():
    f = flow(Clock())
    to_enrol(f, portrait=descriptor(1))
    commands = f.handle(FaceFinished(liveness(), descriptor(2), 1))
    assert not any(isinstance(c, Enrol) for c in commands)
    verdict = next(c for c in commands if isinstance(c, RecordResult)).verdict
    assert verdict.decision is Decision.FAIL and "IDV_MATCH_REJECTED" in verdict.reasons
    f.handle(Recorded(RESULT_ID))
    assert f.view().certificate is None and f.view().see_staff


def test_a_live_face_without_a_descriptor_is_referred_not_enrolled():
    f = flow(Clock())
    to_enrol(f)
    commands = f.handle(FaceFinished(liveness(), None, 0))
    assert not any(isinstance(c, Enrol) for c in commands)
    verdict = next(c for c in commands if isinstance(c, RecordResult)).verdict
    assert verdict.decision is Decision.REFERRED and "IDV_NO_FACE" in verdict.reasons


def test_a_template_that_cannot_be_stored_issues_no_certificate():
    f = flow(Clock())
    to_enrol(f)
    f.handle(FaceFinished(liveness(), descriptor(1), 1))
    commands = f.handle(RecordFailed("STORE_DISK_LOW"))
    view = f.view()
    assert view.step is Step.RESULT and view.error == "STORE_DISK_LOW"
    assert view.certificate is None and view.see_staff
    assert CallStaff(screen="result", reason="STORE_DISK_LOW") in commands
    assert Speak("result_not_saved", reason="STORE_DISK_LOW") in commands
    assert f.handle(Enrolled()) == []  # too late: no result recorded for it
    f.handle(Tap("done"))
    assert_wiped(f)


# -- the staff PIN ---------------------------------------------------------------------------------
def test_three_wrong_pins_lock_enrolment_out_across_sessions_until_the_lockout_ends():
    clock = Clock()
    f = flow(clock, pin_lockout_s=300)
    to_lookup(f)
    f.handle(EnrolmentMissing())
    f.handle(Tap("pin", "0000"))
    view = f.view()
    assert view.step is PensionStep.STAFF_PIN and view.error == "UI_PIN_WRONG"
    assert view.pin_attempts_left == 2 and "0000" not in repr(view)
    f.handle(Tap("pin", "1111"))
    assert f.view().pin_attempts_left == 1
    commands = f.handle(Tap("pin", "2222"))
    assert Wiped() in commands and f.view().error == "UI_PIN_LOCKED" and f.pin_locked()
    assert_wiped(f)

    # A new session before the lockout ends: no PIN screen at all.
    clock.now += 200
    to_lookup(f)
    commands = f.handle(EnrolmentMissing())
    assert Wiped() in commands and f.view().error == "UI_PIN_LOCKED"
    assert_wiped(f)

    # Enrolled pensioners are not affected by the lockout.
    to_lookup(f)
    f.handle(EnrolmentFound(descriptor(1), 3, None))
    assert f.step is Step.FACE
    f.handle(Tap("cancel"))

    # After the lockout: a fresh set of tries, and the right PIN opens enrolment.
    clock.now += 101
    assert not f.pin_locked()
    to_lookup(f)
    f.handle(EnrolmentMissing())
    f.handle(Tap("pin", "0000"))
    assert f.view().pin_attempts_left == 2
    commands = f.handle(Tap("pin", PIN))
    assert f.step is PensionStep.ENROL and any(isinstance(c, StartFace) for c in commands)


def test_walking_away_does_not_reset_the_pin_failure_count():
    clock = Clock()
    f = flow(clock, max_pin_failures=3)
    to_lookup(f)
    f.handle(EnrolmentMissing())
    f.handle(Tap("pin", "0000"))
    f.handle(Tap("pin", "1111"))
    f.handle(Tap("cancel"))
    assert_wiped(f)
    to_lookup(f)
    f.handle(EnrolmentMissing())
    f.handle(Tap("pin", "2222"))
    assert f.view().error == "UI_PIN_LOCKED" and f.pin_locked()
    assert_wiped(f)


def test_a_right_pin_resets_the_failure_count():
    f = flow(Clock())
    to_lookup(f)
    f.handle(EnrolmentMissing())
    f.handle(Tap("pin", "0000"))
    f.handle(Tap("pin", "0000"))
    f.handle(Tap("pin", PIN))
    f.handle(Tap("cancel"))
    to_lookup(f)
    f.handle(EnrolmentMissing())
    f.handle(Tap("pin", "0000"))
    assert f.view().pin_attempts_left == 2


def test_staff_cancel_on_the_pin_screen_wipes():
    f = flow(Clock())
    to_lookup(f)
    f.handle(EnrolmentMissing())
    commands = f.handle(Tap("cancel"))
    assert Wiped() in commands and f.view().error is None
    assert_wiped(f)


# -- leaving, timeouts, late news ------------------------------------------------------------------
def test_cancel_during_enrolment_stops_the_camera_and_wipes():
    f = flow(Clock())
    to_enrol(f)
    commands = f.handle(Tap("cancel"))
    assert StopFace() in commands and Wiped() in commands
    assert_wiped(f)


@pytest.mark.parametrize("where", ["lookup", "staff_pin", "enrol", "saving_enrolment"])
def test_inactivity_anywhere_wipes(where):
    clock = Clock()
    f = flow(clock, inactivity_s=60)
    to_lookup(f)
    if where != "lookup":
        f.handle(EnrolmentMissing())
    if where in ("enrol", "saving_enrolment"):
        f.handle(Tap("pin", PIN))
    if where == "saving_enrolment":
        f.handle(FaceFinished(liveness(), descriptor(1), 1))
        assert f.step is Step.SAVING
    if where == "staff_pin":  # the kiosk called staff: the wipe waits for them first
        clock.now += f.staff_call_hold_s - 1
        assert f.handle(Tick()) == [] and f.view().countdown is None
        clock.now += 2
        assert f.handle(Tick()) == [] and not f.view().staff_called  # the call lapsed
    clock.now += 61
    commands = f.handle(Tick())
    assert Wiped() in commands and f.view().error == "UI_TIMEOUT"
    assert (StopFace() in commands) == (where == "enrol")
    assert_wiped(f)
    assert f.handle(Enrolled()) == [] and f.handle(EnrolmentFound(descriptor(1), 3, None)) == []


def test_a_lookup_answer_after_the_person_left_is_ignored():
    f = flow(Clock())
    to_lookup(f)
    f.handle(Tap("cancel"))
    assert f.handle(EnrolmentFound(descriptor(1), 3, None)) == []
    assert f.handle(EnrolmentMissing()) == []
    assert_wiped(f)


def test_the_view_and_the_commands_never_carry_a_name_or_number():
    f = flow(Clock())
    face = descriptor(1)
    text = []
    steps = [
        Tap("start"), read_event(face), EnrolmentMissing(), Tap("pin", "0000"),
        Tap("pin", PIN), FaceUpdate(Gesture.TURN_LEFT, None, 4.0, face_present=True),
        FaceFinished(liveness(), near(face, 0.1), 3), Enrolled(), Recorded(RESULT_ID),
    ]  # fmt: skip
    for event in steps:
        text.append(repr(f.handle(event)))
        text.append(repr(f.view()))
    assert f.view().certificate is not None
    joined = "\n".join(text)
    assert NAME not in joined and NUMBER not in joined and PIN not in joined
    found = EnrolmentFound(face, 3, None)
    assert "array" not in repr(found) and "array" not in repr(Enrol(face, 1, NUMBER))


def test_a_store_that_cannot_be_read_at_lookup_sends_the_person_to_staff():
    f = flow(Clock())
    to_lookup(f)
    commands = f.handle(RecordFailed("STORE_OPEN_FAILED"))
    view = f.view()
    assert view.step is Step.RESULT and view.error == "STORE_OPEN_FAILED" and view.see_staff
    assert view.certificate is None and view.staff_called
    assert Speak("result_not_saved", reason="STORE_OPEN_FAILED") in commands
    assert Wiped() in f.handle(Tap("done"))
    assert_wiped(f)


def test_the_service_mode_and_the_enrolment_share_one_pin_count():
    clock = Clock()
    gate = ServiceGate(check_pin=lambda pin: pin == PIN, clock=clock, max_failures=3)
    f = flow(clock, staff_gate=gate)
    assert gate.try_pin("0000") is Door.WRONG  # two wrong PINs at the hidden service corner
    assert gate.try_pin("1111") is Door.WRONG
    to_lookup(f)
    f.handle(EnrolmentMissing())
    commands = f.handle(Tap("pin", "2222"))  # the third, at the enrolment: locked, both doors
    assert Wiped() in commands and f.view().error == "UI_PIN_LOCKED" and gate.locked()
