"""Active Authentication (ICAO 9303-11 6.1), the terminal side and the chip side's encoding.

The ICAO worked example (RSA 1024, SHA-1, ISO/IEC 9796-2) is reproduced value by value:
RND.IFD, H and the recovered D are read from the shared transcription
(``icao_examples/worked_examples.txt``); M1 and F are written here as ICAO 9303-11's worked
example prints them (the transcription stops at H). The example gives no RSA key pair, so
one is generated: the signature differs per run, everything the verifier recovers does not.

Then: RSA with an explicit trailer (SHA-256, '34CC'), ECDSA in the plain format with the
hash from DG14, the refusals (a wrong key, a refused command, a DG15 not covered by the
SOD), real DG15 files from the shared set, and fuzzing: no answer from a chip makes the
check raise, and every failure carries a reason code.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.document import ActiveAuthentication
from drivers.emrtd import active_auth as aa
from drivers.emrtd import passive_auth
from drivers.emrtd.passive_auth import DataGroupStatus
from drivers.emrtd.tlv import encode_tlv
from drivers.errors import ProtocolError
from tests.drivers.shared_data import require_shared_data

h = bytes.fromhex

# ICAO 9303-11, worked example "Active Authentication", steps 6 and 9 (RSA, k = 1024 bits,
# SHA-1, Lh = 160 bits, trailer 'BC'): the chip's nonce M1 and the message representative F.
M1 = h(
    "9D2784A67F8E7C659973EA1AEA25D95B6C8F91E5002F369F0FBDCE8A3CEC1991"
    "B543F1696546C5524CF23A5303CD6C98599F40B79F377B5F3A1406B3B4D8F967"
    "84D23AA88DB7E1032A405E69325FA91A6E86F5C71AEA978264C4A207446DAD4E"
    "7292E2DCDA3024B47DA8"
)
F = h(
    "6A9D2784A67F8E7C659973EA1AEA25D95B6C8F91E5002F369F0FBDCE8A3CEC19"
    "91B543F1696546C5524CF23A5303CD6C98599F40B79F377B5F3A1406B3B4D8F9"
    "6784D23AA88DB7E1032A405E69325FA91A6E86F5C71AEA978264C4A207446DAD"
    "4E7292E2DCDA3024B47DA8C063AA1E6D22FBD976AB0FE73D94D2D9C6D88127BC"
)


@pytest.fixture(scope="module")
def example() -> dict[str, str]:
    """The Active Authentication section of the shared transcription: name -> hex."""
    path = require_shared_data("emrtd", "icao_examples", "worked_examples.txt")
    text = path.read_text(encoding="utf-8")
    section = text[text.index("## Active Authentication") :]
    values = {}
    for line in section.splitlines()[1:]:
        name, _, value = line.partition(":")
        if value.strip():
            values[name.strip()] = value.strip()
    return values


@functools.cache
def rsa_key(bits: int = 1024) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@functools.cache
def ec_key(curve: type[ec.EllipticCurve] = ec.SECP256R1) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(curve())


def dg15_of(public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey) -> bytes:
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return encode_tlv(0x6F, spki)


# --- the ICAO worked example, value by value -------------------------------------------------
def test_worked_example_steps_1_to_9_build_f(example: dict[str, str]) -> None:
    rnd_ifd = h(example["RNDifd"])
    assert rnd_ifd == h("F173589974BF40C6")
    k, lh, t = 1024, 160, 1
    c = k - lh - 8 * t - 4  # step 5: capacity
    assert c == 852
    assert len(M1) * 8 == c - 4  # step 6: Lm1
    assert aa.recoverable_size(k, "sha1") == len(M1)
    assert hashlib.sha1(M1 + rnd_ifd).digest() == h(example["H"])  # step 8
    assert aa.message_representative(M1, rnd_ifd, k, "sha1") == F  # step 9


def test_worked_example_steps_10_to_18_recover_and_verify(example: dict[str, str]) -> None:
    rnd_ifd = h(example["RNDifd"])
    key = rsa_key()
    signature = aa.sign_rsa(key, rnd_ifd, M1)  # step 10, s = F^d mod n
    recovered = aa.recover_rsa(key.public_key(), signature)  # step 12, F* = s^e mod n
    assert recovered.representative == F
    assert recovered.representative[-1] == 0xBC  # step 13, T*
    assert recovered.digest == h(example["D"])  # step 14, D
    assert recovered.m1 == M1  # step 15, M1*
    assert hashlib.sha1(recovered.m1 + rnd_ifd).digest() == recovered.digest  # steps 16-18
    assert aa.verify_rsa(key.public_key(), rnd_ifd, signature) == "rsa1024_iso9796_2_sha1"
    result = aa.check(dg15_of(key.public_key()), rnd_ifd, 0x9000, signature, dg15_signed=True)
    assert result.status is ActiveAuthentication.PASSED and result.reason is None


def test_the_example_with_another_challenge_does_not_verify(example: dict[str, str]) -> None:
    signature = aa.sign_rsa(rsa_key(), h(example["RNDifd"]), M1)
    result = aa.check(
        dg15_of(rsa_key().public_key()), bytes(8), 0x9000, signature, dg15_signed=True
    )
    assert result.reason == aa.DRV_EMRTD_CLONE_SUSPECTED


# --- RSA and ECDSA ---------------------------------------------------------------------------
@pytest.mark.parametrize(("bits", "hash_name"), [(1024, "sha1"), (2048, "sha256"), (2048, "sha1")])
def test_rsa_signatures_verify_with_their_trailer(bits: int, hash_name: str) -> None:
    key = rsa_key(bits)
    challenge = bytes(range(8))
    m1 = bytes(aa.recoverable_size(bits, hash_name))
    signature = aa.sign_rsa(key, challenge, m1, hash_name)
    result = aa.check(dg15_of(key.public_key()), challenge, 0x9000, signature, dg15_signed=True)
    assert result.status is ActiveAuthentication.PASSED
    assert result.algorithm == f"rsa{bits}_iso9796_2_{hash_name}"


@pytest.mark.parametrize(
    ("curve", "hash_name", "with_dg14"),
    [
        (ec.SECP256R1, "sha256", True),
        (ec.SECP384R1, "sha384", True),
        (ec.BrainpoolP256R1, "sha256", False),  # no DG14: the hash of the curve's size
        (ec.SECP256R1, "sha1", True),
    ],
)
def test_plain_ecdsa_signatures_verify(curve, hash_name: str, with_dg14: bool) -> None:
    key = ec_key(curve)
    challenge = b"\x01\x02\x03\x04\x05\x06\x07\x08"
    signature = aa.sign_ecdsa(key, challenge, hash_name)
    assert len(signature) == 2 * ((key.curve.key_size + 7) // 8)  # r || s, TR-03111
    dg14 = aa.encode_dg14_active_authentication(hash_name) if with_dg14 else None
    result = aa.check(
        dg15_of(key.public_key()), challenge, 0x9000, signature, dg15_signed=True, dg14=dg14
    )
    assert result.status is ActiveAuthentication.PASSED, result.message
    assert result.algorithm.startswith(f"ecdsa_plain_{hash_name}")


def test_ecdsa_with_the_hash_dg14_does_not_name_fails() -> None:
    key = ec_key()
    challenge = bytes(8)
    signature = aa.sign_ecdsa(key, challenge, "sha256")
    dg14 = aa.encode_dg14_active_authentication("sha512")
    result = aa.check(
        dg15_of(key.public_key()), challenge, 0x9000, signature, dg15_signed=True, dg14=dg14
    )
    assert result.reason == aa.DRV_EMRTD_CLONE_SUSPECTED


# --- refusals ----------------------------------------------------------------------------------
def test_a_clone_signing_with_its_own_key_is_refused() -> None:
    genuine, cloner = ec_key(), ec.generate_private_key(ec.SECP256R1())
    challenge = bytes(range(8))
    result = aa.check(
        dg15_of(genuine.public_key()),
        challenge,
        0x9000,
        aa.sign_ecdsa(cloner, challenge),
        dg15_signed=True,
    )
    assert result.status is ActiveAuthentication.FAILED
    assert result.reason == aa.DRV_EMRTD_CLONE_SUSPECTED


def test_a_chip_that_refuses_to_sign_is_refused() -> None:
    result = aa.check(dg15_of(ec_key().public_key()), bytes(8), 0x6D00, b"", dg15_signed=True)
    assert result.reason == aa.DRV_EMRTD_CLONE_SUSPECTED and "6D00" in result.message


def test_a_dg15_not_covered_by_the_sod_proves_nothing() -> None:
    key = ec_key()
    signature = aa.sign_ecdsa(key, bytes(8))
    result = aa.check(dg15_of(key.public_key()), bytes(8), 0x9000, signature, dg15_signed=False)
    assert result.reason == aa.DRV_EMRTD_AA_KEY_NOT_SIGNED


@pytest.mark.parametrize("bits", [768, 4104])
def test_an_rsa_modulus_outside_1024_to_4096_bits_is_not_accepted(bits: int) -> None:
    modulus = (1 << (bits - 1)) | 0x10001  # not a real modulus: only its size is judged
    key = rsa.RSAPublicNumbers(65537, modulus).public_key()
    with pytest.raises(ProtocolError) as caught:
        aa.parse_dg15(dg15_of(key))
    assert caught.value.reason == aa.DRV_AA_PUBLIC_KEY


# --- outside data ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "parts",
    [
        ("icao_examples", "Datagroup15.bin"),
        ("pymrtd_vectors", "etsi_DG15.bin"),
        ("jmrtd_samples", "bsi2008", "Datagroup15.bin"),
        ("jmrtd_samples", "loes2006", "ef010F.bin"),
    ],
)
def test_real_dg15_files_parse(parts: tuple[str, ...]) -> None:
    key = aa.parse_dg15(require_shared_data("emrtd", *parts).read_bytes())
    assert key.kind in ("rsa", "ec") and key.bits >= 160


def test_the_specimen_lds_sod_does_not_cover_its_dg15() -> None:
    """icao_examples' EF_SOD covers DG1, DG14 (and DG2-4, not given) but not its DG15: the
    same files as pymrtd's BSI vectors, whose test asserts DG15 is not contained. So that
    specimen cannot show a DG15 covered by its SOD, and AA on it would be refused with
    DRV_EMRTD_AA_KEY_NOT_SIGNED. The ETSI vector's SOD does cover its DG15."""
    root = require_shared_data("emrtd")
    at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    specimen = passive_auth.passive_authentication(
        (root / "icao_examples" / "EF_SOD.bin").read_bytes(),
        {15: (root / "icao_examples" / "Datagroup15.bin").read_bytes()},
        trust_store=None,
        at=at,
    )
    assert specimen.data_group(15).status is DataGroupStatus.NOT_IN_SOD
    etsi = passive_auth.passive_authentication(
        (root / "pymrtd_vectors" / "etsi_tr103200_EF_SOD.bin").read_bytes(),
        {15: (root / "pymrtd_vectors" / "etsi_DG15.bin").read_bytes()},
        trust_store=None,
        at=at,
    )
    assert etsi.data_group(15).status is DataGroupStatus.MATCH


