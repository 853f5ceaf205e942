"""What every document reader hands to the kiosk: an ``IdentityDocument``.

Readers differ (SAM serial ID card, PC/SC ePassport, MRZ swipe); the kiosk only sees
this shape. It holds personal data: it lives in memory for one flow and is never logged
(``__repr__`` is redacted on purpose).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable


class DocumentType(StrEnum):
    CN_RESIDENT_ID = "cn_resident_id"  # China 2nd-generation resident ID card (GA 467 SAM)
    ICAO_TD3 = "icao_td3"  # passport booklet
    ICAO_TD1 = "icao_td1"  # ID card format
    ICAO_TD2 = "icao_td2"


class ChipAuthentication(StrEnum):
    """Passive-authentication outcome. ``NOT_APPLICABLE`` for documents without a chip
    signature the kiosk can check (SAM cards are authenticated by the SAM itself)."""

    PASSED = "passed"
    FAILED = "failed"
    UNKNOWN_CSCA = "unknown_csca"
    NOT_APPLICABLE = "not_applicable"


class ActiveAuthentication(StrEnum):
    """Active Authentication outcome (ICAO 9303-11 6.1: the chip signs a challenge with the
    key whose public half is in DG15, which a copy of the data cannot do). ``NOT_SUPPORTED``:
    the chip has no DG15; ``NOT_APPLICABLE``: a document without such a chip (SAM cards).
    A failure never reaches a document: the reader refuses the read
    (``DRV_EMRTD_CLONE_SUSPECTED`` or a more precise code)."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_SUPPORTED = "not_supported"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, repr=False)
class IdentityDocument:
    doc_type: DocumentType
    document_number: str
    name: str
    sex: str  # "M", "F", "X" or "" when unknown
    birth_date: dt.date | None
    nationality: str  # ISO 3166 alpha-3 or, for CN cards, the ethnic-group code label
    issuer: str
    valid_from: dt.date | None
    valid_until: dt.date | None  # None: no expiry (长期)
    portrait: bytes = b""  # encoded image (JPEG/JPEG2000) or vendor blob (WLT)
    portrait_format: str = ""  # "jpeg", "jp2", "wlt", ""
    chip_authentication: ChipAuthentication = ChipAuthentication.NOT_APPLICABLE
    """Passive authentication: the data is what the issuing state signed."""
    extra: dict[str, str] = field(default_factory=dict)
    active_authentication: ActiveAuthentication = ActiveAuthentication.NOT_APPLICABLE
    """Active Authentication: the chip is the one the state issued, not a copy. Beside
    ``chip_authentication``; ``extra["active_authentication_algorithm"]`` names how."""

    def __repr__(self) -> str:  # never leak personal data through a log or traceback
        return f"IdentityDocument(doc_type={self.doc_type.value}, <redacted>)"

    __str__ = __repr__


@runtime_checkable
class DocumentReader(Protocol):
    """One reader of identity documents. Implementations raise ``drivers.errors`` types."""

    name: str

    def open(self) -> None: ...

    def close(self) -> None: ...

    def card_present(self) -> bool: ...

    def read(self) -> IdentityDocument: ...
