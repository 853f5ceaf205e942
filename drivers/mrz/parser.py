"""Parsing of the machine readable zone: ICAO 9303 part 4 (TD3), part 5 (TD1), part 6 (TD2).

``parse_mrz`` accepts the lines as typed or swiped (see ``normalise``), checks every check
digit (document number including the long-number overflow into the optional data,
birth date, expiry, TD3 personal number, composite) and returns a ``MachineReadableZone``.
A failure raises ``MrzError`` naming the field and its 1-based line and position.

Check digits are verified before field content, so a mistyped date is reported as the
check digit of that date, the thing a person can compare with the printed document.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from drivers.document import DocumentType, IdentityDocument
from drivers.mrz import dates
from drivers.mrz.check_digit import compute_check_digit
from drivers.mrz.errors import DRV_MRZ_FIELD, MrzCheckDigitError, MrzError
from drivers.mrz.normalise import normalise_mrz_text


class MrzFormat(StrEnum):
    """Size of the document and so layout of its MRZ."""

    TD1 = "TD1"  # ID-1 card, 3 lines of 30
    TD2 = "TD2"  # ID-2 card, 2 lines of 36
    TD3 = "TD3"  # passport booklet, 2 lines of 44

    @property
    def document_type(self) -> DocumentType:
        return {
            MrzFormat.TD1: DocumentType.ICAO_TD1,
            MrzFormat.TD2: DocumentType.ICAO_TD2,
            MrzFormat.TD3: DocumentType.ICAO_TD3,
        }[self]


_FORMAT_BY_LENGTH = {30: MrzFormat.TD1, 36: MrzFormat.TD2, 44: MrzFormat.TD3}

# Confusions an OCR engine or a person makes between look-alike glyphs. Applied only where
# the standard allows one kind of character (digits in dates and check digits, letters in
# codes), so a correction can never turn one valid field into another valid reading.
_LETTER_TO_DIGIT = {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5"}
_LETTER_TO_DIGIT |= {"G": "6", "B": "8"}
_DIGIT_TO_LETTER = {"0": "O", "1": "I", "2": "Z", "5": "S", "6": "G", "8": "B"}


@dataclass(frozen=True)
class OcrCorrection:
    """One character the parser changed because ``ocr_corrections`` was requested."""

    field: str
    line: int  # 1-based
    position: int  # 1-based
    found: str
    corrected: str


@dataclass(frozen=True, repr=False)
class MachineReadableZone:
    """A parsed, check-digit-verified MRZ. Text fields are stripped of fillers ('<');
    the ``*_field`` attributes keep the six printed date digits the BAC key needs.

    Holds personal data: ``repr`` is redacted like ``IdentityDocument``'s.
    """

    format: MrzFormat
    lines: tuple[str, ...]
    document_code: str
    issuing_state: str
    document_number: str
    document_number_check_digit: str
    nationality: str
    birth_date_field: str
    birth_date_check_digit: str
    birth_date: dt.date | None
    sex: str  # "M", "F" or "X" (the MRZ prints '<' for unspecified)
    expiry_date_field: str
    expiry_date_check_digit: str
    expiry_date: dt.date | None
    optional_data_1: str  # TD3: personal number; TD1: line 1 after the document number
    optional_data_1_check_digit: str  # TD3 only, "" otherwise
    optional_data_2: str  # TD1 line 2 only, "" otherwise
    composite_check_digit: str
    primary_identifier: str
    secondary_identifier: str
    name_truncated: bool  # the name field is full: the issuer may have cut the name
    corrections: tuple[OcrCorrection, ...] = ()

    def __repr__(self) -> str:
        return f"MachineReadableZone(format={self.format.value}, <redacted>)"

    __str__ = __repr__

    @property
    def personal_number(self) -> str:
        """TD3 personal number (optional data of line 2); "" for TD1/TD2."""
        return self.optional_data_1 if self.format is MrzFormat.TD3 else ""

    def to_identity_document(self) -> IdentityDocument:
        """The kiosk's view of this MRZ. ``name`` is "PRIMARY, SECONDARY" (the ICAO
        primary identifier is the surname part); both parts are also in ``extra``."""
        name = self.primary_identifier
        if self.secondary_identifier:
            name = f"{name}, {self.secondary_identifier}" if name else self.secondary_identifier
        extra = {
            "primary_identifier": self.primary_identifier,
            "secondary_identifier": self.secondary_identifier,
            "document_code": self.document_code,
        }
        if self.optional_data_1:
            extra["optional_data_1"] = self.optional_data_1
        if self.optional_data_2:
            extra["optional_data_2"] = self.optional_data_2
        return IdentityDocument(
            doc_type=self.format.document_type,
            document_number=self.document_number,
            name=name,
            sex=self.sex,
            birth_date=self.birth_date,
            nationality=self.nationality,
            issuer=self.issuing_state,
            valid_from=None,
            valid_until=self.expiry_date,
            extra=extra,
        )


class _Zone:
    """The MRZ lines being parsed, with OCR corrections applied in place and recorded."""

    def __init__(self, lines: tuple[str, ...], *, ocr_corrections: bool) -> None:
        self.rows = [list(line) for line in lines]
        self.ocr_corrections = ocr_corrections
        self.corrections: list[OcrCorrection] = []

    def get(self, line: int, start: int, end: int) -> str:
        """Characters ``start``..``end`` (0-based, end exclusive) of 0-based ``line``."""
        return "".join(self.rows[line][start:end])

    def _correct(self, field: str, line: int, start: int, end: int, table: dict[str, str]) -> None:
        if not self.ocr_corrections:
            return
        for index in range(start, end):
            found = self.rows[line][index]
            corrected = table.get(found)
            if corrected is not None:
                self.rows[line][index] = corrected
                self.corrections.append(OcrCorrection(field, line + 1, index + 1, found, corrected))

    def digits(self, field: str, line: int, start: int, end: int) -> str:
        """A field of digits (or fillers): dates, check digits."""
        self._correct(field, line, start, end, _LETTER_TO_DIGIT)
        return self.get(line, start, end)

    def letters(self, field: str, line: int, start: int, end: int) -> str:
        """A field of letters (or fillers): document code, country codes."""
        self._correct(field, line, start, end, _DIGIT_TO_LETTER)
        return self.get(line, start, end)


@dataclass(frozen=True)
class _Layout:
    """0-based (line, start) of each field of one format; lengths are fixed by ICAO."""

    document_number: tuple[int, int]
    birth_date: tuple[int, int]
    sex: tuple[int, int]
    expiry_date: tuple[int, int]
    nationality: tuple[int, int]
    optional_1: tuple[int, int, int]  # line, start, end
    optional_1_check: tuple[int, int] | None
    optional_2: tuple[int, int, int] | None
    composite: tuple[int, int]
    composite_ranges: tuple[tuple[int, int, int], ...]
    name: tuple[int, int, int]
    long_document_number: bool


_LAYOUTS = {
    MrzFormat.TD1: _Layout(
        document_number=(0, 5),
        birth_date=(1, 0),
        sex=(1, 7),
        expiry_date=(1, 8),
        nationality=(1, 15),
        optional_1=(0, 15, 30),
        optional_1_check=None,
        optional_2=(1, 18, 29),
        composite=(1, 29),
        composite_ranges=((0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29)),
        name=(2, 0, 30),
        long_document_number=True,
    ),
    MrzFormat.TD2: _Layout(
        document_number=(1, 0),
        birth_date=(1, 13),
        sex=(1, 20),
        expiry_date=(1, 21),
        nationality=(1, 10),
        optional_1=(1, 28, 35),
        optional_1_check=None,
        optional_2=None,
        composite=(1, 35),
        composite_ranges=((1, 0, 10), (1, 13, 20), (1, 21, 35)),
        name=(0, 5, 36),
        long_document_number=True,
    ),
    MrzFormat.TD3: _Layout(
        document_number=(1, 0),
        birth_date=(1, 13),
        sex=(1, 20),
        expiry_date=(1, 21),
        nationality=(1, 10),
        optional_1=(1, 28, 42),
        optional_1_check=(1, 42),
        optional_2=None,
        composite=(1, 43),
        composite_ranges=((1, 0, 10), (1, 13, 20), (1, 21, 43)),
        name=(0, 5, 44),
        long_document_number=False,
    ),
}

_DOCUMENT_CODE_FIRST = {
    MrzFormat.TD1: "ACI",
    MrzFormat.TD2: "ACI",
    MrzFormat.TD3: "P",
}


def _verify(
    zone: _Zone,
    field: str,
    value: str,
    line: int,
    index: int,
    *,
    filler_allowed: bool = False,
) -> str:
    """Check the digit at (0-based) ``line``/``index`` against ``value``; return it."""
    found = zone.digits(field, line, index, index + 1)
    if filler_allowed and found == "<" and set(value) <= {"<"}:
        return found  # ICAO 9303-4: unused personal number may carry '<' as check digit
    expected = compute_check_digit(value)
    if found != expected:
        raise MrzCheckDigitError(
            field=field, line=line + 1, position=index + 1, found=found, expected=expected
        )
    return found


def _field_error(message: str, field: str, line: int, index: int) -> MrzError:
    return MrzError(message, field=field, reason=DRV_MRZ_FIELD, line=line + 1, position=index + 1)


def _check_letters(value: str, field: str, line: int, start: int) -> None:
    for offset, char in enumerate(value):
        if not (char == "<" or "A" <= char <= "Z"):
            raise _field_error("only letters and '<' allowed", field, line, start + offset)


def _split_name(field: str) -> tuple[str, str, bool]:
    truncated = not field.endswith("<")
    primary, _, secondary = field.rstrip("<").partition("<<")
    return (
        " ".join(part for part in primary.split("<") if part),
        " ".join(part for part in secondary.split("<") if part),
        truncated,
    )


def parse_mrz(
    text: str | tuple[str, ...] | list[str],
    *,
    today: dt.date | None = None,
    ocr_corrections: bool = False,
) -> MachineReadableZone:
    """Parse and verify an MRZ given as text (any line ends, spaces, case) or as lines.

    ``today`` anchors the two-digit years (default: the local date). With
    ``ocr_corrections`` look-alike characters are corrected in digit-only fields (dates,
    check digits: 'O' -> '0', ...) and letter-only fields (document code, country codes:
    '0' -> 'O', ...), never in names, document numbers or optional data; each change is
    listed in ``corrections`` and every check digit must still verify afterwards.

    Raises ``MrzError`` (a ``drivers.errors.DocumentInvalid``) and nothing else for bad input.
    """
    if not isinstance(text, str):
        text = "\n".join(text)
    lines = normalise_mrz_text(text)
    today = today if today is not None else dt.date.today()
    fmt = _FORMAT_BY_LENGTH[len(lines[0])]
    layout = _LAYOUTS[fmt]
    zone = _Zone(lines, ocr_corrections=ocr_corrections)

    # Document code: decides whether this layout applies at all (visas have another one).
    code = zone.letters("document_code", 0, 0, 2)
    if code[0] == "V":
        raise _field_error("machine readable visa layouts are not supported", "document_code", 0, 0)
    if code[0] not in _DOCUMENT_CODE_FIRST[fmt]:
        allowed = ", ".join(_DOCUMENT_CODE_FIRST[fmt])
        raise _field_error(
            f"{fmt.value} document code starts with {allowed}", "document_code", 0, 0
        )
    _check_letters(code, "document_code", 0, 0)

    # Document number, with the TD1/TD2 overflow of long numbers into the optional data.
    doc_line, doc_start = layout.document_number
    number = zone.get(doc_line, doc_start, doc_start + 9)
    opt_line, opt_start, opt_end = layout.optional_1
    optional_1 = zone.get(opt_line, opt_start, opt_end)
    check_index = doc_start + 9
    if layout.long_document_number and zone.get(doc_line, check_index, check_index + 1) == "<":
        overflow = optional_1.split("<", 1)[0]
        if overflow:
            check_index = opt_start + len(overflow) - 1
            number += overflow[:-1]
            optional_1 = optional_1[len(overflow) :]
            doc_line = opt_line
    number_check = _verify(zone, "document_number", number, doc_line, check_index)

    birth_line, birth_start = layout.birth_date
    birth_field = zone.digits("birth_date", birth_line, birth_start, birth_start + 6)
    birth_check = _verify(zone, "birth_date", birth_field, birth_line, birth_start + 6)
    expiry_line, expiry_start = layout.expiry_date
    expiry_field = zone.digits("expiry_date", expiry_line, expiry_start, expiry_start + 6)
    expiry_check = _verify(zone, "expiry_date", expiry_field, expiry_line, expiry_start + 6)

    optional_1_check = ""
    if layout.optional_1_check is not None:
        line, index = layout.optional_1_check
        optional_1_check = _verify(
            zone, "personal_number", optional_1, line, index, filler_allowed=True
        )
    optional_2 = ""
    if layout.optional_2 is not None:
        optional_2 = zone.get(*layout.optional_2)

    composite_line, composite_index = layout.composite
    composite_value = "".join(zone.get(*r) for r in layout.composite_ranges)
    composite = _verify(zone, "composite", composite_value, composite_line, composite_index)

    # Field content, now that the check digits say the characters were read as printed.
    issuing_state = zone.letters("issuing_state", 0, 2, 5)
    _check_letters(issuing_state, "issuing_state", 0, 2)
    nat_line, nat_start = layout.nationality
    nationality = zone.letters("nationality", nat_line, nat_start, nat_start + 3)
    _check_letters(nationality, "nationality", nat_line, nat_start)
    sex_line, sex_index = layout.sex
    sex = zone.get(sex_line, sex_index, sex_index + 1)
    if sex not in ("M", "F", "X", "<"):
        raise _field_error("sex is M, F or '<'", "sex", sex_line, sex_index)
    name_line, name_start, name_end = layout.name
    name_field = zone.get(name_line, name_start, name_end)
    _check_letters(name_field, "name", name_line, name_start)
    primary, secondary, truncated = _split_name(name_field)

    birth = dates.birth_date(
        birth_field, today=today, line=birth_line + 1, position=birth_start + 1
    )
    expiry = dates.expiry_date(
        expiry_field, today=today, line=expiry_line + 1, position=expiry_start + 1
    )
    return MachineReadableZone(
        format=fmt,
        lines=tuple("".join(row) for row in zone.rows),
        document_code=code.strip("<"),
        issuing_state=issuing_state.strip("<"),
        document_number=number.rstrip("<"),
        document_number_check_digit=number_check,
        nationality=nationality.strip("<"),
        birth_date_field=birth_field,
        birth_date_check_digit=birth_check,
        birth_date=birth,
        sex="X" if sex == "<" else sex,
        expiry_date_field=expiry_field,
        expiry_date_check_digit=expiry_check,
        expiry_date=expiry,
        optional_data_1=optional_1.strip("<"),
        optional_data_1_check_digit=optional_1_check,
        optional_data_2=optional_2.strip("<"),
        composite_check_digit=composite,
        primary_identifier=primary,
        secondary_identifier=secondary,
        name_truncated=truncated,
        corrections=tuple(zone.corrections),
    )
