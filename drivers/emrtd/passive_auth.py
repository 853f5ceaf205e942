"""Passive authentication of an eMRTD (ICAO 9303 part 10 section 4.6.2, part 11 section 5.1,
part 12): is the data the chip gave us what the issuing state signed?

Three checks, all required for ``PASSED`` (never a silent pass):

1. EF.SOD ('77' wrapping a CMS SignedData) carries an ``LDSSecurityObject`` (the hash of every
   data group) signed by the document signer (DS); the signature over the signed attributes
   must verify with the DS certificate embedded in the SOD, and the message-digest attribute
   must equal the hash of the LDSSecurityObject.
2. The DS certificate must chain to a country signing CA (CSCA) from a trust-store directory:
   signature by the CSCA key, both valid at the time given by the caller (a clock passed in,
   never read here). No CSCA for the DS issuer gives ``UNKNOWN_CSCA``, not ``FAILED``: a kiosk
   without that country's CSCA cannot tell a forgery from a genuine document.
3. Every data group that was read must hash to its value in the SOD; one read but not in the
   SOD fails, one in the SOD but not read is reported and allowed (DG3/DG4 need EAC).

asn1crypto parses the CMS (it reads the BER some issuers still use, e.g. indefinite lengths)
but does not know ``LDSSecurityObject``, so it is defined here. cryptography verifies
RSA PKCS#1 v1.5, RSA-PSS and ECDSA on named curves; ECDSA keys with explicit domain
parameters (German DS certificates of the 2000s, e.g. on brainpoolP224r1, which OpenSSL
builds of cryptography do not offer) are verified with python-ecdsa, which recognises the
named curve the parameters spell out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from asn1crypto import algos, cms, core, keys, pem, x509
from cryptography import x509 as cx509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from ecdsa import BadSignatureError, VerifyingKey
from ecdsa.curves import UnknownCurveError
from ecdsa.der import UnexpectedDER as DerError
from ecdsa.errors import MalformedPointError
from ecdsa.util import sigdecode_der

from drivers.document import ChipAuthentication
from drivers.emrtd.tlv import encode_tlv, read_tlv
from drivers.errors import DocumentInvalid, DriverError, ProtocolError

_log = logging.getLogger(__name__)

# --- reason codes (docs/operations.md) -----------------------------------------------------
DRV_PA_SOD = "DRV_PA_SOD"
"""EF.SOD is not a '77' object holding a CMS SignedData with one signer (malformed bytes)."""
DRV_PA_LDS_SECURITY_OBJECT = "DRV_PA_LDS_SECURITY_OBJECT"
"""The signed content is not a valid LDSSecurityObject (wrong type, DG numbers, hash sizes)."""
DRV_PA_HASH_ALGORITHM = "DRV_PA_HASH_ALGORITHM"
"""The SOD names a hash algorithm the kiosk does not support."""
DRV_PA_DS_CERT_MISSING = "DRV_PA_DS_CERT_MISSING"
"""No certificate in the SOD matches the signer: the signature cannot be checked."""
DRV_PA_CONTENT_TYPE = "DRV_PA_CONTENT_TYPE"
"""The signed content-type attribute differs from the encapsulated content type."""
DRV_PA_MESSAGE_DIGEST = "DRV_PA_MESSAGE_DIGEST"
"""The signed message digest is not the hash of the LDSSecurityObject (content altered)."""
DRV_PA_SIGNATURE = "DRV_PA_SIGNATURE"
"""The document signer's signature over the SOD does not verify."""
DRV_PA_SIGNATURE_ALGORITHM = "DRV_PA_SIGNATURE_ALGORITHM"
"""A signature or key algorithm the kiosk cannot verify (so it cannot pass)."""
DRV_PA_CSCA_UNKNOWN = "DRV_PA_CSCA_UNKNOWN"
"""No CSCA in the trust store issued the DS certificate: install that country's CSCA."""
DRV_PA_CHAIN_SIGNATURE = "DRV_PA_CHAIN_SIGNATURE"
"""A CSCA with the issuer's name is trusted but its key did not sign the DS certificate."""
DRV_PA_CSCA_NOT_CA = "DRV_PA_CSCA_NOT_CA"
"""The trusted certificate that signed the DS certificate is not marked as a CA."""
DRV_PA_DS_KEY_USAGE = "DRV_PA_DS_KEY_USAGE"
"""The DS certificate's key usage does not allow digital signatures."""
DRV_PA_DS_EXPIRED = "DRV_PA_DS_EXPIRED"
"""The DS certificate is not valid at the check time (expired or not yet valid): check the
device clock first."""
DRV_PA_CSCA_EXPIRED = "DRV_PA_CSCA_EXPIRED"
"""The CSCA certificate is not valid at the check time (check the device clock)."""
DRV_PA_DG_HASH_MISMATCH = "DRV_PA_DG_HASH_MISMATCH"
"""A data group read from the chip does not hash to its value in the SOD (altered data)."""
DRV_PA_DG_NOT_IN_SOD = "DRV_PA_DG_NOT_IN_SOD"
"""A data group was read that the SOD does not cover: its content is not vouched for."""
DRV_PA_NO_DATA_GROUP = "DRV_PA_NO_DATA_GROUP"
"""No data group was given to check: a signature alone proves nothing about the holder."""
DRV_PA_TRUST_STORE = "DRV_PA_TRUST_STORE"
"""The CSCA trust-store directory is missing or unreadable (configuration)."""

