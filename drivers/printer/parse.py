"""Reads an ESC/POS job back: the printed lines with their style, the QR codes, the cuts.

Only the commands ``codec.encode_receipt`` sends are known (they are all a receipt needs);
anything else is a ``ProtocolError`` with its offset, never a guess. The simulated printer
keeps a readable transcript of every job with it, and the tests check what a person would
find on the paper rather than searching raw bytes.

Text is GB18030 (the printer is in its Chinese mode, ``FS &``). Every GB18030 byte is at
least 0x20 (lead bytes 0x81..0xFE, trail bytes 0x30..0x39 and 0x40..0xFE), so a byte below
0x20 always starts a command and never splits a character.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.errors import ProtocolError

ESC, GS, FS, LF = 0x1B, 0x1D, 0x1C, 0x0A
REASON = "DRV_PRINTER_PROTOCOL"
ALIGNS = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}


@dataclass(frozen=True, slots=True)
class PrintedLine:
    text: str
    bold: bool
    large: bool
    align: str


@dataclass
class Transcript:
    lines: list[PrintedLine] = field(default_factory=list)
    qr_codes: list[str] = field(default_factory=list)
    """Payloads of the QR codes printed (``GS ( k`` fn 81 after fn 80), in order."""
    cuts: int = 0

    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass
class _State:
    bold: bool = False
    large: bool = False
    align: str = "left"
    stored_qr: str | None = None


def parse_job(data: bytes) -> Transcript:
    """The transcript of one job; ``ProtocolError`` (``DRV_PRINTER_PROTOCOL``) with the
    offset of the first byte that is not a known command or GB18030 text."""
    out, state = Transcript(), _State()
    text = bytearray()
    pos = 0

    def need(count: int) -> bytes:
        if pos + count > len(data):
            raise ProtocolError("command truncated", raw=data, offset=pos, reason=REASON)
        return data[pos : pos + count]

    def flush_line() -> None:
        try:
            decoded = bytes(text).decode("gb18030")
        except UnicodeDecodeError as exc:
            raise ProtocolError("text is not GB18030", raw=data, offset=pos, reason=REASON) from exc
        out.lines.append(PrintedLine(decoded, state.bold, state.large, state.align))
        text.clear()

    while pos < len(data):
        byte = data[pos]
        if byte >= 0x20:
            text.append(byte)
            pos += 1
            continue
        if text and byte != LF:
            raise ProtocolError("command inside a line", raw=data, offset=pos, reason=REASON)
        if byte == LF:
            flush_line()
            pos += 1
            continue
        head = need(2)
        start = pos
        if head == b"\x1b@":
            state = _State()
            pos += 2
        elif head[0] == ESC and head[1] in b"!EatdJ":
            arg = need(3)[2]
            pos += 3
            if head[1] == ord("E"):
                state.bold = bool(arg & 1)
            elif head[1] == ord("a"):
                if arg not in ALIGNS:
                    raise ProtocolError("bad alignment", raw=data, offset=start, reason=REASON)
                state.align = ALIGNS[arg]
            elif head[1] == ord("!"):
                state.bold, state.large = bool(arg & 0x08), arg & 0x30 == 0x30
        elif head == b"\x1d!":
            arg = need(3)[2]
            state.large = arg == 0x11
            pos += 3
        elif head == b"\x1dV":
            mode = need(3)[2]
            size = 4 if mode in (65, 66) else 3  # with a feed amount, or without
            need(size)
            pos += size
            out.cuts += 1
        elif head == b"\x1d(":
            header = need(5)
            if header[2] != ord("k"):
                raise ProtocolError("unknown GS ( function", raw=data, offset=start, reason=REASON)
            length = header[3] | header[4] << 8
            pos += 5
            body = need(length)
            pos += length
            _qr_function(body, state, out, data, start)
        elif head in (b"\x1c&", b"\x1c."):
            pos += 2
        else:
            raise ProtocolError(f"unknown command 0x{byte:02x}", raw=data, offset=start,
                                reason=REASON)  # fmt: skip
    if text:
        flush_line()  # a last line without its LF stays in the printer's buffer; shown anyway
    return out


def _qr_function(body: bytes, state: _State, out: Transcript, data: bytes, start: int) -> None:
    if len(body) < 2 or body[0] != ord("1"):
        raise ProtocolError("not a QR code function", raw=data, offset=start, reason=REASON)
    function = body[1]
    if function == 80:  # store the data: cn fn m d1...dk
        if len(body) < 3:
            raise ProtocolError("QR data truncated", raw=data, offset=start, reason=REASON)
        try:
            state.stored_qr = body[3:].decode("ascii")
        except UnicodeDecodeError as exc:
            raise ProtocolError("QR data not ASCII", raw=data, offset=start,
                                reason=REASON) from exc  # fmt: skip
    elif function == 81:  # print the stored symbol
        if state.stored_qr is None:
            raise ProtocolError("QR printed before its data", raw=data, offset=start,
                                reason=REASON)  # fmt: skip
        out.qr_codes.append(state.stored_qr)
    elif function not in (65, 67, 69):  # model, module size, error correction
        raise ProtocolError("unknown QR function", raw=data, offset=start, reason=REASON)
