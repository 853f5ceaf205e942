"""ESC/POS receipts: layout blocks in, printer bytes out. Pure: no I/O, no state.

The commands (styles, alignment, the ``GS ( k`` QR code, the cut) come from python-escpos:
its ``Dummy`` printer collects in memory the bytes its ``set``, ``qr`` and ``cut`` would
send. The text is encoded here instead. python-escpos's "magic" encoder turns a line into
GB18030 only when it holds an ideograph of U+4E00..U+9FA5, and otherwise sends ``ESC t``
code-page switches: a line of Chinese punctuation alone, or an insurer's name with a rarer
character, would come out as ``?`` or as code-page bytes that a printer in its Chinese mode
misreads. The printers sold for Chinese receipts take GB18030 once ``FS &`` selects their
Chinese mode, and their font covers its one- and two-byte part (the GBK set). So every line
is GB18030; a character outside that part (an emoji, a rare ideograph) prints as ``?``, and
control characters never reach the printer, so no text can smuggle in a command.

Widths are in columns of font A (12 x 24 dots): 32 on 58 mm paper (384 dots), 48 on 80 mm
(576 dots). A two-byte character prints in the 24 x 24 Chinese font, two columns wide.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from escpos.printer import Dummy

Align = Literal["left", "center", "right"]
PaperWidth = Literal[58, 80]
COLUMNS: dict[int, int] = {58: 32, 80: 48}
CHINESE_MODE = b"\x1c\x26"  # FS &: two-byte (GB18030) characters from here on
REPLACEMENT = "?"
QR_MAX_PAYLOAD = 255
"""Far above what a receipt carries (a reference and a date); keeps the code small enough to
scan off a 58 mm roll."""


@dataclass(frozen=True, slots=True)
class Text:
    """One paragraph, wrapped to the paper's width."""

    text: str
    bold: bool = False
    large: bool = False
    """Double width and height (``GS !``, which also enlarges Chinese characters)."""
    align: Align = "left"


@dataclass(frozen=True, slots=True)
class QrCode:
    """A QR code (model 2, error correction M) printed by the printer itself."""

    payload: str
    module_dots: int = 6
    """Dots per module: 6 dots is 0.75 mm at 203 dpi, easy for a phone or a desk scanner."""


@dataclass(frozen=True, slots=True)
class Feed:
    lines: int = 1


Block = Text | QrCode | Feed


def printable(text: str) -> str:
    """``text`` as the printer will print it: line feeds kept, tabs as spaces, other control
    and format characters dropped, characters outside GB18030's one- and two-byte part
    replaced by ``?``."""
    out: list[str] = []
    for char in text:
        if char == "\n":
            out.append(char)
        elif char == "\t":
            out.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            continue
        elif len(_gb18030(char)) <= 2:
            out.append(char)
        else:
            out.append(REPLACEMENT)
    return "".join(out)


def _gb18030(char: str) -> bytes:
    try:
        return char.encode("gb18030")
    except UnicodeEncodeError:  # a lone surrogate: dropped by ``printable`` before this
        return b"????"


def encode_text(text: str) -> bytes:
    """The bytes of ``text`` for a printer in Chinese mode (see ``printable``)."""
    return printable(text).encode("gb18030")


def display_width(text: str) -> int:
    """Columns ``text`` takes on paper: one per one-byte character, two per two-byte one."""
    return sum(1 if len(_gb18030(char)) == 1 else 2 for char in printable(text))


