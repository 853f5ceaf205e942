"""The reason-code registry: text, spoken line, next step and retryability of every code."""

from kiosk.reasons.prompts import PROMPTS
from kiosk.reasons.registry import LANGUAGES, NOTHING, Reason, Words
from kiosk.reasons.texts import (
    NO_HINT,
    PASSING,
    REASONS,
    UNKNOWN,
    explaining,
    reason,
    retryable,
)

__all__ = [
    "LANGUAGES",
    "NOTHING",
    "NO_HINT",
    "PASSING",
    "PROMPTS",
    "REASONS",
    "UNKNOWN",
    "Reason",
    "Words",
    "explaining",
    "reason",
    "retryable",
]
