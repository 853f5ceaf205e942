"""The device's mTLS identity on disk: its TLS key, the CSR (next to the key), the
certificate and the CA bundle, each created once and checked on every later run.

The profile (CN, SAN, extensions) and the chain check are
edge_sync/protocol/device_cert.py's, shared with the gateway, so the kiosk refuses exactly what
the gateway would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from edge_sync.protocol.device_cert import (
    DeviceCertError,
    build_csr,
    check_key_matches,
    identity_of,
    load_bundle,
    public_der,
    sign_csr,
    verify_device_cert,
)
from kiosk.provision.errors import ProvisionError
from kiosk.provision.files import write_atomic, write_new

CERT_DAYS = 825  # the longest validity browsers ever accepted; renewed by provisioning again


@dataclass(frozen=True)
class TlsPaths:
    key: Path
    csr: Path
    cert: Path
    ca: Path


def csr_path_for(key_path: Path) -> Path:
    return key_path.with_suffix(".csr")


def ensure_key(path: Path) -> tuple[ec.EllipticCurvePrivateKey, bool]:
    """The TLS key (created at mode 600 when missing, never replaced); whether it is new."""
    if path.exists():
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError, OSError) as exc:
            raise ProvisionError(
                f"{path} exists but is not a readable PEM private key ({exc}); move it away "
                "to let provisioning make a new one",
                reason="PROV_TLS_KEY_INVALID",
            ) from None
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ProvisionError(f"{path} is not an EC P-256 key", reason="PROV_TLS_KEY_INVALID")
        return key, False
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_new(path, pem, 0o600)
    return key, True


def ensure_csr(
    path: Path, key: ec.EllipticCurvePrivateKey, device_id: str, site: str
) -> tuple[x509.CertificateSigningRequest, bool]:
    """The CSR for this key, device and site; rewritten when it names another (the site
    changed): a CSR holds nothing secret."""
    if path.exists():
        try:
            csr = x509.load_pem_x509_csr(path.read_bytes())
            if (
                public_der(csr.public_key()) == public_der(key.public_key())  # type: ignore[arg-type]
                and identity_of(csr) == (device_id, site)
            ):
                return csr, False
        except (ValueError, DeviceCertError):
            pass
    csr = build_csr(key, device_id, site)
    write_atomic(path, csr.public_bytes(serialization.Encoding.PEM), 0o644)
    return csr, True


def _load_cert(path: Path, what: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except OSError as exc:
        raise ProvisionError(
            f"cannot read {what} {path}: {exc.strerror}", reason="PROV_CERT_UNREADABLE"
        ) from None
    except ValueError as exc:
        raise ProvisionError(
            f"{what} {path} is not a PEM certificate ({exc})", reason="PROV_CERT_INVALID"
        ) from None


def load_roots(path: Path) -> list[x509.Certificate]:
    try:
        return load_bundle(path.read_bytes())
    except OSError as exc:
        raise ProvisionError(
            f"cannot read the CA file {path}: {exc.strerror}", reason="PROV_CA_INVALID"
        ) from None
    except DeviceCertError as exc:
        raise ProvisionError(f"{path}: {exc}", reason=exc.reason) from None


def check_certificate(
    cert: x509.Certificate,
    key: ec.EllipticCurvePrivateKey,
    roots: list[x509.Certificate],
    device_id: str,
    site: str,
) -> None:
    try:
        check_key_matches(cert, key.public_key())
        verify_device_cert(cert, roots, device_id=device_id, site=site)
    except DeviceCertError as exc:
        raise ProvisionError(str(exc).partition(": ")[2], reason=exc.reason) from None


def install_ca(target: Path, source: Path | None) -> bool:
    """Copy the CA bundle the kiosk trusts (for the broker and its own certificate) into
    place; whether it changed. Without a source the installed one must already exist."""
    if source is None:
        if not target.exists():
            raise ProvisionError(
                f"no CA file at {target}: give --ca-file (or --site-ca-cert)",
                reason="PROV_CA_MISSING",
            )
        load_roots(target)
        return False
    load_roots(source)
    data = source.read_bytes()
    if target.exists() and target.read_bytes() == data:
        return False
    write_atomic(target, data, 0o644)
    return True


def ensure_certificate(
    paths: TlsPaths,
    key: ec.EllipticCurvePrivateKey,
    csr: x509.CertificateSigningRequest,
    device_id: str,
    site: str,
    *,
    site_ca: tuple[Path, Path] | None,
    import_cert: Path | None,
) -> tuple[x509.Certificate, str]:
    """The certificate and how it came: ``kept`` (a valid one was there), ``signed`` (by the
    site CA given), ``imported``. Anything that does not match the key, the device or the CA
    bundle is refused and nothing is written."""
    roots = load_roots(paths.ca)
    if paths.cert.exists() and import_cert is None:
        try:
            cert = _load_cert(paths.cert, "the installed certificate")
            check_certificate(cert, key, roots, device_id, site)
            return cert, "kept"
        except ProvisionError:
            if site_ca is None:
                raise
    if import_cert is not None:
        cert = _load_cert(import_cert, "the certificate to import")
        mode = "imported"
    elif site_ca is not None:
        cert = _sign(csr, *site_ca)
        mode = "signed"
    else:
        raise ProvisionError(
            "no certificate yet: give the site CA (--site-ca-cert and --site-ca-key) or a "
            "certificate issued for this device's CSR (--import-cert)",
            reason="PROV_CERT_MISSING",
        )
    check_certificate(cert, key, roots, device_id, site)
    pem = cert.public_bytes(serialization.Encoding.PEM)
    if mode == "imported" and paths.cert.exists() and paths.cert.read_bytes() == pem:
        return cert, "kept"
    write_atomic(paths.cert, pem, 0o644)
    return cert, mode


def _sign(
    csr: x509.CertificateSigningRequest, ca_cert_path: Path, ca_key_path: Path
) -> x509.Certificate:
    ca_cert = _load_cert(ca_cert_path, "the site CA certificate")
    try:
        ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ProvisionError(
            f"cannot load the site CA key {ca_key_path} ({exc}); an encrypted key must be "
            "decrypted onto the provisioning medium first",
            reason="PROV_SITE_CA_UNREADABLE",
        ) from None
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise ProvisionError("the site CA key is not an EC key", reason="PROV_SITE_CA_UNREADABLE")
    if public_der(ca_key.public_key()) != public_der(ca_cert.public_key()):  # type: ignore[arg-type]
        raise ProvisionError(
            f"{ca_key_path} is not the key of the CA certificate {ca_cert_path}",
            reason="PROV_SITE_CA_MISMATCH",
        )
    try:
        constraints = ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise ProvisionError(
            f"{ca_cert_path} is not a CA certificate", reason="PROV_SITE_CA_NOT_CA"
        )
    try:
        return sign_csr(csr, ca_cert, ca_key, days=CERT_DAYS)
    except DeviceCertError as exc:
        raise ProvisionError(str(exc), reason=exc.reason) from None
