"""From evidence to a decision and an assurance level, with reason codes.

Assurance levels (the 2018 terminal's scale, kept because relying parties contract on it):

- **EA5+**: a chip-verified document (ICAO passive authentication passed, or a resident ID
  card authenticated by the reader's SAM), a face match against the document portrait or
  an enrolled template, and liveness;
- **EA5-**: a document that was read, and liveness, without a face match.

Each flow states the level it needs (``[idv.flows.<flow>]``). Outcomes are ``pass``,
``fail`` and ``referred`` (a member of staff decides); every outcome carries the reasons
that produced it, in the order they were found, so the screen and the signed result say
the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from drivers.document import ChipAuthentication, DocumentType
from kiosk.idv.liveness import LivenessReport
from kiosk.idv.matching import MatchResult, MatchZone


class Assurance(StrEnum):
    EA5_PLUS = "EA5+"
    EA5_MINUS = "EA5-"
    NONE = "none"


class Decision(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    REFERRED = "referred"


@dataclass(frozen=True, slots=True)
class DocumentEvidence:
    """What the kiosk knows about the document; never its number or the holder's name."""

    doc_type: DocumentType
    chip_authentication: ChipAuthentication
    sam_authenticated: bool = False
    """A resident ID card read through the SAM passed the card-SAM mutual authentication."""
    expired: bool = False

    @property
    def chip_verified(self) -> bool:
        if self.doc_type is DocumentType.CN_RESIDENT_ID:
            return self.sam_authenticated
        return self.chip_authentication is ChipAuthentication.PASSED


@dataclass(frozen=True, slots=True)
class FlowPolicy:
    """What one flow requires. ``require`` EA5+ makes a missing or grey-zone match a
    referral rather than a pass at a lower level."""

    require: Assurance = Assurance.EA5_PLUS
    refuse_expired_documents: bool = True


@dataclass(frozen=True, slots=True)
class Verdict:
    decision: Decision
    assurance: Assurance
    reasons: tuple[str, ...]
    match: MatchResult | None = None
    liveness: LivenessReport | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "decision": self.decision.value,
            "assurance": self.assurance.value,
            "reasons": list(self.reasons),
            "match": self.match.as_dict() if self.match else None,
            "liveness": self.liveness.as_dict() if self.liveness else None,
        }


@dataclass
class _Reasons:
    items: list[str] = field(default_factory=list)

    def add(self, code: str) -> None:
        if code not in self.items:
            self.items.append(code)


def decide(
    policy: FlowPolicy,
    document: DocumentEvidence,
    liveness: LivenessReport,
    match: MatchResult | None,
    *,
    passive_spoof_score: float | None = None,
    passive_spoof_threshold: float | None = None,
) -> Verdict:
    reasons = _Reasons()
    # Hard failures first: no live person, no verdict on anything else.
    if not liveness.passed:
        reasons.add(liveness.reason or "IDV_LIVENESS_FAILED")
        return Verdict(Decision.FAIL, Assurance.NONE, tuple(reasons.items), match, liveness)
    if (
        passive_spoof_score is not None
        and passive_spoof_threshold is not None
        and passive_spoof_score < passive_spoof_threshold
    ):
        reasons.add("IDV_PASSIVE_SPOOF")
        return Verdict(Decision.FAIL, Assurance.NONE, tuple(reasons.items), match, liveness)
    reasons.add("IDV_LIVENESS_PASSED")

    decision = Decision.PASS
    if document.chip_authentication is ChipAuthentication.FAILED:
        reasons.add("IDV_DOCUMENT_NOT_AUTHENTIC")
        decision = Decision.REFERRED
    if document.expired and policy.refuse_expired_documents:
        reasons.add("IDV_DOCUMENT_EXPIRED")
        decision = Decision.REFERRED

    if match is not None:
        reasons.add(match.reason)
        if match.zone is MatchZone.REJECT:
            return Verdict(Decision.FAIL, Assurance.NONE, tuple(reasons.items), match, liveness)
        if match.zone is MatchZone.REFER:
            decision = Decision.REFERRED
    else:
        reasons.add("IDV_NO_REFERENCE_FACE")

    matched = match is not None and match.zone is MatchZone.ACCEPT
    if matched and document.chip_verified:
        assurance = Assurance.EA5_PLUS
    else:
        assurance = Assurance.EA5_MINUS
        if not document.chip_verified:
            reasons.add("IDV_DOCUMENT_NOT_CHIP_VERIFIED")
    if policy.require is Assurance.EA5_PLUS and assurance is not Assurance.EA5_PLUS:
        reasons.add("IDV_ASSURANCE_INSUFFICIENT")
        if decision is Decision.PASS:
            decision = Decision.REFERRED
    return Verdict(decision, assurance, tuple(reasons.items), match, liveness)