def wrap(text: str, columns: int) -> list[str]:
    """``text`` (after ``printable``) in lines of at most ``columns`` columns: Latin words
    are kept whole where they fit, Chinese breaks between any two characters, a word longer
    than a line is cut. Spaces at a break are dropped; nothing else is."""
    if columns < 2:
        raise ValueError("a line holds at least one Chinese character (2 columns)")
    lines: list[str] = []
    for paragraph in printable(text).split("\n"):
        line, width = "", 0
        for token in _tokens(paragraph):
            token_width = display_width(token)
            if width + token_width <= columns:
                line, width = line + token, width + token_width
                continue
            if line.strip():
                lines.append(line.rstrip(" "))
            line, width = "", 0
            if token == " ":
                continue
            while display_width(token) > columns:  # a word wider than the paper
                cut = _fit(token, columns)
                lines.append(token[:cut])
                token = token[cut:]
            line, width = token, display_width(token)
        lines.append(line.rstrip(" "))
    return lines


def _tokens(paragraph: str) -> Iterator[str]:
    """Spaces one by one, each two-byte character alone, runs of the others as words."""
    word = ""
    for char in paragraph:
        if char == " " or display_width(char) == 2:
            if word:
                yield word
                word = ""
            yield char
        else:
            word += char
    if word:
        yield word


def _fit(token: str, columns: int) -> int:
    width = 0
    for index, char in enumerate(token):
        width += display_width(char)
        if width > columns:
            return index
    return len(token)


def encode_receipt(blocks: Iterable[Block], *, paper: PaperWidth = 58) -> bytes:
    """One complete job: reset the printer, select its Chinese mode, the blocks, feed the
    last line past the tear bar, cut (a printer without a cutter ignores the cut)."""
    if paper not in COLUMNS:
        raise ValueError(f"paper width must be one of {sorted(COLUMNS)} mm")
    printer = _dummy()
    printer.hw("INIT")
    job = [_take(printer), CHINESE_MODE]
    for block in blocks:
        if isinstance(block, Text):
            job.append(_text(printer, block, COLUMNS[paper]))
        elif isinstance(block, QrCode):
            job.append(_qr(printer, block))
        else:
            job.append(b"\n" * max(block.lines, 0))
    _style(printer, align="left", bold=False, large=False)
    printer.cut(mode="FULL", feed=True)
    job.append(_take(printer))
    return b"".join(job)


def _text(printer: Dummy, block: Text, columns: int) -> bytes:
    _style(printer, align=block.align, bold=block.bold, large=block.large)
    lines = wrap(block.text, columns // 2 if block.large else columns)
    return _take(printer) + b"".join(encode_text(line) + b"\n" for line in lines)


def _qr(printer: Dummy, block: QrCode) -> bytes:
    payload = block.payload
    if not payload or len(payload) > QR_MAX_PAYLOAD or not payload.isascii():
        raise ValueError(f"a QR payload is 1 to {QR_MAX_PAYLOAD} ASCII characters")
    if not payload.isprintable():
        raise ValueError("a QR payload holds printable characters only")
    from escpos.constants import QR_ECLEVEL_M, QR_MODEL_2

    _style(printer, align="center", bold=False, large=False)  # GS ( k follows ESC a
    printer.qr(payload, ec=QR_ECLEVEL_M, size=block.module_dots, model=QR_MODEL_2, native=True)
    return _take(printer) + b"\n"


def _style(printer: Dummy, *, align: Align, bold: bool, large: bool) -> None:
    # Every block states its whole style: a block never inherits its predecessor's.
    size = 2 if large else 1
    printer.set(custom_size=True, width=size, height=size, bold=bold, align=align)


def _take(printer: Dummy) -> bytes:
    data = printer.output
    printer.clear()
    return data


@cache
def _dummy_class() -> type[Dummy]:
    # python-escpos calls logging.basicConfig() when it is first imported
    # (escpos/capabilities.py), which would give an unconfigured root logger a second
    # stderr handler beside the kiosk's own: keep the root's handlers as they were.
    root = logging.getLogger()
    handlers = list(root.handlers)
    try:
        from escpos.printer import Dummy
    finally:
        root.handlers[:] = handlers
    return Dummy


def _dummy() -> Dummy:
    """A fresh in-memory printer per job: the default profile (every command we use is in
    it), so nothing of one job can leak into the next."""
    return _dummy_class()()
