"""The signature check and signer built on ``cryptography`` answer exactly as neo-mamba does.

Why: results and acks are verified with ``edge_sync.protocol.signature`` (OpenSSL through
``cryptography``) for speed (issue 19), but what counts is what a NEO node accepts: the
registry contract checks results with ``CryptoLib.verifyWithECDsa``. So both implementations
judge the same signatures, valid and invalid (altered message, altered r or s, high s, r or s
out of range, another key, malformed keys and lengths), and must agree on every one; and each
side's signatures verify on the other.
"""

from __future__ import annotations

import pytest
from neo3.core import cryptography as neo_crypto
from neo3.wallet.account import Account

from edge_sync.protocol.signature import ORDER, private_key, sign, verify
from kiosk.security.device_key import Keyring, create_machine_secret


def neo_verify(message: bytes, signature: bytes, public_key: bytes) -> bool:
    try:
        return bool(neo_crypto.verify_signature(message, signature, public_key))
    except (ValueError, neo_crypto.ECCException):
        return False


def _int(value: int) -> bytes:
    return value.to_bytes(32, "big")


def variants(message: bytes, signature: bytes, key: bytes, other_key: bytes):
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    yield "valid", message, signature, key
    yield "message altered", message + b"x", signature, key
    yield "r altered", message, _int(r ^ 1) + signature[32:], key
    yield "s altered", message, signature[:32] + _int(s ^ 1), key
    yield "high s", message, signature[:32] + _int(ORDER - s), key
    yield "r zero", message, _int(0) + signature[32:], key
    yield "s zero", message, signature[:32] + _int(0), key
    yield "r = n", message, _int(ORDER) + signature[32:], key
    yield "s = n", message, signature[:32] + _int(ORDER), key
    yield "r + n", message, _int((r + ORDER) % 2**256) + signature[32:], key
    yield "another key", message, signature, other_key
    yield "short signature", message, signature[:63], key
    yield "long signature", message, signature + b"\x00", key
    yield "empty signature", message, b"", key
    yield "key not on the curve", message, signature, b"\x02" + bytes(32)
    yield "key prefix wrong", message, signature, b"\x05" + key[1:]
    yield "key truncated", message, signature, key[:32]
    yield "point at infinity", message, signature, b"\x00"
    yield "empty key", message, signature, b""


@pytest.mark.parametrize("round_", range(12))
def test_verify_agrees_with_neo_mamba_on_valid_and_invalid_signatures(round_):
    account, other = Account.create_new(), Account.create_new()
    message = f"result {round_}".encode() * (round_ + 1)
    compressed = account.public_key.encode_point(True)
    uncompressed = account.public_key.encode_point(False)
    other_key = other.public_key.encode_point(True)
    ours = sign(private_key(account.private_key), message)
    theirs = account.sign(message)
    for signature in (ours, theirs):
        for key in (compressed, uncompressed):
            for name, msg, sig, pub in variants(message, signature, key, other_key):
                expected = neo_verify(msg, sig, pub)
                assert verify(msg, sig, pub) == expected, name
                if name in ("valid", "high s"):
                    assert expected, f"neo-mamba refused a {name} signature"


def test_the_device_key_signs_what_neo_mamba_verifies(tmp_path):
    keyring = Keyring(tmp_path / "keys", create_machine_secret(tmp_path / "secret"))
    key = keyring.create(now=1)
    for n in range(20):
        message = bytes([n]) * (n * 37)
        signature = key.sign(message)
        assert len(signature) == 64
        assert neo_verify(message, signature, key.public_key)
        assert verify(message, signature, key.public_key)
        assert not neo_verify(message + b"!", signature, key.public_key)


def test_the_gateway_signs_acks_neo_mamba_verifies():
    from edge_sync.gateway.cli.run import ack_signer

    account = Account.create_new()
    sign_ack = ack_signer(account)
    for n in range(10):
        message = b"ack %d" % n
        assert neo_verify(message, sign_ack(message), account.public_key.encode_point(True))
