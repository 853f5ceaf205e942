"""``SamIdCardReader``: China resident ID cards through a serial SAM reader.

One read is the GA 467 sequence: find card (20 01), select card (20 02), read base message
(30 01, or 30 10 with fingerprint). The SAM is asked for its status (11 FF) each time the
port is (re)opened, so a failed self-test or an unauthorised SAM is reported as
``ReaderUnavailable`` before any card is presented.

The reader is strictly request/response: input left over from an earlier exchange is dropped
before each command, and the answer is whatever frame arrives next. Garbage before it is
skipped (logged as a length and offset only). A corrupted answer (bad checksum, broken layout)
restarts the whole sequence once before it is reported as ``ProtocolError``.

When a select or read fails, the reader looks for the card again: if it has gone, the error
is ``CardRemoved`` and nothing partial is returned.

Logging: each frame is logged at DEBUG as direction, length and command or status code.
Frame contents never reach the log: the text block is personal data.
"""

from __future__ import annotations

import logging
import threading
import time

from drivers.document import ChipAuthentication, DocumentType, IdentityDocument
from drivers.errors import (
    CardReadFailed,
    CardRemoved,
    DocumentInvalid,
    DriverError,
    ProtocolError,
    ReaderUnavailable,
)
from drivers.lifecycle import OpenCloseContext
from drivers.sam import status
from drivers.sam.frame import (
    REASON_CHECKSUM,
    Command,
    Discarded,
    FrameDecoder,
    ResponseFrame,
    decode_response,
    encode_command,
    encode_response,
)
from drivers.sam.message import decode_base_message
from drivers.sam.text import parse_text_block
from drivers.sam.transport import AUTO, DEFAULT_BAUDRATE, SerialTransport
from drivers.sam.wlt import WLT_SIZE

_log = logging.getLogger(__name__)

REASON_NO_RESPONSE = "DRV_SAM_NO_RESPONSE"
REASON_UNEXPECTED_STATUS = "DRV_SAM_UNEXPECTED_STATUS"
REASON_CARD_REMOVED = "DRV_SAM_CARD_REMOVED"
_SW3_OFFSET = 9  # preamble 5 + length 2 + SW1 SW2


