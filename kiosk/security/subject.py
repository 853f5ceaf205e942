"""Pseudonymous subject references: the only trace of a person that leaves the device.

``subject_ref`` = HMAC-SHA256 of the document's type and number under the **site key**
(``security.site_key_file``). The same person gets the same reference at every kiosk of a
site (so a pension office can see that a pensioner proved life this year), no reference can
be turned back into a number without the key, and two sites' references cannot be joined.
The document type is part of the input because a passport number and an ID-card number can
coincide.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from pathlib import Path

from kiosk.security.errors import SecurityError


def read_site_key(path: Path) -> bytes:
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError as exc:
        raise SecurityError(
            f"site key {path} does not exist", reason="SEC_SITE_KEY_MISSING"
        ) from exc
    if len(key) < 32:
        raise SecurityError(f"site key {path} is shorter than 32 bytes", reason="SEC_SITE_KEY_WEAK")
    return key


def subject_ref(site_key: bytes, doc_type: str, document_number: str) -> str:
    """64 hex characters. Numbers are normalised (NFKC, upper case, no spaces or filler
    ``<``) so a typed MRZ and a chip read give the same reference."""
    number = unicodedata.normalize("NFKC", document_number).upper()
    number = "".join(ch for ch in number if ch not in " <-")
    if not number:
        raise SecurityError("empty document number", reason="SEC_SUBJECT_EMPTY")
    message = f"{doc_type}:{number}".encode()
    return hmac.new(site_key, message, hashlib.sha256).hexdigest()
