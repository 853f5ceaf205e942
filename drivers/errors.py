"""Typed errors shared by every driver.

Each carries a stable ``reason`` code (``DRV_*``) that the UI shows and the technician
guide (docs/operations.md) explains, so a message on screen can be looked up.
"""

from __future__ import annotations


class DriverError(Exception):
    """Base of every driver error. ``reason`` is stable; the message is for people."""

    reason = "DRV_ERROR"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason

    def __str__(self) -> str:
        return f"{self.reason}: {self.args[0]}"


class ReaderUnavailable(DriverError):
    """The device is absent, unplugged, or does not answer; retrying later may help."""

    reason = "DRV_READER_UNAVAILABLE"


class NoCard(DriverError):
    """No document is present on the reader."""

    reason = "DRV_NO_CARD"


class CardRemoved(DriverError):
    """The document left the reader during a read: nothing partial is returned."""

    reason = "DRV_CARD_REMOVED"


class CardReadFailed(DriverError):
    """The document is on the reader but could not be read or authenticated (a worn chip,
    a failed mutual authentication); presenting it again may help."""

    reason = "DRV_CARD_READ_FAILED"


class ProtocolError(DriverError):
    """Bytes that do not follow the protocol. Keeps the raw bytes and the offending offset
    so a technician can read the session back (raw bytes never contain a decoded name:
    they are logged as a length and hex prefix only by the caller's choice)."""

    reason = "DRV_PROTOCOL"

    def __init__(
        self,
        message: str,
        *,
        raw: bytes = b"",
        offset: int | None = None,
        reason: str | None = None,
    ) -> None:
        where = f" at byte {offset}" if offset is not None else ""
        super().__init__(f"{message}{where}", reason=reason)
        self.raw = bytes(raw)
        self.offset = offset


class DocumentInvalid(DriverError):
    """The document was read but its content fails a check (check digit, date, field)."""

    reason = "DRV_DOCUMENT_INVALID"

    def __init__(self, message: str, *, field: str, reason: str | None = None) -> None:
        super().__init__(f"{field}: {message}", reason=reason)
        self.field = field


class CameraUnavailable(DriverError):
    """The camera is absent, unplugged, or delivers no frames; the driver keeps trying to
    reconnect, so asking again later may succeed."""

    reason = "DRV_CAMERA_UNAVAILABLE"
