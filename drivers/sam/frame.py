"""GA 467-style SAM serial frames: a pure codec, no I/O.

Every frame is ``AA AA AA 96 69 | LEN (2 bytes, big-endian) | payload | CHK``. ``LEN`` counts
every byte after itself, checksum included; ``CHK`` is the XOR of the length bytes and the
payload (everything except the preamble and the checksum itself). A command payload is
``CMD PARA [DATA]``; a response payload is ``SW1 SW2 SW3 [DATA]`` where SW3 is the SAM status.

The codec is separate from the serial transport so that it can be fuzzed without hardware:
every malformed input raises :class:`drivers.errors.ProtocolError` carrying the raw bytes and
the offset of the offending byte, never another exception type.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from drivers.errors import ProtocolError

PREAMBLE = bytes.fromhex("AAAAAA9669")
LENGTH_SIZE = 2
HEADER_SIZE = len(PREAMBLE) + LENGTH_SIZE
MIN_COMMAND_LENGTH = 3  # CMD PARA CHK
MIN_RESPONSE_LENGTH = 4  # SW1 SW2 SW3 CHK
# The largest legitimate frame is the text+photo+fingerprint read (LEN 0x090A = 2314). A bound
# keeps a garbage length field from making the stream decoder wait for megabytes that never come.
MAX_LENGTH = 0x1000

# Stable reason codes of framing errors (see docs/operations.md).
REASON_PREAMBLE = "DRV_SAM_FRAME_PREAMBLE"
REASON_LENGTH = "DRV_SAM_FRAME_LENGTH"
REASON_TRUNCATED = "DRV_SAM_FRAME_TRUNCATED"
REASON_CHECKSUM = "DRV_SAM_FRAME_CHECKSUM"
REASON_TRAILING = "DRV_SAM_FRAME_TRAILING"


class Command(IntEnum):
    """Commands as ``CMD << 8 | PARA``, named after the SAM_A command table."""

    RESET_SAM = 0x10FF
    GET_SAM_STATUS = 0x11FF
    FIND_CARD = 0x2001
    SELECT_CARD = 0x2002
    READ_BASE_MESSAGE = 0x3001  # text + photo
    READ_BASE_MESSAGE_WITH_FINGERPRINT = 0x3010  # text + photo + fingerprint
    SET_MAX_RF_BYTES = 0x61FF


@dataclass(frozen=True)
class CommandFrame:
    """A host-to-SAM frame. ``code`` is ``CMD << 8 | PARA`` (unknown codes are kept as ints)."""

    code: int
    data: bytes = b""

    @property
    def command(self) -> Command | None:
        try:
            return Command(self.code)
        except ValueError:
            return None


@dataclass(frozen=True, repr=False)
class ResponseFrame:
    """A SAM-to-host frame. ``data`` may hold personal data, so ``repr`` shows only sizes."""

    sw3: int
    data: bytes = b""
    sw1: int = 0
    sw2: int = 0

    def __repr__(self) -> str:
        return f"ResponseFrame(sw3=0x{self.sw3:02X}, data=<{len(self.data)} bytes>)"


def checksum(covered: bytes) -> int:
    """XOR of ``covered`` (the length field and the payload)."""
    result = 0
    for byte in covered:
        result ^= byte
    return result


def encode_frame(payload: bytes) -> bytes:
    """Wrap ``payload`` (command or response body, without checksum) into a full frame."""
    length = len(payload) + 1
    if length > 0xFFFF:
        raise ProtocolError("payload too long for a frame", raw=payload, reason=REASON_LENGTH)
    covered = length.to_bytes(LENGTH_SIZE, "big") + payload
    return PREAMBLE + covered + bytes([checksum(covered)])


def decode_frame(raw: bytes) -> bytes:
    """Check one complete frame (exactly, no trailing bytes) and return its payload."""
    raw = bytes(raw)
    for index, expected in enumerate(PREAMBLE):
        if index >= len(raw):
            raise ProtocolError(
                "truncated preamble", raw=raw, offset=len(raw), reason=REASON_TRUNCATED
            )
        if raw[index] != expected:
            raise ProtocolError(
                f"bad preamble byte 0x{raw[index]:02X}",
                raw=raw,
                offset=index,
                reason=REASON_PREAMBLE,
            )
    if len(raw) < HEADER_SIZE:
        raise ProtocolError(
            "truncated length field", raw=raw, offset=len(raw), reason=REASON_TRUNCATED
        )
    length = int.from_bytes(raw[len(PREAMBLE) : HEADER_SIZE], "big")
    if length < 1 or length > MAX_LENGTH:
        raise ProtocolError(
            f"implausible length {length}", raw=raw, offset=len(PREAMBLE), reason=REASON_LENGTH
        )
    end = HEADER_SIZE + length
    if len(raw) < end:
        raise ProtocolError(
            f"truncated frame: length says {end} bytes, got {len(raw)}",
            raw=raw,
            offset=len(raw),
            reason=REASON_TRUNCATED,
        )
    if len(raw) > end:
        raise ProtocolError(
            f"{len(raw) - end} bytes after the frame", raw=raw, offset=end, reason=REASON_TRAILING
        )
    covered = raw[len(PREAMBLE) : end - 1]
    if checksum(covered) != raw[end - 1]:
        raise ProtocolError(
            f"bad checksum 0x{raw[end - 1]:02X}, computed 0x{checksum(covered):02X}",
            raw=raw,
            offset=end - 1,
            reason=REASON_CHECKSUM,
        )
    return raw[HEADER_SIZE : end - 1]


def encode_command(code: int, data: bytes = b"") -> bytes:
    """Encode ``CMD PARA [DATA]`` (``code`` = ``CMD << 8 | PARA``, e.g. ``Command.FIND_CARD``)."""
    if not 0 <= code <= 0xFFFF:
        raise ProtocolError(f"command code {code} out of range", reason=REASON_LENGTH)
    return encode_frame(int(code).to_bytes(2, "big") + bytes(data))


def decode_command(raw: bytes) -> CommandFrame:
    payload = decode_frame(raw)
    if len(payload) + 1 < MIN_COMMAND_LENGTH:
        raise ProtocolError(
            "command frame without CMD PARA", raw=raw, offset=len(PREAMBLE), reason=REASON_LENGTH
        )
    return CommandFrame(code=int.from_bytes(payload[:2], "big"), data=payload[2:])


def encode_response(sw3: int, data: bytes = b"", *, sw1: int = 0, sw2: int = 0) -> bytes:
    if not all(0 <= sw <= 0xFF for sw in (sw1, sw2, sw3)):
        raise ProtocolError("status word out of range", reason=REASON_LENGTH)
    return encode_frame(bytes([sw1, sw2, sw3]) + bytes(data))


def decode_response(raw: bytes) -> ResponseFrame:
    payload = decode_frame(raw)
    if len(payload) + 1 < MIN_RESPONSE_LENGTH:
        raise ProtocolError(
            "response frame without SW1 SW2 SW3",
            raw=raw,
            offset=len(PREAMBLE),
            reason=REASON_LENGTH,
        )
    return ResponseFrame(sw1=payload[0], sw2=payload[1], sw3=payload[2], data=payload[3:])


@dataclass(frozen=True, repr=False)
class Frame:
    """A complete, checksum-valid frame found in a byte stream at ``offset``."""

    raw: bytes
    offset: int

    @property
    def payload(self) -> bytes:
        return self.raw[HEADER_SIZE:-1]

    def __repr__(self) -> str:
        return f"Frame(offset={self.offset}, length={len(self.raw)})"


@dataclass(frozen=True, repr=False)
class Discarded:
    """Bytes the stream decoder skipped, at stream ``offset``, and why (``error.offset``
    indexes ``raw``, like every ProtocolError of this codec)."""

    raw: bytes
    offset: int
    error: ProtocolError

    def __repr__(self) -> str:
        return f"Discarded(offset={self.offset}, length={len(self.raw)}, {self.error.reason})"


class FrameDecoder:
    """Incremental decoder: feed bytes as they arrive, get complete frames.

    A serial line delivers frames in arbitrary pieces and sometimes noise (a reader powering
    up, a half frame left from a timed-out exchange). The decoder never raises: bytes before a
    preamble are reported as :class:`Discarded` with their stream offset, and a frame whose
    length or checksum is wrong is reported as discarded, after which it resynchronises on the
    next preamble. A checksum failure discards the whole frame its length field spans (the
    frame arrived, corrupted); an implausible length discards only the false preamble, since
    that "frame" was probably noise and a real one may start inside it.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._offset = 0  # stream offset of self._buffer[0]

    @property
    def pending(self) -> bytes:
        """Bytes held while waiting for the rest of a frame."""
        return bytes(self._buffer)

    @property
    def offset(self) -> int:
        """Stream offset of the first pending byte."""
        return self._offset

    def reset(self) -> None:
        """Forget pending bytes (offsets keep counting, so a session log stays consistent)."""
        self._offset += len(self._buffer)
        self._buffer.clear()

    def truncation(self) -> ProtocolError | None:
        """The error to report if the stream stops now, or ``None`` if nothing is pending."""
        if not self._buffer:
            return None
        return ProtocolError(
            f"stream ended inside a frame after {len(self._buffer)} bytes "
            f"(stream offset {self._offset})",
            raw=bytes(self._buffer),
            offset=len(self._buffer),
            reason=REASON_TRUNCATED,
        )

    def feed(self, data: bytes) -> list[Frame | Discarded]:
        self._buffer += data
        events: list[Frame | Discarded] = []
        while self._buffer:
            start = self._find_preamble()
            if start > 0:
                events.append(
                    self._take(
                        start,
                        "bytes before a preamble",
                        REASON_PREAMBLE,
                        offset_in_raw=0,
                    )
                )
                continue
            if start < 0:  # no (partial) preamble at all: everything is noise
                events.append(
                    self._take(len(self._buffer), "bytes before a preamble", REASON_PREAMBLE, 0)
                )
                break
            if len(self._buffer) < HEADER_SIZE:
                break
            length = int.from_bytes(self._buffer[len(PREAMBLE) : HEADER_SIZE], "big")
            if length < 1 or length > MAX_LENGTH:
                events.append(
                    self._take(1, f"implausible length {length}", REASON_LENGTH, len(PREAMBLE))
                )
                continue
            end = HEADER_SIZE + length
            if len(self._buffer) < end:
                break
            raw = bytes(self._buffer[:end])
            if checksum(raw[len(PREAMBLE) : end - 1]) != raw[end - 1]:
                events.append(self._take(end, "bad checksum", REASON_CHECKSUM, end - 1))
                continue
            events.append(Frame(raw=raw, offset=self._offset))
            del self._buffer[:end]
            self._offset += end
        return events

    def _find_preamble(self) -> int:
        """Index of the first full preamble, or of a trailing partial one; -1 if neither."""
        index = self._buffer.find(PREAMBLE)
        if index >= 0:
            return index
        for size in range(min(len(PREAMBLE) - 1, len(self._buffer)), 0, -1):
            if self._buffer.endswith(PREAMBLE[:size]):
                return len(self._buffer) - size
        return -1

    def _take(self, count: int, message: str, reason: str, offset_in_raw: int) -> Discarded:
        raw = bytes(self._buffer[:count])
        error = ProtocolError(
            f"{message} (stream offset {self._offset})",
            raw=raw,
            offset=offset_in_raw,
            reason=reason,
        )
        discarded = Discarded(raw=raw, offset=self._offset, error=error)
        del self._buffer[:count]
        self._offset += count
        return discarded
