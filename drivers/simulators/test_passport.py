"""A clearly fake ICAO 9303 test passport: PKI, MRZ, LDS files and a signed EF.SOD.

Why: the eMRTD reader must be proven end to end (BAC, secure messaging, passive
authentication) without a real passport, and no personal data of a real person may ship
in the repository. Everything here is a specimen: the issuing state is "UTO" (Utopia, the
ICAO example state), the holder is "TEST<<SPECIMEN", the CSCA is a self-signed test
certificate whose name says so, and the portrait is ``skimage.data.astronaut()`` (a NASA
public-domain photograph shipped in the scikit-image wheel), cropped to the face.

Deterministic given a seed where practical: keys are derived from it, certificate dates
and serials are fixed, certificate signatures are deterministic (RFC 6979) and so is the
JPEG encoder, so EF.COM, the data groups and the certificates are the same bytes on every
run. EF.SOD's signature comes from ``passive_auth.build_sod`` (randomised ECDSA): its
bytes differ per run, its content and validity do not.

The files are built with the project's own encoders (``drivers.emrtd.lds`` and
``drivers.emrtd.passive_auth.build_sod``), so the generator and the reader agree.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from drivers.emrtd.active_auth import encode_dg14_active_authentication
from drivers.emrtd.apdu import EF_COM, EF_DG1, EF_DG2, EF_DG14, EF_DG15, EF_SOD
from drivers.emrtd.lds import DG_TAGS, build_com, build_dg1, build_dg2
from drivers.emrtd.passive_auth import build_sod
from drivers.emrtd.tlv import encode_tlv
from drivers.mrz.check_digit import compute_check_digit
from drivers.mrz.mrz_information import mrz_information_from_fields

if TYPE_CHECKING:
    from drivers.simulators.emrtd_chip import EmrtdChip

ISSUING_STATE = "UTO"
PRIMARY_IDENTIFIER = "TEST"
SECONDARY_IDENTIFIER = "SPECIMEN"
DEFAULT_BIRTH_DATE = "800101"  # YYMMDD
DEFAULT_EXPIRY_DATE = "350101"
PORTRAIT_SIZE = (240, 320)  # width x height, ICAO 3:4 portrait
_FACE_BOX = (150, 10, 330, 250)  # astronaut(): left, top, right, bottom of the face crop
_NOT_BEFORE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
_CSCA_NOT_AFTER = dt.datetime(2049, 12, 31, tzinfo=dt.UTC)
_DS_NOT_AFTER = dt.datetime(2039, 12, 31, tzinfo=dt.UTC)


# File name -> FID, the names the reader and the chip use.
FILE_IDS: dict[str, int] = {
    "EF.COM": EF_COM,
    "DG1": EF_DG1,
    "DG2": EF_DG2,
    "DG14": EF_DG14,
    "DG15": EF_DG15,
    "EF.SOD": EF_SOD,
}


@dataclass(frozen=True, repr=False)
class SpecimenPassport:
    """What ``generate_test_passport`` makes. ``files`` maps file names ("EF.COM", "DG1",
    "DG2", "EF.SOD", optionally "DG15") to their bytes; ``by_fid`` gives them by FID for
    the chip emulator."""

    mrz_lines: tuple[str, str]
    mrz_information: str
    files: dict[str, bytes]
    portrait_jpeg: bytes
    portrait_size: tuple[int, int]
    csca_certificate: x509.Certificate
    ds_certificate: x509.Certificate
    seed: int
    extra: dict[str, str] = field(default_factory=dict)
    aa_private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | None = None
    """The chip's Active Authentication key (its public half is DG15): what a genuine chip
    holds and a clone cannot have."""

    def __repr__(self) -> str:
        return f"SpecimenPassport(seed={self.seed}, files={sorted(self.files)})"

    @property
    def by_fid(self) -> dict[int, bytes]:
        return {FILE_IDS[name]: data for name, data in self.files.items()}

    def chip(self, **options: Any) -> EmrtdChip:
        """The genuine chip: these files and the Active Authentication key. ``options`` go to
        ``EmrtdChip`` (``max_le``, ...). ``chip().clone()`` is a clone of it."""
        from drivers.simulators.emrtd_chip import EmrtdChip

        return EmrtdChip(self.by_fid, self.mrz_information, aa_key=self.aa_private_key, **options)

    @property
    def document_number(self) -> str:
        return self.mrz_lines[1][:9].rstrip("<")

    def write_csca(self, trust_dir: Path) -> Path:
        """Write the test CSCA certificate (PEM) into ``trust_dir`` and return its path:
        the directory a passive-authentication check is pointed at in tests and the demo."""
        trust_dir.mkdir(parents=True, exist_ok=True)
        path = trust_dir / f"test-csca-uto-{self.seed}.pem"
        path.write_bytes(self.csca_certificate.public_bytes(serialization.Encoding.PEM))
        return path


# MRZ ---------------------------------------------------------------------------------------------
def td3_mrz(
    document_number: str,
    birth_date: str = DEFAULT_BIRTH_DATE,
    expiry_date: str = DEFAULT_EXPIRY_DATE,
    sex: str = "F",
) -> tuple[str, str]:
    """The two 44-character TD3 lines (ICAO 9303-4) of the specimen, check digits computed."""
    name = f"{PRIMARY_IDENTIFIER}<<{SECONDARY_IDENTIFIER}"
    line1 = f"P<{ISSUING_STATE}{name}".ljust(44, "<")[:44]
    number = document_number.ljust(9, "<")
    personal = "<" * 14
    part_number = number + compute_check_digit(number)
    part_birth = birth_date + compute_check_digit(birth_date)
    part_expiry = expiry_date + compute_check_digit(expiry_date)
    part_personal = personal + compute_check_digit(personal)
    composite = compute_check_digit(part_number + part_birth + part_expiry + part_personal)
    line2 = part_number + ISSUING_STATE + part_birth + sex + part_expiry + part_personal + composite
    assert len(line2) == 44
    return line1, line2


# LDS -------------------------------------------------------------------------------------------
def _encode_dg15(public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> bytes:
    """DG15: '6F' { SubjectPublicKeyInfo } of the Active Authentication key (``lds`` has
    no DG15 builder: the kiosk only reads DG15, it never issues one)."""
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return encode_tlv(DG_TAGS[15], spki)


# PKI ---------------------------------------------------------------------------------------------
def _derive_key(seed: int, label: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 key derived from the seed: test keys only, reproducible on purpose."""
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    digest = hashlib.sha512(f"bdmi-test-passport/{seed}/{label}".encode()).digest()
    return ec.derive_private_key(int.from_bytes(digest, "big") % (order - 1) + 1, ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "UT"),  # 'UT': Utopia, test only
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "BDMI Kiosk TEST ONLY"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _make_pki(seed: int) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate, x509.Certificate]:
    """A self-signed test CSCA and a document signer it issued, both P-256."""
    csca_key = _derive_key(seed, "csca")
    ds_key = _derive_key(seed, "ds")
    csca_name = _name("TEST CSCA Utopia (not a real country signing CA)")
    ski = x509.SubjectKeyIdentifier.from_public_key(csca_key.public_key())
    csca = (
        x509.CertificateBuilder()
        .subject_name(csca_name)
        .issuer_name(csca_name)
        .public_key(csca_key.public_key())
        .serial_number(0x1000 + seed)
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_CSCA_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(csca_key, hashes.SHA256(), ecdsa_deterministic=True)
    )
    ds = (
        x509.CertificateBuilder()
        .subject_name(_name("TEST Document Signer Utopia"))
        .issuer_name(csca_name)
        .public_key(ds_key.public_key())
        .serial_number(0x2000 + seed)
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_DS_NOT_AFTER)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ds_key.public_key()), critical=False
        )
        .sign(csca_key, hashes.SHA256(), ecdsa_deterministic=True)
    )
    return ds_key, csca, ds


