"""Insurance underwriting consent as a state machine: verify, show the terms, record the answer.

As in test_checkin.py: real descriptors, the real ``decide`` and ``match``, a clock the test
moves; nothing runs a device.
"""

from __future__ import annotations

import random

import pytest

from drivers.document import DocumentType
from kiosk.flows.consent import ConsentFlow, ConsentStep, ConsentTerms, RecordConsent
from kiosk.flows.messages import (
    FaceFinished,
    Recorded,
    RecordFailed,
    RecordResult,
    Speak,
    Tap,
    Tick,
    Wiped,
)
from kiosk.flows.verification import Step, reference_code
from kiosk.idv.decision import Assurance, Decision, FlowPolicy
from kiosk.idv.liveness import LivenessPolicy
from kiosk.idv.matching import thresholds_for
from tests.flows.test_checkin import MODEL, Clock, descriptor, liveness, near, to_face

NUMBER = "11010519491231002X"
NAME = "张三"
VERIFICATION_ID = "01a2025e-4b0b-7df1-8140-4c0b65bff790"
CONSENT_ID = "01a2025e-4b0b-7df1-8140-4c0b65bff791"
TERMS = ConsentTerms(
    insurer="Example Life Insurance Co.",
    data_scope=("hospital_records", "prescriptions", "lab_results"),
    purpose="underwriting",
    duration_days=365,
)


def flow(clock: Clock, **kw) -> ConsentFlow:
    return ConsentFlow(
        name="insurance_consent",
        policy=FlowPolicy(require=Assurance.EA5_PLUS),
        thresholds=lambda mode: thresholds_for(MODEL, mode),
        liveness=LivenessPolicy(),
        clock=clock,
        rng=random.Random(7),
        terms=TERMS,
        **kw,
    )


def to_consent(f: ConsentFlow) -> list:
    template = descriptor(1)
    to_face(f, template)
    commands = f.handle(FaceFinished(liveness(), near(template, 0.2), probe_images=3))
    verdict = next(c for c in commands if isinstance(c, RecordResult)).verdict
    assert verdict.decision is Decision.PASS and verdict.assurance is Assurance.EA5_PLUS
    return f.handle(Recorded(VERIFICATION_ID))


def assert_wiped(f: ConsentFlow) -> None:
    text = repr(f.view())
    assert f.step is Step.WELCOME and not f.holds_personal_data()
    assert NAME not in text and NUMBER not in text


@pytest.mark.parametrize(("tap", "decision"), [("accept", "accepted"), ("decline", "declined")])
def test_an_answer_is_recorded_with_the_terms_and_the_verification(tap, decision):
    f = flow(Clock())
    commands = to_consent(f)
    view = f.view()
    assert view.step is ConsentStep.CONSENT and view.terms == TERMS
    assert view.decision is Decision.PASS and Speak("consent_terms") in commands
    commands = f.handle(Tap(tap))
    assert commands == [
        RecordConsent(decision, TERMS, VERIFICATION_ID, NUMBER, DocumentType.CN_RESIDENT_ID)
    ]
    assert f.step is Step.SAVING
    f.handle(Recorded(CONSENT_ID))
    view = f.view()
    assert view.step is Step.RESULT and view.consent == decision and view.terms == TERMS
    assert view.reference == reference_code(CONSENT_ID)  # the consent's, not the verification's
    assert Wiped() in f.handle(Tap("done"))
    assert_wiped(f)


@pytest.mark.parametrize("outcome", ["mismatch", "no_portrait", "liveness"])
def test_a_verification_that_does_not_pass_never_reaches_the_terms(outcome):
    f = flow(Clock())
    template = descriptor(1)
    to_face(f, None if outcome == "no_portrait" else template)
    finished = {
        "mismatch": FaceFinished(liveness(), descriptor(2), 3),
        "no_portrait": FaceFinished(liveness(), near(template, 0.1), 3),
        "liveness": FaceFinished(liveness(False, "IDV_LIVENESS_TIMEOUT"), None, 0),
    }[outcome]
    verdict = next(c for c in f.handle(finished) if isinstance(c, RecordResult)).verdict
    expected = Decision.REFERRED if outcome == "no_portrait" else Decision.FAIL  # EA5+ needed
    assert verdict.decision is expected
    f.handle(Recorded(VERIFICATION_ID))
    view = f.view()
    assert view.step is Step.RESULT and view.decision is expected
    assert view.consent == "not_offered" and view.terms is None
    assert f.handle(Tap("accept")) == []  # no consent from the result screen
    f.handle(Tap("done"))
    assert_wiped(f)


def test_inactivity_on_the_terms_wipes_and_records_nothing():
    clock = Clock()
    f = flow(clock, inactivity_s=60)
    to_consent(f)
    clock.now += 51
    f.handle(Tick())
    assert f.view().countdown == 9 and f.step is ConsentStep.CONSENT
    clock.now += 10
    commands = f.handle(Tick())
    assert Wiped() in commands and not any(isinstance(c, RecordConsent) for c in commands)
    assert f.view().error == "UI_TIMEOUT"
    assert_wiped(f)
    assert f.handle(Tap("accept")) == []


def test_cancel_on_the_terms_is_not_a_decline():
    f = flow(Clock())
    to_consent(f)
    commands = f.handle(Tap("cancel"))
    assert commands == [Wiped()]
    assert_wiped(f)


def test_a_consent_that_cannot_be_saved_says_so():
    f = flow(Clock())
    to_consent(f)
    f.handle(Tap("accept"))
    commands = f.handle(RecordFailed("STORE_QUOTA_REACHED"))
    view = f.view()
    assert view.step is Step.RESULT and view.error == "STORE_QUOTA_REACHED"
    assert view.consent is None and view.staff_called
    assert Speak("result_not_saved", reason="STORE_QUOTA_REACHED") in commands
    f.handle(Tap("done"))
    assert_wiped(f)


def test_the_result_screen_returns_to_welcome_by_itself():
    clock = Clock()
    f = flow(clock, result_display_s=20)
    to_consent(f)
    f.handle(Tap("decline"))
    f.handle(Recorded(CONSENT_ID))
    clock.now += 21
    f.handle(Tick())
    assert_wiped(f)


def test_the_view_and_the_commands_never_carry_a_name_or_number():
    f = flow(Clock())
    text = [repr(to_consent(f)), repr(f.view()), repr(f.handle(Tap("accept"))), repr(f.view())]
    f.handle(Recorded(CONSENT_ID))
    text.append(repr(f.view()))
    joined = "\n".join(text)
    assert NAME not in joined and NUMBER not in joined
    assert TERMS.insurer in joined  # the terms are on screen


def test_terms_are_checked_and_their_digest_names_exactly_them():
    assert TERMS.digest() == ConsentTerms(
        "Example Life Insurance Co.", ("hospital_records", "prescriptions", "lab_results"),
        "underwriting", 365,
    ).digest()  # fmt: skip
    assert len(TERMS.digest()) == 32
    longer = ConsentTerms(TERMS.insurer, TERMS.data_scope, TERMS.purpose, 730)
    assert longer.digest() != TERMS.digest()
    with pytest.raises(ValueError):
        ConsentTerms("Insurer", (), "underwriting", 365)
    with pytest.raises(ValueError):
        ConsentTerms("Insurer", ("hospital_records",), "underwriting", 0)
