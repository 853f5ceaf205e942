"""``bdmi-sync``: the device agent that publishes outbox rows over MQTT (issue 6).

Until it lands, the command exists so the systemd units and packaging can be wired, and it
says plainly that it does nothing yet (exit code 2), rather than pretending to sync.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bdmi-sync", description="BDMI device sync agent")
    parser.add_argument("--config", help="kiosk config file")
    parser.parse_args(argv)
    print("bdmi-sync: not available in this version yet", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
