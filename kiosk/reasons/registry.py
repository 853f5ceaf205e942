"""What a reason code means to the person in front of the kiosk, in both languages.

A code reaches a person three ways: written on the screen, said by the voice, and as the
step to take next. Keeping the three together, per code, is what stops a screen from
showing a generic "could not read" under a precise code, or a voice from staying silent
where the screen speaks. Pure data and lookups: the flows, the voice and the QML (through
kiosk/ui/reason_texts.py) all read the same entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

LANGUAGES = ("zh_CN", "en")


@dataclass(frozen=True, slots=True)
class Words:
    """One thing said in each language the kiosk speaks."""

    zh_CN: str
    en: str

    def in_language(self, language: str) -> str:
        return self.zh_CN if language == "zh_CN" else self.en


NOTHING = Words("", "")


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    text: Words
    """What the screen says (the code itself is shown small beneath, for staff)."""
    spoken: Words
    """What the voice says: fewer words than the screen, the same meaning."""
    next_step: Words
    """What to do now: the person's step, or where staff should look."""
    retryable: bool = False
    """Another try at the kiosk can succeed ("Try again" is offered, up to the
    configured count); otherwise the way on is staff."""


def register(
    into: dict[str, Reason], codes: Iterable[str], *, text: Words, spoken: Words = NOTHING,
    next_step: Words = NOTHING, retryable: bool = False,
) -> None:  # fmt: skip
    """Codes listed one by one, even when they share words: a new code is missing here
    until someone decides what it says (tests/unit/test_reason_registry.py)."""
    for code in codes:
        if code in into:
            raise ValueError(f"{code} registered twice")
        into[code] = Reason(code, text, spoken, next_step, retryable)


def find(registry: Mapping[str, Reason], code: str) -> Reason | None:
    return registry.get(code)
