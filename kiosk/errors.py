"""The base of every kiosk error: a stable ``reason`` code (``IDV_*``, ``SEC_*``,
``STORE_*``...) that the screen shows and docs/operations.md explains, and a message for
people. ``drivers/errors.py`` has the same shape for drivers, which may not import kiosk."""

from __future__ import annotations


class ReasonError(Exception):
    reason = "KIOSK_ERROR"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason

    def __str__(self) -> str:
        return f"{self.reason}: {self.args[0]}"
