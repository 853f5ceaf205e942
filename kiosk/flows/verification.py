"""The common path of every flow: document, face with liveness, match, decision, record.

``VerificationFlow`` is the hospital check-in as it stands; the pension and consent flows
extend it where they differ (the reference face, what happens after the verdict). Steps are
named like the UI's screens, because the UI shows exactly one screen per step.

Personal data (the document, the portrait's and the live face's descriptors, the verdict)
lives only in ``self.personal`` and is dropped by ``wipe()``, which every way back to the
welcome screen goes through; ``holds_personal_data()`` lets a test prove it.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from drivers.document import DocumentType
from kiosk.flows.inactivity import Inactivity
from kiosk.flows.messages import (
    AccessKeyRefused,
    AccessKeySet,
    CallStaff,
    CancelRead,
    Command,
    DocumentFailed,
    DocumentRead,
    Event,
    FaceFinished,
    FaceUpdate,
    PrintFailed,
    PrintReceipt,
    ReadDocument,
    ReadProgress,
    ReceiptPrinted,
    Recorded,
    RecordFailed,
    RecordResult,
    SetAccessKey,
    Speak,
    StartFace,
    StopFace,
    Tap,
    Tick,
    Wiped,
)
from kiosk.idv.decision import Decision, FlowPolicy, Verdict, decide
from kiosk.idv.gestures import Gesture
from kiosk.idv.liveness import LivenessPolicy, draw_challenges
from kiosk.idv.matching import MatchMode, MatchResult, MatchThresholds, match, mode_for
from kiosk.reasons import explaining, retryable


class Step(StrEnum):
    WELCOME = "welcome"
    PRESENT_DOCUMENT = "present_document"
    MRZ_ENTRY = "mrz_entry"
    """A passport or eID chip is on the reader and the kiosk needs its BAC key: the person
    types the document number and the two dates from the data page."""
    READING = "reading"
    FACE = "face"
    SAVING = "saving"
    RESULT = "result"


@dataclass
class Personal:
    """Everything personal the session holds; ``None`` everywhere after ``wipe``."""

    read: DocumentRead | None = None
    probe: np.ndarray | None = None
    verdict: Verdict | None = None

    def clear(self) -> None:
        self.read = None
        self.probe = None
        self.verdict = None

    def empty(self) -> bool:
        return self.read is None and self.probe is None and self.verdict is None


@dataclass(frozen=True, slots=True)
class View:
    """What the screen shows: never a name, a number or a face."""

    step: Step
    language: str
    progress: float | None = None
    read_stage: str | None = None
    error: str | None = None
    """A reason code for the person (wrong card, card removed, could not save...)."""
    challenge: Gesture | None = None
    hint: str | None = None
    remaining_s: float | None = None
    countdown: int | None = None
    """Seconds before the inactivity wipe, while the warning shows."""
    decision: Decision | None = None
    reasons: tuple[str, ...] = ()
    reference: str | None = None
    field: str | None = None
    """On the MRZ entry: the field an error names (``document_number``, ``birth_date``...)."""
    receipt: str | None = None
    """On the result: ``printing``, ``printed`` or ``failed`` once the person asked for a
    receipt (``receipt_error`` says why it failed)."""
    receipt_error: str | None = None
    staff_called: bool = False
    """A call for staff is pending: the screen says so, and the wipe waits for them."""
    reason: str | None = None
    """On a result that did not pass: the code that says why (kiosk/reasons words it)."""
    retryable: bool = False
    """On the result: "Try again" is offered (a retryable failure, tries left)."""


CHIP_DOCUMENTS = frozenset({DocumentType.ICAO_TD3, DocumentType.ICAO_TD1, DocumentType.ICAO_TD2})
NO_ACCESS_KEY = "DRV_EMRTD_NO_ACCESS_KEY"
ACCESS_DENIED = "DRV_EMRTD_BAC_DENIED"
"""The reader's codes for "no BAC key yet" and "the chip refused the key" (drivers.emrtd)."""


