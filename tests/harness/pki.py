"""A throw-away PKI for the service tests: CA, server and client certificates (EC P-256).

Why P-256: it is the curve the product uses everywhere (device signatures, NEO's
``verifyWithECDsa``, mTLS to the broker), so the tests exercise the same TLS code paths as
production.  The server certificate carries SAN ``127.0.0.1`` and ``localhost`` because the
services listen on loopback only and clients verify the host name.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALIDITY = dt.timedelta(days=30)
_BACKDATE = dt.timedelta(minutes=5)  # tolerate small clock skew between processes/VMs


@dataclass(frozen=True)
class CertPair:
    """Paths of one PEM certificate and its unencrypted PKCS#8 private key."""

    cert: Path
    key: Path


@dataclass(frozen=True)
class TestPki:
    """Paths of the generated PKI; ``ca`` signs both leaf certificates."""

    __test__ = False  # not a pytest test class despite the name

    directory: Path
    ca: CertPair
    server: CertPair
    client: CertPair

    @property
    def ca_cert(self) -> Path:
        """CA certificate (PEM) clients and servers trust."""
        return self.ca.cert


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "BDMI Kiosk tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(pem)
    os.chmod(path, 0o600)


def _write_cert(cert: x509.Certificate, path: Path) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    os.chmod(path, 0o644)


def _builder(
    subject: str, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _load_ca(ca: CertPair) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert = x509.load_pem_x509_certificate(ca.cert.read_bytes())
    key = serialization.load_pem_private_key(ca.key.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError(f"{ca.key} is not an EC private key")
    return cert, key


def _create_ca(directory: Path, common_name: str) -> CertPair:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _builder(common_name, _name(common_name), key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    pair = CertPair(directory / "ca.pem", directory / "ca.key")
    _write_cert(cert, pair.cert)
    _write_key(key, pair.key)
    return pair


def _leaf_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=True,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def issue_certificate(
    ca: CertPair,
    directory: Path,
    stem: str,
    common_name: str,
    *,
    server: bool,
) -> CertPair:
    """Issue a leaf certificate signed by ``ca`` into ``directory/<stem>.pem`` + ``<stem>.key``.

    Exposed so later tests can mint extra client identities (for example one per simulated
    device, since the broker uses the certificate CN as the MQTT username).
    """
    ca_cert, ca_key = _load_ca(ca)
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        _builder(common_name, ca_cert.subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_leaf_key_usage(), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))]
            ),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    else:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    cert = builder.sign(ca_key, hashes.SHA256())
    pair = CertPair(directory / f"{stem}.pem", directory / f"{stem}.key")
    _write_cert(cert, pair.cert)
    _write_key(key, pair.key)
    return pair


def create_test_pki(directory: Path, client_cn: str = "test-device-0001") -> TestPki:
    """Generate CA, server (``localhost``/``127.0.0.1``) and client certificate into ``directory``.

    Files: ``ca.pem``/``ca.key``, ``server.pem``/``server.key``, ``client.pem``/``client.key``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    ca = _create_ca(directory, "BDMI Kiosk test CA")
    server = issue_certificate(ca, directory, "server", "localhost", server=True)
    client = issue_certificate(ca, directory, "client", client_cn, server=False)
    return TestPki(directory=directory, ca=ca, server=server, client=client)
