"""The device key: a NEO account, encrypted at rest under the machine secret, rotatable."""

from __future__ import annotations

import json
import stat

import pytest
from neo3.core import cryptography as neo_crypto
from neo3.wallet import utils as neo_utils

from edge_sync.protocol.signature import verify
from kiosk.security.device_key import Keyring, create_machine_secret, read_machine_secret
from kiosk.security.errors import SecurityError


@pytest.fixture
def keyring(tmp_path) -> Keyring:
    secret = create_machine_secret(tmp_path / "secrets" / "machine.secret")
    return Keyring(tmp_path / "keys", secret)


def test_the_device_id_is_the_keys_neo_script_hash(keyring):
    key = keyring.create(now=1_700_000_000)
    assert key.device_id == key.key_id
    point = neo_crypto.ECPoint(key.public_key, neo_crypto.ECCCurve.SECP256R1, True)
    script_hash = neo_utils.public_key_to_script_hash(point)
    assert key.device_id == f"0x{script_hash}"
    assert neo_utils.script_hash_to_address(script_hash) == key.record.address


def test_signatures_verify_with_neo_mambas_verify_signature(keyring):
    key = keyring.create()
    message = b"a canonical result payload"
    signature = key.sign(message)
    assert len(signature) == 64
    assert neo_crypto.verify_signature(message, signature, key.public_key)
    assert verify(message, signature, key.public_key)
    assert not verify(message + b"!", signature, key.public_key)
    assert not verify(message, signature[:-1] + bytes([signature[-1] ^ 1]), key.public_key)


def test_the_private_key_is_never_stored_in_clear(keyring):
    key = keyring.create()
    path = keyring.directory / f"{key.key_id}.json"
    text = path.read_text()
    assert key.account.private_key.hex() not in text
    assert json.loads(text)["nep2"].startswith("6P")  # NEP-2
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_reopening_gives_the_same_key_and_another_secret_cannot(tmp_path, keyring):
    key = keyring.create()
    again = Keyring(keyring.directory, read_machine_secret(tmp_path / "secrets" / "machine.secret"))
    assert again.active().key_id == key.key_id
    stranger = Keyring(keyring.directory, b"0" * 64)
    with pytest.raises(SecurityError) as caught:
        stranger.active()
    assert caught.value.reason == "SEC_KEY_PASSPHRASE"


def test_rotation_keeps_the_device_id_and_old_keys_verifiable(keyring):
    first = keyring.create(now=100)
    old_signature = first.sign(b"an old result")
    second = keyring.rotate(now=200)
    assert second.device_id == first.device_id and second.key_id != first.key_id
    assert keyring.active().key_id == second.key_id
    keys = keyring.public_keys()
    assert set(keys) == {first.key_id, second.key_id}
    assert verify(b"an old result", old_signature, keys[first.key_id])
    retired = {r.key_id: r.retired_at for r in keyring.records()}
    assert retired == {first.key_id: 200, second.key_id: None}


def test_a_device_key_is_never_replaced(keyring):
    keyring.create()
    with pytest.raises(SecurityError) as caught:
        keyring.create()
    assert caught.value.reason == "SEC_KEY_EXISTS"


def test_missing_key_and_secret_are_named(tmp_path):
    with pytest.raises(SecurityError) as caught:
        read_machine_secret(tmp_path / "nope")
    assert caught.value.reason == "SEC_MACHINE_SECRET_MISSING"
    with pytest.raises(SecurityError) as caught:
        Keyring(tmp_path / "keys", b"x" * 32).active()
    assert caught.value.reason == "SEC_KEY_MISSING"
    with pytest.raises(SecurityError) as caught:
        Keyring(tmp_path / "keys", b"short")
    assert caught.value.reason == "SEC_MACHINE_SECRET_WEAK"


def test_a_corrupt_key_file_is_named(keyring):
    key = keyring.create()
    path = keyring.directory / f"{key.key_id}.json"
    path.write_text("{not json")
    with pytest.raises(SecurityError) as caught:
        keyring.active()
    assert caught.value.reason == "SEC_KEY_FILE_INVALID" and str(path) in str(caught.value)
