"""With pcscd down, the presence check names the PC/SC reader absent instead of crashing
(service mode's self-test runs it while the kiosk owns the devices). pcscd is made
unreachable for real: the client library is pointed at a socket nothing listens on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys
from kiosk.config import load_config
from kiosk.ops.context import CheckContext
from kiosk.ops.presence import check_presence
ctx = CheckContext(load_config(sys.argv[1]))
try:
    print(json.dumps([[c.name, c.status, c.reason] for c in check_presence(ctx)]))
finally:
    ctx.close()
"""


def test_pcscd_down_is_an_absent_reader_not_a_crash(tmp_path: Path):
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[device]\nsite = "presence-test"\nmode = "demo"\nstate_dir = "{tmp_path / "state"}"\n'
        '[camera]\nkind = "simulated_subject"\n'
        '[readers.pcsc]\nkind = "pcsc"\nreader = "Any Reader"\n',
        encoding="utf-8",
    )
    env = {**os.environ, "PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm")}
    done = subprocess.run([sys.executable, "-c", PROBE, str(config)], env=env,
                          capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    checks = {name: (status, reason) for name, status, reason in json.loads(done.stdout)}
    assert checks["reader.pcsc"] == ("fail", "OPS_DEVICE_ABSENT")
