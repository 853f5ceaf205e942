"""Device registration over MQTT: the request a newly provisioned kiosk sends and the
gateway's answer. Pure codecs in the style of ``edge_sync/protocol/wire.py`` (deterministic CBOR,
``v``, ``WIRE_*`` errors), so they are fuzzed without a broker.

Topics: ``bdmi/v1/{site}/{device}/register`` (device -> gateway, QoS 1; the gateways share
``$share/gateway/bdmi/v1/+/+/register``) and ``bdmi/v1/{site}/{device}/registered`` (gateway
-> device, QoS 1).

The request carries what the gateway needs to decide alone: the device's first public key
(the device id is its script hash), the site, the mTLS certificate the site CA issued and the
CSR it was issued for (proof that the device holds the TLS key), a time, and a random request
id; all of it signed with the device key (ECDSA P-256 over SHA-256 of the canonical CBOR of
every other field under a domain label, so the signature can never be replayed as a result
signature). No personal data: keys, certificates, codes and times only.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, fields
from typing import Any, Literal

import cbor2

from edge_sync.protocol.wire import WireError, _decode, _encode, _field

_DOMAIN = "bdmi-register-v1"
_SITE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_DEVICE = re.compile(r"^0x[0-9a-f]{40}$")
_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
_REASON = re.compile(r"^[A-Z][A-Z0-9_]{2,63}$")
MAX_DER = 8 * 1024


def gateway_register(share_group: str) -> str:
    """The gateways' shared subscription to registrations; the group is secret (see
    ``edge_sync.protocol.wire.gateway_results``)."""
    return f"$share/{share_group}/bdmi/v1/+/+/register"


def register_topic(site: str, device_id: str) -> str:
    return f"bdmi/v1/{site}/{device_id}/register"


def registered_topic(site: str, device_id: str) -> str:
    return f"bdmi/v1/{site}/{device_id}/registered"


def new_request_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class RegistrationRequest:
    request_id: str
    device_id: str
    site: str
    public_key: bytes
    """Compressed SEC1 P-256 point (33 bytes), the device's first key."""
    certificate: bytes
    """DER of the mTLS client certificate."""
    csr: bytes
    """DER of the CSR the certificate was issued for."""
    requested_at_ms: int
    signature: bytes = b""

    def signed_bytes(self) -> bytes:
        """What the device key signs: every field but the signature, under a domain label."""
        body = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "signature"}
        return cbor2.dumps([_DOMAIN, body], canonical=True)

    def encode(self) -> bytes:
        return _encode({f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def decode(cls, data: bytes) -> RegistrationRequest:
        what = "registration request"
        d = _decode(data, what)
        request = cls(
            request_id=_field(d, "request_id", str, what),
            device_id=_field(d, "device_id", str, what),
            site=_field(d, "site", str, what),
            public_key=_field(d, "public_key", bytes, what),
            certificate=_field(d, "certificate", bytes, what),
            csr=_field(d, "csr", bytes, what),
            requested_at_ms=_field(d, "requested_at_ms", int, what),
            signature=_field(d, "signature", bytes, what),
        )
        _check(request)
        return request


def _check(r: RegistrationRequest) -> None:
    problems = [
        (not _REQUEST_ID.match(r.request_id), "request_id is not 32 hex digits"),
        (not _DEVICE.match(r.device_id), "device_id is not a 0x script hash"),
        (not _SITE.match(r.site), "site is not a site id"),
        (len(r.public_key) != 33 or r.public_key[0] not in (2, 3), "public_key is not compressed"),
        (not 0 < len(r.certificate) <= MAX_DER, "certificate is empty or too large"),
        (not 0 < len(r.csr) <= MAX_DER, "csr is empty or too large"),
        (r.requested_at_ms < 0, "requested_at_ms is negative"),
        (len(r.signature) != 64, "signature is not 64 bytes"),
    ]
    for bad, message in problems:
        if bad:
            raise WireError(message, reason="WIRE_SCHEMA")


RegistrationStatus = Literal["registered", "rejected"]


@dataclass(frozen=True, slots=True)
class RegistrationAck:
    request_id: str
    status: RegistrationStatus
    device_id: str
    reason: str | None = None
    """Why it was rejected (``GW_*``, ``PROV_CERT_*``, ``WIRE_*``)."""
    already: bool = False
    """The device was registered before, with the same key: nothing changed."""
    tx_hash: str | None = None
    """The registration transaction on chain (absent when already registered there)."""
    gateway_key: bytes | None = None
    """The key that signs this gateway's acks (compressed P-256): the device pins it."""
    signature: bytes | None = None
    """By ``gateway_key``, over ``signed_bytes``: the answering gateway holds the key it
    hands out, and the answer belongs to this request of this device."""

    def _fields(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "request_id": self.request_id,
            "status": self.status,
            "device_id": self.device_id,
            "already": self.already,
        }
        for name in ("reason", "tx_hash", "gateway_key"):
            if (value := getattr(self, name)) is not None:
                data[name] = value
        return data

    def encode(self) -> bytes:
        data = self._fields()
        if self.signature is not None:
            data["sig"] = self.signature
        return _encode(data)

    def signed_bytes(self) -> bytes:
        return b"bdmi/v1/registered\x00" + _encode(self._fields())

    @classmethod
    def decode(cls, data: bytes) -> RegistrationAck:
        what = "registration ack"
        d = _decode(data, what)
        status = _field(d, "status", str, what)
        if status not in ("registered", "rejected"):
            raise WireError(f"unknown registration status {status!r}", reason="WIRE_SCHEMA")
        already = d.get("already", False)
        reason = d.get("reason")
        tx_hash = d.get("tx_hash")
        if not isinstance(already, bool):
            raise WireError("already is not a boolean", reason="WIRE_SCHEMA")
        if reason is not None and not (isinstance(reason, str) and _REASON.match(reason)):
            raise WireError("reason is not a reason code", reason="WIRE_SCHEMA")
        if status == "rejected" and reason is None:
            raise WireError("rejected registration without a reason", reason="WIRE_SCHEMA")
        if tx_hash is not None and not isinstance(tx_hash, str):
            raise WireError("tx_hash is not text", reason="WIRE_SCHEMA")
        gateway_key, signature = d.get("gateway_key"), d.get("sig")
        if gateway_key is not None and not (
            isinstance(gateway_key, bytes) and len(gateway_key) == 33
        ):
            raise WireError("gateway_key is not a compressed P-256 key", reason="WIRE_SCHEMA")
        if signature is not None and not (isinstance(signature, bytes) and len(signature) == 64):
            raise WireError("signature is not 64 bytes", reason="WIRE_SCHEMA")
        return cls(
            request_id=_field(d, "request_id", str, what),
            status=status,  # type: ignore[arg-type]
            device_id=_field(d, "device_id", str, what),
            reason=reason,
            already=already,
            tx_hash=tx_hash,
            gateway_key=gateway_key,
            signature=signature,
        )
