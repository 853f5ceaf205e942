"""IdvRegistry: the BDMI device registry and result anchor on NEO N3 (neo3-boa 1.5).

Why a contract: a relying party (hospital, pension office, auditor) must be able to check that
a signed verification result came from a device the operator had registered, with the key it
had at that time, and that the result existed no later than a given block -- without trusting
the gateway's database.  So the chain holds two things and nothing else:

* the **device registry**: device id (NEO script hash of the device's first key), its site code,
  its keys (current and retired, so an old result stays verifiable after a rotation) and whether
  the device is revoked; changed only by the admin;
* **anchors**: per gateway batch, the Merkle root of the batch's result hashes and how many
  results it holds, written only by the gateway account.

No personal data goes on chain: only device ids, public keys, site codes, Merkle roots and
counts.  The results themselves stay off chain; a Merkle proof ties one to an anchored root.

Refusals are ``assert cond, reason`` (the VM's ASSERTMSG): the transaction FAULTs with the
reason in the VM exception, which the gateway's client reports (it test-invokes first, so a
refused call is never broadcast).

Storage layout (one-byte prefixes; values serialised with StdLib.serialize):

====================  ==================================  =======================================
key                   value                               written by
====================  ==================================  =======================================
0x01                  admin (UInt160)                     _deploy, set_admin
0x02                  gateway (UInt160)                   set_gateway
0x10 + device_id      [status, site, current key_id,      register_device, rotate_key,
                      key_count]                          revoke_device
0x11 + device_id +    key_id of the device's key number   register_device, rotate_key
index (4 bytes BE)    ``index`` (0 = first key)
0x20 + key_id         [device_id, public_key, active,     register_device, rotate_key,
                      index]                              revoke_device
0x30 + batch_id       [merkle_root, count, block index,   anchor
                      block time (ms)]
====================  ==================================  =======================================

Upgrades and migration: ``update`` (admin only) hands a new NEF + manifest to
ContractManagement.update; the contract hash and all storage survive, and the new code's
``_deploy(data, update=True)`` runs in the same transaction.  Keep the prefixes above stable; a
layout change must add new prefixes (never reinterpret old values) and, if existing entries need
rewriting, do it in that ``update=True`` branch, bounded in size (a migration that touches every
device would not fit one transaction: migrate lazily on read/write instead).
"""

from typing import Any, cast

from boa3.sc import runtime, storage
from boa3.sc.compiletime import NeoMetadata, public
from boa3.sc.contracts import ContractManagement, CryptoLib, LedgerContract, StdLib
from boa3.sc.types import ECPoint, NamedCurveHash, UInt160
from boa3.sc.utils import CreateNewEvent, create_standard_account, to_bytes

ADMIN_KEY = b"\x01"
GATEWAY_KEY = b"\x02"
DEVICE_PREFIX = b"\x10"
DEVICE_KEY_PREFIX = b"\x11"
KEY_PREFIX = b"\x20"
ANCHOR_PREFIX = b"\x30"

DEVICE_ACTIVE = 1
DEVICE_REVOKED = 2

BATCH_ID_LENGTH = 16  # a UUID
ROOT_LENGTH = 32  # SHA-256
PUBLIC_KEY_LENGTH = 33  # compressed secp256r1 point
SIGNATURE_LENGTH = 64  # r || s
MAX_SITE_LENGTH = 64  # characters (len() of a str is StdLib.strLen); a site *code*, not a name


def manifest_metadata() -> NeoMetadata:
    """Manifest: which native methods this contract may call (nothing else)."""
    meta = NeoMetadata()
    meta.name = "IdvRegistry"
    meta.description = "BDMI kiosk device registry and verification-result anchoring"
    # ContractManagement, StdLib, CryptoLib, LedgerContract
    meta.add_permission(contract="0xfffdc93764dbaddd97c48f252a53ea4643faa3fd", methods=["update"])
    meta.add_permission(
        contract="0xacce6fd80d44e1796aa0c2c625e9e4e0ce39efc0", methods=["serialize", "deserialize"]
    )
    meta.add_permission(
        contract="0x726cb6e0cd8628a1350a611384688911ab75f51b", methods=["verifyWithECDsa"]
    )
    meta.add_permission(
        contract="0xda65b600f7124ce6c79950c1772a36403104f2be", methods=["currentIndex"]
    )
    return meta


# Events ------------------------------------------------------------------------------------------
on_admin_changed = CreateNewEvent(
    [("old_admin", UInt160), ("new_admin", UInt160)],
    "AdminChanged",
)
on_gateway_changed = CreateNewEvent(
    [("gateway", UInt160)],
    "GatewayChanged",
)
on_device_registered = CreateNewEvent(
    [("device_id", UInt160), ("key_id", UInt160), ("public_key", ECPoint), ("site", str)],
    "DeviceRegistered",
)
on_device_revoked = CreateNewEvent(
    [("device_id", UInt160), ("key_id", UInt160)],
    "DeviceRevoked",
)
on_key_rotated = CreateNewEvent(
    [
        ("device_id", UInt160),
        ("old_key_id", UInt160),
        ("new_key_id", UInt160),
        ("public_key", ECPoint),
    ],
    "KeyRotated",
)
on_anchored = CreateNewEvent(
    [("batch_id", bytes), ("merkle_root", bytes), ("count", int)],
    "Anchored",
)


