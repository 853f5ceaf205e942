"""``kioskctl`` lists every command group and is honest about the ones still to come."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

KIOSKCTL = Path(sys.executable).parent / "kioskctl"
GROUPS = ("config", "doc", "face", "outbox", "audit", "backup", "provision", "selftest")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KIOSKCTL, *args], capture_output=True, text=True, timeout=60)


def test_help_lists_every_group():
    result = run("--help")
    assert result.returncode == 0
    listed = {line.split()[0] for line in result.stdout.splitlines() if line.startswith("    ")}
    assert set(GROUPS) <= listed


def test_a_group_still_to_come_says_so_with_exit_2():
    result = run("backup")
    assert result.returncode == 2
    assert "not available" in result.stderr


def test_usage_errors_exit_2():
    assert run("config").returncode == 2
    assert run("nonsense").returncode == 2


def test_sync_and_gateway_commands_exist_and_do_not_pretend():
    for name in ("bdmi-sync", "bdmi-gateway"):
        result = subprocess.run(
            [KIOSKCTL.parent / name], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 2
        assert "not available" in result.stderr