# --- fuzzing -----------------------------------------------------------------------------------
FAILURE_CODES = {
    aa.DRV_EMRTD_CLONE_SUSPECTED,
    aa.DRV_AA_PUBLIC_KEY,
    aa.DRV_LDS_DG14,
    "DRV_LDS_TAG",
    "DRV_LDS_STRUCTURE",
}


@settings(max_examples=150, deadline=None)
@given(signature=st.binary(max_size=600), sw=st.sampled_from([0x9000, 0x6300, 0x6982]))
def test_any_answer_to_an_rsa_challenge_is_a_result(signature: bytes, sw: int) -> None:
    result = aa.check(dg15_of(rsa_key().public_key()), bytes(8), sw, signature, dg15_signed=True)
    assert result.status is ActiveAuthentication.FAILED and result.reason in FAILURE_CODES


@settings(max_examples=150, deadline=None)
@given(recovered=st.binary(min_size=128, max_size=128))
def test_any_recovered_block_is_judged_without_raising(recovered: bytes) -> None:
    """Signatures whose F* is an arbitrary block (the header, trailer and border checks)."""
    key = rsa_key()
    numbers = key.private_numbers()
    value = int.from_bytes(recovered, "big") % numbers.public_numbers.n
    signature = pow(value, numbers.d, numbers.public_numbers.n).to_bytes(128, "big")
    result = aa.check(dg15_of(key.public_key()), bytes(8), 0x9000, signature, dg15_signed=True)
    assert result.status is ActiveAuthentication.FAILED and result.reason in FAILURE_CODES


@settings(max_examples=150, deadline=None)
@given(signature=st.binary(max_size=200))
def test_any_answer_to_an_ec_challenge_is_a_result(signature: bytes) -> None:
    result = aa.check(dg15_of(ec_key().public_key()), bytes(8), 0x9000, signature, dg15_signed=True)
    assert result.status is ActiveAuthentication.FAILED and result.reason in FAILURE_CODES


@settings(max_examples=200, deadline=None)
@given(
    dg15=st.one_of(
        st.binary(max_size=300),
        st.binary(max_size=300).map(lambda body: encode_tlv(0x6F, body)),
    ),
    dg14=st.one_of(st.none(), st.binary(max_size=100).map(lambda b: encode_tlv(0x6E, b))),
)
def test_any_dg15_and_dg14_give_a_result(dg15: bytes, dg14: bytes | None) -> None:
    result = aa.check(dg15, bytes(8), 0x9000, bytes(64), dg15_signed=True, dg14=dg14)
    assert result.status is ActiveAuthentication.FAILED and result.reason in FAILURE_CODES