# Deployment and administration -------------------------------------------------------------------
@public
def _deploy(data: Any, update: bool) -> None:
    """First deployment stores the admin: ``data`` when it is an account (a deployment
    service can deploy on behalf of the operator), else the transaction sender."""
    if update:
        # Migration hook for a future version (see the module docstring); v1 has nothing to do.
        return
    # No local variables in _deploy: neo3-boa 1.5 drops the store of any re-assigned local in
    # this one method (`admin = sender; if ...: admin = data` stores nothing and leaves the
    # value on the stack, so the deploy FAULTs).  A helper that returns is compiled correctly.
    storage.put_uint160(ADMIN_KEY, _initial_admin(data))


@public
def update(nef_file: bytes, manifest: bytes, data: Any) -> None:
    """Replace the code, keeping hash and storage (admin only)."""
    _require_admin()
    ContractManagement.update(nef_file, manifest, data)


@public
def set_admin(new_admin: UInt160) -> None:
    """Hand the registry to another admin.  Both must sign, so a mistyped account can never
    take the registry out of reach."""
    _require_admin()
    assert len(new_admin) == 20, "admin must be a 20-byte account"
    assert runtime.check_witness(new_admin), "the new admin must co-sign"
    old_admin = _admin()
    storage.put_uint160(ADMIN_KEY, new_admin)
    on_admin_changed(old_admin, new_admin)


@public
def set_gateway(account: UInt160) -> None:
    """The one account allowed to anchor (admin only); replaces the previous gateway."""
    _require_admin()
    assert len(account) == 20, "gateway must be a 20-byte account"
    storage.put_uint160(GATEWAY_KEY, account)
    on_gateway_changed(account)


@public(safe=True)
def get_admin() -> UInt160:
    return _admin()


@public(safe=True)
def get_gateway() -> UInt160 | None:
    gateway = storage.get(GATEWAY_KEY)
    if len(gateway) == 0:
        return None
    return UInt160(gateway)


# Devices -----------------------------------------------------------------------------------------
@public
def register_device(device_id: UInt160, public_key: ECPoint, site: str) -> None:
    """A new device with its first key (admin only).  The device id must be that key's script
    hash, as the kiosk computes it, so a registration cannot bind the wrong key to a device."""
    _require_admin()
    assert len(device_id) == 20, "device_id must be 20 bytes"
    assert len(public_key) == PUBLIC_KEY_LENGTH, "public key must be a compressed point"
    assert len(site) > 0 and len(site) <= MAX_SITE_LENGTH, "site code must be 1..64 characters"
    key_id = create_standard_account(public_key)
    assert key_id == device_id, "device_id is not the script hash of this key"
    assert len(storage.get(DEVICE_PREFIX + device_id)) == 0, "device already registered"
    assert len(storage.get(KEY_PREFIX + key_id)) == 0, "key already registered"
    _put_key(device_id, key_id, public_key, 0, True)
    storage.put_object(DEVICE_PREFIX + device_id, [DEVICE_ACTIVE, site, key_id, 1])
    on_device_registered(device_id, key_id, public_key, site)


@public
def rotate_key(device_id: UInt160, new_public_key: ECPoint) -> None:
    """A new signing key for a device (admin only).  The old key is retired, not deleted, so
    results it signed before the rotation can still be verified."""
    _require_admin()
    assert len(new_public_key) == PUBLIC_KEY_LENGTH, "public key must be a compressed point"
    device = _device(device_id)
    assert len(device) > 0, "unknown device"
    assert cast(int, device[0]) == DEVICE_ACTIVE, "device is revoked"
    new_key_id = create_standard_account(new_public_key)
    assert len(storage.get(KEY_PREFIX + new_key_id)) == 0, "key already registered"
    old_key_id = cast(UInt160, device[2])
    index = cast(int, device[3])
    _set_key_active(old_key_id, False)
    _put_key(device_id, new_key_id, new_public_key, index, True)
    device[2] = new_key_id
    device[3] = index + 1
    storage.put_object(DEVICE_PREFIX + device_id, device)
    on_key_rotated(device_id, old_key_id, new_key_id, new_public_key)


@public
def revoke_device(device_id: UInt160) -> None:
    """Take a device out of service for good (admin only): its current key stops being
    active.  Results anchored before the revocation keep their proof."""
    _require_admin()
    device = _device(device_id)
    assert len(device) > 0, "unknown device"
    assert cast(int, device[0]) == DEVICE_ACTIVE, "device already revoked"
    key_id = cast(UInt160, device[2])
    _set_key_active(key_id, False)
    device[0] = DEVICE_REVOKED
    storage.put_object(DEVICE_PREFIX + device_id, device)
    on_device_revoked(device_id, key_id)


