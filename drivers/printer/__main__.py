"""A test print: ``python -m drivers.printer [DEVICE] [--paper 58|80]``.

Prints a short page with English, Chinese (GB18030), large and bold text, a QR code and a
cut, so a technician sees at once whether the device, the Chinese mode and the cutter work.
Exit 0 when the printer took the job, 1 with the reason code when it did not.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from drivers.printer.codec import Feed, QrCode, Text, encode_receipt
from drivers.printer.device import DevicePrinter
from drivers.printer.errors import PrinterError


def test_page() -> list[Text | QrCode | Feed]:
    return [
        Text("BDMI test print", bold=True, large=True, align="center"),
        Text("打印测试 · 中文 GB18030", align="center"),
        Feed(),
        Text("Bold 粗体", bold=True),
        Text("ABCD-1234", large=True, align="center"),
        QrCode("BDMI-TEST"),
        Text("If the QR code scans as BDMI-TEST, the printer is ready.", align="center"),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drivers.printer", description=__doc__)
    parser.add_argument("device", nargs="?", default="/dev/bdmi/printer0")
    parser.add_argument("--paper", type=int, choices=(58, 80), default=58)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args(argv)
    try:
        DevicePrinter(args.device, timeout_s=args.timeout).print_job(
            encode_receipt(test_page(), paper=args.paper)
        )
    except PrinterError as exc:
        print(f"not printed: {exc}", file=sys.stderr)
        return 1
    print(f"test page sent to {args.device}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
