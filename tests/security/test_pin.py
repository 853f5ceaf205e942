"""The staff PIN file: scrypt hash, right and wrong PINs, broken files named by reason."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.security.errors import SecurityError
from kiosk.security.pin import PinCheck, hash_pin, load_pin_check, write_pin_file

REPO = Path(__file__).resolve().parents[2]


def test_the_right_pin_opens_and_others_do_not(tmp_path):
    path = tmp_path / "secrets" / "service-pin"
    write_pin_file(path, "482913")
    check = load_pin_check(path)
    assert check("482913")
    assert not check("482914") and not check("") and not check("48291") and not check("4829130")
    assert "482913" not in path.read_text() and "482913" not in repr(check)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_two_hashes_of_one_pin_differ_by_their_salt():
    assert hash_pin("2468") != hash_pin("2468")


@pytest.mark.parametrize("pin", ["123", "1234567890123", "12a4", "\uff11\uff12\uff13\uff14", ""])
def test_a_pin_is_4_to_12_ascii_digits(pin):
    with pytest.raises(SecurityError) as bad:
        hash_pin(pin)
    assert bad.value.reason == "SEC_PIN_INVALID"


def test_a_missing_file_and_a_garbled_one_are_named(tmp_path):
    with pytest.raises(SecurityError) as missing:
        load_pin_check(tmp_path / "nope")
    assert missing.value.reason == "SEC_PIN_MISSING"
    garbled = tmp_path / "pin"
    garbled.write_text("2468\n")  # a technician wrote the PIN itself, not its hash
    with pytest.raises(SecurityError) as bad:
        load_pin_check(garbled)
    assert bad.value.reason == "SEC_PIN_FILE_BAD"
    assert "2468" not in str(bad.value)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_any_file_content_is_a_pin_check_or_sec_pin_file_bad(text):
    try:
        check = PinCheck(text.strip())
    except SecurityError as exc:
        assert exc.reason == "SEC_PIN_FILE_BAD"
        return
    # Only a well-formed line gets here; a check over it never raises on any PIN.
    assert check("0000") in (True, False)


def test_kioskctl_pin_set_from_stdin_and_a_refused_pin(tmp_path):
    path = tmp_path / "service-pin"
    cmd = [sys.executable, "-m", "kiosk.cli.main", "pin", "set", str(path), "--stdin"]
    done = subprocess.run(cmd, input="7391\n", capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert load_pin_check(path)("7391")
    bad = subprocess.run(cmd, input="12\n", capture_output=True, text=True, cwd=REPO)
    assert bad.returncode == 1 and "SEC_PIN_INVALID" in bad.stderr
    assert load_pin_check(path)("7391")  # the old PIN still stands
