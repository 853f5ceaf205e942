"""Active Authentication of an eMRTD chip (ICAO 9303-11 section 6.1).

Why: passive authentication proves the data was signed by the issuing state, not that the
chip is the one the state issued. Data groups copied byte for byte onto another chip pass
it. Active Authentication closes that gap: the chip holds a private key that cannot be read
out, its public key is in DG15 (covered by EF.SOD, so passive authentication vouches for
it), and the chip must sign a fresh random challenge from the terminal. A clone has the
DG15 but not the key, so its answer does not verify.

The terminal side, pure (no I/O):

* ``parse_dg15``: '6F' { SubjectPublicKeyInfo }, an RSA key (1024..4096 bits) or an EC key
  (named curve, or explicit domain parameters as older German passports carry);
* ``active_authentication_hash``: for ECDSA the hash comes from DG14's
  ActiveAuthenticationInfo (9303-11 9.2.10); without one the hash matching the curve size;
* ``verify_rsa``: ISO/IEC 9796-2 digital signature scheme 1 with partial message recovery,
  as 9303-11 6.1.2 profiles it. The chip signs F = '6A' || M1 || H(M1 || M2) || trailer,
  where M2 is the terminal's challenge (non-recoverable) and M1 the chip's nonce that the
  verifier recovers from the signature; the trailer 'BC' means SHA-1, 'xx CC' names the
  hash by its ISO/IEC 10118-3 identifier;
* ``verify_ecdsa``: the plain signature format of BSI TR-03111 (r || s, each as long as
  the group order), over the challenge;
* ``check``: all of it for one chip's answer, with DG15's coverage by the SOD required.

The chip side (``message_representative``, ``sign_rsa``, ``sign_ecdsa``) exists for the chip
emulator and the ICAO worked example: the same encoding both ways, so they agree.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from asn1crypto import core, keys
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from ecdsa import BadSignatureError, VerifyingKey
from ecdsa.curves import UnknownCurveError
from ecdsa.der import UnexpectedDER
from ecdsa.errors import MalformedPointError
from ecdsa.util import sigdecode_string

from drivers.document import ActiveAuthentication
from drivers.emrtd.tlv import encode_tlv, read_tlv
from drivers.errors import ProtocolError

# --- reason codes (docs/operations.md) -------------------------------------------------------
DRV_EMRTD_CLONE_SUSPECTED = "DRV_EMRTD_CLONE_SUSPECTED"
"""Active Authentication failed on a chip whose DG15 says it supports it: the signature over
the challenge does not verify with the DG15 key, or the chip refused to sign. What a chip
with copied data groups and no private key does."""
DRV_EMRTD_AA_KEY_NOT_SIGNED = "DRV_EMRTD_AA_KEY_NOT_SIGNED"
"""DG15 (the Active Authentication public key) is not covered by a matching hash in a valid
EF.SOD: a key the chip brings itself proves nothing."""
DRV_AA_PUBLIC_KEY = "DRV_AA_PUBLIC_KEY"
"""DG15 holds no public key the kiosk can use (malformed, an unsupported algorithm or
curve, an RSA modulus outside 1024..4096 bits)."""
DRV_LDS_DG14 = "DRV_LDS_DG14"
"""DG14 (SecurityInfos) is malformed where Active Authentication reads it."""

ACTIVE_AUTHENTICATION_INFO = "2.23.136.1.1.5"  # id-icao-mrtd-security-aaProtocolObject
CHALLENGE_SIZE = 8  # RND.IFD, 9303-11 6.1: eight bytes
RSA_MIN_BITS = 1024
RSA_MAX_BITS = 4096
MAX_SIGNATURE_SIZE = RSA_MAX_BITS // 8  # bounds the response before any arithmetic
TAG_DG15 = 0x6F
TAG_DG14 = 0x6E

# ISO/IEC 10118-3 hash-function identifiers used in the 9796-2 trailer 'xx CC'.
_TRAILER_HASHES = {0x31: "ripemd160", 0x33: "sha1", 0x34: "sha256", 0x35: "sha512"}
_TRAILER_HASHES |= {0x36: "sha384", 0x38: "sha224"}
_HASH_TRAILERS = {name: ident for ident, name in _TRAILER_HASHES.items()}
_IMPLICIT_SHA1 = 0xBC
_EXPLICIT = 0xCC
_ECDSA_PLAIN = {
    "0.4.0.127.0.7.1.1.4.1.1": "sha1",
    "0.4.0.127.0.7.1.1.4.1.2": "sha224",
    "0.4.0.127.0.7.1.1.4.1.3": "sha256",
    "0.4.0.127.0.7.1.1.4.1.4": "sha384",
    "0.4.0.127.0.7.1.1.4.1.5": "sha512",
}
_ECDSA_PLAIN_OID = {name: oid for oid, name in _ECDSA_PLAIN.items()}
_CRYPTOGRAPHY_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_ASN1_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)


@dataclass(frozen=True)
class AaResult:
    status: ActiveAuthentication
    reason: str | None  # the reason code when FAILED
    message: str
    algorithm: str  # "rsa1024_iso9796_2_sha1", "ecdsa_plain_sha256 (secp256r1)", ""


@dataclass(frozen=True)
class AaPublicKey:
    """DG15's key: a ``cryptography`` key, or the SubjectPublicKeyInfo DER for an EC key
    with explicit domain parameters (verified with python-ecdsa)."""

    key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey | None
    spki: bytes
    kind: str  # "rsa" or "ec"
    bits: int  # modulus or group-order size

    @property
    def description(self) -> str:
        return f"{self.kind}{self.bits}"


def _key_error(message: str, data: bytes, offset: int | None = None) -> ProtocolError:
    return ProtocolError(message, raw=data[:32], offset=offset, reason=DRV_AA_PUBLIC_KEY)


def parse_dg15(dg15: bytes) -> AaPublicKey:
    """The Active Authentication public key in DG15. Raises ``ProtocolError`` with
    ``DRV_LDS_TAG``/``DRV_LDS_STRUCTURE`` for a broken file, ``DRV_AA_PUBLIC_KEY`` for a
    key the kiosk cannot use."""
    from drivers.emrtd.lds import DRV_LDS_STRUCTURE, DRV_LDS_TAG

    dg15 = bytes(dg15)
    try:
        outer, end = read_tlv(dg15)
    except ProtocolError as exc:
        raise ProtocolError(
            f"DG15: {exc.args[0]}", raw=dg15[:32], offset=exc.offset, reason=DRV_LDS_STRUCTURE
        ) from exc
    if outer.tag != TAG_DG15:
        raise ProtocolError(
            f"DG15 starts with tag {outer.tag:X}", raw=dg15[:32], offset=0, reason=DRV_LDS_TAG
        )
    if end != len(dg15):
        raise ProtocolError("bytes after DG15", raw=dg15[:32], offset=end, reason=DRV_LDS_STRUCTURE)
    spki_der = outer.value
    try:
        info = keys.PublicKeyInfo.load(spki_der, strict=True)
        algorithm = info["algorithm"]["algorithm"].native
    except _ASN1_ERRORS as exc:
        raise _key_error(f"DG15 is not a SubjectPublicKeyInfo ({exc})", dg15) from None
    if algorithm == "rsa":
        try:
            key = serialization.load_der_public_key(spki_der)
        except (ValueError, UnsupportedAlgorithm):
            key = _unsigned_rsa_key(info, dg15)
        assert isinstance(key, rsa.RSAPublicKey)
        if not RSA_MIN_BITS <= key.key_size <= RSA_MAX_BITS:
            raise _key_error(
                f"RSA modulus of {key.key_size} bits (accepted {RSA_MIN_BITS}..{RSA_MAX_BITS})",
                dg15,
            )
        return AaPublicKey(key, spki_der, "rsa", key.key_size)
    if algorithm == "ec":
        try:
            key = serialization.load_der_public_key(spki_der)
        except (ValueError, UnsupportedAlgorithm):
            key = None  # explicit domain parameters: python-ecdsa knows the named curve
        if key is not None:
            assert isinstance(key, ec.EllipticCurvePublicKey)
            return AaPublicKey(key, spki_der, "ec", key.curve.key_size)
        try:
            verifying = VerifyingKey.from_der(
                spki_der, valid_curve_encodings=("explicit", "named_curve")
            )
        except (UnknownCurveError, MalformedPointError, UnexpectedDER, *_ASN1_ERRORS) as exc:
            raise _key_error(f"DG15 EC key unusable ({exc})", dg15) from None
        return AaPublicKey(None, spki_der, "ec", verifying.curve.order.bit_length())
    raise _key_error(f"DG15 key algorithm {algorithm!r} is not RSA or EC", dg15)


def _unsigned_rsa_key(info: keys.PublicKeyInfo, dg15: bytes) -> rsa.RSAPublicKey:
    """An RSA key whose modulus INTEGER lacks its leading zero byte (so strict DER reads it
    as negative): the German BSI test passport of 2008 (JMRTD's sample) is encoded so, and
    OpenSSL refuses it. The integer's bytes are read unsigned, as other terminals do."""
    try:
        parsed = info["public_key"].parsed
        modulus = int.from_bytes(parsed["modulus"].contents, "big")
        exponent = int.from_bytes(parsed["public_exponent"].contents, "big")
        return rsa.RSAPublicNumbers(exponent, modulus).public_key()
    except (*_ASN1_ERRORS, UnsupportedAlgorithm) as exc:
        raise _key_error(f"DG15 RSA key unreadable ({exc})", dg15) from None


# --- DG14: the ECDSA hash --------------------------------------------------------------------
class _SecurityInfo(core.Sequence):
    _fields = [  # noqa: RUF012 (asn1crypto's declaration style)
        ("protocol", core.ObjectIdentifier),
        ("required_data", core.Any),
        ("optional_data", core.Any, {"optional": True}),
    ]


class _SecurityInfos(core.SetOf):
    _child_spec = _SecurityInfo


def active_authentication_hash(dg14: bytes | None, key: AaPublicKey) -> str:
    """The hash an ECDSA chip signs with: DG14's ActiveAuthenticationInfo names it
    (ecdsa-plain-SHAxxx, BSI TR-03111). Without DG14, or without the info (a DG14 that only
    describes Chip Authentication), the hash whose size matches the curve's, the pairing
    TR-03111 recommends and chips use. RSA keys do not need this: 9796-2 names its hash in
    the trailer."""
    if dg14 is not None:
        named = _hash_from_dg14(bytes(dg14))
        if named is not None:
            return named
    if key.bits <= 160:
        return "sha1"
    if key.bits <= 224:
        return "sha224"
    if key.bits <= 256:
        return "sha256"
    if key.bits <= 384:
        return "sha384"
    return "sha512"


def _hash_from_dg14(dg14: bytes) -> str | None:
    try:
        outer, end = read_tlv(dg14)
        if outer.tag != TAG_DG14 or end != len(dg14):
            raise ValueError("DG14 is not one '6E' object")
        infos = _SecurityInfos.load(outer.value, strict=True)
        for info in infos:
            if info["protocol"].dotted != ACTIVE_AUTHENTICATION_INFO:
                continue
            optional = info["optional_data"]
            if isinstance(optional, core.Void) or not optional.contents:
                return None
            oid = core.ObjectIdentifier.load(optional.dump(), strict=True).dotted
            if oid not in _ECDSA_PLAIN:
                raise ValueError(f"ActiveAuthenticationInfo names algorithm {oid}")
            return _ECDSA_PLAIN[oid]
    except (ProtocolError, *_ASN1_ERRORS) as exc:
        raise ProtocolError(
            f"DG14 ActiveAuthenticationInfo unreadable ({exc})",
            raw=dg14[:32],
            reason=DRV_LDS_DG14,
        ) from None
    return None


def encode_dg14_active_authentication(hash_name: str = "sha256") -> bytes:
    """DG14 holding only an ActiveAuthenticationInfo (version 1, ecdsa-plain-``hash``): what
    the test passport carries beside an EC DG15."""
    info = _SecurityInfo(
        {
            "protocol": ACTIVE_AUTHENTICATION_INFO,
            "required_data": core.Integer(1),
            "optional_data": core.ObjectIdentifier(_ECDSA_PLAIN_OID[hash_name]),
        }
    )
    return encode_tlv(TAG_DG14, _SecurityInfos([info]).dump())


# --- ISO/IEC 9796-2 scheme 1 (RSA) -----------------------------------------------------------
def _digest(name: str, data: bytes) -> bytes:
    return hashlib.new(name, data).digest()


def message_representative(m1: bytes, m2: bytes, modulus_bits: int, hash_name: str) -> bytes:
    """F = '6A' || M1 || H(M1 || M2) || T, the chip's side of 9303-11 6.1.2 (ISO/IEC 9796-2
    scheme 1, partial recovery, no padding): M1 must fill the capacity c - 4 bits exactly,
    c = k - Lh - 8t - 4."""
    trailer = (
        bytes([_IMPLICIT_SHA1])
        if hash_name == "sha1"
        else bytes([_HASH_TRAILERS[hash_name], _EXPLICIT])
    )
    digest = _digest(hash_name, m1 + m2)
    capacity = modulus_bits - 8 * len(digest) - 8 * len(trailer) - 4
    if len(m1) * 8 != capacity - 4:
        raise ValueError(f"M1 must be {(capacity - 4) // 8} bytes for {modulus_bits} bits")
    return b"\x6a" + m1 + digest + trailer


def recoverable_size(modulus_bits: int, hash_name: str) -> int:
    """The bytes of M1 a signature carries, for the chip side."""
    trailer = 1 if hash_name == "sha1" else 2
    return (modulus_bits - 8 * _digest_size(hash_name) - 8 * trailer - 8) // 8


def _digest_size(name: str) -> int:
    return hashlib.new(name).digest_size


def sign_rsa(
    private_key: rsa.RSAPrivateKey, challenge: bytes, m1: bytes, hash_name: str = "sha1"
) -> bytes:
    """The chip's signature s = F^d mod n (raw RSA: 9796-2 is the encoding, not PKCS#1)."""
    numbers = private_key.private_numbers()
    n = numbers.public_numbers.n
    f = message_representative(m1, challenge, private_key.key_size, hash_name)
    return pow(int.from_bytes(f, "big"), numbers.d, n).to_bytes((n.bit_length() + 7) // 8, "big")


@dataclass(frozen=True)
class Recovered:
    """What the verifier recovers from an RSA signature (steps 12-16 of the example)."""

    representative: bytes  # F*
    m1: bytes
    digest: bytes  # D, the hash the chip put in F
    hash_name: str


def recover_rsa(key: rsa.RSAPublicKey, signature: bytes) -> Recovered:
    """F* = s^e mod n, split as 9796-2 scheme 1 says. Raises ``ValueError`` naming what is
    wrong (the caller turns it into a refusal)."""
    numbers = key.public_numbers()
    size = (numbers.n.bit_length() + 7) // 8
    if not 0 < len(signature) <= size:
        raise ValueError(f"signature of {len(signature)} bytes for a {size}-byte modulus")
    s = int.from_bytes(signature, "big")
    if not 0 < s < numbers.n:
        raise ValueError("signature out of range")
    f = pow(s, numbers.e, numbers.n).to_bytes(size, "big")
    if f[0] & 0xC0 != 0x40:
        raise ValueError(f"header {f[0]:02X} is not 9796-2 ('01' bits)")
    if not f[0] & 0x20:
        raise ValueError("total message recovery: the challenge would not be signed")
    if f[-1] == _IMPLICIT_SHA1:
        hash_name, trailer = "sha1", 1
    elif f[-1] == _EXPLICIT and f[-2] in _TRAILER_HASHES:
        hash_name, trailer = _TRAILER_HASHES[f[-2]], 2
    else:
        raise ValueError(f"trailer {f[-2:].hex().upper()} names no supported hash")
    if hash_name not in hashlib.algorithms_available:
        raise ValueError(f"hash {hash_name} unavailable")
    digest_size = _digest_size(hash_name)
    # The padding ends with the first nibble 'A' (for partial recovery F[0] is '6A').
    start = next((i for i, byte in enumerate(f) if byte & 0x0F == 0x0A), None)
    digest_start = size - trailer - digest_size
    if start is None or start + 1 > digest_start:
        raise ValueError("no padding border before the hash")
    return Recovered(f, f[start + 1 : digest_start], f[digest_start : size - trailer], hash_name)


def verify_rsa(key: rsa.RSAPublicKey, challenge: bytes, signature: bytes) -> str:
    """Verify; return the algorithm's description, or raise ``ValueError``."""
    recovered = recover_rsa(key, signature)
    expected = _digest(recovered.hash_name, recovered.m1 + challenge)
    if not hmac.compare_digest(expected, recovered.digest):
        raise ValueError("the recovered hash is not the hash of M1 and the challenge")
    return f"rsa{key.key_size}_iso9796_2_{recovered.hash_name}"


# --- ECDSA, plain format (BSI TR-03111 5.2.1) ------------------------------------------------
def sign_ecdsa(
    private_key: ec.EllipticCurvePrivateKey, challenge: bytes, hash_name: str = "sha256"
) -> bytes:
    """r || s, each as long as the group order: the chip's answer."""
    der = private_key.sign(challenge, ec.ECDSA(_CRYPTOGRAPHY_HASHES[hash_name]()))
    r, s = decode_dss_signature(der)
    size = (private_key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def verify_ecdsa(key: AaPublicKey, challenge: bytes, signature: bytes, hash_name: str) -> str:
    """Verify the plain signature; return the algorithm's description, or raise
    ``ValueError``."""
    size = (key.bits + 7) // 8
    if len(signature) != 2 * size:
        raise ValueError(f"plain ECDSA signature of {len(signature)} bytes, not {2 * size}")
    r = int.from_bytes(signature[:size], "big")
    s = int.from_bytes(signature[size:], "big")
    if isinstance(key.key, ec.EllipticCurvePublicKey):
        try:
            key.key.verify(
                encode_dss_signature(r, s), challenge, ec.ECDSA(_CRYPTOGRAPHY_HASHES[hash_name]())
            )
        except InvalidSignature:
            raise ValueError("the ECDSA signature does not verify") from None
        return f"ecdsa_plain_{hash_name} ({key.key.curve.name})"
    verifying = VerifyingKey.from_der(key.spki, valid_curve_encodings=("explicit", "named_curve"))
    try:
        verifying.verify_digest(
            signature, _digest(hash_name, challenge), sigdecode=sigdecode_string
        )
    except BadSignatureError:
        raise ValueError("the ECDSA signature does not verify") from None
    return f"ecdsa_plain_{hash_name} ({verifying.curve.name})"


# --- the check -------------------------------------------------------------------------------
def check(
    dg15: bytes,
    challenge: bytes,
    status_word: int,
    signature: bytes,
    *,
    dg15_signed: bool,
    dg14: bytes | None = None,
) -> AaResult:
    """Active Authentication of one chip's answer to INTERNAL AUTHENTICATE(``challenge``).

    ``dg15_signed``: passive authentication found DG15's hash in a validly signed SOD
    (without it the key proves nothing: ``DRV_EMRTD_AA_KEY_NOT_SIGNED``). A chip that
    refuses to sign, or whose signature does not verify, is ``DRV_EMRTD_CLONE_SUSPECTED``.
    Never raises for what the chip sent."""
    if len(challenge) != CHALLENGE_SIZE:
        raise ValueError("the challenge is 8 bytes")
    if not dg15_signed:
        return AaResult(
            ActiveAuthentication.FAILED,
            DRV_EMRTD_AA_KEY_NOT_SIGNED,
            "DG15 is not covered by a valid EF.SOD",
            "",
        )
    try:
        key = parse_dg15(dg15)
        hash_name = active_authentication_hash(dg14, key) if key.kind == "ec" else ""
    except ProtocolError as exc:
        return AaResult(ActiveAuthentication.FAILED, exc.reason, str(exc), "")
    if status_word != 0x9000:
        return AaResult(
            ActiveAuthentication.FAILED,
            DRV_EMRTD_CLONE_SUSPECTED,
            f"the chip refused INTERNAL AUTHENTICATE ({status_word:04X})",
            key.description,
        )
    if not signature or len(signature) > MAX_SIGNATURE_SIZE:
        return AaResult(
            ActiveAuthentication.FAILED,
            DRV_EMRTD_CLONE_SUSPECTED,
            f"a signature of {len(signature)} bytes",
            key.description,
        )
    try:
        if key.kind == "rsa":
            assert isinstance(key.key, rsa.RSAPublicKey)
            algorithm = verify_rsa(key.key, challenge, signature)
        else:
            algorithm = verify_ecdsa(key, challenge, signature, hash_name)
    except ValueError as exc:
        return AaResult(
            ActiveAuthentication.FAILED,
            DRV_EMRTD_CLONE_SUSPECTED,
            f"the chip's signature does not verify with its DG15 key: {exc}",
            key.description,
        )
    return AaResult(ActiveAuthentication.PASSED, None, "the chip signed the challenge", algorithm)
