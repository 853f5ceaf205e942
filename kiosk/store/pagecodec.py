"""SQLCipher 4 pages, decrypted and encrypted in Python: what a backup needs to diff pages.

Why this exists: a backup compares each page with the previous backup's hash of it, so it
needs a form of the page that stays the same while the page does. The encrypted form does
not: SQLCipher writes every page with a fresh random IV, and the backup API re-encrypts all
of them into its copy. The plaintext form does, and this build of sqlcipher3 has no
``sqlite_dbpage`` table to read it with, so the snapshot file is decrypted here, page by
page, with the store key (the plaintext lives in memory one chunk at a time, never on disk).

The format, SQLCipher 4's defaults, as ``crypto_impl.c`` writes it (``check_settings``
refuses a store that uses others):

* the key is a raw key (``x'<hex>'``, key.py): the 32 bytes are the AES-256 key, no PBKDF2;
* the first 16 bytes of the file are a random salt; page 1 is encrypted from byte 16 on and
  reads back with ``SQLite format 3\\0`` in their place;
* each page ends in a reserve of 80 bytes: a 16-byte IV, then HMAC-SHA512 over the
  ciphertext, the IV and the page number (4 bytes little-endian);
* the HMAC key is PBKDF2-HMAC-SHA512(key, salt XOR 0x3a, 2 iterations, 32 bytes);
* the page body is AES-256-CBC without padding (the usable size is a multiple of 16).

A page's *plain form* here is its first ``page_size - 80`` bytes, decrypted (the reserve
carries no database content). tests/store/test_backup.py checks files written here open,
pass ``PRAGMA cipher_integrity_check`` and hold the same rows.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlcipher3 import dbapi2 as sqlcipher

from kiosk.store.errors import StoreError

SQLITE_HEADER: Final = b"SQLite format 3\x00"
SALT_BYTES: Final = 16
IV_BYTES: Final = 16
HMAC_BYTES: Final = 64
RESERVE_BYTES: Final = IV_BYTES + HMAC_BYTES
HMAC_SALT_MASK: Final = 0x3A
FAST_KDF_ITER: Final = 2

EXPECTED_SETTINGS: Final = {
    "cipher_hmac_algorithm": "HMAC_SHA512",
    "cipher_kdf_algorithm": "PBKDF2_HMAC_SHA512",
    "cipher_use_hmac": "1",
    "cipher_plaintext_header_size": "0",
}
"""What ``check_settings`` expects SQLCipher to answer for a store this codec can read."""


class PageAuthError(Exception):
    """A page whose HMAC does not match: damaged, or not written with this key and salt."""

    def __init__(self, pgno: int) -> None:
        super().__init__(f"page {pgno} fails its SQLCipher HMAC check")
        self.pgno = pgno


def check_settings(connection: sqlcipher.Connection, page_size: int) -> None:
    """Refuse (``STORE_BACKUP_UNSUPPORTED``) a database whose SQLCipher settings are not the
    ones this codec implements, before any page is read with wrong assumptions."""
    for pragma, expected in EXPECTED_SETTINGS.items():
        row = connection.execute(f"PRAGMA {pragma}").fetchone()
        found = str(row[0]) if row else None
        if found != expected:
            raise StoreError(
                f"the store uses SQLCipher setting {pragma} = {found}, backups support "
                f"{expected} only (SQLCipher 4 defaults)",
                reason="STORE_BACKUP_UNSUPPORTED",
            )
    if page_size < 512 or page_size > 65536 or page_size & (page_size - 1):
        raise StoreError(
            f"page size {page_size} is not a SQLite page size", reason="STORE_BACKUP_UNSUPPORTED"
        )


@dataclass(frozen=True, slots=True)
class PageCodec:
    """Encrypts and decrypts the pages of one SQLCipher file: one key, one salt."""

    key: bytes
    salt: bytes
    page_size: int
    hmac_key: bytes

    @classmethod
    def for_file(cls, key: bytes, salt: bytes, page_size: int) -> PageCodec:
        if len(key) != 32 or len(salt) != SALT_BYTES:
            raise ValueError("a SQLCipher raw key is 32 bytes and its salt 16")
        mask = bytes(b ^ HMAC_SALT_MASK for b in salt)
        hmac_key = hashlib.pbkdf2_hmac("sha512", key, mask, FAST_KDF_ITER, 32)
        return cls(key, salt, page_size, hmac_key)

    @classmethod
    def new_file(cls, key: bytes, page_size: int) -> PageCodec:
        """A codec for a file about to be written: a fresh random salt."""
        return cls.for_file(key, os.urandom(SALT_BYTES), page_size)

    @property
    def plain_size(self) -> int:
        """Bytes of a page's plain form: the page without its reserve."""
        return self.page_size - RESERVE_BYTES

    def _mac(self, pgno: int, ciphertext_and_iv: bytes) -> bytes:
        return hmac.digest(
            self.hmac_key, ciphertext_and_iv + pgno.to_bytes(4, "little"), hashlib.sha512
        )

    def decrypt(self, pgno: int, page: bytes) -> bytes:
        """The plain form of page ``pgno`` as stored in the file; ``PageAuthError`` when
        its HMAC does not hold."""
        if len(page) != self.page_size:
            raise PageAuthError(pgno)
        start = SALT_BYTES if pgno == 1 else 0
        body_end = self.page_size - RESERVE_BYTES
        mac = page[body_end + IV_BYTES :]
        if not hmac.compare_digest(self._mac(pgno, page[start : body_end + IV_BYTES]), mac):
            raise PageAuthError(pgno)
        iv = page[body_end : body_end + IV_BYTES]
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(iv)).decryptor()
        plain = decryptor.update(page[start:body_end]) + decryptor.finalize()
        return SQLITE_HEADER + plain if pgno == 1 else plain

    def encrypt(self, pgno: int, plain: bytes) -> bytes:
        """Page ``pgno`` as SQLCipher stores it, from its plain form."""
        if len(plain) != self.plain_size:
            raise ValueError(f"page {pgno}: {len(plain)} bytes, expected {self.plain_size}")
        start = SALT_BYTES if pgno == 1 else 0
        iv = os.urandom(IV_BYTES)
        encryptor = Cipher(algorithms.AES(self.key), modes.CBC(iv)).encryptor()
        body = encryptor.update(plain[start:]) + encryptor.finalize()
        mac = self._mac(pgno, body + iv)
        return (self.salt if pgno == 1 else b"") + body + iv + mac
