"""ConsentRegistry: consents given at a kiosk, recorded by the gateway, checkable by anyone.

Why a contract: an insurer that relies on a person's consent must be able to show that the
consent existed, for which terms and until when, and that it was not withdrawn, without
trusting the operator's database; and a person who withdraws must be able to rely on the
withdrawal being visible to every relying party at once.  The 2018 terminal kept "data
pointers" on chain for the same reason.  Here a consent is:

* ``consent_id``: the 16 bytes of the signed ConsentRecord's UUIDv7 (its ``result_id``), which
  is also a leaf of an anchored IdvRegistry batch: the full signed record, off chain, proves
  which device and which verification it rests on;
* ``subject_ref``: the kiosk's pseudonym of the person (HMAC-SHA256 of the document number with
  the site key, 32 bytes): not reversible without the site key, never a name or number;
* ``relying_party``: the insurer's NEO account (Hash160);
* ``scope_hash``: SHA-256 of the consent terms (32 bytes): the terms themselves stay off chain;
* ``expires_ms``: when it lapses (block time, Unix ms).

Who may do what (decided here, documented in contracts/README.md):

* **record**: only the gateway account (set by the admin), once per ``consent_id``: the
  gateway records only consents it has verified (device signature, registered device).
* **revoke**: the gateway, on behalf of the subject (who withdraws at a kiosk or through the
  operator: the subject has no chain account), **or** the relying party itself (an insurer
  ending a policy).  Nobody else, and not twice.  A revocation is never undone: a new consent
  gets a new id.
* **read**: anyone: ``get_consent``, ``is_valid`` (false when unknown, revoked or expired at
  the current block time), ``count_consents``/``get_consents`` (a relying party's consent ids
  in recording order, paged by index: a counter index, not ``Storage.find``, so a page is
  deterministic and costs the same however many consents there are).

Storage layout (one-byte prefixes; lists StdLib.serialize'd):

============================  ===========================================  ====================
key                           value                                        written by
============================  ===========================================  ====================
0x01                          admin (UInt160)                              _deploy
0x02                          gateway (UInt160)                            set_gateway
0x50 + consent_id             [subject_ref, relying_party, scope_hash,     record_consent,
                              expires_ms, recorded_ms, revoked_ms (0 =     revoke_consent
                              not revoked)]
0x51 + relying_party          number of consents recorded for it (int)     record_consent
0x52 + relying_party +        consent_id of its consent number ``index``   record_consent
index (VM integer bytes)
============================  ===========================================  ====================

Upgrades and migration: as IdvRegistry (``update`` by the admin keeps hash and storage; new
layouts get new prefixes, migrated lazily or bounded in ``_deploy(data, update=True)``).
"""

from typing import Any, cast

from boa3.sc import runtime, storage
from boa3.sc.compiletime import NeoMetadata, public
from boa3.sc.contracts import ContractManagement, StdLib
from boa3.sc.types import UInt160
from boa3.sc.utils import CreateNewEvent, to_bytes

ADMIN_KEY = b"\x01"
GATEWAY_KEY = b"\x02"
CONSENT_PREFIX = b"\x50"
PARTY_COUNT_PREFIX = b"\x51"
PARTY_INDEX_PREFIX = b"\x52"

CONSENT_ID_LENGTH = 16  # a UUID
HASH_LENGTH = 32  # SHA-256 / HMAC-SHA256
MAX_PAGE = 64


def manifest_metadata() -> NeoMetadata:
    """Which native methods this contract may call (nothing else)."""
    meta = NeoMetadata()
    meta.name = "ConsentRegistry"
    meta.description = "BDMI consent records (pseudonymous) with revocation and look-ups"
    meta.add_permission(contract="0xfffdc93764dbaddd97c48f252a53ea4643faa3fd", methods=["update"])
    meta.add_permission(
        contract="0xacce6fd80d44e1796aa0c2c625e9e4e0ce39efc0", methods=["serialize", "deserialize"]
    )
    return meta


# Events ------------------------------------------------------------------------------------------
on_gateway_changed = CreateNewEvent(
    [("gateway", UInt160)],
    "GatewayChanged",
)
on_consent_recorded = CreateNewEvent(
    [("consent_id", bytes), ("relying_party", UInt160), ("scope_hash", bytes), ("expires_ms", int)],
    "ConsentRecorded",
)
on_consent_revoked = CreateNewEvent(
    [("consent_id", bytes), ("revoked_by", UInt160)],
    "ConsentRevoked",
)


# Deployment and administration -------------------------------------------------------------------
@public
def _deploy(data: Any, update: bool) -> None:
    """The admin is ``data`` when it is an account, else the deployer (as IdvRegistry)."""
    if update:
        return
    storage.put_uint160(ADMIN_KEY, _initial_admin(data))


@public
def update(nef_file: bytes, manifest: bytes, data: Any) -> None:
    """Replace the code, keeping hash and storage (admin only)."""
    _require_admin()
    ContractManagement.update(nef_file, manifest, data)


@public
def set_gateway(account: UInt160) -> None:
    """The one account allowed to record consents (admin only)."""
    _require_admin()
    assert len(account) == 20, "gateway must be a 20-byte account"
    storage.put_uint160(GATEWAY_KEY, account)
    on_gateway_changed(account)


