"""The Xvfb fixture yields a display that real X clients can use."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess

import pytest

from tests.harness.xvfb import XvfbServer

pytestmark = pytest.mark.services


def test_display_socket_accepts(xvfb_display: XvfbServer) -> None:
    assert xvfb_display.display.startswith(":")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(xvfb_display.socket_path))


def test_xdpyinfo_sees_configured_screen(xvfb_display: XvfbServer) -> None:
    xdpyinfo = shutil.which("xdpyinfo")
    if xdpyinfo is None:
        pytest.fail("xdpyinfo not installed (Debian package x11-utils)")
    env = {**os.environ, "DISPLAY": xvfb_display.display}
    result = subprocess.run(
        [xdpyinfo], env=env, capture_output=True, text=True, timeout=20, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "1280x800 pixels" in result.stdout
    assert "depth of root window:    24 planes" in result.stdout
