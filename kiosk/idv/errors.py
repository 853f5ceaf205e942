"""The one error type of on-device verification; its ``reason`` is an ``IDV_*`` code that
the screen shows and docs/operations.md explains."""

from __future__ import annotations

from kiosk.errors import ReasonError


class IdvError(ReasonError):
    reason = "IDV_ERROR"
