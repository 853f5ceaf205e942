"""Run a command where the units' install paths exist, without installing anything on the host.

The units name the paths of the appliance image (``/opt/bdmi-kiosk/bin/...``, the venv that
images/ builds). ``systemd-analyze verify`` checks that each ExecStart binary exists and is
executable, and systemd 252's ``--root`` does not apply to that check. So the command runs in a
private mount namespace (``unshare --mount``, root only) where a tmpfs covers /opt and this
checkout's .venv is bind-mounted on /opt/bdmi-kiosk: the unit files are verified byte for byte
as shipped, against the console scripts this checkout really installs. Nothing outside the
namespace changes, and it ends with the command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SYSTEMD_DIR = REPO / "systemd"
VENV = Path(sys.prefix)  # the venv running the tests: .venv
PREFIX = Path("/opt/bdmi-kiosk")

_SCRIPT = 'mount -t tmpfs tmpfs /opt && mkdir -p "$1" && mount --bind "$2" "$1" && shift 2 && "$@"'


def run_with_install_paths(
    argv: Sequence[str], cwd: Path = SYSTEMD_DIR
) -> subprocess.CompletedProcess:
    if os.geteuid() != 0:
        raise RuntimeError("needs root for unshare --mount (CI and the dev machines run as root)")
    unshare = shutil.which("unshare")
    if unshare is None:
        raise RuntimeError("unshare not found: apt-get install util-linux")
    return subprocess.run(
        [
            unshare,
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            _SCRIPT,
            "sh",
            str(PREFIX),
            str(VENV),
            *argv,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """Sections of a unit file, each key with all its values in order (systemd allows a key
    many times, which configparser does not)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path.name}: key outside a section: {line}"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not KEY=VALUE: {line}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections
