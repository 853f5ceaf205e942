"""Line assembly for serial MRZ swipe readers, and a thin pyserial transport.

A swipe reader sends each MRZ line followed by CR and/or LF (some wrap a swipe in STX/ETX,
some send the whole MRZ as one line), and the wire also carries noise: a partial swipe,
a reader's banner at power-up, a half line when the kiosk opened the port mid-swipe.
``MrzLineAssembler`` is pure: feed it bytes in any chunking, it returns each complete MRZ
(2 lines of 44 or 36, 3 lines of 30) as a tuple of lines, ready for ``parse_mrz``. Lines
that cannot be MRZ lines are dropped and counted, and a line that cannot take its place
in an MRZ (a stale first line followed by a fresh swipe) slides the window forward, so
one bad swipe never poisons the next one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from drivers.errors import ReaderUnavailable
from drivers.lifecycle import OpenCloseContext
from drivers.mrz.normalise import LINE_LAYOUTS

if TYPE_CHECKING:
    import serial

MAX_LINE_BYTES = 256
"""A line longer than this is noise, and dropping it keeps the buffer bounded."""

_MRZ_LINE = re.compile(r"[A-Z0-9<]+")
# Plausibility of each line of a layout, from where the standard puts letters and digits:
# line 1 starts with a document code letter; the line holding the birth date always has a
# digit as the date's check digit (even an unknown date '<<<<<<' has check digit 0)
# followed by the sex, which a TD2/TD3 line 1 (a name there) practically never has; the
# TD1 name line has no document number check digit. Cheap, and enough to tell a stale
# line 1 from a line 2, whatever the name, while still passing lines with OCR slips on to
# ``parse_mrz`` (which reports them) rather than swallowing them here.
_BIRTH_LINE_TD1 = re.compile(r"[0-9<]{6}[0-9][MFX<]")
_BIRTH_LINE_TD23 = re.compile(r".{13}[0-9<]{6}[0-9][MFX<]")


def _td23_line1(line: str) -> bool:
    return "A" <= line[0] <= "Z" and not _BIRTH_LINE_TD23.match(line)


def _td1_line1(line: str) -> bool:
    return "A" <= line[0] <= "Z"


def _td1_line3(line: str) -> bool:
    # Not a TD1 line 1, whose document number check digit (position 15) is a digit, or
    # '<' with the long number's digits after it.
    number_check = line[14]
    return not (
        number_check.isdigit() or (number_check == "<" and any(c.isdigit() for c in line[15:]))
    )


_LINE_RULES: dict[int, tuple[Callable[[str], bool], ...]] = {
    30: (_td1_line1, lambda line: bool(_BIRTH_LINE_TD1.match(line)), _td1_line3),
    36: (_td23_line1, lambda line: bool(_BIRTH_LINE_TD23.match(line))),
    44: (_td23_line1, lambda line: bool(_BIRTH_LINE_TD23.match(line))),
}


def _decode_line(raw: bytes) -> str | None:
    """An MRZ line, or ``None`` for noise. Spaces are dropped, ASCII letters upper-cased."""
    if len(raw) > MAX_LINE_BYTES:
        return None
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return None
    line = text.replace(" ", "").replace("\t", "").upper()
    if not _MRZ_LINE.fullmatch(line):
        return None
    if len(line) in LINE_LAYOUTS or any(len(line) == n * c for n, c in LINE_LAYOUTS.items()):
        return line
    return None


class MrzLineAssembler:
    """Turns a byte stream from a swipe reader into complete MRZs (tuples of lines)."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._overlong = False
        self._pending: list[str] = []
        self.discarded_lines = 0
        """Non-empty lines dropped as noise or as a stale partial swipe (for diagnostics)."""

    def reset(self) -> None:
        """Forget a partial swipe, e.g. when the transport saw the line go idle."""
        self.discarded_lines += len(self._pending) + (1 if self._buffer else 0)
        self._pending.clear()
        self._buffer.clear()
        self._overlong = False

    @property
    def pending(self) -> bool:
        """True while part of a swipe has been received."""
        return bool(self._pending or self._buffer)

    def feed(self, data: bytes) -> list[tuple[str, ...]]:
        """Consume ``data``; return the MRZs it completed, oldest first."""
        completed: list[tuple[str, ...]] = []
        for byte in data:
            if byte < 0x20 or byte == 0x7F:  # CR, LF, STX, ETX, ...: end of a line
                if self._overlong:
                    self.discarded_lines += 1
                elif self._buffer:
                    mrz = self._take_line(bytes(self._buffer))
                    if mrz is not None:
                        completed.append(mrz)
                self._buffer.clear()
                self._overlong = False
            elif not self._overlong:
                self._buffer.append(byte)
                if len(self._buffer) > MAX_LINE_BYTES:
                    self._buffer.clear()
                    self._overlong = True
        return completed

    def _take_line(self, raw: bytes) -> tuple[str, ...] | None:
        line = _decode_line(raw)
        if line is None:
            self.discarded_lines += 1 + len(self._pending)
            self._pending.clear()
            return None
        if len(line) not in LINE_LAYOUTS:  # a whole MRZ sent as one line
            self.discarded_lines += len(self._pending)
            self._pending.clear()
            length = next(n for n, c in LINE_LAYOUTS.items() if len(line) == n * c)
            return tuple(line[i : i + length] for i in range(0, len(line), length))
        if self._pending and len(self._pending[0]) != len(line):
            self.discarded_lines += len(self._pending)
            self._pending.clear()
        self._pending.append(line)
        rules = _LINE_RULES[len(line)]
        # Slide forward past lines that cannot stand where they are.
        while self._pending and not all(
            rule(text) for rule, text in zip(rules, self._pending, strict=False)
        ):
            self._pending.pop(0)
            self.discarded_lines += 1
        if len(self._pending) == len(rules):
            mrz = tuple(self._pending)
            self._pending.clear()
            return mrz
        return None


