"""The check-in message for the hospital information system: an HL7 FHIR R4 transaction
``Bundle`` of the ``Patient`` (by identifier only) and an ``Encounter`` with status
``arrived``, carrying the verification's reference and assurance level.

Why a transaction Bundle: the HIS's FHIR endpoint takes it as one unit. The Patient entry is
a conditional create (``ifNoneExist`` on the identifier), so the registration desk's own
record of the person is found, never duplicated; the Encounter refers to it by its
``urn:uuid`` full URL, which the server resolves inside the transaction.

Why so little: the desk needs to know that *this* patient has arrived and how well their
identity was checked. The name, birth date and photo stay on the card and at the desk. The
identifier is personal data, and this message is the one thing that carries it off the
device, to one configured endpoint inside the site (docs/security.md, "What never leaves
the device").

Built and checked with ``fhir.resources`` (its R4B models: R4B is the R4-compatible
release of the FHIR specification, and the resources used here are unchanged from R4).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from drivers.document import DocumentType
from kiosk.config.schema import HisConfig
from kiosk.errors import ReasonError

VERIFICATION_REFERENCE_SYSTEM = "urn:bdmi:verification-reference"
"""The system of the Encounter identifier that carries the kiosk's reference (the code the
person sees on screen and on the receipt), so a clerk can match the two."""
VERIFICATION_RESULT_SYSTEM = "urn:bdmi:verification-result"
"""The signed result's id: what the relying party looks up on the chain gateway."""
ASSURANCE_EXTENSION = "urn:bdmi:fhir:StructureDefinition:identity-assurance"
"""The assurance level of the identity check (``EA5+``/``EA5-``, docs/biometrics.md)."""
ENCOUNTER_CLASS = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
    "code": "AMB",
    "display": "ambulatory",
}
MAX_BUNDLE_BYTES = 16 * 1024
"""Far above a real check-in (about 1.5 KB); a body larger than this is a bug, not data."""


class HisMessageError(ReasonError):
    """A check-in message that cannot be built (a bad config value, an empty identifier)."""


@dataclass(frozen=True, slots=True, repr=False)
class CheckIn:
    """What the HIS is told about one passed check-in. ``identifier`` is personal data."""

    identifier_system: str
    identifier: str
    reference: str
    result_id: str
    assurance: str
    arrived_at: dt.datetime
    site: str

    def __repr__(self) -> str:  # never the identifier, in a log or a traceback
        return f"CheckIn(reference={self.reference}, site={self.site}, <identifier redacted>)"


def identifier_system(his: HisConfig, doc_type: DocumentType, issuing_state: str | None) -> str:
    """The HIS's system for this document's number: the hospital names the resident-ID
    one; a passport's is per issuing state (numbers repeat across states)."""
    if doc_type is DocumentType.CN_RESIDENT_ID:
        return his.resident_id_system
    state = (issuing_state or "").strip().upper()
    if not (len(state) == 3 and state.isalpha()):
        raise HisMessageError("no issuing state for the passport", reason="HIS_MESSAGE_INVALID")
    return his.passport_system.replace("{state}", state)


def checkin_bundle(checkin: CheckIn) -> bytes:
    """The transaction Bundle as UTF-8 JSON, validated by the FHIR models first."""
    if not checkin.identifier.strip() or not checkin.identifier_system.strip():
        raise HisMessageError("no patient identifier for the HIS", reason="HIS_MESSAGE_INVALID")
    if checkin.arrived_at.tzinfo is None:
        raise HisMessageError("arrival time without a time zone", reason="HIS_MESSAGE_INVALID")
    patient_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'patient:' + checkin.result_id)}"
    encounter_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'encounter:' + checkin.result_id)}"
    identifier = {"system": checkin.identifier_system, "value": checkin.identifier}
    document = {
        "resourceType": "Bundle",
        "type": "transaction",
        "timestamp": checkin.arrived_at.isoformat(timespec="seconds"),
        "entry": [
            {
                "fullUrl": patient_url,
                "resource": {"resourceType": "Patient", "identifier": [identifier]},
                "request": {
                    "method": "POST",
                    "url": "Patient",
                    "ifNoneExist": f"identifier={checkin.identifier_system}|{checkin.identifier}",
                },
            },
            {
                "fullUrl": encounter_url,
                "resource": {
                    "resourceType": "Encounter",
                    "status": "arrived",
                    "class": ENCOUNTER_CLASS,
                    "identifier": [
                        {"system": VERIFICATION_REFERENCE_SYSTEM, "value": checkin.reference},
                        {"system": VERIFICATION_RESULT_SYSTEM, "value": checkin.result_id},
                    ],
                    "subject": {"reference": patient_url},
                    "period": {"start": checkin.arrived_at.isoformat(timespec="seconds")},
                    "extension": [
                        {"url": ASSURANCE_EXTENSION, "valueCode": checkin.assurance},
                    ],
                    "meta": {"tag": [{"system": "urn:bdmi:site", "code": checkin.site}]},
                },
                "request": {"method": "POST", "url": "Encounter"},
            },
        ],
    }
    try:
        bundle = Bundle.model_validate(document)
    except ValidationError as exc:
        # The message names the fields only: pydantic's own text would quote the values.
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})
        raise HisMessageError(
            f"check-in Bundle does not validate: {', '.join(fields)}", reason="HIS_MESSAGE_INVALID"
        ) from None
    body = bundle.model_dump_json(by_alias=True, exclude_none=True).encode("utf-8")
    if len(body) > MAX_BUNDLE_BYTES:
        raise HisMessageError(f"check-in Bundle of {len(body)} bytes", reason="HIS_MESSAGE_INVALID")
    return body


def parse_checkin_bundle(body: bytes) -> Bundle:
    """Read a check-in Bundle back (the test HIS and ``kioskctl``): bounded, validated."""
    if len(body) > MAX_BUNDLE_BYTES:
        raise HisMessageError(f"Bundle of {len(body)} bytes", reason="HIS_MESSAGE_INVALID")
    try:
        return Bundle.model_validate_json(body)
    except (ValidationError, ValueError):
        raise HisMessageError("not a FHIR R4 Bundle", reason="HIS_MESSAGE_INVALID") from None
