"""The staff PIN that unlocks supervised enrolment (and, later, service mode).

Only a hash is kept: ``scrypt$<log2 n>$<r>$<p>$<salt hex>$<hash hex>`` on one line, in the
file ``security.service_pin_file`` names (``kioskctl pin set`` writes it). scrypt, because a
six-digit PIN is only a million guesses: a stolen file must cost minutes of memory-hard work
per guess set, not microseconds. The flows never see the hash, only ``PinCheck``; the kiosk
locks entry out after repeated failures (kiosk/flows/pension.py), which is what really
protects a short PIN.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from kiosk.security.errors import SecurityError

LOG2_N, R, P = 14, 8, 1
DEMO_PIN = "2468"
"""The PIN of a demo kiosk (docs/operations.md); production refuses to run without a file."""
DEMO_PIN_FILE = "staff.pin"


def _derive(pin: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=1 << log2_n, r=r, p=p, dklen=32)


def hash_pin(pin: str) -> str:
    if not (4 <= len(pin) <= 12 and pin.isascii() and pin.isdigit()):
        raise SecurityError("a PIN is 4 to 12 digits", reason="SEC_PIN_INVALID")
    salt = os.urandom(16)
    digest = _derive(pin, salt, LOG2_N, R, P)
    return f"scrypt${LOG2_N}${R}${P}${salt.hex()}${digest.hex()}"


@dataclass(frozen=True, slots=True, repr=False)
class PinCheck:
    """A callable ``pin -> bool`` over one stored hash."""

    _line: str

    def __post_init__(self) -> None:
        parts = self._line.split("$")
        try:
            ok = parts[0] == "scrypt" and len(parts) == 6
            int(parts[1]), int(parts[2]), int(parts[3])
            bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
        except (IndexError, ValueError):
            ok = False
        if not ok:
            raise SecurityError(
                "the PIN file does not hold a 'scrypt$...' line (write it with kioskctl pin set)",
                reason="SEC_PIN_FILE_BAD",
            )

    def __call__(self, pin: str) -> bool:
        _, log2_n, r, p, salt, digest = self._line.split("$")
        if not (pin.isascii() and pin.isdigit()) or len(pin) > 12:
            return False
        got = _derive(pin, bytes.fromhex(salt), int(log2_n), int(r), int(p))
        return hmac.compare_digest(got, bytes.fromhex(digest))

    def __repr__(self) -> str:
        return "PinCheck(<redacted>)"


def write_pin_file(path: Path, pin: str) -> None:
    """Owner-only file with the hash of ``pin``; replaces an older one atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(hash_pin(pin) + "\n")
    os.replace(tmp, path)


def load_pin_check(path: Path) -> PinCheck:
    try:
        line = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise SecurityError(
            f"no PIN file at {path} (write it with kioskctl pin set)", reason="SEC_PIN_MISSING"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SecurityError(f"cannot read the PIN file {path}: {exc}",
                            reason="SEC_PIN_FILE_BAD") from None  # fmt: skip
    return PinCheck(line)
