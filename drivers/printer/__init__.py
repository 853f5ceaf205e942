"""Receipt printers: 58 and 80 mm ESC/POS thermal printers.

``codec`` turns a receipt layout (text lines, a QR code) into ESC/POS bytes, with
python-escpos for the commands and GB18030 for the text; ``parse`` reads such bytes back
(the simulated printer's transcript, the tests); ``device`` is the transport to a printer's
device file (``/dev/usb/lp0``, or the udev name ``/dev/bdmi/printer0``). The simulated
printer is in ``drivers/simulators/receipt_printer.py``. Nothing here knows what a receipt
says: the kiosk decides that.
"""

from drivers.printer.errors import (
    PrinterError,
    PrinterNoPaper,
    PrinterTimeout,
    PrinterUnavailable,
    ReceiptPrinter,
)

__all__ = [
    "PrinterError",
    "PrinterNoPaper",
    "PrinterTimeout",
    "PrinterUnavailable",
    "ReceiptPrinter",
]
