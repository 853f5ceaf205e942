"""The gateway's side of device registration: a signed request in, the device in the
registry (gateway database and IdvRegistry on chain), an answer out.

Why over MQTT rather than a file the technician carries: a blank kiosk at its first boot has
exactly one way out, the site broker with the certificate it was just issued, and the
technician wants to see "registered" at the panel, not walk to a server. The broker already
checked that the TLS client certificate chains to its CA; the gateway checks again what it can
see itself, in this order, each refusal with its reason in the answer and the rejection log:

1. the request decodes (``WIRE_*``) and its topic names its own site and device
   (``GW_TOPIC_MISMATCH``);
2. the device id is the script hash of the public key (``GW_REG_KEY_MISMATCH``), and the
   device key signed the request (``GW_REG_SIGNATURE``) recently (``GW_REG_STALE``: a captured
   request cannot be replayed a day later);
3. the certificate fits the profile, chains to the configured site CA, and was issued for the
   CSR in the request, whose signature proves the device holds the TLS key
   (``PROV_CERT_*``, ``PROV_CSR_INVALID``; edge_sync/protocol/device_cert.py);
4. the device is not known with another key or site, nor revoked (``GW_REG_DEVICE_CONFLICT``,
   ``GW_DEVICE_REVOKED``);
5. on chain first (``IdvRegistryClient.register_device``, test-invoked before it is sent),
   then in the database: a failure between the two leaves a state the next request completes
   (the chain already holds the same key: nothing is sent again). ``GW_REG_CHAIN`` when the
   node refuses or cannot be reached; the device may simply ask again.

A second request for a registered device with the same key is answered ``registered`` with
``already`` set, and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from cryptography import x509
from neo3.core import cryptography as neo_crypto
from neo3.wallet import utils as wallet_utils
from peewee import Database

from edge_sync.gateway.chain import ChainError, DeviceInfo, TxReceipt
from edge_sync.gateway.db import Device, DeviceKey, Rejection
from edge_sync.protocol.ack_signature import Signer
from edge_sync.protocol.device_cert import DeviceCertError, check_key_matches, verify_device_cert
from edge_sync.protocol.registration_wire import (
    RegistrationAck,
    RegistrationRequest,
    registered_topic,
)
from edge_sync.protocol.signature import verify
from edge_sync.protocol.wire import WireError, parse_topic

log = logging.getLogger(__name__)

MAX_SKEW_MS = 10 * 60 * 1000


class Registry(Protocol):
    """What registration needs of the IdvRegistry client (edge_sync/gateway/chain.py)."""

    async def get_device(self, device_id: str) -> DeviceInfo | None: ...

    async def register_device(self, device_id: str, public_key: bytes, site: str) -> TxReceipt: ...


class _Refused(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class Registrar:
    db: Database
    registry: Registry
    roots: list[x509.Certificate]
    """The site CA certificates device certificates must chain to."""
    clock_ms: Callable[[], int]
    gateway_key: bytes
    """The public half of ``sign``: the key every ack of this gateway is signed with."""
    sign: Signer
    max_skew_ms: int = MAX_SKEW_MS

    async def receive(self, topic: str, data: bytes) -> tuple[str, RegistrationAck] | None:
        """The (topic, answer) to publish, or ``None`` when the topic names no device."""
        try:
            site, device_id, _ = parse_topic(topic)
        except WireError as exc:
            self._reject(topic, exc.reason, str(exc))
            return None
        request_id = ""
        try:
            request = RegistrationRequest.decode(data)
            request_id = request.request_id
            already, tx_hash = await self._register(site, device_id, request)
        except WireError as exc:
            return self._answer(topic, site, device_id, request_id, exc.reason, str(exc))
        except _Refused as exc:
            return self._answer(topic, site, device_id, request_id, exc.reason, str(exc))
        log.info(
            "device registered",
            extra={"device_id": device_id, "site": site, "already": already, "tx": tx_hash},
        )
        ack = RegistrationAck(
            request_id,
            "registered",
            device_id,
            already=already,
            tx_hash=tx_hash,
            gateway_key=self.gateway_key,
        )
        # Signed, so the device can pin the key knowing the answering gateway holds it.
        signed = replace(ack, signature=self.sign(ack.signed_bytes()))
        return registered_topic(site, device_id), signed

    def _answer(
        self, topic: str, site: str, device_id: str, request_id: str, reason: str, message: str
    ) -> tuple[str, RegistrationAck]:
        self._reject(topic, reason, message)
        ack = RegistrationAck(request_id, "rejected", device_id, reason=reason)
        return registered_topic(site, device_id), ack

    async def _register(
        self, site: str, device_id: str, request: RegistrationRequest
    ) -> tuple[bool, str | None]:
        if (request.site, request.device_id) != (site, device_id):
            raise _Refused("GW_TOPIC_MISMATCH", "the request names another site or device")
        self._check_request(request)
        self._check_certificate(request)
        known = self._check_database(request)
        on_chain = await self._on_chain(request)
        with self.db.atomic():
            Device.insert(
                device_id=device_id, site=site, revoked=False, registered_at_ms=self.clock_ms()
            ).on_conflict_ignore().execute()
            DeviceKey.insert(
                key_id=device_id, device=device_id, public_key=request.public_key, active=True
            ).on_conflict_ignore().execute()
        return known and on_chain is None, on_chain

    def _check_request(self, request: RegistrationRequest) -> None:
        try:
            point = neo_crypto.ECPoint.deserialize_from_bytes(request.public_key)
        except (ValueError, neo_crypto.ECCException) as exc:
            raise _Refused("GW_REG_KEY_MISMATCH", f"not a P-256 point: {exc}") from None
        if f"0x{wallet_utils.public_key_to_script_hash(point)}" != request.device_id:
            raise _Refused(
                "GW_REG_KEY_MISMATCH", "the device id is not the script hash of the public key"
            )
        if not verify(request.signed_bytes(), request.signature, request.public_key):
            raise _Refused("GW_REG_SIGNATURE", "the device key did not sign this request")
        if abs(self.clock_ms() - request.requested_at_ms) > self.max_skew_ms:
            raise _Refused(
                "GW_REG_STALE",
                "the request's time is more than 10 minutes from the gateway's clock",
            )

    def _check_certificate(self, request: RegistrationRequest) -> None:
        try:
            cert = x509.load_der_x509_certificate(request.certificate)
            csr = x509.load_der_x509_csr(request.csr)
        except ValueError as exc:
            raise _Refused("PROV_CERT_INVALID", f"certificate or CSR is not DER: {exc}") from None
        try:
            if not csr.is_signature_valid:
                raise DeviceCertError(
                    "the CSR's signature does not verify", reason="PROV_CSR_INVALID"
                )
            check_key_matches(cert, csr.public_key())  # type: ignore[arg-type]
            now = dt.datetime.fromtimestamp(self.clock_ms() / 1000, dt.UTC)
            verify_device_cert(
                cert, self.roots, device_id=request.device_id, site=request.site, now=now
            )
        except DeviceCertError as exc:
            raise _Refused(exc.reason, str(exc)) from None

    def _check_database(self, request: RegistrationRequest) -> bool:
        """Whether the device is already registered here with this key and site."""
        device = Device.get_or_none(Device.device_id == request.device_id)
        if device is None:
            return False
        if device.revoked:
            raise _Refused("GW_DEVICE_REVOKED", "the device is revoked at this gateway")
        key = DeviceKey.get_or_none(DeviceKey.key_id == request.device_id)
        same_key = key is not None and bytes(key.public_key) == request.public_key
        if device.site != request.site or not same_key:
            raise _Refused(
                "GW_REG_DEVICE_CONFLICT",
                "the device is registered with another site or key (rotate or revoke it first)",
            )
        return True

    async def _on_chain(self, request: RegistrationRequest) -> str | None:
        """The registration transaction, or ``None`` when the chain already holds it."""
        try:
            info = await self.registry.get_device(request.device_id)
            if info is not None:
                same_key = bytes(info.public_key) == request.public_key
                if info.site != request.site or not info.active or not same_key:
                    raise _Refused(
                        "GW_REG_DEVICE_CONFLICT",
                        "the IdvRegistry holds this device with another site or key, or revoked",
                    )
                return None
            receipt = await self.registry.register_device(
                request.device_id, request.public_key, request.site
            )
        except ChainError as exc:
            raise _Refused("GW_REG_CHAIN", f"the IdvRegistry did not register it: {exc}") from None
        return f"0x{receipt.tx_hash}"

    def _reject(self, topic: str, reason: str, message: str) -> None:
        log.warning("registration refused", extra={"topic": topic, "reason": reason})
        with self.db.atomic():
            Rejection.create(
                at_ms=self.clock_ms(),
                topic=topic,
                result_id=None,
                reason=reason,
                detail=json.dumps({"message": message[:500]}),
            )
