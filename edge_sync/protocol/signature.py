"""The device signature: ECDSA P-256 over SHA-256, 64 bytes r||s, as a NEO node checks it.

Both sides verify with this one function: the gateway checks every result and registration
request with it, the agent every ack, the offline bundle its own signature, and the device its
keyring. Signing stays with the key (``kiosk/security/device_key.py`` on the device); ``sign``
here only turns ``cryptography``'s DER signature into NEO's 64-byte form.

Why ``cryptography`` and not neo-mamba's ``verify_signature``: the gateway spent 26% of its
time in neo3's verify and the device 0.75 ms of 2.1 ms per result in its signing (issue 19);
OpenSSL does both in a fraction of that, and a parsed public key is kept (``_public_key``)
instead of decoding the point on every call. The check is the same one a NEO node makes:
SHA-256 of the message, r and s each in [1, n-1], both low and high s accepted (as neo-mamba
and the C# node accept them), the key a compressed or uncompressed point on secp256r1.
tests/security/test_signature_neo.py runs both implementations on the same valid and
invalid signatures and requires the same answer.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

CURVE = ec.SECP256R1()
ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
"""n, the order of secp256r1: r and s must lie in [1, n-1]."""
_ECDSA = ec.ECDSA(hashes.SHA256())


@lru_cache(maxsize=4096)
def _public_key(point: bytes) -> ec.EllipticCurvePublicKey | None:
    """The parsed key, or None for bytes that are no point on the curve. Cached: a gateway
    sees the same few thousand device keys over and over, and parsing is half a verify."""
    if len(point) not in (33, 65) or point[0] not in (2, 3, 4):
        return None
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(CURVE, point)
    except ValueError:
        return None


def verify(message: bytes, signature: bytes, public_key: bytes) -> bool:
    """Check a device signature the way a NEO node does (neo-mamba's ``verify_signature``)."""
    if len(signature) != 64:
        return False
    key = _public_key(bytes(public_key))
    if key is None:
        return False
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    if not (0 < r < ORDER and 0 < s < ORDER):
        return False
    try:
        key.verify(encode_dss_signature(r, s), message, _ECDSA)
    except InvalidSignature:
        return False
    return True


def sign(private_key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    """ECDSA P-256 over SHA-256(message) as NEO takes it: 64 bytes, r || s, big-endian."""
    r, s = decode_dss_signature(private_key.sign(message, _ECDSA))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def private_key(secret: bytes) -> ec.EllipticCurvePrivateKey:
    """The ``cryptography`` key for a NEO account's 32-byte private key."""
    return ec.derive_private_key(int.from_bytes(secret, "big"), CURVE)
