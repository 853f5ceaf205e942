"""systemd/udev/*.rules: readable by udevd (checked by tests/systemd/udev_rules.py, since
systemd 252 has no ``udevadm verify``), and giving the names the config and the docs use."""

from __future__ import annotations

import contextlib
import shutil
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.systemd.install_paths import SYSTEMD_DIR
from tests.systemd.udev_rules import RuleSyntaxError, parse_line, parse_rules

RULES = sorted((SYSTEMD_DIR / "udev").glob("*.rules"))


def _links(rules) -> set[str]:
    return {p.value for rule in rules for p in rule if p.key == "SYMLINK" and p.op == "+="}


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
def test_rules_parse(path):
    rules = parse_rules(path.read_text(encoding="utf-8"))
    assert rules


def test_udevadm_verify_where_this_systemd_has_it():
    udevadm = shutil.which("udevadm")
    if (
        udevadm is None
        or "verify"
        not in subprocess.run([udevadm, "--help"], capture_output=True, text=True).stdout
    ):
        pytest.skip("udevadm verify needs systemd >= 254; the parse check above stands in")
    result = subprocess.run([udevadm, "verify", *map(str, RULES)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stderr, result.stderr


def test_stable_names_and_group():
    rules = [r for path in RULES for r in parse_rules(path.read_text(encoding="utf-8"))]
    assert {"bdmi/camera0", "bdmi/sam0", "bdmi/pcsc0", "bdmi/printer0"} <= _links(rules)
    for rule in rules:
        links = {p.value for p in rule if p.key == "SYMLINK"}
        assert all(link.startswith("bdmi/") for link in links)
        if links & {"bdmi/camera0", "bdmi/sam0", "bdmi/printer0"}:  # the kiosk opens these
            assert ("GROUP", "bdmi") in {(p.key, p.value) for p in rule}
            assert ("MODE", "0660") in {(p.key, p.value) for p in rule}


@pytest.mark.parametrize(
    "line, reason",
    [
        ('SUBSYSTEM=="tty", SYMLNK+="bdmi/x"', "not a match key|cannot be assigned|read a KEY"),
        ('SUBSYSTEM="tty"', "cannot be assigned"),
        ('ENV=="x"', "needs"),
        ('SUBSYSTEM=="tty" GROUP="bdmi"', "expected ','"),
        ('SUBSYSTEM=="tty", GROUP=bdmi', "read a KEY"),
    ],
)
def test_checker_rejects_what_udevd_would_skip(line, reason):
    with pytest.raises(RuleSyntaxError, match=reason):
        parse_line(line, 1)


@given(st.text(max_size=200))
def test_checker_fails_only_with_its_own_error(text):
    with contextlib.suppress(RuleSyntaxError):
        parse_rules(text)