class SerialSwipeReader(OpenCloseContext):
    """A swipe reader on a serial port (USB CDC or RS-232): pyserial plus the assembler.

    ``read_mrz`` returns the next complete MRZ lines or ``None`` on timeout; a partial
    swipe followed by a timeout is dropped, so the next swipe starts clean.
    """

    def __init__(self, port: str, *, baudrate: int = 9600, read_timeout: float = 0.2) -> None:
        self.port = port
        self.baudrate = baudrate
        self.read_timeout = read_timeout
        self.name = f"mrz-swipe:{port}"
        self._serial: serial.Serial | None = None
        self._assembler = MrzLineAssembler()
        self._ready: list[tuple[str, ...]] = []

    def open(self) -> None:
        import serial  # the transport only; the assembler above needs no pyserial

        try:
            self._serial = serial.Serial(
                self.port, baudrate=self.baudrate, timeout=self.read_timeout
            )
        except (serial.SerialException, OSError) as exc:
            raise ReaderUnavailable(f"cannot open {self.port}: {exc}") from exc

    def close(self) -> None:
        if self._serial is not None:
            self._serial.close()
            self._serial = None

    def read_mrz(self, *, max_reads: int = 1) -> tuple[str, ...] | None:
        """Read up to ``max_reads`` serial timeouts' worth of bytes; return the first
        complete MRZ seen, else ``None``."""
        import serial

        if self._serial is None:
            raise ReaderUnavailable(f"{self.port} is not open")
        for _ in range(max_reads):
            if self._ready:
                return self._ready.pop(0)
            try:
                chunk = self._serial.read(max(1, self._serial.in_waiting))
            except (serial.SerialException, OSError) as exc:
                raise ReaderUnavailable(f"{self.port}: {exc}") from exc
            if not chunk:
                if self._assembler.pending:
                    self._assembler.reset()  # the line went idle mid-swipe
                continue
            self._ready.extend(self._assembler.feed(chunk))
        return self._ready.pop(0) if self._ready else None