LDS_SECURITY_OBJECT_OID = "2.23.136.1.1.1"  # id-icao-mrtd-security-ldsSecurityObject
TAG_SOD = 0x77
TRUST_STORE_SUFFIXES = (".pem", ".crt", ".cer", ".der")

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
# BSI TR-03111 ecdsa-plain-signatures (r || s instead of DER), arc 0.4.0.127.0.7.1.1.4.1.x
_ECDSA_PLAIN = {
    "0.4.0.127.0.7.1.1.4.1.1": "sha1",
    "0.4.0.127.0.7.1.1.4.1.2": "sha224",
    "0.4.0.127.0.7.1.1.4.1.3": "sha256",
    "0.4.0.127.0.7.1.1.4.1.4": "sha384",
    "0.4.0.127.0.7.1.1.4.1.5": "sha512",
}
_ASN1_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)


# --- LDSSecurityObject (ICAO 9303-10 section 4.6.2.2) --------------------------------------


class DataGroupHash(core.Sequence):
    _fields = [  # noqa: RUF012 (asn1crypto's declaration style)
        ("data_group_number", core.Integer),
        ("data_group_hash_value", core.OctetString),
    ]


class DataGroupHashValues(core.SequenceOf):
    _child_spec = DataGroupHash


class LDSVersionInfo(core.Sequence):
    _fields = [  # noqa: RUF012
        ("lds_version", core.PrintableString),
        ("unicode_version", core.PrintableString),
    ]


class LDSSecurityObjectVersion(core.Integer):
    _map = {0: "v0", 1: "v1"}  # noqa: RUF012


class LDSSecurityObject(core.Sequence):
    """``LDSSecurityObject ::= SEQUENCE { version, hashAlgorithm, dataGroupHashValues,
    ldsVersionInfo OPTIONAL }`` (version v1 adds ldsVersionInfo)."""

    _fields = [  # noqa: RUF012
        ("version", LDSSecurityObjectVersion),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", DataGroupHashValues),
        ("lds_version_info", LDSVersionInfo, {"optional": True}),
    ]


# --- results --------------------------------------------------------------------------------


