"""A receipt on paper: the kiosk's receipt (``kiosk/receipts.py``) as printer blocks, and
the job that prints it off the Qt thread.

The shell is where the receipt's words meet the printer's commands: the receipt module
knows no printer, the driver knows no receipt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from drivers.errors import DriverError
from drivers.printer.codec import Block, Feed, PaperWidth, QrCode, Text, encode_receipt
from drivers.printer.errors import ReceiptPrinter
from kiosk.flows.messages import Event, PrintFailed, ReceiptPrinted
from kiosk.receipts import Receipt, ReceiptLine, receipt_lines

log = logging.getLogger(__name__)


def _block(line: ReceiptLine) -> list[Block]:
    if line.style == "title":
        return [Text(line.text, bold=True, align="center"), Feed()]
    if line.style == "headline":  # normal size: an English headline fits one 58 mm line
        return [Text(line.text, bold=True, align="center")]
    if line.style == "reference":
        return [Text(line.text, bold=True, large=True, align="center"), Feed()]
    if line.style == "qr":
        return [QrCode(line.text)]
    return [Text(line.text, align="center")]  # "text" and "small": the same font on paper


def receipt_job(receipt: Receipt, paper: PaperWidth) -> bytes:
    """The ESC/POS bytes of ``receipt`` for ``paper`` mm rolls."""
    blocks: list[Block] = []
    footer = False
    for line in receipt_lines(receipt):
        if line.style == "small" and not footer:  # a blank line before where it came from
            blocks.append(Feed())
            footer = True
        blocks += _block(line)
    return encode_receipt(blocks, paper=paper)


def print_in_background(
    printer: ReceiptPrinter, job: bytes, reference: str, post: Callable[[Event], None]
) -> threading.Thread:
    """Send ``job`` on a worker thread (a printer takes seconds, an unplugged one up to its
    timeout) and post ``ReceiptPrinted`` or ``PrintFailed`` with the driver's reason. The
    job's bytes live only in this thread, which ends with the print."""

    def work() -> None:
        try:
            printer.print_job(job)
        except DriverError as exc:
            log.warning("receipt not printed", extra={"reason": exc.reason,
                                                       "reference": reference})  # fmt: skip
            post(PrintFailed(exc.reason))
            return
        log.info("receipt printed", extra={"reference": reference, "bytes": len(job)})
        post(ReceiptPrinted())

    thread = threading.Thread(target=work, name="print-receipt", daemon=True)
    thread.start()
    return thread
