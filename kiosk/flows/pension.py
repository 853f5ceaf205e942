"""Pension survival authentication: a pensioner proves, once a year, that they are alive.

The path is the check-in's (``VerificationFlow``) with two differences:

* the face is compared with the pensioner's *enrolled* template, not with the card's portrait
  (a resident ID card's WLT portrait is usually not decodable, and never as good as a fused
  enrolment). So after the card is read the flow asks the shell to look the enrolment up
  (``LookupEnrolment``) and waits in ``LOOKUP``;
* a first visit has no enrolment: a member of staff unlocks the enrolment with their PIN, the
  pensioner does the liveness challenges, and the template is fused from the live face and,
  where the card gave one, its portrait (``Enrol``). That first proof of life is supervised.

A pass ends with a life certificate on screen: valid for ``validity_months``, with the date
the next proof is due (``remind_days`` before it runs out) and the result's reference code.
A fail or a referral issues nothing and sends the person to staff.

The staff PIN is checked by the kiosk's one ``ServiceGate`` (kiosk/flows/service.py), the
same door as the service mode's: wrong PINs count together wherever they are typed, and the
lockout shuts both. The count lives on the gate, not in the session's personal data, so
walking away and starting again does not reset it: a kiosk in a public hall must not let
anyone try PINs one session at a time.

The events and commands only this flow uses are defined here, not in ``messages.py``; the
shell dispatches on their types like on the common ones.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import cast

import numpy as np

from drivers.document import DocumentType
from kiosk.flows.messages import (
    Command,
    DocumentRead,
    Event,
    FaceFinished,
    FaceUpdate,
    Recorded,
    RecordFailed,
    RecordResult,
    Speak,
    StartFace,
    StopFace,
    Tap,
)
from kiosk.flows.service import Door, ServiceGate
from kiosk.flows.verification import Personal, Step, VerificationFlow, View
from kiosk.idv.decision import Assurance, Decision, decide
from kiosk.idv.embedding import fuse
from kiosk.idv.liveness import draw_challenges
from kiosk.idv.matching import MatchResult, match, mode_for

DOCUMENT_TYPE = DocumentType.CN_RESIDENT_ID
"""The only document this flow takes: enrolments are keyed on the resident ID number, so the
shell derives every ``subject_ref`` of this flow from ``(DOCUMENT_TYPE, document_number)``."""

SUPERVISED = "IDV_ENROLMENT_SUPERVISED"
"""Added to the reasons of an enrolment's verdict: staff saw the person, which is why a first
visit may pass without a face match (at EA5-) in a flow that otherwise requires EA5+."""


class PensionStep(StrEnum):
    """The screens this flow adds to ``Step`` (which an enum cannot extend)."""

    LOOKUP = "lookup"
    STAFF_PIN = "staff_pin"
    ENROL = "enrol"


# -- events ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, repr=False)
class EnrolmentFound:
    """The pensioner's enrolled template (a biometric: never in a log line)."""

    template: np.ndarray
    template_images: int
    """How many images the template fuses (it picks the match thresholds' mode)."""
    last_proof_ms: int | None
    """When the last proof of life was recorded (epoch ms), if ever."""

    def __repr__(self) -> str:
        return f"EnrolmentFound(images={self.template_images}, <redacted>)"


@dataclass(frozen=True, slots=True)
class EnrolmentMissing:
    """No (unexpired) enrolment for this pensioner: a first visit."""


@dataclass(frozen=True, slots=True)
class Enrolled:
    """The shell stored the template the flow sent with ``Enrol``."""


PensionEvent = Event | EnrolmentFound | EnrolmentMissing | Enrolled


# -- commands ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, repr=False)
class LookupEnrolment:
    """Find the enrolled template of the holder of this resident ID number; answer with
    ``EnrolmentFound`` or ``EnrolmentMissing``."""

    document_number: str

    def __repr__(self) -> str:
        return "LookupEnrolment(<redacted>)"


@dataclass(frozen=True, slots=True, repr=False)
class Enrol:
    """Store this template for the holder of ``document_number`` (``EnrolledTemplate``);
    answer with ``Enrolled`` or ``RecordFailed``."""

    template: np.ndarray
    images: int
    """How many images the template fuses (``EnrolledTemplate.images_fused``)."""
    document_number: str

    def __repr__(self) -> str:
        return f"Enrol(images={self.images}, <redacted>)"


PensionCommand = Command | LookupEnrolment | Enrol


# -- what the screen shows -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LifeCertificate:
    """What the result screen and the receipt print: dates and a code, nothing personal."""

    valid_until: dt.date
    next_due: dt.date
    """When to come back: ``remind_days`` before ``valid_until``."""
    reference: str
    """``reference_code`` of the recorded result: the pension office looks it up by it."""


@dataclass(frozen=True, slots=True)
class PensionView(View):
    step: Step | PensionStep  # type: ignore[assignment]  # the base's steps and this flow's
    certificate: LifeCertificate | None = None
    """Only after a recorded pass."""
    see_staff: bool = False
    """A result without a certificate: the person goes to the counter."""
    pin_attempts_left: int | None = None
    """On the staff PIN screen after a wrong PIN."""


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole calendar months, clamped to the end of a shorter month (a
    certificate issued on 29 February 2024 for 12 months runs to 28 February 2025)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


