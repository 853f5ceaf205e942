"""The ICAO 9303 part 3 check digit: weights 7, 3, 1 repeating, modulus 10.

Digits count as themselves, letters A-Z as 10-35 and the filler '<' as 0. The same
function serves every field and the composite check digit; it is also what the BAC
``MRZ_information`` needs when a person types the three fields by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

CHECK_DIGIT_WEIGHTS: tuple[int, int, int] = (7, 3, 1)

_values: dict[str, int] = {"<": 0}
_values.update({str(d): d for d in range(10)})
_values.update({chr(ord("A") + i): 10 + i for i in range(26)})
CHARACTER_VALUES: Mapping[str, int] = MappingProxyType(_values)
"""Value of every character allowed in an MRZ (ICAO 9303-3, 4.9)."""


def compute_check_digit(field: str) -> str:
    """Return the check digit ('0'-'9') of ``field``.

    Raises ``ValueError`` for a character outside the MRZ set: callers validate the
    character set first and report the position with a typed error.
    """
    total = 0
    for index, char in enumerate(field):
        try:
            value = CHARACTER_VALUES[char]
        except KeyError:
            raise ValueError(f"character at index {index} is not an MRZ character") from None
        total += value * CHECK_DIGIT_WEIGHTS[index % 3]
    return str(total % 10)