class DataGroupStatus(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"
    NOT_IN_SOD = "not_in_sod"  # read from the chip, not covered by the SOD: a failure
    NOT_READ = "not_read"  # in the SOD, not read (allowed: DG3/DG4 need EAC)


class SignatureStatus(StrEnum):
    VALID = "valid"
    INVALID = "invalid"


class ChainStatus(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    UNKNOWN_CSCA = "unknown_csca"


@dataclass(frozen=True)
class Failure:
    """One reason passive authentication did not pass (``data_group`` when it is about one)."""

    reason: str
    message: str
    data_group: int | None = None


@dataclass(frozen=True)
class DataGroupResult:
    number: int
    status: DataGroupStatus
    expected_hash: bytes | None  # from the SOD
    computed_hash: bytes | None  # of the bytes read


@dataclass(frozen=True)
class SecurityObject:
    """A parsed EF.SOD. ``signed_data`` and ``certificates`` are asn1crypto objects;
    ``encapsulated_content`` is the exact DER of the LDSSecurityObject that was signed."""

    hash_algorithm: str
    data_group_hashes: dict[int, bytes]
    version: int
    lds_version: str | None
    unicode_version: str | None
    encapsulated_content: bytes
    signed_data: cms.SignedData
    signer_info: cms.SignerInfo
    certificates: tuple[x509.Certificate, ...]


@dataclass(frozen=True)
class PassiveAuthResult:
    status: ChipAuthentication  # PASSED, FAILED or UNKNOWN_CSCA
    signature: SignatureStatus
    chain: ChainStatus
    data_groups: tuple[DataGroupResult, ...]
    failures: tuple[Failure, ...]
    hash_algorithm: str
    signature_algorithm: str
    ds_subject: str | None
    ds_issuer: str | None
    ds_serial_number: int | None
    ds_not_before: dt.datetime | None
    ds_not_after: dt.datetime | None
    csca_subject: str | None  # the trusted CSCA that signed the DS certificate

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(failure.reason for failure in self.failures)

    def data_group(self, number: int) -> DataGroupResult | None:
        return next((r for r in self.data_groups if r.number == number), None)


@dataclass(frozen=True)
class TrustStore:
    """CSCA certificates loaded from a directory; ``problems`` lists files that were skipped
    (shown by ``kioskctl doc verify-lds`` so a bad file is not silently ignored)."""

    certificates: tuple[x509.Certificate, ...]
    problems: tuple[str, ...] = field(default=())


# --- parsing --------------------------------------------------------------------------------


def _sod_error(message: str, data: bytes, offset: int | None, reason: str = DRV_PA_SOD) -> None:
    raise ProtocolError(message, raw=data, offset=offset, reason=reason)


def parse_sod(data: bytes) -> SecurityObject:
    """Parse EF.SOD fully (asn1crypto is lazy: everything needed later is touched here, so
    malformed bytes fail now as ``ProtocolError``/``DocumentInvalid``, never later)."""
    data = bytes(data)
    try:
        outer, after = read_tlv(data, 0)
    except ProtocolError as exc:
        raise ProtocolError(
            f"{exc.args[0].removesuffix(f' at byte {exc.offset}')} (EF.SOD)",
            raw=data,
            offset=exc.offset,
            reason=DRV_PA_SOD,
        ) from None
    if outer.tag != TAG_SOD:
        _sod_error(f"EF.SOD must start with tag 77, found {outer.tag:X}", data, 0)
    if after != len(data):
        _sod_error(f"{len(data) - after} bytes after the EF.SOD object", data, after)
    start = after - len(outer.value)
    try:
        info = cms.ContentInfo.load(outer.value, strict=True)
        if info["content_type"].native != "signed_data":
            _sod_error("EF.SOD does not hold a CMS SignedData", data, start)
        signed_data = info["content"]
        signed_data.native  # noqa: B018 (forces the lazy parse of every field)
        encap = signed_data["encap_content_info"]
        if encap["content_type"].dotted != LDS_SECURITY_OBJECT_OID:
            raise DocumentInvalid(
                f"signed content type {encap['content_type'].dotted} is not ldsSecurityObject",
                field="encap_content_type",
                reason=DRV_PA_LDS_SECURITY_OBJECT,
            )
        content = encap["content"]
        econtent = content.native if isinstance(content, core.ParsableOctetString) else None
        if not isinstance(econtent, bytes):
            _sod_error("SignedData has no encapsulated content", data, start)
        signer_infos = list(signed_data["signer_infos"])
        if len(signer_infos) != 1:
            _sod_error(f"{len(signer_infos)} signers, ICAO requires exactly one", data, start)
        certificates = tuple(
            choice.chosen
            for choice in signed_data["certificates"] or []
            if isinstance(choice.chosen, x509.Certificate)
        )
        lso = LDSSecurityObject.load(econtent, strict=True)
        lso.native  # noqa: B018
    except DriverError:
        raise
    except _ASN1_ERRORS as exc:
        raise ProtocolError(
            f"malformed CMS/ASN.1 ({type(exc).__name__}: {str(exc)[:80]})",
            raw=data,
            offset=start,
            reason=DRV_PA_SOD,
        ) from None
    hash_algorithm = lso["hash_algorithm"]["algorithm"].native
    if hash_algorithm not in _HASHES:
        raise DocumentInvalid(
            f"unsupported hash algorithm {hash_algorithm}",
            field="hash_algorithm",
            reason=DRV_PA_HASH_ALGORITHM,
        )
    size = _HASHES[hash_algorithm].digest_size
    hashes_by_dg: dict[int, bytes] = {}
    for item in lso["data_group_hash_values"]:
        number = item["data_group_number"].native
        value = item["data_group_hash_value"].native
        if not 1 <= number <= 16 or number in hashes_by_dg:
            raise DocumentInvalid(
                f"data-group number {number} out of range or repeated",
                field="data_group_hash_values",
                reason=DRV_PA_LDS_SECURITY_OBJECT,
            )
        if len(value) != size:
            raise DocumentInvalid(
                f"DG{number} hash is {len(value)} bytes, {hash_algorithm} gives {size}",
                field="data_group_hash_values",
                reason=DRV_PA_LDS_SECURITY_OBJECT,
            )
        hashes_by_dg[number] = value
    version_info = lso["lds_version_info"]
    has_info = version_info.native is not None
    return SecurityObject(
        hash_algorithm=hash_algorithm,
        data_group_hashes=hashes_by_dg,
        version=1 if lso["version"].native == "v1" else 0,
        lds_version=version_info["lds_version"].native if has_info else None,
        unicode_version=version_info["unicode_version"].native if has_info else None,
        encapsulated_content=econtent,
        signed_data=signed_data,
        signer_info=signer_infos[0],
        certificates=certificates,
    )


# --- trust store ----------------------------------------------------------------------------


def load_trust_store(directory: str | Path) -> TrustStore:
    """Every CSCA certificate in ``directory`` (PEM, possibly several per file, or DER; files
    ending .pem/.crt/.cer/.der). A missing directory is a configuration error; a file that
    holds no certificate is skipped and listed in ``problems`` for the caller to report."""
    root = Path(directory)
    if not root.is_dir():
        raise DriverError(f"CSCA trust store {root} is not a directory", reason=DRV_PA_TRUST_STORE)
    certificates: list[x509.Certificate] = []
    problems: list[str] = []
    for path in sorted(root.iterdir()):
        if not path.is_file() or path.suffix.lower() not in TRUST_STORE_SUFFIXES:
            continue
        try:
            raw = path.read_bytes()
            blobs = (
                [der for _, _, der in pem.unarmor(raw, multiple=True)] if pem.detect(raw) else [raw]
            )
            for der in blobs:
                certificate = x509.Certificate.load(der, strict=True)
                certificate.native  # noqa: B018
                certificates.append(certificate)
        except (OSError, *_ASN1_ERRORS) as exc:
            # Returned, not logged: the caller says it once (the CLI on stderr, the reader in
            # its log when the directory changes); logging here too printed it twice.
            problems.append(f"{path.name}: not a certificate ({type(exc).__name__})")
    return TrustStore(certificates=tuple(certificates), problems=tuple(problems))


# --- signatures -----------------------------------------------------------------------------


class _VerifyError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _digest(name: str, data: bytes) -> bytes:
    return hashlib.new(name, data).digest()


def _verify_explicit_ecdsa(spki: keys.PublicKeyInfo, digest: bytes, r: int, s: int) -> None:
    """ECDSA over a key whose curve is given by explicit parameters (older German
    passports: brainpoolP224r1), which ``cryptography`` cannot load; python-ecdsa matches
    the parameters to the named curve they spell out."""
    try:
        key = VerifyingKey.from_der(spki.dump(), valid_curve_encodings=("explicit", "named_curve"))
    except (UnknownCurveError, MalformedPointError, DerError) as exc:
        raise _VerifyError(DRV_PA_SIGNATURE_ALGORITHM, f"explicit EC parameters: {exc}") from None
    try:
        key.verify_digest(encode_dss_signature(r, s), digest, sigdecode=sigdecode_der)
    except BadSignatureError:
        raise InvalidSignature from None


def _describe(algorithm: algos.SignedDigestAlgorithm) -> str:
    dotted = algorithm["algorithm"].dotted
    if dotted in _ECDSA_PLAIN:
        return f"{_ECDSA_PLAIN[dotted]}_ecdsa_plain"
    name = algorithm["algorithm"].native
    if name == "rsassa_pss":
        return f"rsassa_pss_{algorithm['parameters']['hash_algorithm']['algorithm'].native}"
    return str(name)


def _verify_signature(
    spki: keys.PublicKeyInfo,
    algorithm: algos.SignedDigestAlgorithm,
    signature: bytes,
    message: bytes,
    digest_name: str | None = None,
) -> None:
    """Raise ``_VerifyError`` unless ``signature`` over ``message`` verifies with ``spki``.
    ``digest_name`` is the hash for algorithm identifiers that do not name one (CMS
    'rsaEncryption' or plain 'ecdsa' with a separate digestAlgorithm)."""
    try:
        dotted = algorithm["algorithm"].dotted
        plain = dotted in _ECDSA_PLAIN
        if plain:
            kind, hash_name = "ecdsa", _ECDSA_PLAIN[dotted]
        else:
            kind = algorithm.signature_algo
            try:
                hash_name = algorithm.hash_algo
            except ValueError:
                hash_name = digest_name or ""
        if hash_name not in _HASHES:
            raise _VerifyError(DRV_PA_SIGNATURE_ALGORITHM, f"unsupported hash {hash_name!r}")
        hash_class = _HASHES[hash_name]
        key_algorithm = spki["algorithm"]["algorithm"].native
        if kind in ("rsassa_pkcs1v15", "rsassa_pss"):
            if key_algorithm not in ("rsa", "rsassa_pss"):
                raise _VerifyError(DRV_PA_SIGNATURE_ALGORITHM, "RSA signature, non-RSA key")
            numbers = spki["public_key"].parsed
            key = rsa.RSAPublicNumbers(
                numbers["public_exponent"].native, numbers["modulus"].native
            ).public_key()
            if kind == "rsassa_pkcs1v15":
                key.verify(signature, message, padding.PKCS1v15(), hash_class())
            else:
                parameters = algorithm["parameters"]
                mgf = parameters["mask_gen_algorithm"]
                if mgf["algorithm"].native != "mgf1":
                    raise _VerifyError(DRV_PA_SIGNATURE_ALGORITHM, "PSS without MGF1")
                mgf_hash = mgf["parameters"]["algorithm"].native
                if mgf_hash not in _HASHES:
                    raise _VerifyError(DRV_PA_SIGNATURE_ALGORITHM, f"MGF1 hash {mgf_hash!r}")
                key.verify(
                    signature,
                    message,
                    padding.PSS(
                        mgf=padding.MGF1(_HASHES[mgf_hash]()),
                        salt_length=parameters["salt_length"].native,
                    ),
                    hash_class(),
                )
            return
        if kind == "ecdsa":
            if key_algorithm != "ec":
                raise _VerifyError(DRV_PA_SIGNATURE_ALGORITHM, "ECDSA signature, non-EC key")
            if plain:
                half = len(signature) // 2
                if len(signature) % 2 or not half:
                    raise _VerifyError(DRV_PA_SIGNATURE, "plain ECDSA signature of odd length")
                r = int.from_bytes(signature[:half], "big")
                s = int.from_bytes(signature[half:], "big")
            else:
                r, s = decode_dss_signature(signature)
            curve = spki["algorithm"]["parameters"]
            if curve.name == "specified":
                _verify_explicit_ecdsa(spki, _digest(hash_name, message), r, s)
                return
            if curve.name != "named":
                raise _VerifyError(DRV_PA_SIGNATURE_ALGORITHM, "implicitCA EC parameters")
            try:
                ec_curve = ec.get_curve_for_oid(cx509.ObjectIdentifier(curve.chosen.dotted))
            except LookupError:
                raise _VerifyError(
                    DRV_PA_SIGNATURE_ALGORITHM, f"unsupported curve {curve.chosen.native}"
                ) from None
            public = ec.EllipticCurvePublicKey.from_encoded_point(
                ec_curve(), spki["public_key"].native
            )
            public.verify(encode_dss_signature(r, s), message, ec.ECDSA(hash_class()))
            return
        raise _VerifyError(DRV_PA_SIGNATURE_ALGORITHM, f"unsupported signature {kind!r}")
    except InvalidSignature:
        raise _VerifyError(DRV_PA_SIGNATURE, "signature does not verify") from None
    except UnsupportedAlgorithm as exc:
        raise _VerifyError(DRV_PA_SIGNATURE_ALGORITHM, f"unsupported: {exc}") from None
    except _ASN1_ERRORS as exc:
        raise _VerifyError(
            DRV_PA_SIGNATURE, f"malformed key or signature ({type(exc).__name__})"
        ) from None


def _signer_certificate(sod: SecurityObject) -> x509.Certificate | None:
    sid = sod.signer_info["sid"]
    for certificate in sod.certificates:
        if sid.name == "issuer_and_serial_number":
            if (
                certificate.issuer == sid.chosen["issuer"]
                and certificate.serial_number == sid.chosen["serial_number"].native
            ):
                return certificate
        elif certificate.key_identifier == sid.chosen.native:
            return certificate
    return None


def _check_signed_data(sod: SecurityObject, certificate: x509.Certificate) -> list[Failure]:
    signer = sod.signer_info
    digest_name = signer["digest_algorithm"]["algorithm"].native
    if digest_name not in _HASHES:
        return [Failure(DRV_PA_HASH_ALGORITHM, f"unsupported digest {digest_name}")]
    failures = []
    attributes = signer["signed_attrs"]
    if attributes.native is not None and len(attributes):
        by_type = {a["type"].native: a["values"] for a in attributes}
        content_type = by_type.get("content_type")
        if content_type is None or [v.dotted for v in content_type] != [LDS_SECURITY_OBJECT_OID]:
            failures.append(
                Failure(DRV_PA_CONTENT_TYPE, "content-type attribute is not ldsSecurityObject")
            )
        digest = by_type.get("message_digest")
        expected = _digest(digest_name, sod.encapsulated_content)
        if digest is None or len(digest) != 1 or digest[0].native != expected:
            failures.append(
                Failure(DRV_PA_MESSAGE_DIGEST, "message digest is not the hash of the content")
            )
        # Signed over the DER SET OF, not the [0] IMPLICIT tag it is stored under (RFC 5652 5.4).
        signed = b"\x31" + attributes.dump()[1:]
    else:
        signed = sod.encapsulated_content
    try:
        _verify_signature(
            certificate["tbs_certificate"]["subject_public_key_info"],
            signer["signature_algorithm"],
            signer["signature"].native,
            signed,
            digest_name,
        )
    except _VerifyError as exc:
        failures.append(Failure(exc.reason, f"SOD signature: {exc}"))
    return failures


def _valid_at(certificate: x509.Certificate, at: dt.datetime) -> bool:
    validity = certificate["tbs_certificate"]["validity"]
    bounds = [validity[key].native for key in ("not_before", "not_after")]
    # A GeneralizedTime without a zone decodes naive; RFC 5280 means UTC.
    start, end = (b if b.tzinfo else b.replace(tzinfo=dt.UTC) for b in bounds)
    return start <= at <= end


def _check_chain(
    ds: x509.Certificate, trust_store: TrustStore | None, at: dt.datetime
) -> tuple[ChainStatus, list[Failure], x509.Certificate | None]:
    failures = []
    if ds.key_usage_value is not None and "digital_signature" not in ds.key_usage_value.native:
        failures.append(Failure(DRV_PA_DS_KEY_USAGE, "DS key usage lacks digitalSignature"))
    if not _valid_at(ds, at):
        failures.append(Failure(DRV_PA_DS_EXPIRED, f"DS certificate not valid at {at.isoformat()}"))
    candidates = [
        c for c in (trust_store.certificates if trust_store else ()) if c.subject == ds.issuer
    ]
    by_key = [
        c
        for c in candidates
        if ds.authority_key_identifier is not None
        and c.key_identifier == ds.authority_key_identifier
    ]
    candidates = by_key or candidates
    if not candidates:
        failures.append(
            Failure(DRV_PA_CSCA_UNKNOWN, f"no trusted CSCA for {ds.issuer.human_friendly}")
        )
        status = ChainStatus.INVALID if len(failures) > 1 else ChainStatus.UNKNOWN_CSCA
        return status, failures, None
    last: _VerifyError | None = None
    for csca in candidates:
        try:
            _verify_signature(
                csca["tbs_certificate"]["subject_public_key_info"],
                ds["signature_algorithm"],
                ds["signature_value"].native,
                ds["tbs_certificate"].dump(),
            )
        except _VerifyError as exc:
            last = exc
            continue
        if not _valid_at(csca, at):
            failures.append(
                Failure(DRV_PA_CSCA_EXPIRED, f"CSCA certificate not valid at {at.isoformat()}")
            )
        constraints = csca.basic_constraints_value
        if constraints is not None and not constraints["ca"].native:
            failures.append(Failure(DRV_PA_CSCA_NOT_CA, "the issuing certificate is not a CA"))
        return (ChainStatus.INVALID if failures else ChainStatus.VALID), failures, csca
    reason = last.reason if last and last.reason != DRV_PA_SIGNATURE else DRV_PA_CHAIN_SIGNATURE
    failures.append(Failure(reason, f"no trusted CSCA key verifies the DS certificate ({last})"))
    return ChainStatus.INVALID, failures, None


def _check_data_groups(
    sod: SecurityObject, data_groups: Mapping[int, bytes]
) -> tuple[list[DataGroupResult], list[Failure]]:
    results, failures = [], []
    for number in sorted(set(sod.data_group_hashes) | set(data_groups)):
        expected = sod.data_group_hashes.get(number)
        if number not in data_groups:
            results.append(DataGroupResult(number, DataGroupStatus.NOT_READ, expected, None))
            continue
        computed = _digest(sod.hash_algorithm, bytes(data_groups[number]))
        if expected is None:
            status = DataGroupStatus.NOT_IN_SOD
            failures.append(
                Failure(DRV_PA_DG_NOT_IN_SOD, f"DG{number} is not covered by the SOD", number)
            )
        elif hmac.compare_digest(expected, computed):
            status = DataGroupStatus.MATCH
        else:
            status = DataGroupStatus.MISMATCH
            failures.append(
                Failure(DRV_PA_DG_HASH_MISMATCH, f"DG{number} hash differs from the SOD", number)
            )
        results.append(DataGroupResult(number, status, expected, computed))
    if not data_groups:
        failures.append(Failure(DRV_PA_NO_DATA_GROUP, "no data group was given to check"))
    return results, failures


def passive_authentication(
    sod: bytes | SecurityObject,
    data_groups: Mapping[int, bytes],
    *,
    trust_store: TrustStore | str | Path | None,
    at: dt.datetime,
) -> PassiveAuthResult:
    """Check ``sod`` (EF.SOD bytes or parsed), the DS chain to ``trust_store`` (a loaded
    store, a directory, or ``None`` for none: gives ``UNKNOWN_CSCA`` at best) at the aware
    datetime ``at``, and every data group read (DG number -> the file's bytes).

    Malformed SOD bytes raise ``ProtocolError``/``DocumentInvalid`` (``DRV_PA_SOD`` ...);
    every other outcome is in the result. ``PASSED`` needs a valid signature, a valid chain
    to a trusted CSCA, at least one data group, and every data group read to match.
    """
    if at.tzinfo is None:
        raise ValueError("'at' must be timezone-aware")
    parsed = sod if isinstance(sod, SecurityObject) else parse_sod(sod)
    store = (
        trust_store
        if isinstance(trust_store, TrustStore) or trust_store is None
        else load_trust_store(trust_store)
    )
    failures: list[Failure] = []
    dg_results, dg_failures = _check_data_groups(parsed, data_groups)
    ds = _signer_certificate(parsed)
    signature = SignatureStatus.INVALID
    chain = ChainStatus.INVALID
    csca = None
    if ds is None:
        failures.append(Failure(DRV_PA_DS_CERT_MISSING, "no certificate in the SOD matches"))
    else:
        signature_failures = _check_signed_data(parsed, ds)
        failures += signature_failures
        if not signature_failures:
            signature = SignatureStatus.VALID
        chain, chain_failures, csca = _check_chain(ds, store, at)
        failures += chain_failures
    failures += dg_failures
    if signature is SignatureStatus.VALID and chain is ChainStatus.VALID and not dg_failures:
        status = ChipAuthentication.PASSED
    elif (
        signature is SignatureStatus.VALID and chain is ChainStatus.UNKNOWN_CSCA and not dg_failures
    ):
        status = ChipAuthentication.UNKNOWN_CSCA
    else:
        status = ChipAuthentication.FAILED
    validity = ds["tbs_certificate"]["validity"] if ds is not None else None
    return PassiveAuthResult(
        status=status,
        signature=signature,
        chain=chain,
        data_groups=tuple(dg_results),
        failures=tuple(failures),
        hash_algorithm=parsed.hash_algorithm,
        signature_algorithm=_describe(parsed.signer_info["signature_algorithm"]),
        ds_subject=ds.subject.human_friendly if ds is not None else None,
        ds_issuer=ds.issuer.human_friendly if ds is not None else None,
        ds_serial_number=ds.serial_number if ds is not None else None,
        ds_not_before=validity["not_before"].native if validity is not None else None,
        ds_not_after=validity["not_after"].native if validity is not None else None,
        csca_subject=csca.subject.human_friendly if csca is not None else None,
    )


# --- building (test passports) --------------------------------------------------------------


def build_sod(
    data_groups: Mapping[int, bytes],
    ds_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    ds_cert: cx509.Certificate | bytes,
    hash_alg: str = "sha256",
    *,
    prehashed: bool = False,
) -> bytes:
    """EF.SOD ('77' + CMS SignedData) over ``data_groups`` (DG number -> the DG file's bytes,
    or, with ``prehashed=True``, -> its ``hash_alg`` hash), signed by ``ds_key`` (ECDSA, or RSA
    PKCS#1 v1.5) with ``hash_alg``; ``ds_cert`` (cryptography certificate or DER) is embedded.
    """
    if hash_alg not in _HASHES:
        raise ValueError(f"unsupported hash algorithm {hash_alg!r}")
    values = [
        {
            "data_group_number": number,
            "data_group_hash_value": bytes(value) if prehashed else _digest(hash_alg, value),
        }
        for number, value in sorted(data_groups.items())
    ]
    lso = LDSSecurityObject(
        {
            "version": "v0",
            "hash_algorithm": {"algorithm": hash_alg},
            "data_group_hash_values": values,
        }
    ).dump()
    attributes = cms.CMSAttributes(
        [
            {"type": "content_type", "values": [LDS_SECURITY_OBJECT_OID]},
            {"type": "message_digest", "values": [_digest(hash_alg, lso)]},
        ]
    )
    signed = attributes.dump()
    if isinstance(ds_key, ec.EllipticCurvePrivateKey):
        signature = ds_key.sign(signed, ec.ECDSA(_HASHES[hash_alg]()))
        signature_algorithm = f"{hash_alg}_ecdsa"
    elif isinstance(ds_key, rsa.RSAPrivateKey):
        signature = ds_key.sign(signed, padding.PKCS1v15(), _HASHES[hash_alg]())
        signature_algorithm = f"{hash_alg}_rsa"
    else:
        raise TypeError("ds_key must be an EC or RSA private key")
    der = (
        ds_cert.public_bytes(serialization.Encoding.DER)
        if isinstance(ds_cert, cx509.Certificate)
        else bytes(ds_cert)
    )
    certificate = x509.Certificate.load(der)
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                "issuer_and_serial_number",
                {"issuer": certificate.issuer, "serial_number": certificate.serial_number},
            ),
            "digest_algorithm": {"algorithm": hash_alg},
            "signed_attrs": attributes,
            "signature_algorithm": {"algorithm": signature_algorithm},
            "signature": signature,
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": hash_alg}],
            "encap_content_info": {
                "content_type": LDS_SECURITY_OBJECT_OID,
                "content": core.ParsableOctetString(lso),
            },
            "certificates": [certificate],
            "signer_infos": [signer],
        }
    )
    info = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
    return encode_tlv(TAG_SOD, info.dump())
