"""sysusers.d and tmpfiles.d applied for real, by systemd's own tools, to an empty root
directory laid out as the image lays it out: the user exists with its groups, and every
directory gets the owner and mode the services need."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.systemd.install_paths import SYSTEMD_DIR


def _install(root: Path) -> None:
    for kind in ("sysusers.d", "tmpfiles.d"):
        dest = root / "usr" / "lib" / kind
        dest.mkdir(parents=True)
        for conf in (SYSTEMD_DIR / kind).glob("*.conf"):
            shutil.copy(conf, dest / conf.name)
    (root / "etc").mkdir()


def _ids(root: Path, table: str) -> dict[str, list[str]]:
    lines = (root / "etc" / table).read_text().splitlines()
    return {line.split(":")[0]: line.split(":") for line in lines}


def test_users_and_directories(tmp_path):
    root = tmp_path / "root"
    _install(root)
    for tool in ("systemd-sysusers", "systemd-tmpfiles"):
        argv = [tool, f"--root={root}"] + (["--create"] if tool == "systemd-tmpfiles" else [])
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert "Failed" not in result.stderr and "ignoring" not in result.stderr, result.stderr
    users, groups = _ids(root, "passwd"), _ids(root, "group")
    bdmi = users["bdmi"]
    assert bdmi[5] == "/var/lib/bdmi-kiosk" and bdmi[6] == "/usr/sbin/nologin"
    for group in ("video", "audio"):
        assert "bdmi" in groups[group][3].split(",")
    uid, gid = int(bdmi[2]), int(bdmi[3])
    expected = {
        "var/lib/bdmi-kiosk": (0o750, uid, gid),
        "var/lib/bdmi-kiosk/keys": (0o700, uid, gid),
        "etc/bdmi-kiosk": (0o750, 0, gid),
        "var/cache/bdmi-kiosk": (0o750, uid, gid),
        "run/bdmi": (0o700, uid, gid),
        "var/lib/bdmi-gateway": (
            0o750,
            int(users["bdmi-gateway"][2]),
            int(users["bdmi-gateway"][3]),
        ),
    }
    for path, (mode, owner, group) in expected.items():
        st = (root / path).stat()
        assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (mode, owner, group), path
