"""The protocol's errors: a stable ``reason`` code and a message for people, the same shape as
``kiosk.errors.ReasonError`` and ``drivers.errors.DriverError`` (the protocol may import
neither). ``kiosk.security.errors.SecurityError`` *is* this module's ``SecurityError``: a record
that fails its checks raises the same class on the device and on the gateway."""

from __future__ import annotations


class ProtocolReasonError(Exception):
    reason = "SYNC_ERROR"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason

    def __str__(self) -> str:
        return f"{self.reason}: {self.args[0]}"


class SecurityError(ProtocolReasonError):
    """A signed record, a signature or a key that fails a check (``SEC_*``)."""

    reason = "SEC_ERROR"
