"""Normalisation of MRZ text as people and devices deliver it.

An MRZ reaches the kiosk typed on the on-screen keyboard (lowercase, spaces, one long
line) or from a serial swipe reader (CR/LF line ends, sometimes one line per swipe). This
module turns either into the lines ICAO 9303 defines, and nothing more: it never guesses
a character. Letter/digit confusions are corrected only by the parser, only in fields the
standard restricts to digits or letters, only on request, and always reported
(see ``parser.parse_mrz``).
"""

from __future__ import annotations

from drivers.mrz.check_digit import CHARACTER_VALUES
from drivers.mrz.errors import DRV_MRZ_CHARSET, DRV_MRZ_FORMAT, MrzError

LINE_LAYOUTS: dict[int, int] = {30: 3, 36: 2, 44: 2}
"""Line length -> number of lines: TD1 3x30, TD2 2x36, TD3 2x44 (ICAO 9303-4/5/6)."""

_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def normalise_mrz_text(text: str) -> tuple[str, ...]:
    """Return the MRZ lines of ``text``: line ends and whitespace removed, ASCII letters in
    upper case, a single run-together MRZ (90, 72 or 88 characters) split into its lines.

    Raises ``MrzError`` (``DRV_MRZ_FORMAT``) for a line layout that is none of TD1/TD2/TD3
    and (``DRV_MRZ_CHARSET``) for a character outside A-Z, 0-9, '<', naming the 1-based line
    and position *after* whitespace removal.
    """
    lines = []
    for raw_line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = "".join(raw_line.split()).translate(_ASCII_UPPER)
        if line:
            lines.append(line)
    if len(lines) == 1:
        single = lines[0]
        for length, count in LINE_LAYOUTS.items():
            if len(single) == length * count:
                lines = [single[i : i + length] for i in range(0, len(single), length)]
                break
    _check_layout(lines)
    for line_number, line in enumerate(lines, start=1):
        for position, char in enumerate(line, start=1):
            if char not in CHARACTER_VALUES:
                raise MrzError(
                    "character outside the MRZ set A-Z 0-9 <",
                    field="mrz",
                    reason=DRV_MRZ_CHARSET,
                    line=line_number,
                    position=position,
                )
    return tuple(lines)


def _check_layout(lines: list[str]) -> None:
    if not lines:
        raise MrzError("no MRZ text", field="mrz", reason=DRV_MRZ_FORMAT)
    length = len(lines[0])
    expected_count = LINE_LAYOUTS.get(length)
    if expected_count is None:
        raise MrzError(
            f"line of {length} characters; an MRZ line has 30, 36 or 44",
            field="mrz",
            reason=DRV_MRZ_FORMAT,
            line=1,
        )
    for line_number, line in enumerate(lines, start=1):
        if len(line) != length:
            raise MrzError(
                f"line of {len(line)} characters after a first line of {length}",
                field="mrz",
                reason=DRV_MRZ_FORMAT,
                line=line_number,
            )
    if len(lines) != expected_count:
        raise MrzError(
            f"{len(lines)} lines of {length} characters; this layout has {expected_count}",
            field="mrz",
            reason=DRV_MRZ_FORMAT,
        )
