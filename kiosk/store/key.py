"""The store key: 32 random bytes in a file, handed to SQLCipher as a raw key.

A key file holds either the 32 raw bytes or their 64 hex digits (a trailing newline is
allowed), so a technician can create one with ``openssl rand -hex 32 > store.key`` as well
as with ``create_key_file``. A *raw* key (``x'<hex>'``) makes SQLCipher use the bytes as the
AES key directly: no PBKDF2 runs at each open (about 0.1 s with SQLCipher 4's 256,000
iterations, per connection, per process), and none is needed because the key is already
uniformly random, unlike a passphrase. Messages name the file and lengths, never the key.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from kiosk.store.errors import StoreError

KEY_BYTES = 32
_HEX_KEY = re.compile(rb"[0-9a-fA-F]{64}")


def load_key(path: Path) -> bytes:
    """The 32 key bytes of a key file; ``STORE_KEY_MISSING`` or ``STORE_KEY_INVALID``."""
    try:
        content = Path(path).read_bytes()
    except FileNotFoundError:
        raise StoreError(f"no store key file at {path}", reason="STORE_KEY_MISSING") from None
    except OSError as error:
        raise StoreError(
            f"cannot read the store key file {path}: {error.strerror}", reason="STORE_KEY_MISSING"
        ) from None
    if len(content) == KEY_BYTES:
        return content
    text = content.strip()
    if _HEX_KEY.fullmatch(text):
        return bytes.fromhex(text.decode("ascii"))
    raise StoreError(
        f"the store key file {path} holds {len(content)} bytes: expected {KEY_BYTES} raw bytes "
        "or 64 hex digits",
        reason="STORE_KEY_INVALID",
    )


def create_key_file(path: Path) -> bytes:
    """Write a new random key as 64 hex digits, readable by the owner only, and return it.

    Refuses (``STORE_KEY_EXISTS``) to replace an existing file: a store whose key is
    overwritten cannot be read by anyone any more.
    """
    path = Path(path)
    key = os.urandom(KEY_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise StoreError(
            f"{path} exists: a store key is never overwritten", reason="STORE_KEY_EXISTS"
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key.hex() + "\n")
        out.flush()
        os.fsync(out.fileno())
    return key


def raw_key_literal(key: bytes) -> str:
    """SQLCipher's raw-key form of ``key``: ``x'<64 hex digits>'``."""
    if len(key) != KEY_BYTES:
        raise StoreError(
            f"a store key is {KEY_BYTES} bytes, not {len(key)}", reason="STORE_KEY_INVALID"
        )
    return f"x'{key.hex()}'"
