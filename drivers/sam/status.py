"""SAM_A operation status (SW3): names, messages and the typed error each one becomes.

The table is the one published identically by several vendor SDKs (see
``shared/data/idcard_sam/PROTOCOL_NOTES.txt``). Each status gets its own stable reason code
so that a technician can tell "the SAM failed its self-test" from "no card on the reader"
from the code on screen alone. Codes 0x01..0x09 are host-SDK results in the vendor
libraries; they are mapped too, in case a reader firmware forwards them in SW3.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.errors import (
    CardReadFailed,
    DriverError,
    NoCard,
    ProtocolError,
    ReaderUnavailable,
)


@dataclass(frozen=True)
class SamStatus:
    code: int
    name: str
    message: str
    reason: str
    error: type[DriverError] | None  # None: the status means success

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_error(self, *, raw: bytes = b"", offset: int | None = None) -> DriverError:
        """The typed error for this status (``raw``/``offset`` go to a ProtocolError)."""
        message = f"SAM status 0x{self.code:02X} {self.name}: {self.message}"
        if self.error is None:
            raise ValueError(f"status 0x{self.code:02X} is a success")
        if self.error is ProtocolError:
            return ProtocolError(message, raw=raw, offset=offset, reason=self.reason)
        return self.error(message, reason=self.reason)


SUCCESS = 0x90
FIND_CARD_SUCCESS = 0x9F
FIND_CARD_FAIL = 0x80
SELECT_CARD_FAIL = 0x81
READ_CARD_FAIL = 0x41
UNRECOGNISED_CARD_TYPE = 0x40
SAM_SELFTEST_FAIL = 0x60
SAM_NOT_AUTHORISED = 0x66

_U = ReaderUnavailable
_P = ProtocolError
_R = CardReadFailed

STATUSES: dict[int, SamStatus] = {
    s.code: s
    for s in (
        SamStatus(0x90, "SUCCESS", "operation succeeded", "DRV_SAM_OK", None),
        SamStatus(0x9F, "FIND_CARD_SUCCESS", "a card was found", "DRV_SAM_CARD_FOUND", None),
        SamStatus(0x91, "NO_SUCH_ITEM", "the card holds no such item", "DRV_SAM_NO_SUCH_ITEM", _R),
        SamStatus(0x01, "PORT_OPEN_FAIL", "port open failed", "DRV_SAM_PORT_OPEN_FAILED", _U),
        SamStatus(0x02, "RECEIVE_TIMEOUT", "host receive timed out", "DRV_SAM_RECEIVE_TIMEOUT", _U),
        SamStatus(0x03, "TRANSFER_ERROR", "data transfer error", "DRV_SAM_TRANSFER_ERROR", _P),
        SamStatus(
            0x05,
            "SAM_SERIAL_UNAVAILABLE",
            "the SAM_A serial port is unavailable",
            "DRV_SAM_SERIAL_UNAVAILABLE",
            _U,
        ),
        SamStatus(0x09, "OPEN_FILE_FAIL", "open file failed", "DRV_SAM_OPEN_FILE_FAILED", _U),
        SamStatus(
            0x10,
            "COMMAND_CHECKSUM_ERROR",
            "the SAM received a command with a bad checksum",
            "DRV_SAM_COMMAND_CHECKSUM",
            _P,
        ),
        SamStatus(
            0x11,
            "COMMAND_LENGTH_ERROR",
            "the SAM received a command with a bad length",
            "DRV_SAM_COMMAND_LENGTH",
            _P,
        ),
        SamStatus(
            0x21, "COMMAND_ERROR", "the SAM rejected the command", "DRV_SAM_COMMAND_REJECTED", _P
        ),
        SamStatus(
            0x23,
            "UNAUTHORISED_OPERATION",
            "operation not permitted in this state",
            "DRV_SAM_UNAUTHORISED_OPERATION",
            _P,
        ),
        SamStatus(
            0x24, "UNRECOGNISED_ERROR", "unrecognised SAM error", "DRV_SAM_UNRECOGNISED_ERROR", _U
        ),
        SamStatus(0x80, "FIND_CARD_FAIL", "no card found", "DRV_SAM_FIND_CARD_FAILED", NoCard),
        SamStatus(
            0x81, "SELECT_CARD_FAIL", "card selection failed", "DRV_SAM_SELECT_CARD_FAILED", _R
        ),
        SamStatus(
            0x31,
            "CARD_AUTHENTICATES_SAM_FAIL",
            "the card failed to authenticate the SAM",
            "DRV_SAM_CARD_AUTHENTICATES_SAM_FAILED",
            _R,
        ),
        SamStatus(
            0x32,
            "SAM_AUTHENTICATES_CARD_FAIL",
            "the SAM failed to authenticate the card (possibly not a genuine card)",
            "DRV_SAM_SAM_AUTHENTICATES_CARD_FAILED",
            _R,
        ),
        SamStatus(
            0x33,
            "INFO_VERIFICATION_FAIL",
            "card information failed verification",
            "DRV_SAM_INFO_VERIFICATION_FAILED",
            _R,
        ),
        SamStatus(
            0x37,
            "FINGERPRINT_VERIFICATION_FAIL",
            "fingerprint information failed verification",
            "DRV_SAM_FINGERPRINT_VERIFICATION_FAILED",
            _R,
        ),
        SamStatus(
            0x3F, "INFO_LENGTH_ERROR", "card information length error", "DRV_SAM_INFO_LENGTH", _P
        ),
        SamStatus(
            0x40, "UNRECOGNISED_CARD_TYPE", "not a resident ID card", "DRV_SAM_CARD_TYPE", _R
        ),
        SamStatus(0x41, "READ_CARD_FAIL", "reading the card failed", "DRV_SAM_READ_FAILED", _R),
        SamStatus(
            0x47, "GET_RANDOM_FAIL", "getting a random number failed", "DRV_SAM_GET_RANDOM", _R
        ),
        SamStatus(0x60, "SAM_SELFTEST_FAIL", "SAM_A self-test failed", "DRV_SAM_SELFTEST", _U),
        SamStatus(
            0x66, "SAM_NOT_AUTHORISED", "SAM_A is not authorised", "DRV_SAM_NOT_AUTHORISED", _U
        ),
    )
}

UNKNOWN_STATUS_REASON = "DRV_SAM_UNKNOWN_STATUS"


def lookup(code: int) -> SamStatus:
    """The status for ``code``; an unlisted code is a protocol error of its own."""
    known = STATUSES.get(code)
    if known is not None:
        return known
    return SamStatus(code, "UNKNOWN", "unknown SAM status", UNKNOWN_STATUS_REASON, ProtocolError)


def error_for(code: int, *, raw: bytes = b"", offset: int | None = None) -> DriverError:
    """The typed error for a failing status code."""
    return lookup(code).to_error(raw=raw, offset=offset)
