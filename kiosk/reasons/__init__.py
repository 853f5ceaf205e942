"""The reason-code registry: text, spoken line, next step and retryability of every code."""

from kiosk.reasons.prompts import PROMPTS
from kiosk.reasons.registry import LANGUAGES, NOTHING, Reason, Words
from kiosk.reasons.texts import REASONS, reason

__all__ = ["LANGUAGES", "NOTHING", "PROMPTS", "REASONS", "Reason", "Words", "reason"]
