"""The offline USB bundle: a kiosk's unsent results in one signed file, as pure codecs.

A site without a network still has to get its results on chain. ``kioskctl outbox export``
writes every result the gateway has not accepted yet into one file on a USB stick; a
technician carries it to a gateway, where ``bdmi-gateway import`` feeds each result through
the same intake as MQTT (bundle_import.py). Nothing here touches a file or a database.

The file is one deterministic-CBOR map (RFC 8949 section 4.2, like every wire message)::

    {format: "bdmi-bundle", version: 1, device_id, site, key_id, created_at_ms,
     results: [{result_id, device_id, key_id, kind, flow, decision, created_at_ms,
                payload, signature}, ...],
     bundle_signature}

Each result is exactly what the outbox holds, signed on its own by the device; those
signatures are what the gateway trusts for each result. ``bundle_signature`` is the device
key's signature (ECDSA P-256 / SHA-256, 64 bytes r||s) over the canonical CBOR of the map
without ``bundle_signature``: it binds the set of results to the device and the moment of
export, so a bundle with results removed, added or swapped on the stick is refused as a
whole instead of half-imported. The reader refuses any encoding other than the canonical
one, so the bytes on the stick minus the signature are exactly the bytes that were signed.

Decoders never trust the file: anything malformed raises ``BundleError`` with a
``BUNDLE_*`` reason and, when the CBOR decoder knows it, the byte offset, or the index of
the result entry at fault.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

import cbor2

from edge_sync.protocol.signature import verify
from edge_sync.protocol.signed import SignedResult

FORMAT: Final = "bdmi-bundle"
VERSION: Final = 1
SIGNATURE_FIELD: Final = "bundle_signature"

_SITE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_SCRIPT_HASH = re.compile(r"^0x[0-9a-f]{40}$")
_TOP_FIELDS: Final = frozenset(
    {"format", "version", "device_id", "site", "key_id", "created_at_ms", "results",
     SIGNATURE_FIELD}
)  # fmt: skip
_RESULT_FIELDS: Final = {
    "result_id": str,
    "device_id": str,
    "key_id": str,
    "kind": str,
    "flow": str,
    "decision": str,
    "created_at_ms": int,
    "payload": bytes,
    "signature": bytes,
}

# What cbor2 raises on hostile input besides its own errors: a bad tag's value (ValueError,
# OverflowError for an absurd date), nesting past the recursion limit, an unhashable key.
_DECODE_ERRORS = (
    cbor2.CBORDecodeError,
    ValueError,
    TypeError,
    OverflowError,
    RecursionError,
    EOFError,
    KeyError,
    IndexError,
)


class BundleError(ValueError):
    """A bundle refused, with why (``reason``) and where (``offset`` in the file, ``index``
    of the result entry) when known."""

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        offset: int | None = None,
        index: int | None = None,
    ) -> None:
        where = ""
        if index is not None:
            where += f" (result {index})"
        if offset is not None:
            where += f" at byte {offset}"
        super().__init__(f"{reason}: {message}{where}")
        self.reason = reason
        self.offset = offset
        self.index = index


class Signer(Protocol):
    """What signs a bundle: ``kiosk.security.device_key.DeviceKey`` is one."""

    @property
    def key_id(self) -> str: ...

    def sign(self, message: bytes) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Bundle:
    device_id: str
    site: str
    key_id: str
    """The device key that signed the bundle (each result names its own key too)."""
    created_at_ms: int
    results: tuple[SignedResult, ...]
    signature: bytes
    signed_bytes: bytes
    """Canonical CBOR of the map without ``bundle_signature``: what the signature covers."""


def _result_map(signed: SignedResult) -> dict[str, Any]:
    return {name: getattr(signed, name) for name in _RESULT_FIELDS}


def _body(
    device_id: str,
    site: str,
    key_id: str,
    created_at_ms: int,
    results: Sequence[SignedResult],
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "device_id": device_id,
        "site": site,
        "key_id": key_id,
        "created_at_ms": created_at_ms,
        "results": [_result_map(r) for r in results],
    }


def write_bundle(
    *,
    device_id: str,
    site: str,
    created_at_ms: int,
    results: Sequence[SignedResult],
    signer: Signer,
) -> bytes:
    """The bundle's bytes, signed by ``signer``. Refuses (``BUNDLE_FORMAT``) what the reader
    would refuse, so a kiosk never writes a bundle no gateway can import."""
    if not _SCRIPT_HASH.match(device_id) or not _SCRIPT_HASH.match(signer.key_id):
        raise BundleError("device or key id is not a 0x script hash", reason="BUNDLE_FORMAT")
    if not _SITE.match(site):
        raise BundleError(f"site {site!r} is not a site name", reason="BUNDLE_FORMAT")
    body = _body(device_id, site, signer.key_id, created_at_ms, results)
    signed_bytes = cbor2.dumps(body, canonical=True)
    body[SIGNATURE_FIELD] = signer.sign(signed_bytes)
    return cbor2.dumps(body, canonical=True)


def _decode(data: bytes) -> Any:
    stream = io.BytesIO(data)
    try:
        value = cbor2.CBORDecoder(stream).decode()
    except cbor2.CBORDecodeEOF as exc:
        raise BundleError(
            f"the file ends in the middle of a CBOR item ({len(data)} bytes): an interrupted "
            "copy or a stick pulled too early",
            reason="BUNDLE_TRUNCATED",
            offset=stream.tell(),
        ) from exc
    except _DECODE_ERRORS as exc:
        raise BundleError(
            f"not CBOR ({exc})", reason="BUNDLE_NOT_CBOR", offset=stream.tell()
        ) from exc
    if stream.tell() != len(data):
        raise BundleError(
            f"{len(data) - stream.tell()} bytes after the bundle",
            reason="BUNDLE_TRAILING",
            offset=stream.tell(),
        )
    return value


def _field(data: dict[Any, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise BundleError(f"field {name!r} missing or not {kind.__name__}", reason="BUNDLE_FORMAT")
    return value


def _result(entry: Any, index: int) -> SignedResult:
    """Only the shape: the gateway's intake checks ids, payload and signature of each result
    exactly as it does for MQTT, so one bad entry is one rejected result, not a lost bundle."""
    if not isinstance(entry, dict):
        raise BundleError("a result entry is not a map", reason="BUNDLE_RESULT", index=index)
    if set(entry) != set(_RESULT_FIELDS):
        odd = sorted(map(str, set(entry) ^ set(_RESULT_FIELDS)))
        raise BundleError(
            f"result fields differ from the format's: {', '.join(odd)}",
            reason="BUNDLE_RESULT",
            index=index,
        )
    for name, kind in _RESULT_FIELDS.items():
        value = entry[name]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise BundleError(
                f"result field {name!r} is not {kind.__name__}", reason="BUNDLE_RESULT", index=index
            )
    return SignedResult(**entry)


def read_bundle(data: bytes) -> Bundle:
    """Parse a bundle file's bytes; ``BundleError`` on anything that is not a well-formed,
    canonically encoded version-1 bundle. The signature is checked separately
    (``verify_bundle_signature``): the reader does not know the device's keys."""
    data = bytes(data)
    value = _decode(data)
    if not isinstance(value, dict):
        raise BundleError("the file is not a CBOR map", reason="BUNDLE_FORMAT", offset=0)
    if value.get("format") != FORMAT:
        raise BundleError(
            f"format is {value.get('format')!r}, not {FORMAT!r}: not a BDMI bundle",
            reason="BUNDLE_FORMAT",
        )
    if value.get("version") != VERSION:
        raise BundleError(
            f"bundle version {value.get('version')!r} is not {VERSION}: update this gateway",
            reason="BUNDLE_VERSION",
        )
    if set(value) != _TOP_FIELDS:
        odd = sorted(map(str, set(value) ^ _TOP_FIELDS))
        raise BundleError(f"fields differ from the format's: {', '.join(odd)}",
                          reason="BUNDLE_FORMAT")  # fmt: skip
    try:
        canonical = cbor2.dumps(value, canonical=True)
    except (cbor2.CBOREncodeError, ValueError, TypeError, RecursionError) as exc:
        raise BundleError(f"cannot re-encode ({exc})", reason="BUNDLE_NOT_CANONICAL") from exc
    if canonical != data:
        raise BundleError(
            "valid CBOR but not the deterministic encoding the kiosk writes",
            reason="BUNDLE_NOT_CANONICAL",
        )
    device_id = _field(value, "device_id", str)
    key_id = _field(value, "key_id", str)
    if not _SCRIPT_HASH.match(device_id) or not _SCRIPT_HASH.match(key_id):
        raise BundleError("device_id or key_id is not a 0x script hash", reason="BUNDLE_FORMAT")
    site = _field(value, "site", str)
    if not _SITE.match(site):
        raise BundleError(f"site {site!r} is not a site name", reason="BUNDLE_FORMAT")
    created_at_ms = _field(value, "created_at_ms", int)
    signature = _field(value, SIGNATURE_FIELD, bytes)
    if len(signature) != 64:
        raise BundleError("bundle_signature is not 64 bytes", reason="BUNDLE_FORMAT")
    entries = _field(value, "results", list)
    results = tuple(_result(entry, i) for i, entry in enumerate(entries))
    body = {k: v for k, v in value.items() if k != SIGNATURE_FIELD}
    return Bundle(
        device_id=device_id,
        site=site,
        key_id=key_id,
        created_at_ms=created_at_ms,
        results=results,
        signature=signature,
        signed_bytes=cbor2.dumps(body, canonical=True),
    )


def verify_bundle_signature(bundle: Bundle, public_keys: dict[str, bytes]) -> None:
    """Raise unless the bundle's signature verifies under the key it names.
    ``BUNDLE_KEY_UNKNOWN``: ``public_keys`` (key_id -> compressed public key) lacks it;
    ``BUNDLE_SIGNATURE``: it does not verify (the file was changed after export)."""
    public_key = public_keys.get(bundle.key_id)
    if public_key is None:
        raise BundleError(
            f"the bundle is signed with key {bundle.key_id}, not one of the known keys",
            reason="BUNDLE_KEY_UNKNOWN",
        )
    if not verify(bundle.signed_bytes, bundle.signature, public_key):
        raise BundleError(
            "the bundle's signature does not verify: it was changed after export",
            reason="BUNDLE_SIGNATURE",
        )