def reference_code(result_id: str) -> str:
    """A short code a person can read to a clerk: 8 characters of Crockford base32 of the
    result id's hash, grouped 4-4 (no 0/O, 1/I/L confusion). Not a secret: it names a
    record the relying party can look up by its result id."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    digest = int.from_bytes(hashlib.sha256(result_id.encode()).digest()[:5])
    chars = [alphabet[(digest >> (5 * i)) & 31] for i in range(8)]
    return "".join(chars[:4]) + "-" + "".join(chars[4:])


@dataclass
class VerificationFlow:
    name: str
    policy: FlowPolicy
    thresholds: Callable[[MatchMode], MatchThresholds]
    """The operating point for a fusion mode (``kiosk.idv.matching.thresholds_for``)."""
    liveness: LivenessPolicy
    clock: Callable[[], float]
    inactivity_s: float = 60.0
    inactivity_warning_s: float = 30.0
    """The last part of either limit, in which "Are you still there?" waits for a tap."""
    result_display_s: float = 60.0
    """How long an untouched result stays (``ui.result_display_s``); Done ends it at once."""
    staff_call_hold_s: float = 180.0
    """How long a call for staff holds the wipe off: long enough to walk to the kiosk."""
    retries: int = 2
    """"Try again" after a retryable failure, this many times a session; then staff."""
    accepted_documents: frozenset[DocumentType] = frozenset(DocumentType)
    language: str = "zh_CN"
    rng: random.Random = field(default_factory=random.Random)
    step: Step = field(default=Step.WELCOME, init=False)
    personal: Personal = field(default_factory=Personal, init=False)
    _started_at: float = field(default=0.0, init=False)
    _failed_reads: int = field(default=0, init=False)
    """Failed reads in a row in this session (not personal: a count)."""
    _retries_used: int = field(default=0, init=False)
    """Face checks tried again in this session."""
    _inactivity: Inactivity = field(init=False)
    _staff_called_at: float | None = field(default=None, init=False)
    """When the pending call for staff was made (the clock's time), else ``None``."""
    _view: dict[str, object] = field(default_factory=dict, init=False)
    _out: list[Command] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self._inactivity = Inactivity(self.inactivity_s, self.inactivity_warning_s)

    # -- the public surface ----------------------------------------------------------------
    def handle(self, event: Event) -> list[Command]:
        """Apply one event; return the commands for the shell, in order."""
        self._out = []
        now = self.clock()
        if isinstance(event, Tap):
            self._inactivity.touch(now)
            self._tap(event)
        elif isinstance(event, Tick):
            self._tick(now)
        else:
            self._device(event, now)
        return self._out

    def view(self) -> View:
        return View(step=self.step, language=self.language, countdown=self._countdown(),
                    staff_called=self._staff_called_at is not None,
                    **self._view)  # type: ignore[arg-type]  # fmt: skip

    def _countdown(self) -> int | None:
        """The "still there?" seconds; none while staff are on their way."""
        if self.step is Step.WELCOME or self._staff_called_at is not None:
            return None
        return self._inactivity.warning(self.clock())

    def holds_personal_data(self) -> bool:
        return not self.personal.empty()

    # -- events ------------------------------------------------------------------------------
    def _tap(self, tap: Tap) -> None:
        action = tap.action
        if action == "language" and tap.value:
            self.language = tap.value
            return
        if action == "continue":  # the countdown's button: the touch above was the point
            return
        if action == "call_staff":
            if self._call_staff():
                self._emit(Speak("staff_called"))
            return
        if action in ("cancel", "back") and self.step is not Step.WELCOME:
            self._abandon()
            return
        if self.step is Step.WELCOME and action == "start":
            self._begin()
        elif self.step is Step.MRZ_ENTRY and action == "mrz":
            self._mrz_entered(tap.value or "")
        elif self.step is Step.RESULT and action == "done":
            self._abandon()
        elif self.step is Step.RESULT and action == "retry" and self._view.get("retryable"):
            self._retries_used += 1
            self.personal.probe = None
            self.personal.verdict = None
            self._retry_face()
        elif self.step is Step.RESULT and action == "print":
            self._print_receipt()

    def _tick(self, now: float) -> None:
        if self._staff_called_at is not None:
            if now - self._staff_called_at < self.staff_call_hold_s:
                return  # staff are on their way: nothing is wiped meanwhile
            # Nobody came: the call lapses, and the person gets the full time again
            # (with the "still there?" warning) rather than an instant wipe.
            self._staff_called_at = None
            self._inactivity.touch(now)
        if self.step is Step.WELCOME:
            return
        limit = self.result_display_s if self.step is Step.RESULT else self.inactivity_s
        self._inactivity.timeout_s = limit
        self._inactivity.warn_s = self.inactivity_warning_s
        if self._inactivity.expired(now):
            self._abandon(reason="UI_TIMEOUT")

    def _device(self, event: Event, now: float) -> None:
        if isinstance(event, (AccessKeySet, AccessKeyRefused)) and self.step is Step.MRZ_ENTRY:
            self._inactivity.touch(now)
            self._access_key_answered(event)
            return
        if isinstance(event, ReadProgress) and self.step in (Step.PRESENT_DOCUMENT, Step.READING):
            if event.stage != "waiting":
                self._inactivity.touch(now)
                self._go(Step.READING, progress=event.fraction, read_stage=event.stage)
        elif isinstance(event, DocumentFailed) and self.step in (
            Step.PRESENT_DOCUMENT,
            Step.READING,
        ):
            self._inactivity.touch(now)
            self._document_failed(event.reason)
        elif isinstance(event, DocumentRead) and self.step in (
            Step.PRESENT_DOCUMENT,
            Step.READING,
        ):
            self._inactivity.touch(now)
            self._document_read(event)
        elif isinstance(event, FaceUpdate) and self.step is Step.FACE:
            if event.face_present:
                self._inactivity.touch(now)
            self._go(Step.FACE, challenge=event.challenge, hint=event.hint,
                     remaining_s=event.remaining_s)  # fmt: skip
        elif isinstance(event, FaceFinished) and self.step is Step.FACE:
            self._face_finished(event)
        elif isinstance(event, Recorded) and self.step is Step.SAVING:
            self._inactivity.touch(now)
            self._recorded(event)
        elif isinstance(event, RecordFailed) and self.step is Step.SAVING:
            self._inactivity.touch(now)
            verdict = self.personal.verdict
            self._go(Step.RESULT, decision=verdict.decision if verdict else None,
                     error=event.reason)  # fmt: skip
            self._call_staff()
            self._emit(Speak("result_not_saved", reason=event.reason))
        elif (
            isinstance(event, (ReceiptPrinted, PrintFailed))
            and self.step is Step.RESULT
            and self._view.get("receipt") == "printing"
        ):
            self._inactivity.touch(now)  # the person is reading or tearing it off
            reason = event.reason if isinstance(event, PrintFailed) else None
            self._view["receipt"] = "printed" if reason is None else "failed"
            self._view["receipt_error"] = reason
            if reason is not None:
                self._emit(Speak("say_reason", reason=reason))
        # Anything else is late news from a job the flow has moved past: ignored.

    # -- steps ---------------------------------------------------------------------------------
    def _call_staff(self) -> bool:
        """Once per pending call: a second tap neither audits nor alerts the site again.
        The caller says what fits the moment; False when a call was already pending."""
        if self._staff_called_at is not None:
            return False
        self._staff_called_at = self.clock()
        shown = self._view.get("error") or self._view.get("reason")
        self._emit(
            CallStaff(screen=str(self.step), reason=shown if isinstance(shown, str) else None)
        )
        return True

    def _begin(self) -> None:
        self._failed_reads = 0
        self._retries_used = 0
        self._started_at = self.clock()
        self._inactivity.touch(self._started_at)
        self._go(Step.PRESENT_DOCUMENT)
        self._emit(Speak("present_document"))
        self._emit(ReadDocument())

    def _document_failed(self, reason: str) -> None:
        chips = self.accepted_documents & CHIP_DOCUMENTS
        if reason == NO_ACCESS_KEY and chips:
            # A chip the kiosk has no key for: ask for the data page's three fields; the
            # chip stays on the reader meanwhile, and is read as soon as they are typed.
            self._go(Step.MRZ_ENTRY)
            self._emit(Speak("enter_mrz"))
        elif reason == NO_ACCESS_KEY:
            self._go(Step.PRESENT_DOCUMENT, error="UI_DOCUMENT_NOT_ACCEPTED")
            self._emit(Speak("document_not_accepted"))
            self._emit(ReadDocument(after_removal=True))
        elif reason == ACCESS_DENIED and chips:
            # The typed data does not open the chip: a typo, most likely. Ask again.
            self._go(Step.MRZ_ENTRY, error=reason)
            self._emit(Speak("check_mrz"))
        else:
            # The first failure is read again at once (line noise, a chip slow under load, a
            # card that was only lifted); a card that fails twice in a row is not read a
            # third time until it has left the reader (a transit card on the ID reader).
            # A reader fault, or a card that failed more often than the tries allowed, also
            # calls staff; the kiosk keeps waiting for a card meanwhile.
            self._failed_reads += 1
            self._go(Step.PRESENT_DOCUMENT, error=reason)
            if not retryable((reason,)) or self._failed_reads > self.retries + 1:
                self._call_staff()
            self._emit(Speak("document_failed", reason=reason))
            self._emit(ReadDocument(after_removal=self._failed_reads > 1))

    def _mrz_entered(self, value: str) -> None:
        """The typed details go to the shell, which builds the key; the read starts when it
        answers ``AccessKeySet`` (the screen stays on the entry until then)."""
        number, _, dates = value.partition("|")
        birth, _, expiry = dates.partition("|")
        self._emit(SetAccessKey(number, birth, expiry))

    def _access_key_answered(self, event: AccessKeySet | AccessKeyRefused) -> None:
        if isinstance(event, AccessKeyRefused):
            self._go(Step.MRZ_ENTRY, error=event.reason, field=event.field)
            self._emit(Speak("say_reason", reason=event.reason))
            return
        self._go(Step.READING, progress=0.1, read_stage="waiting")
        self._emit(ReadDocument())

    def _document_read(self, event: DocumentRead) -> None:
        if event.evidence.doc_type not in self.accepted_documents:
            self._go(Step.PRESENT_DOCUMENT, error="UI_DOCUMENT_NOT_ACCEPTED")
            self._emit(Speak("document_not_accepted"))
            self._emit(ReadDocument(after_removal=True))
            return
        self.personal.read = event
        self._start_face()

    def _retry_face(self) -> None:
        """Another face check against the same document (the pension flow's enrolment
        goes back to its own supervised step)."""
        self._start_face()

    def _start_face(self) -> None:
        challenges = tuple(draw_challenges(self.liveness, self.rng))
        # No prompt yet: the first appears after the session's random wait.
        self._go(Step.FACE, challenge=None)
        self._emit(Speak("look_at_camera"))
        self._emit(StartFace(challenges))

    def reference_face(self) -> tuple[np.ndarray | None, int]:
        """The face to compare with and how many images it fuses: the document's portrait
        here; the pension flow's enrolled template there."""
        read = self.personal.read
        return (read.template if read else None), 1

    def _face_finished(self, event: FaceFinished) -> None:
        read = self.personal.read
        assert read is not None
        self.personal.probe = event.probe
        template, template_images = self.reference_face()
        result: MatchResult | None = None
        if event.liveness.passed and event.probe is not None and template is not None:
            mode = mode_for(event.probe_images, template_images)
            result = match(event.probe, template, self.thresholds(mode))
        verdict = decide(self.policy, read.evidence, event.liveness, result)
        self.personal.verdict = verdict
        self._go(Step.SAVING, decision=verdict.decision)
        self._emit(
            RecordResult(
                verdict, read.evidence, read.document.document_number, self._started_at,
                probe_images=event.probe_images,
                issuing_state=(read.document.issuer
                               if read.document.doc_type is not DocumentType.CN_RESIDENT_ID
                               else None),
            )
        )  # fmt: skip

    def _recorded(self, event: Recorded) -> None:
        verdict = self.personal.verdict
        assert verdict is not None
        reference = reference_code(event.result_id)
        if verdict.decision is Decision.PASS:
            self._go(Step.RESULT, decision=verdict.decision, reasons=verdict.reasons,
                     reference=reference)  # fmt: skip
            self._emit(Speak("result_pass", reference=reference))
            return
        # Every result is recorded (and so audited) before anything else: a retry is a new
        # attempt, never an overwrite. A face that does not match its document, a referral,
        # or the last try used up go to staff, who are called at once.
        why = explaining(verdict.reasons)
        again = (verdict.decision is Decision.FAIL and retryable(verdict.reasons)
                 and self._retries_used < self.retries)  # fmt: skip
        self._go(Step.RESULT, decision=verdict.decision, reasons=verdict.reasons,
                 reference=reference, reason=why, retryable=again)  # fmt: skip
        if again:
            self._emit(Speak("result_retry", reason=why))
        else:
            self._call_staff()
            self._emit(Speak("result_fail", reason=why, reference=reference))

    def _print_receipt(self) -> None:
        """A receipt of a recorded pass, once: again only after a failed print (a new roll,
        the cable back). Never of a failure or of a result that could not be saved."""
        if self._view.get("receipt") in ("printing", "printed"):
            return
        view = self._view
        recorded_pass = view.get("decision") is Decision.PASS and view.get("reference")
        if not recorded_pass or view.get("error"):
            return
        self._view["receipt"], self._view["receipt_error"] = "printing", None
        self._emit(PrintReceipt(self.view()))

    def _abandon(self, reason: str | None = None) -> None:
        """Back to welcome from anywhere: cancel the running job, wipe, forget."""
        if self.step in (Step.PRESENT_DOCUMENT, Step.MRZ_ENTRY, Step.READING):
            self._emit(CancelRead())
        elif self.step is Step.FACE:
            self._emit(StopFace())
        self.personal.clear()
        self._staff_called_at = None
        self._go(Step.WELCOME, error=reason)
        self._emit(Wiped())

    # -- helpers -------------------------------------------------------------------------------
    def _go(self, step: Step, **view: object) -> None:
        self.step = step
        self._view = view

    def _emit(self, command: Command) -> None:
        self._out.append(command)
