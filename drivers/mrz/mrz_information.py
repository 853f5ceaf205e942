"""The ``MRZ_information`` that seeds Basic Access Control (ICAO 9303-11, 4.3.2).

It is the document number, the date of birth and the date of expiry, each followed by its
check digit, exactly as printed (fillers included). A document number longer than nine
characters (TD1/TD2 overflow) is used in full, followed by its check digit, as 9303-11
requires. The kiosk gets it either from a parsed MRZ or from three fields a person typed
(the usual "enter your passport number, birth date and expiry" screen).
"""

from __future__ import annotations

import re

from drivers.mrz.check_digit import compute_check_digit
from drivers.mrz.errors import DRV_MRZ_CHARSET, DRV_MRZ_DATE, DRV_MRZ_FIELD, MrzError
from drivers.mrz.parser import MachineReadableZone

_DOCUMENT_NUMBER = re.compile(r"[A-Z0-9<]{1,39}")
_YYMMDD = re.compile(r"[0-9<]{6}")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def mrz_information(mrz: MachineReadableZone) -> str:
    """``MRZ_information`` of a parsed (hence verified) MRZ."""
    return mrz_information_from_fields(
        mrz.document_number, mrz.birth_date_field, mrz.expiry_date_field
    )


def mrz_information_from_fields(document_number: str, birth_date: str, expiry_date: str) -> str:
    """``MRZ_information`` from typed fields: document number (fillers optional, padded to
    nine with '<'), birth date and expiry date as YYMMDD. Check digits are computed here.

    Raises ``MrzError`` naming the field (``DRV_MRZ_CHARSET`` / ``DRV_MRZ_DATE``)."""
    number = "".join(document_number.split()).translate(_ASCII_UPPER)
    if not number.strip("<"):
        raise MrzError("empty", field="document_number", reason=DRV_MRZ_FIELD)
    if not _DOCUMENT_NUMBER.fullmatch(number):
        raise MrzError("only A-Z, 0-9 and '<'", field="document_number", reason=DRV_MRZ_CHARSET)
    number = number.rstrip("<").ljust(9, "<")
    parts = [number, compute_check_digit(number)]
    for field, value in (("birth_date", birth_date), ("expiry_date", expiry_date)):
        if not _YYMMDD.fullmatch(value):
            raise MrzError("six digits YYMMDD", field=field, reason=DRV_MRZ_DATE)
        parts += [value, compute_check_digit(value)]
    return "".join(parts)
