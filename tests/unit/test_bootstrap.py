"""``bootstrap.sh``: quick when everything is there, and clear when Python 3.13 is not."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_second_run_only_checks(tmp_path):
    # The suite runs inside the venv bootstrap made, so everything is installed: a run
    # must not reinstall anything.
    result = subprocess.run(
        ["bash", REPO / "bootstrap.sh"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "installing" not in result.stderr
    assert "ready:" in result.stderr


@pytest.mark.skipif(
    any(Path(p).exists() for p in ("/usr/bin/python3.13", "/usr/local/bin/python3.13")),
    reason="a system-wide Python 3.13 exists here: bootstrap rightly finds it",
)
def test_missing_python_313_names_what_to_install(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",  # no pyenv shims, no python3.13 here
        "HOME": str(tmp_path),  # no ~/.pyenv
        "BDMI_VENV": str(tmp_path / "venv"),  # no venv yet
    }
    result = subprocess.run(
        ["bash", REPO / "bootstrap.sh"], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 1
    assert "Python 3.13 not found" in result.stderr
    assert "pyenv install 3.13" in result.stderr
    assert "python3.13-venv" in result.stderr
    assert not (tmp_path / "venv").exists()
