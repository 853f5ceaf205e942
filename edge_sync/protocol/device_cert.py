"""The device's mTLS certificate profile, checked the same way on the kiosk and the gateway.

Profile (docs/operations.md, "Provision a device"): an EC P-256 key of its own (the TLS key
must be a PEM file OpenSSL can read, while the device's signing key stays NEP-2 encrypted and
never exists in clear on disk); subject ``CN = <device id>`` (Mosquitto's
``use_identity_as_username`` makes the CN the MQTT user name, so a broker ACL such as
``pattern write bdmi/v1/+/%u/#`` confines a device to its own topics); the site in a SAN URI
``urn:bdmi:<site>:<device id>``. The SAN is also what a standards-following verifier needs:
cryptography's RFC 5280 / CA/B client policy refuses a leaf without one, and a certificate that
passes it passes OpenSSL in Mosquitto too. Chains are checked with
``cryptography.x509.verification`` against the site CA bundle, never by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

ORGANIZATION = "BDMI Kiosk"
_SAN = re.compile(r"^urn:bdmi:(?P<site>[a-z0-9][a-z0-9-]{1,62}):(?P<device>0x[0-9a-f]{40})$")


class DeviceCertError(ValueError):
    """A certificate or request that does not fit the profile; ``reason`` is a PROV_* code,
    the same on the kiosk and in the gateway's answer, so the technician reads one code."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


def san_uri(site: str, device_id: str) -> str:
    return f"urn:bdmi:{site}:{device_id}"


def fingerprint(der: bytes) -> str:
    """SHA-256 of DER bytes, hex: how a CSR or certificate is named in logs and the audit."""
    return hashlib.sha256(der).hexdigest()


def public_der(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def build_csr(
    key: ec.EllipticCurvePrivateKey, device_id: str, site: str
) -> x509.CertificateSigningRequest:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, device_id),
        ]
    )
    san = x509.SubjectAlternativeName([x509.UniformResourceIdentifier(san_uri(site, device_id))])
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(subject)
        .add_extension(san, critical=False)
        .sign(key, hashes.SHA256())
    )


def identity_of(cert_or_csr: x509.Certificate | x509.CertificateSigningRequest) -> tuple[str, str]:
    """(device id, site) the certificate or CSR names; ``PROV_CERT_SUBJECT`` when it does
    not name them as the profile says."""
    cns = cert_or_csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    try:
        san = cert_or_csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        uris = san.value.get_values_for_type(x509.UniformResourceIdentifier)
    except x509.ExtensionNotFound:
        uris = []
    matches = [m for m in map(_SAN.match, uris) if m]
    if len(cns) != 1 or len(matches) != 1 or matches[0]["device"] != cns[0].value:
        raise DeviceCertError(
            "subject must be CN=<device id> with one SAN URI urn:bdmi:<site>:<device id>",
            reason="PROV_CERT_SUBJECT",
        )
    return matches[0]["device"], matches[0]["site"]


def sign_csr(
    csr: x509.CertificateSigningRequest,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    *,
    days: int,
    now: dt.datetime | None = None,
) -> x509.Certificate:
    """The site CA's certificate for a device CSR: client authentication only."""
    if not csr.is_signature_valid:
        raise DeviceCertError("the CSR's own signature does not verify", reason="PROV_CSR_INVALID")
    device_id, site = identity_of(csr)
    public = csr.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey) or public.curve.name != "secp256r1":
        raise DeviceCertError("the CSR's key is not EC P-256", reason="PROV_CSR_INVALID")
    start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(minutes=5)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    return (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(san_uri(site, device_id))]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )


def load_bundle(pem: bytes) -> list[x509.Certificate]:
    """The CA certificates of a PEM bundle; ``PROV_CA_INVALID`` when there are none."""
    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise DeviceCertError(
            f"not a PEM certificate bundle ({exc})", reason="PROV_CA_INVALID"
        ) from None
    return certs


def verify_device_cert(
    cert: x509.Certificate,
    roots: list[x509.Certificate],
    *,
    device_id: str,
    site: str,
    now: dt.datetime | None = None,
) -> None:
    """The certificate is valid now, chains to one of ``roots`` and names this device and
    site; raises ``DeviceCertError`` with the precise reason otherwise."""
    when = now or dt.datetime.now(dt.UTC)
    if cert.not_valid_after_utc <= when:
        raise DeviceCertError(
            f"the certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}",
            reason="PROV_CERT_EXPIRED",
        )
    if cert.not_valid_before_utc > when:
        raise DeviceCertError(
            f"the certificate is valid only from {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC "
            "(check the clock)",
            reason="PROV_CERT_EXPIRED",
        )
    if not roots:
        raise DeviceCertError("the CA bundle holds no certificate", reason="PROV_CA_INVALID")
    verifier = PolicyBuilder().store(Store(roots)).time(when).build_client_verifier()
    try:
        verifier.verify(cert, [])
    except VerificationError as exc:
        issuer = cert.issuer.rfc4514_string()
        raise DeviceCertError(
            f"the certificate (issuer {issuer}) does not chain to the site CA: {exc}",
            reason="PROV_CERT_UNTRUSTED",
        ) from None
    named = identity_of(cert)
    if named != (device_id, site):
        raise DeviceCertError(
            f"the certificate names device {named[0]} at site {named[1]}, "
            f"not {device_id} at {site}",
            reason="PROV_CERT_SUBJECT",
        )


def check_key_matches(cert: x509.Certificate, key: ec.EllipticCurvePublicKey) -> None:
    if public_der(cert.public_key()) != public_der(key):  # type: ignore[arg-type]
        raise DeviceCertError(
            "the certificate was issued for another key, not this device's TLS key",
            reason="PROV_CERT_KEY_MISMATCH",
        )
