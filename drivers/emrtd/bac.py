"""Basic Access Control, ICAO 9303-11 section 4.3 and Appendix D, as pure functions.

The reader side of the protocol, minus the transport: the caller sends GET CHALLENGE and
MUTUAL AUTHENTICATE (``apdu``) and draws RND.IFD and K.IFD from a CSPRNG
(``new_terminal_secrets``); everything between those exchanges is computed here, so the
whole handshake is reproduced value by value from the Appendix D worked example.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from drivers.emrtd.iso9797 import retail_mac, tdes_cbc_decrypt, tdes_cbc_encrypt
from drivers.errors import ProtocolError

DRV_BAC_LENGTH = "DRV_BAC_LENGTH"
"""The chip's MUTUAL AUTHENTICATE response is not 40 bytes (E.IC || M.IC)."""
DRV_BAC_MAC = "DRV_BAC_MAC"
"""M.IC does not verify: wrong MRZ (keys), or a corrupted response."""
DRV_BAC_NONCE = "DRV_BAC_NONCE"
"""The decrypted response does not echo RND.IFD / RND.IC: not our session."""

KDF_COUNTER_ENC = 1
KDF_COUNTER_MAC = 2
NONCE_LENGTH = 8
KEY_MATERIAL_LENGTH = 16


@dataclass(frozen=True, repr=False)
class KeyPair:
    """A 3DES encryption key and a retail-MAC key (16 bytes each, parity adjusted):
    the document basic access keys K_enc/K_mac, or the session keys KS_enc/KS_mac."""

    k_enc: bytes
    k_mac: bytes

    def __repr__(self) -> str:  # keys never reach a log
        return "KeyPair(<redacted>)"


@dataclass(frozen=True, repr=False)
class BacSession:
    """What a successful BAC leaves: session keys and the initial send sequence counter."""

    keys: KeyPair
    ssc: bytes

    def __repr__(self) -> str:
        return "BacSession(<redacted>)"


def key_seed(mrz_information: str) -> bytes:
    """K_seed: the 16 most significant bytes of SHA-1(MRZ_information)."""
    return hashlib.sha1(mrz_information.encode("ascii")).digest()[:KEY_MATERIAL_LENGTH]


def adjust_parity(key: bytes) -> bytes:
    """Set the least significant bit of each byte so that every byte has odd parity,
    as DES keys require (9303-11 Appendix D.1)."""
    out = bytearray()
    for byte in key:
        high = byte & 0xFE
        out.append(high | ((bin(high).count("1") + 1) & 1))
    return bytes(out)


def derive_key(seed: bytes, counter: int) -> bytes:
    """The 9303-11 4.3.2 key derivation for 3DES: SHA-1(seed || counter as 4 bytes),
    first 16 bytes, parity adjusted. Counter 1 gives the ENC key, 2 the MAC key."""
    digest = hashlib.sha1(seed + counter.to_bytes(4, "big")).digest()
    return adjust_parity(digest[:KEY_MATERIAL_LENGTH])


def derive_keys(seed: bytes) -> KeyPair:
    """ENC and MAC keys from one seed (K_seed for the document keys, K.IFD xor K.IC for
    the session keys)."""
    return KeyPair(derive_key(seed, KDF_COUNTER_ENC), derive_key(seed, KDF_COUNTER_MAC))


def document_basic_access_keys(mrz_information: str) -> KeyPair:
    """K_enc and K_mac from ``MRZ_information`` (see ``drivers.mrz.mrz_information``)."""
    return derive_keys(key_seed(mrz_information))


def new_terminal_secrets() -> tuple[bytes, bytes]:
    """Fresh RND.IFD (8 bytes) and K.IFD (16 bytes) from the OS CSPRNG. The only impure
    function here; tests pass fixed values to the others instead."""
    return secrets.token_bytes(NONCE_LENGTH), secrets.token_bytes(KEY_MATERIAL_LENGTH)