@public(safe=True)
def get_device(device_id: UInt160) -> list:
    """[status (1 active, 2 revoked), site, current key_id, current public key, key count];
    empty when the device is unknown."""
    device = _device(device_id)
    if len(device) == 0:
        return []
    key = _key(cast(UInt160, device[2]))
    return [device[0], device[1], device[2], key[1], device[3]]


@public(safe=True)
def get_device_key(device_id: UInt160, index: int) -> UInt160 | None:
    """key_id of the device's key number ``index`` (0 = first key); None if there is none."""
    if index < 0:
        return None
    key_id = storage.get(_device_key_slot(device_id, index))
    if len(key_id) == 0:
        return None
    return UInt160(key_id)


@public(safe=True)
def get_key(key_id: UInt160) -> list:
    """[device_id, public key, active, index]; empty when the key was never registered."""
    return _key(key_id)


@public(safe=True)
def is_active_key(key_id: UInt160) -> bool:
    """True only for the current key of a device that is not revoked."""
    # Nested ifs, not `or`/`and`: neo3-boa 1.5 evaluates both operands (no short circuit),
    # so `len(key) == 0 or key[2]` would index an empty list and FAULT.
    key = _key(key_id)
    if len(key) == 0:
        return False
    if not cast(bool, key[2]):
        return False
    device = _device(cast(UInt160, key[0]))
    if len(device) == 0:
        return False
    return cast(int, device[0]) == DEVICE_ACTIVE


@public(safe=True)
def verify_result(payload: bytes, signature: bytes, key_id: UInt160) -> bool:
    """Whether ``signature`` (64-byte r||s, ECDSA secp256r1 over SHA-256(payload), the device
    signature format) was made by the registered key ``key_id``, active or retired.  Key status
    is a separate question (``is_active_key``): a retired key's old results stay valid."""
    key = _key(key_id)
    if len(key) == 0 or len(signature) != SIGNATURE_LENGTH:
        return False
    return CryptoLib.verify_with_ecdsa(
        payload, cast(ECPoint, key[1]), signature, NamedCurveHash.SECP256R1SHA256
    )


# Anchoring ---------------------------------------------------------------------------------------
@public
def anchor(batch_id: bytes, merkle_root: bytes, count: int) -> None:
    """Record a batch's Merkle root (gateway only, once per batch id)."""
    gateway = storage.get(GATEWAY_KEY)
    assert len(gateway) == 20, "no gateway set"
    assert runtime.check_witness(UInt160(gateway)), "not the gateway"
    assert len(batch_id) == BATCH_ID_LENGTH, "batch_id must be 16 bytes"
    assert len(merkle_root) == ROOT_LENGTH, "merkle_root must be 32 bytes"
    assert count > 0, "count must be positive"
    slot = ANCHOR_PREFIX + batch_id
    assert len(storage.get(slot)) == 0, "batch already anchored"
    # currentIndex is the last persisted block: the transaction lands in the next one.
    height = LedgerContract.get_current_index() + 1
    storage.put_object(slot, [merkle_root, count, height, runtime.time])
    on_anchored(batch_id, merkle_root, count)


@public(safe=True)
def get_anchor(batch_id: bytes) -> list:
    """[merkle_root, count, block index, block time (ms)]; empty when never anchored."""
    stored = storage.get(ANCHOR_PREFIX + batch_id)
    if len(stored) == 0:
        return []
    return cast(list, StdLib.deserialize(stored))


# Internals ---------------------------------------------------------------------------------------
def _initial_admin(data: Any) -> UInt160:
    if isinstance(data, UInt160):
        return cast(UInt160, data)
    return runtime.script_container.sender


def _admin() -> UInt160:
    return storage.get_uint160(ADMIN_KEY)


def _require_admin() -> None:
    assert runtime.check_witness(_admin()), "not the admin"


def _device(device_id: UInt160) -> list:
    stored = storage.get(DEVICE_PREFIX + device_id)
    if len(stored) == 0:
        return []
    return cast(list, StdLib.deserialize(stored))


def _key(key_id: UInt160) -> list:
    stored = storage.get(KEY_PREFIX + key_id)
    if len(stored) == 0:
        return []
    return cast(list, StdLib.deserialize(stored))


def _device_key_slot(device_id: UInt160, index: int) -> bytes:
    return DEVICE_KEY_PREFIX + device_id + to_bytes(index, 4, True, False)


def _put_key(
    device_id: UInt160, key_id: UInt160, public_key: ECPoint, index: int, active: bool
) -> None:
    storage.put_object(KEY_PREFIX + key_id, [device_id, public_key, active, index])
    storage.put_uint160(_device_key_slot(device_id, index), key_id)


def _set_key_active(key_id: UInt160, active: bool) -> None:
    key = _key(key_id)
    key[2] = active
    storage.put_object(KEY_PREFIX + key_id, key)
