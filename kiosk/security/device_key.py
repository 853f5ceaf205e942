"""The device key: an ECDSA P-256 key pair that is also the device's NEO N3 account.

One key signs results, registers the device on chain and identifies it: the **device id**
is the script hash of the first key (NEO's account identifier, printed ``0x`` + big-endian
hex like neo-go does). Keys can be rotated: a new key joins the keyring with the same
device id and signs from then on; retired keys stay in the keyring (public part and
encrypted private part) so every older result can still be verified and its ``key_id``
resolved, and the chain registry learns the new key from a rotation transaction (issue 6).

At rest each private key is NEP-2 encrypted (scrypt + AES, the NEO wallet standard, via
neo-mamba) under a passphrase derived from the **machine secret**, a 32-byte random file
readable only by the kiosk user (``security.machine_secret_file``). On a device with a
TPM 2.0 the machine secret is meant to be sealed to the TPM (tpm2-pytss, PCR policy on the
boot chain) so a copied disk cannot decrypt the key; that sealing is not implemented yet
(docs/security.md says what it would take), and the secret file is the protection today.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from neo3.wallet.account import Account

from edge_sync.protocol import signature
from kiosk.security.errors import SecurityError

KEYRING_VERSION = 1
_PASSPHRASE_LABEL = b"bdmi-kiosk device key v1"


def script_hash_id(account: Account) -> str:
    return f"0x{account.script_hash}"


def passphrase_from_secret(secret: bytes) -> str:
    """NEP-2 takes a text passphrase; the machine secret is bytes, so a keyed hash of it,
    hex-encoded, is the passphrase (never the secret itself)."""
    if len(secret) < 16:
        raise SecurityError(
            "the machine secret is shorter than 16 bytes", reason="SEC_MACHINE_SECRET_WEAK"
        )
    return hmac.new(secret, _PASSPHRASE_LABEL, hashlib.sha256).hexdigest()


def read_machine_secret(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise SecurityError(
            f"machine secret {path} does not exist (kioskctl provision creates it)",
            reason="SEC_MACHINE_SECRET_MISSING",
        ) from exc
    return data.strip()


def create_machine_secret(path: Path) -> bytes:
    """32 random bytes, hex, in a file only the owner may read (created, never replaced)."""
    secret = secrets.token_hex(32).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(secret + b"\n")
    return secret


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """One key of the keyring as stored (``<key_id>.json``); no secret in clear."""

    device_id: str
    key_id: str
    public_key: str
    """Compressed SEC1 point, hex (33 bytes): what NEO's CryptoLib.verifyWithECDsa takes."""
    address: str
    nep2: str
    created_at: int
    retired_at: int | None = None

    def to_json(self) -> str:
        return json.dumps({"version": KEYRING_VERSION, **asdict(self)}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, source: Path) -> KeyRecord:
        try:
            data = json.loads(text)
            if data.pop("version") != KEYRING_VERSION:
                raise ValueError("unsupported keyring version")
            return cls(**data)
        except (ValueError, KeyError, TypeError) as exc:
            raise SecurityError(
                f"{source}: not a device key record ({exc})", reason="SEC_KEY_FILE_INVALID"
            ) from exc


@dataclass(frozen=True)
class DeviceKey:
    """An unlocked key: signs, and says who it is."""

    record: KeyRecord
    account: Account
    _private: ec.EllipticCurvePrivateKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The same secret as the NEO account, as a ``cryptography`` key, made once: signing
        # through it takes a fraction of neo-mamba's time per result (issue 19), and the
        # signature is NEO's (tests/security/test_signature_neo.py checks neo-mamba accepts it).
        object.__setattr__(self, "_private", signature.private_key(self.account.private_key))

    @property
    def device_id(self) -> str:
        return self.record.device_id

    @property
    def key_id(self) -> str:
        return self.record.key_id

    @property
    def public_key(self) -> bytes:
        return bytes.fromhex(self.record.public_key)

    def sign(self, message: bytes) -> bytes:
        """ECDSA P-256 over SHA-256(message), 64 bytes r||s: what NEO verifies."""
        return signature.sign(self._private, message)


class Keyring:
    """The device's keys in one directory: ``<key_id>.json`` per key, newest active."""

    def __init__(self, directory: Path, machine_secret: bytes) -> None:
        self.directory = directory
        self._passphrase = passphrase_from_secret(machine_secret)

    def records(self) -> list[KeyRecord]:
        return self.public_records(self.directory)

    @staticmethod
    def public_records(directory: Path) -> list[KeyRecord]:
        """The key records, oldest first; readable without the machine secret."""
        if not directory.is_dir():
            return []
        found = [
            KeyRecord.from_json(p.read_text(encoding="utf-8"), p)
            for p in sorted(directory.glob("0x*.json"))
        ]
        return sorted(found, key=lambda r: (r.created_at, r.key_id))

    def public_keys(self) -> dict[str, bytes]:
        """key_id -> public key of every key ever used, retired ones included."""
        return {r.key_id: bytes.fromhex(r.public_key) for r in self.records()}

    def active(self) -> DeviceKey:
        live = [r for r in self.records() if r.retired_at is None]
        if not live:
            raise SecurityError(
                f"no device key in {self.directory} (kioskctl provision creates one)",
                reason="SEC_KEY_MISSING",
            )
        return self.unlock(live[-1])

    def unlock(self, record: KeyRecord) -> DeviceKey:
        try:
            private = Account.private_key_from_nep2(record.nep2, self._passphrase)
        except ValueError as exc:
            raise SecurityError(
                f"device key {record.key_id} does not open with this machine's secret "
                "(a key file copied from another device, or the secret was replaced)",
                reason="SEC_KEY_PASSPHRASE",
            ) from exc
        account = Account.from_private_key(private)
        if script_hash_id(account) != record.key_id:
            raise SecurityError(
                f"device key file {record.key_id} holds another key",
                reason="SEC_KEY_FILE_INVALID",
            )
        return DeviceKey(record, account)

    def create(self, *, now: int | None = None) -> DeviceKey:
        """The device's first key; refuses if one exists (a device id is forever)."""
        if self.records():
            raise SecurityError(
                f"{self.directory} already holds a device key; rotate it instead",
                reason="SEC_KEY_EXISTS",
            )
        return self._add(device_id=None, now=now)

    def rotate(self, *, now: int | None = None) -> DeviceKey:
        """A new signing key for the same device; the old one is retired, not deleted."""
        current = self.active()
        stamp = int(now if now is not None else time.time())
        new = self._add(device_id=current.device_id, now=stamp)
        retired = replace(current.record, retired_at=stamp)
        self._write(retired)
        return new

    def _add(self, *, device_id: str | None, now: int | None) -> DeviceKey:
        account = Account.create_new()
        key_id = script_hash_id(account)
        nep2 = Account.private_key_to_nep2(account.private_key, self._passphrase)
        record = KeyRecord(
            device_id=device_id or key_id,
            key_id=key_id,
            public_key=account.public_key.encode_point(True).hex(),
            address=account.address,
            nep2=nep2.decode() if isinstance(nep2, bytes) else nep2,
            created_at=int(now if now is not None else time.time()),
        )
        self._write(record)
        return DeviceKey(record, account)

    def _write(self, record: KeyRecord) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.directory / f"{record.key_id}.json"
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(record.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
