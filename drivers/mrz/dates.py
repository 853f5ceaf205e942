"""MRZ dates (YYMMDD) to calendar dates.

The MRZ drops the century, so the century is inferred from the meaning of the field
relative to *today* (passed in, never read from the clock here, so results are
reproducible): a birth date is the latest candidate not in the future; an expiry date is
the candidate within 50 years before or after today (documents are valid for at most
10-15 years, and a kiosk must still recognise a long-expired one as expired).
"""

from __future__ import annotations

import datetime as dt

from drivers.mrz.errors import DRV_MRZ_DATE, MrzError


def _candidates(yymmdd: str, today: dt.date) -> list[dt.date]:
    yy, mm, dd = int(yymmdd[0:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    century = today.year // 100 * 100
    out = []
    for base in (century + 100, century, century - 100):
        try:
            out.append(dt.date(base + yy, mm, dd))
        except ValueError:
            continue
    return out


def birth_date(
    yymmdd: str, *, today: dt.date, line: int | None = None, position: int | None = None
) -> dt.date | None:
    """The date of birth, or ``None`` when the MRZ marks it (partly) unknown with '<'.

    Raises ``MrzError`` (``DRV_MRZ_DATE``, field ``birth_date``) for a non-date."""
    if "<" in yymmdd:
        return None
    if not yymmdd.isdigit():
        raise MrzError(
            "not digits", field="birth_date", reason=DRV_MRZ_DATE, line=line, position=position
        )
    for candidate in _candidates(yymmdd, today):
        if candidate <= today:
            return candidate
    raise MrzError(
        "not a calendar date in the past",
        field="birth_date",
        reason=DRV_MRZ_DATE,
        line=line,
        position=position,
    )


def expiry_date(
    yymmdd: str, *, today: dt.date, line: int | None = None, position: int | None = None
) -> dt.date | None:
    """The date of expiry, or ``None`` when the MRZ leaves it unfilled ('<').

    Raises ``MrzError`` (``DRV_MRZ_DATE``, field ``expiry_date``) for a non-date."""
    if "<" in yymmdd:
        return None
    if not yymmdd.isdigit():
        raise MrzError(
            "not digits", field="expiry_date", reason=DRV_MRZ_DATE, line=line, position=position
        )
    for candidate in _candidates(yymmdd, today):
        if abs(candidate.year - today.year) <= 50:
            return candidate
    raise MrzError(
        "not a calendar date",
        field="expiry_date",
        reason=DRV_MRZ_DATE,
        line=line,
        position=position,
    )