@public(safe=True)
def get_admin() -> UInt160:
    return storage.get_uint160(ADMIN_KEY)


@public(safe=True)
def get_gateway() -> UInt160 | None:
    gateway = storage.get(GATEWAY_KEY)
    if len(gateway) == 0:
        return None
    return UInt160(gateway)


# Consents ----------------------------------------------------------------------------------------
@public
def record_consent(
    consent_id: bytes,
    subject_ref: bytes,
    relying_party: UInt160,
    scope_hash: bytes,
    expires_ms: int,
) -> None:
    """Record a verified consent (gateway only, once per id, not already expired)."""
    gateway = storage.get(GATEWAY_KEY)
    assert len(gateway) == 20, "no gateway set"
    assert runtime.check_witness(UInt160(gateway)), "not the gateway"
    assert len(consent_id) == CONSENT_ID_LENGTH, "consent_id must be 16 bytes"
    assert len(subject_ref) == HASH_LENGTH, "subject_ref must be 32 bytes"
    assert len(relying_party) == 20, "relying_party must be a 20-byte account"
    assert len(scope_hash) == HASH_LENGTH, "scope_hash must be 32 bytes"
    assert expires_ms > runtime.time, "consent already expired"
    slot = CONSENT_PREFIX + consent_id
    assert len(storage.get(slot)) == 0, "consent already recorded"
    storage.put_object(slot, [subject_ref, relying_party, scope_hash, expires_ms, runtime.time, 0])
    position = storage.get_int(PARTY_COUNT_PREFIX + relying_party)
    storage.put(_party_slot(relying_party, position), consent_id)
    storage.put_int(PARTY_COUNT_PREFIX + relying_party, position + 1)
    on_consent_recorded(consent_id, relying_party, scope_hash, expires_ms)


@public
def revoke_consent(consent_id: bytes) -> None:
    """Withdraw a consent: by the gateway (for the subject) or by its relying party."""
    consent = _consent(consent_id)
    assert len(consent) > 0, "unknown consent"
    relying_party = cast(UInt160, consent[1])
    revoker = _revoker(relying_party)
    assert len(revoker) == 20, "not the gateway or the relying party"
    assert cast(int, consent[5]) == 0, "consent already revoked"
    consent[5] = runtime.time
    storage.put_object(CONSENT_PREFIX + consent_id, consent)
    on_consent_revoked(consent_id, UInt160(revoker))


@public(safe=True)
def get_consent(consent_id: bytes) -> list:
    """[subject_ref, relying_party, scope_hash, expires_ms, recorded_ms, revoked_ms (0 = not
    revoked)]; empty when never recorded."""
    return _consent(consent_id)


@public(safe=True)
def is_valid(consent_id: bytes) -> bool:
    """Recorded, not revoked, and not expired at the current block time."""
    consent = _consent(consent_id)
    if len(consent) == 0:
        return False
    if cast(int, consent[5]) != 0:
        return False
    return runtime.time < cast(int, consent[3])


@public(safe=True)
def count_consents(relying_party: UInt160) -> int:
    """How many consents were ever recorded for the relying party (revoked ones included)."""
    return storage.get_int(PARTY_COUNT_PREFIX + relying_party)


@public(safe=True)
def get_consents(relying_party: UInt160, start: int, count: int) -> list:
    """Consent ids number ``start`` .. ``start + count - 1`` of the relying party, in recording
    order (fewer at the end); ``count`` at most 64."""
    assert start >= 0, "start must not be negative"
    assert count > 0, "count must be positive"
    assert count <= MAX_PAGE, "count must be at most 64"
    total = storage.get_int(PARTY_COUNT_PREFIX + relying_party)
    end = start + count
    if end > total:
        end = total
    page: list[bytes] = []
    for position in range(start, end):
        page.append(storage.get(_party_slot(relying_party, position)))
    return page


# Internals ---------------------------------------------------------------------------------------
def _revoker(relying_party: UInt160) -> bytes:
    # Nested ifs, not `and`: neo3-boa 1.5 does not short-circuit, and CheckWitness of an empty
    # value (no gateway set) would FAULT without a reason.
    gateway = storage.get(GATEWAY_KEY)
    if len(gateway) == 20:  # noqa: SIM102 (see above)
        if runtime.check_witness(UInt160(gateway)):
            return gateway
    if runtime.check_witness(relying_party):
        return relying_party
    return b""


def _consent(consent_id: bytes) -> list:
    stored = storage.get(CONSENT_PREFIX + consent_id)
    if len(stored) == 0:
        return []
    return cast(list, StdLib.deserialize(stored))


def _party_slot(relying_party: UInt160, position: int) -> bytes:
    # The index as the VM's own integer bytes (little-endian, minimal: 0 is empty): a fixed
    # 4-byte big-endian form costs a third more GAS per consent read (measured).  The relying
    # party is always 20 bytes, so keys of different indexes never collide.
    return PARTY_INDEX_PREFIX + relying_party + to_bytes(position)


def _initial_admin(data: Any) -> UInt160:
    if isinstance(data, UInt160):
        return cast(UInt160, data)
    return runtime.script_container.sender


def _require_admin() -> None:
    assert runtime.check_witness(storage.get_uint160(ADMIN_KEY)), "not the admin"
