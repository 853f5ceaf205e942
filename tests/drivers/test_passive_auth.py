"""Passive authentication (ICAO 9303-11 section 5.1) on the JMRTD and pymrtd sample files and
on a generated CSCA -> DS -> SOD chain: every DG hash checked, the SOD signature verified
against its DS certificate (ECDSA on explicit brainpoolP224r1, RSA PKCS#1 v1.5, RSA-PSS),
a missing CSCA reported as UNKNOWN_CSCA, tampering reported as FAILED with its reason, and
fuzzing of the SOD parser (only typed errors, never a pass on altered signed content)."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.document import ChipAuthentication
from drivers.emrtd import lds
from drivers.emrtd import passive_auth as pa
from drivers.emrtd.passive_auth import (
    ChainStatus,
    DataGroupStatus,
    SignatureStatus,
    build_sod,
    load_trust_store,
    parse_sod,
    passive_authentication,
)
from drivers.errors import DocumentInvalid, DriverError, ProtocolError
from tests.drivers.shared_data import require_shared_data

UTC = dt.UTC


def jmrtd(*parts: str) -> bytes:
    return require_shared_data("emrtd", "jmrtd_samples", *parts).read_bytes()


def pymrtd(name: str) -> bytes:
    return require_shared_data("emrtd", "pymrtd_vectors", name).read_bytes()


# name -> (SOD, {DG: bytes}, a time inside the DS validity)
def samples() -> dict[str, tuple[bytes, dict[int, bytes], dt.datetime]]:
    return {
        "bsi2008": (
            jmrtd("bsi2008", "EF_SOD.bin"),
            {
                1: jmrtd("bsi2008", "Datagroup1.bin"),
                2: jmrtd("bsi2008", "Datagroup2.bin"),
                3: jmrtd("bsi2008", "Datagroup3.bin"),
                14: jmrtd("bsi2008", "Datagroup14.bin"),
            },
            dt.datetime(2008, 6, 1, tzinfo=UTC),
        ),
        "loes2006": (
            jmrtd("loes2006", "ef011D.bin"),
            {
                1: jmrtd("loes2006", "ef0101.bin"),
                2: jmrtd("loes2006", "ef0102.bin"),
                15: jmrtd("loes2006", "ef010F.bin"),
            },
            dt.datetime(2008, 1, 1, tzinfo=UTC),
        ),
        "bsi_tr03105": (
            pymrtd("bsi_tr03105_EF_SOD.bin"),
            {1: pymrtd("bsi_DG1.bin"), 14: pymrtd("bsi_DG14.bin")},
            dt.datetime(2014, 6, 1, tzinfo=UTC),
        ),
        "etsi_tr103200": (
            pymrtd("etsi_tr103200_EF_SOD.bin"),
            {1: pymrtd("etsi_DG1.bin"), 14: pymrtd("etsi_DG14.bin"), 15: pymrtd("etsi_DG15.bin")},
            dt.datetime(2011, 12, 1, tzinfo=UTC),
        ),
    }


EXPECTED = {  # name -> (hash, signature algorithm, DS common name, DGs only in the SOD)
    "bsi2008": ("sha1", "sha1_ecdsa", "DS", {4: False, 15: False}),
    "loes2006": ("sha256", "sha256_rsa", "DS Test", {}),
    "bsi_tr03105": ("sha256", "rsassa_pss_sha256", "HJP PB DS", {2: True, 3: True, 4: True}),
    "etsi_tr103200": ("sha256", "rsassa_pss_sha256", "ETSI DS", {2: True, 3: True, 4: True}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_sod_verifies_and_every_dg_matches_without_its_csca(name):
    sod, groups, at = samples()[name]
    hash_name, signature_name, ds_name, not_read = EXPECTED[name]
    result = passive_authentication(sod, groups, trust_store=None, at=at)
    assert result.signature is SignatureStatus.VALID
    assert result.chain is ChainStatus.UNKNOWN_CSCA
    assert result.status is ChipAuthentication.UNKNOWN_CSCA
    assert result.reasons == (pa.DRV_PA_CSCA_UNKNOWN,)
    assert result.hash_algorithm == hash_name
    assert result.signature_algorithm == signature_name
    assert f"Common Name: {ds_name}," in result.ds_subject
    assert result.ds_not_before <= at <= result.ds_not_after
    for number in groups:
        assert result.data_group(number).status is DataGroupStatus.MATCH
    for number in not_read:
        if not_read[number]:
            assert result.data_group(number).status is DataGroupStatus.NOT_READ


def test_german_2008_sod_does_not_cover_dg4_and_dg15():
    sod, groups, at = samples()["bsi2008"]
    groups = {
        **groups,
        4: jmrtd("bsi2008", "Datagroup4.bin"),
        15: jmrtd("bsi2008", "Datagroup15.bin"),
    }
    result = passive_authentication(sod, groups, trust_store=None, at=at)
    assert sorted(parse_sod(sod).data_group_hashes) == [1, 2, 3, 14]
    assert result.data_group(4).status is DataGroupStatus.NOT_IN_SOD
    assert result.data_group(15).status is DataGroupStatus.NOT_IN_SOD
    assert result.status is ChipAuthentication.FAILED
    assert {f.data_group for f in result.failures if f.reason == pa.DRV_PA_DG_NOT_IN_SOD} == {4, 15}


def test_pymrtd_bsi_dg15_is_reported_as_not_in_the_sod():
    sod, groups, at = samples()["bsi_tr03105"]
    groups[15] = pymrtd("bsi_DG15_not_in_SOD.bin")
    result = passive_authentication(sod, groups, trust_store=None, at=at)
    assert result.data_group(15).status is DataGroupStatus.NOT_IN_SOD
    assert result.status is ChipAuthentication.FAILED


@pytest.mark.parametrize(
    ("sod_name", "cer_name"),
    [
        ("bsi_tr03105_EF_SOD.bin", "dsc_de_0142fd5cf927_HJP_BSI_DS.cer"),
        ("etsi_tr103200_EF_SOD.bin", "dsc_de_0130846f2b3e_ETSI_DS.cer"),
    ],
)
def test_pymrtd_ds_certificate_is_the_one_in_the_sod(sod_name, cer_name):
    (certificate,) = parse_sod(pymrtd(sod_name)).certificates
    assert certificate.dump() == pymrtd(cer_name)


def test_new_zealand_sod_signature_verifies_but_no_dg_is_no_pass():
    sod = jmrtd("ef_sod", "NZ2013_EF_SOD.BIN")  # BER with indefinite lengths
    result = passive_authentication(
        sod, {}, trust_store=None, at=dt.datetime(2013, 1, 1, tzinfo=UTC)
    )
    assert result.signature is SignatureStatus.VALID
    assert result.signature_algorithm == "rsassa_pkcs1v15"
    assert "New Zealand" in result.ds_subject
    assert result.status is ChipAuthentication.FAILED
    assert pa.DRV_PA_NO_DATA_GROUP in result.reasons
    assert all(item.status is DataGroupStatus.NOT_READ for item in result.data_groups)


@pytest.mark.parametrize("name", ["loes2006", "bsi2008", "etsi_tr103200"])
def test_a_flipped_byte_in_a_dg_fails_naming_the_dg(name):
    sod, groups, at = samples()[name]
    dg1 = bytearray(groups[1])
    dg1[10] ^= 0x01
    groups[1] = bytes(dg1)
    result = passive_authentication(sod, groups, trust_store=None, at=at)
    assert result.status is ChipAuthentication.FAILED
    assert result.data_group(1).status is DataGroupStatus.MISMATCH
    (failure,) = [f for f in result.failures if f.reason == pa.DRV_PA_DG_HASH_MISMATCH]
    assert failure.data_group == 1 and "DG1" in failure.message


def _flip_signature(sod: bytes) -> bytes:
    signature = parse_sod(sod).signer_info["signature"].native
    position = sod.rindex(signature) + len(signature) // 2
    flipped = bytearray(sod)
    flipped[position] ^= 0x01
    return bytes(flipped)


@pytest.mark.parametrize("name", sorted(EXPECTED))  # ECDSA explicit curve, RSA, RSA-PSS
def test_a_flipped_byte_in_the_signature_fails(name):
    sod, groups, at = samples()[name]
    result = passive_authentication(_flip_signature(sod), groups, trust_store=None, at=at)
    assert result.signature is SignatureStatus.INVALID
    assert result.status is ChipAuthentication.FAILED
    assert pa.DRV_PA_SIGNATURE in result.reasons


def test_a_changed_hash_inside_the_signed_content_fails_the_message_digest():
    sod, groups, at = samples()["loes2006"]
    expected = parse_sod(sod).data_group_hashes[2]
    altered = sod.replace(expected, bytes(len(expected)))
    result = passive_authentication(altered, groups, trust_store=None, at=at)
    assert pa.DRV_PA_MESSAGE_DIGEST in result.reasons
    assert result.data_group(2).status is DataGroupStatus.MISMATCH
    assert result.status is ChipAuthentication.FAILED


def test_an_expired_ds_certificate_fails_even_without_the_csca():
    sod, groups, _ = samples()["loes2006"]
    result = passive_authentication(
        sod, groups, trust_store=None, at=dt.datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert result.status is ChipAuthentication.FAILED
    assert pa.DRV_PA_DS_EXPIRED in result.reasons


# --- a generated CSCA -> DS -> SOD ---------------------------------------------------------

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "UT"),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _csca(common: str = "CSCA Utopia Test") -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP384R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(_name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=365))
        .not_valid_after(NOW + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA384())
    )
    return key, certificate


def _ds(
    csca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate],
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None = None,
    days: int = 90,
) -> tuple[ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, x509.Certificate]:
    csca_key, csca_cert = csca
    key = key or ec.generate_private_key(ec.BrainpoolP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name("DS Utopia Test"))
        .issuer_name(csca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=days))
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), True
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(csca_key.public_key()), False
        )
        .sign(csca_key, hashes.SHA256())
    )
    return key, certificate


@pytest.fixture(scope="module")
def chain():
    csca = _csca()
    return csca, _ds(csca)


@pytest.fixture(scope="module")
def passport():
    dg1 = lds.build_dg1(
        (
            "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
        )
    )
    dg2 = lds.build_dg2(b"\xff\xd8\xff\xe0" + bytes(60), 8, 8)
    return {1: dg1, 2: dg2}


def _trust_dir(tmp_path: Path, *certificates: x509.Certificate, der: bool = False) -> Path:
    directory = tmp_path / "csca"
    directory.mkdir(exist_ok=True)
    for index, certificate in enumerate(certificates):
        if der:
            (directory / f"csca{index}.der").write_bytes(
                certificate.public_bytes(serialization.Encoding.DER)
            )
        else:
            (directory / f"csca{index}.pem").write_bytes(
                certificate.public_bytes(serialization.Encoding.PEM)
            )
    return directory


def test_generated_sod_passes_with_its_csca_in_the_trust_dir(tmp_path, chain, passport):
    csca, (ds_key, ds_cert) = chain
    sod = build_sod(passport, ds_key, ds_cert)
    result = passive_authentication(
        sod, passport, trust_store=_trust_dir(tmp_path, csca[1]), at=NOW
    )
    assert result.status is ChipAuthentication.PASSED, result.failures
    assert result.failures == ()
    assert result.signature is SignatureStatus.VALID and result.chain is ChainStatus.VALID
    assert result.csca_subject == "Common Name: CSCA Utopia Test, Country: UT"
    assert result.signature_algorithm == "sha256_ecdsa"
    assert [(r.number, r.status) for r in result.data_groups] == [
        (1, DataGroupStatus.MATCH),
        (2, DataGroupStatus.MATCH),
    ]


def test_generated_sod_is_unknown_csca_without_it(tmp_path, chain, passport):
    _, (ds_key, ds_cert) = chain
    other = _csca("CSCA Elsewhere")[1]
    sod = build_sod(passport, ds_key, ds_cert)
    result = passive_authentication(sod, passport, trust_store=_trust_dir(tmp_path, other), at=NOW)
    assert result.status is ChipAuthentication.UNKNOWN_CSCA
    assert result.reasons == (pa.DRV_PA_CSCA_UNKNOWN,)


def test_generated_sod_fails_when_the_ds_has_expired(tmp_path, chain, passport):
    csca, (ds_key, ds_cert) = chain
    sod = build_sod(passport, ds_key, ds_cert)
    later = NOW + dt.timedelta(days=91)
    result = passive_authentication(
        sod, passport, trust_store=_trust_dir(tmp_path, csca[1]), at=later
    )
    assert result.status is ChipAuthentication.FAILED
    assert result.chain is ChainStatus.INVALID
    assert result.reasons == (pa.DRV_PA_DS_EXPIRED,)


def test_an_impostor_csca_with_the_same_name_fails_the_chain(tmp_path, chain, passport):
    _, (ds_key, ds_cert) = chain
    impostor = _csca()[1]  # same subject, other key
    sod = build_sod(passport, ds_key, ds_cert)
    result = passive_authentication(
        sod, passport, trust_store=_trust_dir(tmp_path, impostor), at=NOW
    )
    assert result.status is ChipAuthentication.FAILED
    assert result.chain is ChainStatus.INVALID
    assert pa.DRV_PA_CHAIN_SIGNATURE in result.reasons


def test_rsa_ds_with_sha384_and_a_der_trust_store(tmp_path, passport):
    csca = _csca()
    ds_key, ds_cert = _ds(csca, rsa.generate_private_key(public_exponent=65537, key_size=2048))
    sod = build_sod(passport, ds_key, ds_cert.public_bytes(serialization.Encoding.DER), "sha384")
    result = passive_authentication(
        sod, passport, trust_store=_trust_dir(tmp_path, csca[1], der=True), at=NOW
    )
    assert result.status is ChipAuthentication.PASSED, result.failures
    assert result.hash_algorithm == "sha384" and result.signature_algorithm == "sha384_rsa"


def test_build_sod_from_hashes_equals_build_from_bytes(chain, passport):
    _, (ds_key, ds_cert) = chain
    hashes_by_dg = {n: pa._digest("sha256", data) for n, data in passport.items()}
    from_hashes = parse_sod(build_sod(hashes_by_dg, ds_key, ds_cert, prehashed=True))
    from_bytes = parse_sod(build_sod(passport, ds_key, ds_cert))
    assert from_hashes.data_group_hashes == from_bytes.data_group_hashes == hashes_by_dg
    assert from_hashes.encapsulated_content == from_bytes.encapsulated_content


def test_a_dg_in_the_sod_but_not_read_is_reported_and_allowed(tmp_path, chain, passport):
    csca, (ds_key, ds_cert) = chain
    sod = build_sod({**passport, 14: b"\x6e\x00"}, ds_key, ds_cert)
    result = passive_authentication(
        sod, passport, trust_store=_trust_dir(tmp_path, csca[1]), at=NOW
    )
    assert result.data_group(14).status is DataGroupStatus.NOT_READ
    assert result.status is ChipAuthentication.PASSED


def test_trust_store_lists_files_it_skipped(tmp_path, chain):
    directory = _trust_dir(tmp_path, chain[0][1])
    (directory / "broken.pem").write_bytes(
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    )
    (directory / "README.txt").write_text("not read: wrong suffix")
    store = load_trust_store(directory)
    assert len(store.certificates) == 1
    assert len(store.problems) == 1 and store.problems[0].startswith("broken.pem")


def test_a_missing_trust_store_is_a_configuration_error(tmp_path):
    with pytest.raises(DriverError) as caught:
        load_trust_store(tmp_path / "absent")
    assert caught.value.reason == pa.DRV_PA_TRUST_STORE


def test_naive_check_time_is_refused(chain, passport):
    _, (ds_key, ds_cert) = chain
    with pytest.raises(ValueError):
        passive_authentication(
            build_sod(passport, ds_key, ds_cert),
            passport,
            trust_store=None,
            at=dt.datetime(2026, 1, 1),
        )


@pytest.mark.parametrize(
    ("raw", "error", "reason"),
    [
        (b"", ProtocolError, pa.DRV_PA_SOD),
        (bytes.fromhex("7700"), ProtocolError, pa.DRV_PA_SOD),
        (bytes.fromhex("7603 020100"), ProtocolError, pa.DRV_PA_SOD),
        (bytes.fromhex("7703 020100 00"), ProtocolError, pa.DRV_PA_SOD),
    ],
)
def test_malformed_sod_names_reason(raw, error, reason):
    with pytest.raises(error) as caught:
        parse_sod(raw)
    assert caught.value.reason == reason


def test_signed_data_of_another_content_type_is_refused(chain):
    _, (ds_key, ds_cert) = chain
    sod = build_sod({1: b"\x61\x00"}, ds_key, ds_cert)
    other = sod.replace(bytes.fromhex("0606 67810801 0101"), bytes.fromhex("0606 67810801 0102"), 1)
    with pytest.raises(DocumentInvalid) as caught:
        parse_sod(other)
    assert caught.value.reason == pa.DRV_PA_LDS_SECURITY_OBJECT


# --- fuzzing --------------------------------------------------------------------------------

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parse_only_typed(data: bytes) -> pa.SecurityObject | None:
    try:
        return parse_sod(data)
    except (ProtocolError, DocumentInvalid) as exc:
        assert exc.reason.startswith("DRV_PA_")
        if isinstance(exc, ProtocolError):
            assert exc.offset is not None
        return None


@FUZZ
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_give_only_typed_errors(data):
    _parse_only_typed(data)
    _parse_only_typed(b"\x77" + bytes([min(len(data), 0x7F)]) + data[:0x7F])


@functools.cache
def _fuzz_passport() -> tuple[bytes, dict[int, bytes], pa.TrustStore]:
    """One generated passport for every fuzz example (key generation is the slow part)."""
    csca = _csca()
    ds_key, ds_cert = _ds(csca, ec.generate_private_key(ec.SECP256R1()))
    groups = {
        1: lds.build_dg1(("P<UTO" + "<" * 39, "L898902C36UTO7408122F1204159ZE184226B<<<<<10"))
    }
    csca_der = csca[1].public_bytes(serialization.Encoding.DER)
    store = pa.TrustStore(certificates=(asn1_x509.Certificate.load(csca_der),))
    return build_sod(groups, ds_key, ds_cert), groups, store


def test_the_fuzzed_passport_passes_unaltered():
    sod, groups, store = _fuzz_passport()
    assert passive_authentication(sod, groups, trust_store=store, at=NOW).status is (
        ChipAuthentication.PASSED
    )


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 255)), min_size=1, max_size=3))
def test_mutated_generated_sod_never_passes_with_altered_signed_content(edits):
    sod, groups, store = _fuzz_passport()
    data = bytearray(sod)
    for position, value in edits:
        data[position % len(data)] = value
    parsed = _parse_only_typed(bytes(data))
    if parsed is None:
        return
    result = passive_authentication(parsed, groups, trust_store=store, at=NOW)
    if result.status is ChipAuthentication.PASSED:
        original = parse_sod(sod)
        assert parsed.encapsulated_content == original.encapsulated_content
        signed = parsed.signer_info["signed_attrs"].contents
        assert signed == original.signer_info["signed_attrs"].contents


@pytest.mark.parametrize("name", ["bsi2008", "loes2006"])
def test_every_flipped_byte_of_a_real_sod_is_typed_and_never_passes(name):
    sod, groups, at = samples()[name]
    for position in range(0, len(sod), 3):
        data = bytearray(sod)
        data[position] ^= 0x5A
        parsed = _parse_only_typed(bytes(data))
        if parsed is None:
            continue
        result = passive_authentication(parsed, groups, trust_store=None, at=at)
        assert result.status is not ChipAuthentication.PASSED
        if result.status is ChipAuthentication.UNKNOWN_CSCA:  # only unsigned bytes changed
            assert parsed.encapsulated_content == parse_sod(sod).encapsulated_content
