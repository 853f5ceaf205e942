"""Typed MRZ errors: which field failed, on which line and at which position.

The kiosk shows the ``reason`` code and the field to the person at the screen ("check the
expiry date you typed"), so the error says *where* the MRZ is wrong, never what it contains
(an MRZ is personal data and error messages end up in logs).
"""

from __future__ import annotations

from drivers.errors import DocumentInvalid

DRV_MRZ_FORMAT = "DRV_MRZ_FORMAT"
"""Wrong number of lines or line lengths: not a TD1, TD2 or TD3 MRZ."""
DRV_MRZ_CHARSET = "DRV_MRZ_CHARSET"
"""A character outside the MRZ set A-Z, 0-9 and the filler '<'."""
DRV_MRZ_CHECK_DIGIT = "DRV_MRZ_CHECK_DIGIT"
"""A check digit does not verify (or is not a digit)."""
DRV_MRZ_DATE = "DRV_MRZ_DATE"
"""A date field is not a calendar date (or a birth date in the future)."""
DRV_MRZ_FIELD = "DRV_MRZ_FIELD"
"""Any other field whose content the standard forbids (document code, sex, country code)."""


class MrzError(DocumentInvalid):
    """An MRZ that fails a rule of ICAO 9303 parts 3-6.

    ``line`` and ``position`` are 1-based, as the standard numbers them (line 2, position 28
    is the first character of the TD3 personal number), so a message can be checked against the
    printed document by hand. Either may be ``None`` when the failure is not at one place
    (for example a wrong number of lines).
    """

    reason = "DRV_MRZ"

    def __init__(
        self,
        message: str,
        *,
        field: str,
        reason: str,
        line: int | None = None,
        position: int | None = None,
    ) -> None:
        where = ""
        if line is not None:
            where = f" (line {line}" + (f", position {position})" if position else ")")
        super().__init__(f"{message}{where}", field=field, reason=reason)
        self.line = line
        self.position = position


class MrzCheckDigitError(MrzError):
    """A check digit that does not verify. ``found`` is the printed character and ``expected``
    the digit computed from the field: neither is personal data on its own."""

    def __init__(
        self,
        *,
        field: str,
        line: int,
        position: int,
        found: str,
        expected: str,
    ) -> None:
        super().__init__(
            f"check digit {found!r} does not verify, computed {expected!r}",
            field=field,
            reason=DRV_MRZ_CHECK_DIGIT,
            line=line,
            position=position,
        )
        self.found = found
        self.expected = expected
