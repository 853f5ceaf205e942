"""The one error type of the encrypted store; its ``reason`` is a ``STORE_*`` code that
docs/operations.md explains, so the screen and the log name the same thing."""

from __future__ import annotations

from kiosk.errors import ReasonError


class StoreError(ReasonError):
    reason = "STORE_ERROR"
