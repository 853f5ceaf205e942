"""The device signature check: ECDSA P-256 over SHA-256, 64 bytes r||s, as a NEO node checks it.

Both sides verify with this one function: the gateway checks every result and registration
request with it, the offline bundle checks its own signature with it, and the device checks its
keyring with it. Signing stays with the key (``kiosk/security/device_key.py`` on the device).
"""

from __future__ import annotations

from neo3.core import cryptography as neo_crypto


def verify(message: bytes, signature: bytes, public_key: bytes) -> bool:
    """Check a device signature the way a NEO node does (neo-mamba's ``verify_signature``)."""
    if len(signature) != 64:
        return False
    try:
        return bool(neo_crypto.verify_signature(message, signature, public_key))
    except (ValueError, neo_crypto.ECCException):
        return False