def _check(value: bytes, length: int, name: str) -> None:
    if len(value) != length:
        raise ValueError(f"{name} must be {length} bytes")


def mutual_authenticate_data(keys: KeyPair, rnd_ic: bytes, rnd_ifd: bytes, k_ifd: bytes) -> bytes:
    """cmd_data of MUTUAL AUTHENTICATE: E.IFD || M.IFD, where
    E.IFD = 3DES-CBC(K_enc, RND.IFD || RND.IC || K.IFD) and M.IFD = MAC(K_mac, E.IFD)."""
    _check(rnd_ic, NONCE_LENGTH, "RND.IC")
    _check(rnd_ifd, NONCE_LENGTH, "RND.IFD")
    _check(k_ifd, KEY_MATERIAL_LENGTH, "K.IFD")
    e_ifd = tdes_cbc_encrypt(keys.k_enc, rnd_ifd + rnd_ic + k_ifd)
    return e_ifd + retail_mac(keys.k_mac, e_ifd)


def verify_mutual_authenticate_response(
    keys: KeyPair, response_data: bytes, rnd_ic: bytes, rnd_ifd: bytes
) -> bytes:
    """Check the chip's E.IC || M.IC and return K.IC.

    M.IC is verified before anything is decrypted; then the plaintext must be
    RND.IC || RND.IFD || K.IC. Raises ``ProtocolError`` with the response bytes:
    ``DRV_BAC_LENGTH``, ``DRV_BAC_MAC`` (offset of M.IC) or ``DRV_BAC_NONCE``.
    """
    raw = bytes(response_data)
    if len(raw) != 40:
        raise ProtocolError(
            f"MUTUAL AUTHENTICATE response of {len(raw)} bytes, expected 40",
            raw=raw,
            reason=DRV_BAC_LENGTH,
        )
    e_ic, m_ic = raw[:32], raw[32:]
    if not hmac.compare_digest(retail_mac(keys.k_mac, e_ic), m_ic):
        raise ProtocolError("M.IC does not verify", raw=raw, offset=32, reason=DRV_BAC_MAC)
    plain = tdes_cbc_decrypt(keys.k_enc, e_ic)
    if not hmac.compare_digest(plain[:8], rnd_ic):
        raise ProtocolError("RND.IC not echoed", raw=raw, offset=0, reason=DRV_BAC_NONCE)
    if not hmac.compare_digest(plain[8:16], rnd_ifd):
        raise ProtocolError("RND.IFD not echoed", raw=raw, offset=8, reason=DRV_BAC_NONCE)
    return plain[16:32]


def session_key_seed(k_ifd: bytes, k_ic: bytes) -> bytes:
    """KS_seed = K.IFD xor K.IC."""
    _check(k_ifd, KEY_MATERIAL_LENGTH, "K.IFD")
    _check(k_ic, KEY_MATERIAL_LENGTH, "K.IC")
    return bytes(a ^ b for a, b in zip(k_ifd, k_ic, strict=True))


def send_sequence_counter(rnd_ic: bytes, rnd_ifd: bytes) -> bytes:
    """Initial SSC: the 4 least significant bytes of RND.IC, then of RND.IFD."""
    _check(rnd_ic, NONCE_LENGTH, "RND.IC")
    _check(rnd_ifd, NONCE_LENGTH, "RND.IFD")
    return rnd_ic[-4:] + rnd_ifd[-4:]


def complete_bac(
    keys: KeyPair, response_data: bytes, rnd_ic: bytes, rnd_ifd: bytes, k_ifd: bytes
) -> BacSession:
    """Verify the chip's response and derive KS_enc, KS_mac and the SSC."""
    k_ic = verify_mutual_authenticate_response(keys, response_data, rnd_ic, rnd_ifd)
    return BacSession(
        keys=derive_keys(session_key_seed(k_ifd, k_ic)),
        ssc=send_sequence_counter(rnd_ic, rnd_ifd),
    )