@dataclass
class PensionPersonal(Personal):
    """The check-in's personal data plus the enrolment the lookup returned."""

    found: EnrolmentFound | None = None
    pending: RecordResult | None = None
    """An enrolment's result, sent once the template is stored (``Enrolled``)."""

    def clear(self) -> None:
        Personal.clear(self)
        self.found = None
        self.pending = None

    def empty(self) -> bool:
        return Personal.empty(self) and self.found is None and self.pending is None


@dataclass
class PensionFlow(VerificationFlow):
    staff_gate: ServiceGate = field(kw_only=True)
    """The staff PIN's door, shared with the service mode (the shell passes the kiosk's one
    gate around its hash check): the flow never sees a PIN's hash and never keeps a PIN."""
    today: Callable[[], dt.date] = field(default_factory=lambda: dt.date.today, kw_only=True)
    """The local date certificates are issued on (``clock`` is monotonic: no calendar)."""
    validity_months: int = field(default=12, kw_only=True)
    remind_days: int = field(default=30, kw_only=True)
    accepted_documents: frozenset[DocumentType] = field(
        default=frozenset({DOCUMENT_TYPE}), init=False
    )
    step: Step | PensionStep = field(default=Step.WELCOME, init=False)  # type: ignore[assignment]
    personal: PensionPersonal = field(default_factory=PensionPersonal, init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.validity_months < 1 or self.remind_days < 0:
            raise ValueError("validity_months must be >= 1 and remind_days >= 0")

    # -- the public surface ----------------------------------------------------------------
    def handle(self, event: PensionEvent) -> list[PensionCommand]:  # type: ignore[override]
        """As ``VerificationFlow.handle``; the base passes the events it does not know to
        ``_device``, which this class extends."""
        return cast(list[PensionCommand], super().handle(cast(Event, event)))

    def view(self) -> PensionView:
        return PensionView(step=self.step, language=self.language, countdown=self._countdown(),
                           staff_called=self._staff_called_at is not None,
                           **self._view)  # type: ignore[arg-type]  # fmt: skip

    def pin_locked(self) -> bool:
        """Whether staff PINs are refused right now (service mode can show it)."""
        return self.staff_gate.locked()

    def reference_face(self) -> tuple[np.ndarray | None, int]:
        """The enrolled template, never the card's portrait: the enrolment was checked by
        staff, the card's portrait says nothing about who is alive today."""
        found = self.personal.found
        return (found.template, found.template_images) if found else (None, 1)

    # -- events ------------------------------------------------------------------------------
    def _tap(self, tap: Tap) -> None:
        if self.step is PensionStep.STAFF_PIN and tap.action == "pin":
            self._staff_pin(tap.value or "")
        else:
            super()._tap(tap)

    def _device(self, event: Event, now: float) -> None:
        news = cast(PensionEvent, event)
        if isinstance(news, (EnrolmentFound, EnrolmentMissing)):
            if self.step is PensionStep.LOOKUP:
                self._inactivity.touch(now)
                self._looked_up(news)
        elif isinstance(news, FaceUpdate) and self.step is PensionStep.ENROL:
            if news.face_present:
                self._inactivity.touch(now)
            self._go(PensionStep.ENROL, challenge=news.challenge, hint=news.hint,
                     remaining_s=news.remaining_s)  # fmt: skip
        elif isinstance(news, FaceFinished) and self.step is PensionStep.ENROL:
            self._inactivity.touch(now)
            self._enrol_face_finished(news)
        elif isinstance(news, Enrolled):
            pending = self.personal.pending
            if self.step is Step.SAVING and pending is not None:
                self._inactivity.touch(now)
                self.personal.pending = None
                self._emit(pending)  # now the result of that first proof of life
        elif isinstance(news, Recorded) and self.personal.pending is not None:
            pass  # not the answer to ``Enrol``: late news
        elif isinstance(news, RecordFailed) and self.step is PensionStep.LOOKUP:
            # The store could not be read: nobody can be verified or enrolled now.
            self._inactivity.touch(now)
            self._go(Step.RESULT, error=news.reason, see_staff=True)
            self._call_staff()
            self._emit(Speak("result_not_saved", reason=news.reason))
        elif isinstance(news, RecordFailed) and self.step is Step.SAVING:
            self.personal.pending = None  # nothing enrolled, so nothing to certify
            super()._device(news, now)
            self._view["see_staff"] = True
        else:
            super()._device(event, now)

    # -- steps ---------------------------------------------------------------------------------
    def _document_read(self, event: DocumentRead) -> None:
        if event.evidence.doc_type not in self.accepted_documents:
            super()._document_read(event)  # refuses it and asks for another
            return
        self.personal.read = event
        self._go(PensionStep.LOOKUP)
        self._emit(LookupEnrolment(event.document.document_number))

    def _looked_up(self, answer: EnrolmentFound | EnrolmentMissing) -> None:
        if isinstance(answer, EnrolmentFound):
            self.personal.found = answer
            self._start_face()  # then the check-in's path: match, decide, record
        elif self.pin_locked():
            self._abandon(reason="UI_PIN_LOCKED")
        else:
            # A first visit needs staff at the kiosk: the kiosk calls them itself, and the
            # wipe waits while they come (the pensioner is not left to find someone).
            self._go(PensionStep.STAFF_PIN)
            self._call_staff()
            self._emit(Speak("first_visit"))

    def _staff_pin(self, pin: str) -> None:
        door = self.staff_gate.try_pin(pin)
        if door is Door.OPEN:
            self._staff_called_at = None  # staff are here: the call is answered
            self._start_enrol_face()
        elif door is Door.LOCKED:
            self._abandon(reason="UI_PIN_LOCKED")
        else:
            self._go(PensionStep.STAFF_PIN, error="UI_PIN_WRONG",
                     pin_attempts_left=self.staff_gate.attempts_left())  # fmt: skip

    def _retry_face(self) -> None:
        if self.personal.found is None:
            self._start_enrol_face()  # a first visit: staff are still there
        else:
            super()._retry_face()

    def _start_enrol_face(self) -> None:
        challenges = tuple(draw_challenges(self.liveness, self.rng))
        self._go(PensionStep.ENROL, challenge=None)  # the first prompt comes after a random wait
        self._emit(Speak("look_at_camera"))
        self._emit(StartFace(challenges))

    def _enrol_face_finished(self, event: FaceFinished) -> None:
        """Decide on the supervised first proof of life; enrol only on a pass.

        The live face is still compared with the card's portrait when the card gave one: a
        rejected match is someone else's card, and staff may not have noticed. Without a
        portrait there is nothing to compare, and the staff member's presence stands in for
        the match, so the decision asks only for EA5- here."""
        read = self.personal.read
        assert read is not None
        self.personal.probe = event.probe
        portrait = read.template
        result: MatchResult | None = None
        if event.liveness.passed and event.probe is not None and portrait is not None:
            mode = mode_for(event.probe_images, 1)
            result = match(event.probe, portrait, self.thresholds(mode))
        supervised = replace(self.policy, require=Assurance.EA5_MINUS)
        verdict = decide(supervised, read.evidence, event.liveness, result)
        if verdict.decision is Decision.PASS and event.probe is None:
            # Live but no usable descriptor: nothing to enrol, so no certificate either.
            verdict = replace(verdict, decision=Decision.REFERRED,
                              reasons=(*verdict.reasons, "IDV_NO_FACE"))  # fmt: skip
        if verdict.decision is Decision.PASS:
            verdict = replace(verdict, reasons=(*verdict.reasons, SUPERVISED))
        self.personal.verdict = verdict
        self._go(Step.SAVING, decision=verdict.decision)
        record = RecordResult(verdict, read.evidence, read.document.document_number,
                              self._started_at, probe_images=event.probe_images)  # fmt: skip
        if verdict.decision is not Decision.PASS or event.probe is None:
            self._emit(record)  # a failed first proof is recorded too; nothing is enrolled
            return
        faces = [event.probe] + ([portrait] if portrait is not None else [])
        # The probe already fuses ``probe_images`` frames: counting it as one image would
        # match later visits at a looser operating point than the template deserves.
        images = max(event.probe_images, 1) + (1 if portrait is not None else 0)
        # Every live capture and the portrait weigh one, as in the measured templates
        # (docs/biometrics.md: 3 captures + portrait, 1.6% false rejects against 2.8% when
        # the portrait weighs as much as all the captures together).
        weights = [float(max(event.probe_images, 1))] + ([1.0] if portrait is not None else [])
        self.personal.pending = record
        self._emit(Enrol(fuse(faces, weights), images, read.document.document_number))

    def _recorded(self, event: Recorded) -> None:
        super()._recorded(event)  # RESULT with the decision, its reasons and the reference
        verdict = self.personal.verdict
        assert verdict is not None
        if verdict.decision is Decision.PASS:
            reference = self._view["reference"]
            assert isinstance(reference, str)
            self._view["certificate"] = self._certificate(reference)
        else:
            self._view["see_staff"] = True  # the base called staff, or offers another try

    def _certificate(self, reference: str) -> LifeCertificate:
        valid_until = add_months(self.today(), self.validity_months)
        next_due = valid_until - dt.timedelta(days=self.remind_days)
        return LifeCertificate(valid_until, next_due, reference)

    def _abandon(self, reason: str | None = None) -> None:
        if self.step is PensionStep.ENROL:
            self._emit(StopFace())
        super()._abandon(reason)

    def _go(self, step: Step | PensionStep, **view: object) -> None:
        self.step = step
        self._view = view

    def _emit(self, command: PensionCommand) -> None:
        # The base's list is typed with the common commands only; the shell gets them all.
        self._out.append(cast(Command, command))