class SamIdCardReader(OpenCloseContext):
    """A :class:`drivers.document.DocumentReader` for a serial SAM (SAM_A) reader.

    ``port`` is a device path or ``"auto"`` (see :func:`drivers.sam.transport.candidate_ports`).
    ``timeout`` bounds each short exchange; ``read_timeout`` the card read, which takes the
    SAM about a second (card authentication plus 1.3 KB over RF and serial).
    """

    def __init__(
        self,
        port: str = AUTO,
        *,
        baudrate: int = DEFAULT_BAUDRATE,
        timeout: float = 1.0,
        read_timeout: float = 5.0,
        with_fingerprint: bool = False,
        attempts: int = 2,
        name: str = "sam",
        transport: SerialTransport | None = None,
    ) -> None:
        self.name = name
        self.timeout = timeout
        self.read_timeout = read_timeout
        self.with_fingerprint = with_fingerprint
        self.attempts = max(1, attempts)
        self._transport = transport or SerialTransport(port, baudrate=baudrate)
        self._decoder = FrameDecoder()
        self._lock = threading.RLock()

    # -- DocumentReader ---------------------------------------------------------------

    def open(self) -> None:
        """Open the port and check the SAM; idempotent. Raises ``ReaderUnavailable``."""
        with self._lock:
            self._ensure_open()

    def close(self) -> None:
        with self._lock:
            self._transport.close()

    def card_present(self) -> bool:
        with self._lock:
            return self._find_card()

    def read(self) -> IdentityDocument:
        """Read the card on the reader. Raises ``NoCard``, ``CardRemoved``,
        ``CardReadFailed``, ``DocumentInvalid``, ``ProtocolError`` or ``ReaderUnavailable``."""
        with self._lock:
            for attempt in range(1, self.attempts):
                try:
                    return self._read_once()
                except ProtocolError as exc:  # line noise: the whole sequence again
                    _log.warning("SAM read attempt %d/%d: %s", attempt, self.attempts, exc.reason)
            return self._read_once()

    # -- SAM commands -----------------------------------------------------------------

    def sam_status(self) -> status.SamStatus:
        """Ask the SAM for its status (11 FF) and return it without raising on failure."""
        with self._lock:
            if not self._transport.is_open:
                self._transport.open()
            return status.lookup(self._exchange(Command.GET_SAM_STATUS).sw3)

    def exchange(
        self, command: Command, data: bytes = b"", *, timeout: float | None = None
    ) -> ResponseFrame:
        """Send one command and return the answer as is (a technician's tool)."""
        with self._lock:
            self._ensure_open()
            return self._exchange(command, data, timeout=timeout)

    # -- internals --------------------------------------------------------------------

    def _ensure_open(self) -> None:
        if self._transport.is_open:
            return
        self._transport.open()
        try:
            self._expect(self._exchange(Command.GET_SAM_STATUS), status.SUCCESS)
        except DriverError:
            # A SAM that fails its self-test stays closed, so the next call asks again.
            self._transport.close()
            raise

    def _find_card(self) -> bool:
        self._ensure_open()
        response = self._exchange(Command.FIND_CARD)
        if response.sw3 == status.FIND_CARD_FAIL:
            return False
        self._expect(response, status.FIND_CARD_SUCCESS)
        return True

    def _read_once(self) -> IdentityDocument:
        if not self._find_card():
            raise status.error_for(status.FIND_CARD_FAIL)
        command = (
            Command.READ_BASE_MESSAGE_WITH_FINGERPRINT
            if self.with_fingerprint
            else Command.READ_BASE_MESSAGE
        )
        try:
            self._expect(self._exchange(Command.SELECT_CARD), status.SUCCESS)
            response = self._exchange(command, timeout=self.read_timeout)
            self._expect(response, status.SUCCESS)
        except CardReadFailed as exc:
            if not self._find_card():
                raise CardRemoved(
                    "the card left the reader during the read", reason=REASON_CARD_REMOVED
                ) from exc
            raise
        message = decode_base_message(response.data, with_fingerprint=self.with_fingerprint)
        text = parse_text_block(message.text)
        if len(message.photo) != WLT_SIZE:
            raise DocumentInvalid(
                f"photo is {len(message.photo)} bytes, expected {WLT_SIZE}", field="portrait"
            )
        extra = {
            "address": text.address,
            "nation_code": text.nation_code,
            "sex_code": text.sex.value,
        }
        if self.with_fingerprint:
            extra["fingerprint_hex"] = message.fingerprint.hex()
        _log.info("SAM card read (%d-byte portrait)", len(message.photo))
        return IdentityDocument(
            doc_type=DocumentType.CN_RESIDENT_ID,
            document_number=text.id_number,
            name=text.name,
            sex=text.sex.icao,
            birth_date=text.birth_date,
            nationality=text.nation,
            issuer=text.issuer,
            valid_from=text.valid_from,
            valid_until=text.valid_until,
            portrait=message.photo,
            portrait_format="wlt",
            chip_authentication=ChipAuthentication.NOT_APPLICABLE,
            extra=extra,
        )

    def _expect(self, response: ResponseFrame, ok: int) -> None:
        if response.sw3 == ok:
            return
        raw = encode_response(response.sw3, response.data, sw1=response.sw1, sw2=response.sw2)
        found = status.lookup(response.sw3)
        if found.ok:
            raise ProtocolError(
                f"expected status 0x{ok:02X}, got 0x{response.sw3:02X} {found.name}",
                raw=raw,
                offset=_SW3_OFFSET,
                reason=REASON_UNEXPECTED_STATUS,
            )
        raise found.to_error(raw=raw, offset=_SW3_OFFSET)

    def _exchange(
        self, command: Command, data: bytes = b"", *, timeout: float | None = None
    ) -> ResponseFrame:
        frame = encode_command(command, data)
        self._transport.discard_input()
        self._decoder.reset()
        _log.debug("SAM > %s %04X len=%d", command.name, command.value, len(frame))
        self._transport.write(frame)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            chunk = self._transport.read(deadline)
            if not chunk:
                truncated = self._decoder.truncation()
                if truncated is not None:
                    _log.debug("SAM < truncated frame len=%d", len(truncated.raw))
                    raise truncated
                raise ReaderUnavailable(f"no answer to {command.name}", reason=REASON_NO_RESPONSE)
            for event in self._decoder.feed(chunk):
                if isinstance(event, Discarded):
                    _log.debug(
                        "SAM < skipped len=%d at offset %d (%s)",
                        len(event.raw),
                        event.offset,
                        event.error.reason,
                    )
                    if event.error.reason == REASON_CHECKSUM:
                        raise event.error
                    continue
                response = decode_response(event.raw)
                _log.debug("SAM < status %02X len=%d", response.sw3, len(event.raw))
                return response
