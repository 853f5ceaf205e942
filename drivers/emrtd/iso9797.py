"""ISO/IEC 9797-1 pieces that ICAO 9303-11 uses with 3DES: padding method 2 and MAC
algorithm 3 (the "retail MAC"), plus two-key 3DES-CBC with a zero IV.

``cryptography`` offers neither this padding (its ``ANSIX923``/``PKCS7`` differ) nor a
retail MAC, so both are built here on its TripleDES block cipher. TripleDES lives in
``cryptography.hazmat.decrepit`` (BAC is a legacy protocol the chips still speak); single
DES is TripleDES with the 8-byte key repeated three times, which is what the library asks
for instead of its deprecated 8-byte keys.
"""

from __future__ import annotations

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

BLOCK_SIZE = 8
ZERO_IV = bytes(BLOCK_SIZE)


def pad(data: bytes, block_size: int = BLOCK_SIZE) -> bytes:
    """Padding method 2: append 0x80, then 0x00 up to a multiple of the block size
    (a full block is added when ``data`` is already aligned)."""
    padded = data + b"\x80"
    return padded + bytes(-len(padded) % block_size)


def unpad(data: bytes, block_size: int = BLOCK_SIZE) -> bytes:
    """Remove padding method 2. Raises ``ValueError`` when it is absent or malformed."""
    if not data or len(data) % block_size:
        raise ValueError("padded data is not a non-empty multiple of the block size")
    stripped = data.rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x80 or len(data) - len(stripped) >= block_size:
        raise ValueError("no ISO 9797-1 method 2 padding")
    return stripped[:-1]


def _tdes_key(key: bytes) -> bytes:
    if len(key) == 8:
        return key * 3
    if len(key) == 16:
        return key + key[:8]
    if len(key) == 24:
        return key
    raise ValueError("DES/3DES key must be 8, 16 or 24 bytes")


def tdes_cbc_encrypt(key: bytes, data: bytes, iv: bytes = ZERO_IV) -> bytes:
    """3DES-CBC (two-key when ``key`` has 16 bytes) of block-aligned ``data``."""
    encryptor = Cipher(TripleDES(_tdes_key(key)), modes.CBC(iv)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def tdes_cbc_decrypt(key: bytes, data: bytes, iv: bytes = ZERO_IV) -> bytes:
    """Inverse of ``tdes_cbc_encrypt``."""
    decryptor = Cipher(TripleDES(_tdes_key(key)), modes.CBC(iv)).decryptor()
    return decryptor.update(data) + decryptor.finalize()


def retail_mac(key: bytes, data: bytes, *, padded: bool = False) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 with DES and a 16-byte key Ka||Kb: DES-CBC with Ka
    over every block, then the last output is decrypted with Kb and encrypted with Ka.

    That final step equals two-key 3DES of (last block xor previous output), which is how
    it is computed here. ``data`` is padded with method 2 unless ``padded`` says the caller
    already did (ICAO builds N = pad(SSC || M) and pads M's parts itself).
    """
    if len(key) != 16:
        raise ValueError("retail MAC key must be 16 bytes (Ka || Kb)")
    message = data if padded else pad(data)
    if not message or len(message) % BLOCK_SIZE:
        raise ValueError("MAC input is not a non-empty multiple of the block size")
    head, last = message[:-BLOCK_SIZE], message[-BLOCK_SIZE:]
    chain = tdes_cbc_encrypt(key[:8], head)[-BLOCK_SIZE:] if head else ZERO_IV
    final_input = bytes(a ^ b for a, b in zip(chain, last, strict=True))
    return tdes_cbc_encrypt(key, final_input)
