"""``kioskctl`` lists every command group and is honest about the ones still to come."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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
    from kiosk.cli.main import PLANNED

    if not PLANNED:
        pytest.skip("every group has landed")
    result = run(next(iter(PLANNED)))
    assert result.returncode == 2
    assert "not available" in result.stderr


def test_backup_is_available_not_planned():
    result = run("backup", "--help")
    assert result.returncode == 0
    listed = {line.split()[0] for line in result.stdout.splitlines() if line.startswith("    ")}
    assert {"create", "verify", "restore"} <= listed


def test_usage_errors_exit_2():
    assert run("config").returncode == 2
    assert run("nonsense").returncode == 2


def test_sync_agent_with_sync_disabled_says_so_and_exits_3(tmp_path):
    demo = Path(__file__).resolve().parents[2] / "kiosk" / "config" / "demo.toml"
    result = subprocess.run(
        [KIOSKCTL.parent / "bdmi-sync", "--config", str(demo)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "sync.enabled = false" in result.stderr


def test_gateway_with_a_missing_config_names_the_file_and_exits_2(tmp_path):
    missing = tmp_path / "nowhere.toml"
    result = subprocess.run(
        [KIOSKCTL.parent / "bdmi-gateway", "--config", str(missing), "device", "list"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert f"CFG_NOT_FOUND: {missing}" in result.stderr
