"""``bdmi-gateway``: the chain gateway that verifies, batches and anchors results (issue 6).

Until it lands, the command exists so the systemd units and packaging can be wired, and it
says plainly that it does nothing yet (exit code 2), rather than pretending to anchor.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bdmi-gateway", description="BDMI chain gateway")
    parser.add_argument("--config", help="gateway config file")
    parser.parse_args(argv)
    print("bdmi-gateway: not available in this version yet", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
