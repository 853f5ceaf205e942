"""What a receipt printer is, and how printing fails.

A printer takes one job (the bytes of one receipt) and either prints it or raises one of
these, each with its stable reason code (docs/operations.md, "Reason codes"). There is no
partial success to report: a thermal printer that ran out of paper half way leaves a torn
receipt either way, and the person is told to ask at the desk.
"""

from __future__ import annotations

from typing import Protocol

from drivers.errors import DriverError


class PrinterError(DriverError):
    """Base of the printer's errors."""

    reason = "DRV_PRINTER_ERROR"


class PrinterUnavailable(PrinterError):
    """No printer at the configured device (unplugged, powered off, wrong path, no
    permission): nothing was printed."""

    reason = "DRV_PRINTER_UNAVAILABLE"


class PrinterNoPaper(PrinterError):
    """The printer reports its paper roll empty (or the cover open, which the paper sensor
    cannot tell apart)."""

    reason = "DRV_PRINTER_NO_PAPER"


class PrinterTimeout(PrinterError):
    """The printer stopped taking bytes before the job was through (offline, jammed, or
    the kernel's buffer full of an earlier job)."""

    reason = "DRV_PRINTER_TIMEOUT"


class ReceiptPrinter(Protocol):
    """Anything that prints a job: the device file, or the simulated printer."""

    def print_job(self, data: bytes) -> None:
        """Send one complete job; raise a ``PrinterError`` when it could not be printed."""
        ...
