"""Insurance underwriting consent: verify the person, then let them accept or decline.

The verification is the check-in's (``VerificationFlow``), usually at EA5+ (the config's
``[idv.flows.insurance_consent]``): an insurer underwrites on the health records a consent
releases, so only a person the kiosk verified may give it. Once that verification's *pass*
is recorded, the screen shows the terms the shell built from the config (``ConsentTerms``:
the insurer, the data in scope, the purpose, the duration) and the person taps ``accept``
or ``decline``. Either answer becomes a consent record (``RecordConsent``) that the shell
signs and queues like a result, pointing at the verification result it rests on; a decline
is recorded too, so the insurer learns it was asked and refused rather than never asked.

A fail or a referral never reaches the terms. Walking away from the terms (the inactivity
timeout, ``cancel``, ``back``) records nothing: no answer is not a decline.

The events and commands only this flow uses are defined here, not in ``messages.py``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, cast

from drivers.document import DocumentType
from kiosk.flows.messages import Command, Event, Recorded, Speak, Tap
from kiosk.flows.verification import Personal, Step, VerificationFlow, View, reference_code
from kiosk.idv.decision import Decision

ConsentDecision = Literal["accepted", "declined"]
ConsentOutcome = Literal["accepted", "declined", "not_offered"]
"""On the result screen: the person's answer, or ``not_offered`` after a fail/referral."""


class ConsentStep(StrEnum):
    """The screen this flow adds to ``Step`` (which an enum cannot extend)."""

    CONSENT = "consent"


@dataclass(frozen=True, slots=True)
class ConsentTerms:
    """What the person consents to, exactly as the screen shows it and the record signs it.

    Built by the shell from the config; frozen, so the terms shown and the terms recorded
    cannot differ."""

    insurer: str
    data_scope: tuple[str, ...]
    """The data released, e.g. ``("hospital_records", "prescriptions")``."""
    purpose: str
    duration_days: int

    def __post_init__(self) -> None:
        if not self.insurer or not self.purpose or not self.data_scope:
            raise ValueError("consent terms need an insurer, a purpose and a data scope")
        if self.duration_days < 1:
            raise ValueError("a consent lasts at least one day")

    def digest(self) -> bytes:
        """SHA-256 of the terms' canonical JSON (``Consent.scope_hash``): the stored
        consent proves which terms were shown without repeating them."""
        canonical = json.dumps(
            {"insurer": self.insurer, "data_scope": list(self.data_scope),
             "purpose": self.purpose, "duration_days": self.duration_days},
            sort_keys=True, separators=(",", ":"), ensure_ascii=False,
        )  # fmt: skip
        return hashlib.sha256(canonical.encode()).digest()


# -- commands ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, repr=False)
class RecordConsent:
    """Sign and store the person's answer with its outbox row, like a result; answer with
    ``Recorded`` (the consent record's id) or ``RecordFailed``."""

    decision: ConsentDecision
    terms: ConsentTerms
    verification_result_id: str
    """The recorded pass this consent rests on."""
    document_number: str
    """Turned into the pseudonymous ``subject_ref`` by the shell, never stored as is."""
    doc_type: DocumentType
    """With the number, what the ``subject_ref`` is derived from (as for the result)."""

    def __repr__(self) -> str:
        return f"RecordConsent({self.decision}, {self.terms.insurer!r}, <redacted>)"


ConsentCommand = Command | RecordConsent


# -- what the screen shows -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ConsentView(View):
    step: Step | ConsentStep  # type: ignore[assignment]  # the base's steps and this flow's
    terms: ConsentTerms | None = None
    """On the consent screen, and on the result screen after an answer."""
    consent: ConsentOutcome | None = None
    """On the result screen; ``None`` when the answer could not be recorded."""


@dataclass
class ConsentPersonal(Personal):
    """The check-in's personal data plus what ties the answer to this person's pass."""

    verification_id: str | None = None
    answer: ConsentDecision | None = None
    """Set when the person answered; the record is then being (or has been) saved."""

    def clear(self) -> None:
        Personal.clear(self)
        self.verification_id = None
        self.answer = None

    def empty(self) -> bool:
        return Personal.empty(self) and self.verification_id is None and self.answer is None


@dataclass
class ConsentFlow(VerificationFlow):
    terms: ConsentTerms = field(kw_only=True)
    step: Step | ConsentStep = field(default=Step.WELCOME, init=False)  # type: ignore[assignment]
    personal: ConsentPersonal = field(default_factory=ConsentPersonal, init=False)

    # -- the public surface ----------------------------------------------------------------
    def handle(self, event: Event) -> list[ConsentCommand]:  # type: ignore[override]
        return cast(list[ConsentCommand], super().handle(event))

    def view(self) -> ConsentView:
        return ConsentView(step=self.step, language=self.language, countdown=self._countdown(),
                           staff_called=self._staff_called_at is not None,
                           **self._view)  # type: ignore[arg-type]  # fmt: skip

    # -- events ------------------------------------------------------------------------------
    def _tap(self, tap: Tap) -> None:
        if self.step is ConsentStep.CONSENT and tap.action in ("accept", "decline"):
            self._answer("accepted" if tap.action == "accept" else "declined")
        else:
            super()._tap(tap)  # cancel/back from the terms: wiped, nothing recorded

    # -- steps ---------------------------------------------------------------------------------
    def _recorded(self, event: Recorded) -> None:
        verdict = self.personal.verdict
        assert verdict is not None
        answer = self.personal.answer
        if answer is not None:  # the consent record is saved
            self._go(Step.RESULT, decision=verdict.decision, terms=self.terms, consent=answer,
                     reference=reference_code(event.result_id))  # fmt: skip
            reference = reference_code(event.result_id)
            if answer == "accepted":
                self._emit(Speak("consent_accepted", reference=reference))
            else:
                self._emit(Speak("consent_declined", reference=reference))
        elif verdict.decision is Decision.PASS:
            self.personal.verification_id = event.result_id
            self._go(ConsentStep.CONSENT, decision=verdict.decision, terms=self.terms)
            self._emit(Speak("consent_terms"))
        else:
            super()._recorded(event)
            self._view["consent"] = "not_offered"

    def _answer(self, answer: ConsentDecision) -> None:
        read = self.personal.read
        verification_id = self.personal.verification_id
        assert read is not None and verification_id is not None
        self.personal.answer = answer
        self._go(Step.SAVING, decision=Decision.PASS, terms=self.terms)
        number, doc_type = read.document.document_number, read.evidence.doc_type
        self._emit(RecordConsent(answer, self.terms, verification_id, number, doc_type))

    def _go(self, step: Step | ConsentStep, **view: object) -> None:
        self.step = step
        self._view = view

    def _emit(self, command: ConsentCommand) -> None:
        # The base's list is typed with the common commands only; the shell gets them all.
        self._out.append(cast(Command, command))