# Portrait ----------------------------------------------------------------------------------------
def specimen_portrait(size: tuple[int, int] = PORTRAIT_SIZE, quality: int = 90) -> bytes:
    """JPEG of the face of ``skimage.data.astronaut()`` (NASA, public domain), ``size`` =
    (width, height). Larger sizes make a DG2 beyond 32 KiB (READ BINARY with odd INS)."""
    from PIL import Image
    from skimage import data

    image = Image.fromarray(data.astronaut()).crop(_FACE_BOX)
    image = image.resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


# The passport ------------------------------------------------------------------------------------
def generate_test_passport(
    seed: int = 0,
    *,
    birth_date: str = DEFAULT_BIRTH_DATE,
    expiry_date: str = DEFAULT_EXPIRY_DATE,
    portrait_size: tuple[int, int] = PORTRAIT_SIZE,
    with_dg15: bool = False,
    aa_algorithm: Literal["ec", "rsa"] = "ec",
) -> SpecimenPassport:
    """Make the specimen passport for ``seed`` (the document number is ``TST`` plus six
    digits of the seed). ``with_dg15`` adds an Active Authentication public key (DG15),
    listed in EF.COM and hashed in EF.SOD, and the private key for the chip
    (``aa_private_key``): an EC P-256 key derived from the seed, with DG14 naming its
    signature algorithm (ecdsa-plain-SHA256), or with ``aa_algorithm="rsa"`` an RSA-1024
    key signing ISO/IEC 9796-2 with SHA-1 (random, made once per seed and process: RSA key
    generation cannot be seeded with the ``cryptography`` API)."""
    document_number = f"TST{seed % 1_000_000:06d}"
    lines = td3_mrz(document_number, birth_date, expiry_date)
    jpeg = specimen_portrait(portrait_size)
    data_groups: dict[int, bytes] = {
        1: build_dg1(lines),
        2: build_dg2(jpeg, *portrait_size),
    }
    aa_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | None = None
    if with_dg15:
        aa_key = (
            _rsa_key(seed) if aa_algorithm == "rsa" else _derive_key(seed, "active-authentication")
        )
        data_groups[15] = _encode_dg15(aa_key.public_key())
        if aa_algorithm == "ec":
            data_groups[14] = encode_dg14_active_authentication("sha256")
    ds_key, csca, ds = _make_pki(seed)
    files = {
        "EF.COM": build_com(sorted(data_groups)),
        "DG1": data_groups[1],
        "DG2": data_groups[2],
    }
    if with_dg15:
        files.update({f"DG{n}": data_groups[n] for n in (14, 15) if n in data_groups})
    files["EF.SOD"] = build_sod(data_groups, ds_key, ds)
    return SpecimenPassport(
        mrz_lines=lines,
        mrz_information=mrz_information_from_fields(document_number, birth_date, expiry_date),
        files=files,
        portrait_jpeg=jpeg,
        portrait_size=portrait_size,
        csca_certificate=csca,
        ds_certificate=ds,
        seed=seed,
        aa_private_key=aa_key,
    )


@functools.cache
def _rsa_key(seed: int) -> rsa.RSAPrivateKey:
    """The RSA Active Authentication key of ``seed``'s passport, for this process."""
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)
