"""Machine readable zone (ICAO 9303 parts 3-6): normalisation, parsing with every check
digit, the BAC ``MRZ_information``, and line assembly for serial swipe readers.

All of it is pure (no I/O) except ``swipe.SerialSwipeReader``, the thin pyserial transport.
"""

from drivers.mrz.check_digit import compute_check_digit
from drivers.mrz.errors import (
    DRV_MRZ_CHARSET,
    DRV_MRZ_CHECK_DIGIT,
    DRV_MRZ_DATE,
    DRV_MRZ_FIELD,
    DRV_MRZ_FORMAT,
    MrzCheckDigitError,
    MrzError,
)
from drivers.mrz.mrz_information import mrz_information, mrz_information_from_fields
from drivers.mrz.normalise import normalise_mrz_text
from drivers.mrz.parser import MachineReadableZone, MrzFormat, OcrCorrection, parse_mrz
from drivers.mrz.swipe import MrzLineAssembler, SerialSwipeReader

__all__ = [
    "DRV_MRZ_CHARSET",
    "DRV_MRZ_CHECK_DIGIT",
    "DRV_MRZ_DATE",
    "DRV_MRZ_FIELD",
    "DRV_MRZ_FORMAT",
    "MachineReadableZone",
    "MrzCheckDigitError",
    "MrzError",
    "MrzFormat",
    "MrzLineAssembler",
    "OcrCorrection",
    "SerialSwipeReader",
    "compute_check_digit",
    "mrz_information",
    "mrz_information_from_fields",
    "normalise_mrz_text",
    "parse_mrz",
]
