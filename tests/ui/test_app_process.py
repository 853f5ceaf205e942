"""``bdmi-kiosk`` as a process, the way systemd starts it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def test_bad_config_refuses_to_start_and_names_the_key(tmp_path):
    bad = tmp_path / "kiosk.toml"
    bad.write_text('[device]\nsite = "ward-3"\nmode = "demo"\n[ui]\nfullscreen = "yes please"\n')
    result = subprocess.run(
        [BIN / "bdmi-kiosk", "--config", bad], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert f"{bad}:5:" in result.stderr and "ui.fullscreen" in result.stderr


@pytest.mark.ui
def test_demo_starts_on_a_real_display_and_logs_structured_lines(xvfb_display, demo_config_file):
    env = {**os.environ, "DISPLAY": xvfb_display.display, "QT_QPA_PLATFORM": "xcb"}
    text = demo_config_file.read_text().replace('format = "kv"', 'format = "json"')
    demo_config_file.write_text(text)
    proc = subprocess.Popen(
        [BIN / "bdmi-kiosk", "--config", demo_config_file],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        started = None
        deadline = time.monotonic() + 60
        assert proc.stderr is not None
        while started is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            if line.startswith("{"):
                record = json.loads(line)
                if record["msg"] == "kiosk started":
                    started = record
        assert started is not None, "no 'kiosk started' line"
        assert started["site"] == "demo-hospital" and started["mode"] == "demo"
        assert proc.poll() is None, "the kiosk exited by itself"
    finally:
        proc.terminate()
        # Read the rest of stderr while it shuts down: a kiosk blocked on a full pipe would
        # never finish its clean exit (SIGTERM quits the Qt loop, then closes the devices).
        proc.communicate(timeout=60)
