"""What flows and their shell say to each other.

Events come from the person (``Tap``), from the devices and verification running in the
shell (``DocumentRead``, ``FaceFinished``...), and from the clock (``Tick``). Commands go to
the shell: start or cancel a device job, record a result, speak a prompt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from drivers.document import IdentityDocument
from kiosk.idv.decision import DocumentEvidence, Verdict
from kiosk.idv.gestures import Gesture
from kiosk.idv.liveness import LivenessReport

if TYPE_CHECKING:
    from kiosk.flows.verification import View


# -- events --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, repr=False)
class Tap:
    """A person pressed ``action`` (``start``, ``back``, ``cancel``, ``retry``, ``done``,
    ``accept``, ``decline``, ``pin``, ``mrz``, ``call_staff``); ``value`` carries e.g. the
    language, a PIN or the typed MRZ fields, so the repr shows only the language."""

    action: str
    value: str | None = None

    def __repr__(self) -> str:
        shown = self.value if self.action == "language" else ("<redacted>" if self.value else None)
        return f"Tap({self.action!r}, {shown!r})"


@dataclass(frozen=True, slots=True)
class Tick:
    """The clock moved (the shell sends one every few hundred ms)."""


@dataclass(frozen=True, slots=True)
class ReadProgress:
    stage: str
    """``waiting`` (no card yet), ``reading``, ``verifying``."""
    fraction: float


@dataclass(frozen=True, slots=True, repr=False)
class DocumentRead:
    document: IdentityDocument
    evidence: DocumentEvidence
    template: np.ndarray | None
    """The chip/card portrait's descriptor, or ``None`` when it has no usable face."""

    def __repr__(self) -> str:
        return f"DocumentRead({self.evidence.doc_type.value}, <redacted>)"


@dataclass(frozen=True, slots=True)
class DocumentFailed:
    reason: str
    """The driver's reason code (``DRV_CARD_REMOVED``, ``DRV_NO_CARD``...)."""


@dataclass(frozen=True, slots=True)
class FaceUpdate:
    """Guidance while the face session runs (several per second)."""

    challenge: Gesture | None
    hint: str | None
    remaining_s: float | None
    face_present: bool


@dataclass(frozen=True, slots=True, repr=False)
class FaceFinished:
    liveness: LivenessReport
    probe: np.ndarray | None
    probe_images: int

    def __repr__(self) -> str:
        return f"FaceFinished(passed={self.liveness.passed}, reason={self.liveness.reason})"


@dataclass(frozen=True, slots=True)
class Recorded:
    result_id: str


@dataclass(frozen=True, slots=True)
class RecordFailed:
    reason: str
    """``STORE_QUOTA_REACHED``, ``STORE_DISK_LOW``, ``SEC_KEY_MISSING``..."""


@dataclass(frozen=True, slots=True)
class ReceiptPrinted:
    """The printer took the whole receipt."""


@dataclass(frozen=True, slots=True)
class PrintFailed:
    reason: str
    """``DRV_PRINTER_NO_PAPER``, ``DRV_PRINTER_UNAVAILABLE``, ``DRV_PRINTER_TIMEOUT``..."""


@dataclass(frozen=True, slots=True)
class AccessKeySet:
    """The chip readers have the key built from the typed details: the read can start."""


@dataclass(frozen=True, slots=True)
class AccessKeyRefused:
    """The typed details cannot make a key; nothing was read."""

    reason: str
    """``DRV_MRZ_FIELD``, ``DRV_MRZ_CHARSET``, ``DRV_MRZ_DATE``."""
    field: str | None
    """The field to correct: ``document_number``, ``birth_date``, ``expiry_date``."""


Event = (
    Tap | Tick | ReadProgress | DocumentRead | DocumentFailed | FaceUpdate | FaceFinished
    | Recorded | RecordFailed | ReceiptPrinted | PrintFailed | AccessKeySet | AccessKeyRefused
)  # fmt: skip


# -- commands --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReadDocument:
    """Wait for a document on any configured reader and read it."""

    after_removal: bool = False
    """First wait until no reader holds a card: after a failed or refused read, the card
    still on the reader is the one that failed, and reading it again and again would only
    repeat the error (and its spoken prompt) until the person takes it away."""


@dataclass(frozen=True, slots=True, repr=False)
class SetAccessKey:
    """The photo page's details the person typed, for the chip readers' BAC key. The shell
    builds the key (ICAO 9303 ``MRZ_information``, check digits computed; the MRZ codec is
    driver code, which the flow does not import) and answers ``AccessKeySet`` or
    ``AccessKeyRefused``. Personal data: the shell keeps the key only in the reader, and drops
    it at ``Wiped``."""

    document_number: str
    birth_date: str
    """YYMMDD, as typed."""
    expiry_date: str

    def __repr__(self) -> str:
        return "SetAccessKey(<redacted>)"


@dataclass(frozen=True, slots=True)
class CancelRead:
    pass


@dataclass(frozen=True, slots=True)
class StartFace:
    challenges: tuple[Gesture, ...]


@dataclass(frozen=True, slots=True)
class StopFace:
    pass


@dataclass(frozen=True, slots=True, repr=False)
class RecordResult:
    """Sign and store the verdict (one transaction with its outbox row and audit entry)."""

    verdict: Verdict
    evidence: DocumentEvidence | None
    document_number: str | None
    """Turned into the pseudonymous ``subject_ref`` by the shell, never stored as is (but
    for a passed hospital check-in, in the message to the hospital's own system)."""
    started_at: float
    probe_images: int = 1
    issuing_state: str | None = None
    """An ICAO document's issuing state (alpha-3): with the number, the passport's identity
    in the hospital system's message."""

    def __repr__(self) -> str:
        return f"RecordResult({self.verdict.decision.value}, <redacted>)"


@dataclass(frozen=True, slots=True)
class Speak:
    prompt: str
    """A prompt id (kiosk/reasons/prompts.py); the shell says it in the current language.
    Always a literal at the call site, so a test can check that each one has words."""
    reason: str | None = None
    """A reason code whose spoken line fills the prompt's ``{reason}``."""
    reference: str | None = None
    """The result's reference code, spelled out in the prompt's ``{reference}``."""


@dataclass(frozen=True, slots=True)
class PrintReceipt:
    """Print a receipt of the result on screen. Carries the screen's view (which holds
    nothing personal): the shell builds the receipt from it at once, before any wipe, and
    keeps nothing of it once the printer has it (``kiosk/receipts.py``); answer with
    ``ReceiptPrinted`` or ``PrintFailed``."""

    view: View


@dataclass(frozen=True, slots=True)
class CallStaff:
    """The person asked for staff (or the flow did, at a first visit): the shell writes
    the audit entry, which the health daemon forwards to the site as an MQTT event.
    Carries the screen only: where the person is stuck, never who they are."""

    screen: str
    reason: str | None = None
    """The reason code on screen when the call was made, if any."""


@dataclass(frozen=True, slots=True)
class Wiped:
    """Everything personal of the session was dropped: the shell drops its copies too
    (preview frames, decoded portraits)."""


Command = (
    ReadDocument | SetAccessKey | CancelRead | StartFace | StopFace | RecordResult | Speak
    | PrintReceipt | CallStaff | Wiped
)  # fmt: skip
