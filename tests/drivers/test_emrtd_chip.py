"""The ICAO 9303 chip emulator, driven in-process by the pure reader-side codecs.

What must hold: BAC opens with the right MRZ and is refused (6300) with a wrong one; after
BAC an unprotected command is refused and ends the session; files read back through
secure messaging equal the generated ones, with short and extended Le and beyond 32 KiB
(READ BINARY 'B1'); the status words are the ones ICAO 9303 / ISO 7816-4 name; and no
byte string makes the handler crash or answer without a status word.
"""

from __future__ import annotations

import functools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.emrtd import apdu as iso
from drivers.emrtd.bac import (
    complete_bac,
    document_basic_access_keys,
    mutual_authenticate_data,
)
from drivers.emrtd.secure_messaging import SecureMessaging
from drivers.emrtd.tlv import read_tlv
from drivers.mrz import mrz_information_from_fields
from drivers.simulators.emrtd_chip import EXTENDED_MAX_LE, SHORT_MAX_LE, EmrtdChip
from drivers.simulators.test_passport import SpecimenPassport, generate_test_passport

RND_IFD = bytes.fromhex("781723860C06C226")
K_IFD = bytes.fromhex("0B795240CB7049B01C19B33E32804F0B")


@functools.cache
def passport(seed: int = 0, large: bool = False) -> SpecimenPassport:
    size = (360, 480) if large else (240, 320)
    return generate_test_passport(seed, portrait_size=size, with_dg15=large)


def make_chip(p: SpecimenPassport, **options) -> EmrtdChip:
    return EmrtdChip(p.by_fid, p.mrz_information, strict=True, **options)


def send(chip: EmrtdChip, command: iso.CommandApdu | bytes) -> iso.ResponseApdu:
    return iso.parse_response(chip(bytes(command)))


def bac(chip: EmrtdChip, mrz_information: str) -> tuple[iso.ResponseApdu, SecureMessaging | None]:
    assert send(chip, iso.select_application()).sw == 0x9000
    challenge = send(chip, iso.get_challenge())
    assert challenge.sw == 0x9000 and len(challenge.data) == 8
    keys = document_basic_access_keys(mrz_information)
    data = mutual_authenticate_data(keys, challenge.data, RND_IFD, K_IFD)
    answer = send(chip, iso.mutual_authenticate(data))
    if not answer.ok:
        return answer, None
    session = complete_bac(keys, answer.data, challenge.data, RND_IFD, K_IFD)
    return answer, SecureMessaging.from_bac(session)


def secure(chip: EmrtdChip, sm: SecureMessaging, command: iso.CommandApdu) -> iso.ResponseApdu:
    return sm.unprotect(chip(bytes(sm.protect(command))))


def read_whole(chip: EmrtdChip, sm: SecureMessaging, fid: int, le: int) -> bytes:
    """Read until the length announced by the file's own TLV header is reached."""
    assert secure(chip, sm, iso.select_file(fid)).sw == 0x9000
    first = secure(chip, sm, iso.read_binary(0, le))
    assert first.sw in (0x9000, 0x6282)
    content = first.data
    header_len = 2 + (content[1] & 0x7F if content[1] & 0x80 else 0)
    if content[0] & 0x1F == 0x1F:
        header_len += 1
        length_byte = content[2]
        header_len = 3 + (length_byte & 0x7F if length_byte & 0x80 else 0)
        length = int.from_bytes(content[3:header_len]) if length_byte & 0x80 else length_byte
    else:
        length = int.from_bytes(content[2:header_len]) if content[1] & 0x80 else content[1]
    total = header_len + length
    while len(content) < total:
        odd = len(content) > 0x7FFF  # 'B1': ask for the full Le, DO'53' wraps the data
        want = le if odd else min(le, total - len(content))
        response = secure(chip, sm, iso.read_binary(len(content), want))
        assert response.sw in (0x9000, 0x6282), hex(response.sw)
        data = response.data
        if odd:
            data = read_tlv(data)[0].value
        content += data
    return content


def test_bac_succeeds_with_the_right_mrz() -> None:
    p = passport()
    chip = make_chip(p)
    answer, sm = bac(chip, p.mrz_information)
    assert answer.sw == 0x9000 and len(answer.data) == 40
    assert sm is not None and chip.authenticated


def test_bac_fails_6300_with_a_wrong_mrz() -> None:
    p = passport()
    chip = make_chip(p)
    wrong = mrz_information_from_fields("TST999999", "800101", "350101")
    answer, sm = bac(chip, wrong)
    assert answer.sw == 0x6300 and sm is None and not chip.authenticated
    # One challenge, one attempt: replaying MUTUAL AUTHENTICATE needs a new challenge.
    data = mutual_authenticate_data(document_basic_access_keys(wrong), bytes(8), RND_IFD, K_IFD)
    assert send(chip, iso.mutual_authenticate(data)).sw == 0x6985


def test_files_need_bac_first() -> None:
    p = passport()
    chip = make_chip(p)
    assert send(chip, iso.select_application()).sw == 0x9000
    assert send(chip, iso.select_file(iso.EF_DG1)).sw == 0x6982
    assert send(chip, iso.read_binary(0, 4)).sw == 0x6982


def test_unprotected_read_after_bac_is_refused_and_ends_the_session() -> None:
    p = passport()
    chip = make_chip(p)
    _, sm = bac(chip, p.mrz_information)
    assert sm is not None
    assert secure(chip, sm, iso.select_file(iso.EF_DG1)).sw == 0x9000
    assert send(chip, iso.read_binary(0, 4)).sw == 0x6987
    assert not chip.authenticated
    assert send(chip, iso.read_binary(0, 4)).sw == 0x6982


def test_wrong_mac_is_refused_6988() -> None:
    p = passport()
    chip = make_chip(p)
    _, sm = bac(chip, p.mrz_information)
    assert sm is not None
    protected = bytearray(bytes(sm.protect(iso.select_file(iso.EF_DG1))))
    protected[-2] ^= 0x01  # last MAC byte (before the Le byte)
    assert chip(bytes(protected)) == b"\x69\x88"
    assert not chip.authenticated


@pytest.mark.parametrize(
    ("max_le", "le"),
    [(SHORT_MAX_LE, SHORT_MAX_LE), (SHORT_MAX_LE, 0xDF), (EXTENDED_MAX_LE, 65535)],
)
def test_files_read_back_equal_the_generated_ones(max_le: int, le: int) -> None:
    p = passport()
    chip = make_chip(p, max_le=max_le)
    _, sm = bac(chip, p.mrz_information)
    assert sm is not None
    for name, fid in (("EF.COM", iso.EF_COM), ("DG1", iso.EF_DG1), ("DG2", iso.EF_DG2)):
        assert read_whole(chip, sm, fid, min(le, max_le)) == p.files[name], name
    assert read_whole(chip, sm, iso.EF_SOD, min(le, max_le)) == p.files["EF.SOD"]


def test_large_dg2_beyond_32k_uses_odd_read_binary() -> None:
    p = passport(large=True)
    assert len(p.files["DG2"]) > 0x7FFF
    chip = make_chip(p, max_le=EXTENDED_MAX_LE)
    _, sm = bac(chip, p.mrz_information)
    assert sm is not None
    assert read_whole(chip, sm, iso.EF_DG2, 4096) == p.files["DG2"]
    assert read_whole(chip, sm, iso.EF_DG15, 4096) == p.files["DG15"]


def test_length_and_offset_status_words() -> None:
    p = passport()
    chip = make_chip(p, max_le=SHORT_MAX_LE)
    _, sm = bac(chip, p.mrz_information)
    assert sm is not None
    assert secure(chip, sm, iso.select_file(0x0105)).sw == 0x6A82
    assert secure(chip, sm, iso.select_file(iso.EF_DG1)).sw == 0x9000
    assert secure(chip, sm, iso.read_binary(0, SHORT_MAX_LE + 1)).sw == 0x6700
    # Ne above the end of the file: the rest, with "end of file reached" (6282).
    tail = secure(chip, sm, iso.read_binary(80, 100))
    assert tail.sw == 0x6282 and tail.data == p.files["DG1"][80:]
    assert secure(chip, sm, iso.read_binary(len(p.files["DG1"]), 1)).sw == 0x6B00
    # "All available" (Le '00') is served up to the chip's limit.
    everything = secure(chip, sm, iso.read_binary(0, 256))
    assert everything.sw == 0x9000 and everything.data == p.files["DG1"]
    # An extended APDU on a short-only chip: 6700, in plain, and the session ends.
    raw = chip(bytes(sm.protect(iso.read_binary(0, 1000))))
    assert raw == b"\x67\x00" and not chip.authenticated


def test_wildcard_le_can_be_refused_and_6cxx_can_name_the_length() -> None:
    p = passport()
    chip = make_chip(p, max_le=0xDF, wildcard_le=False, oversize_le_sw=0x6CDF)
    _, sm = bac(chip, p.mrz_information)
    assert sm is not None
    assert secure(chip, sm, iso.select_file(iso.EF_DG2)).sw == 0x9000
    assert secure(chip, sm, iso.read_binary(0, 256)).sw == 0x6CDF
    assert len(secure(chip, sm, iso.read_binary(0, 0xDF)).data) == 0xDF


def test_short_ef_identifier_read() -> None:
    p = passport()
    chip = make_chip(p)
    _, sm = bac(chip, p.mrz_information)
    assert sm is not None
    response = secure(chip, sm, iso.read_binary_short_ef(0x01, 0, 0x20))
    assert response.sw == 0x9000 and response.data == p.files["DG1"][:0x20]


def test_generator_is_deterministic_and_valid() -> None:
    from drivers.emrtd import lds
    from drivers.mrz import mrz_information, parse_mrz

    p, q = generate_test_passport(7), generate_test_passport(7)
    assert {k: v for k, v in p.files.items() if k != "EF.SOD"} == {
        k: v for k, v in q.files.items() if k != "EF.SOD"
    }
    assert p.csca_certificate == q.csca_certificate
    mrz = parse_mrz(p.mrz_lines)
    assert mrz.issuing_state == "UTO" and mrz.primary_identifier == "TEST"
    assert mrz_information(mrz) == p.mrz_information
    assert lds.parse_dg1(p.files["DG1"]).mrz.document_number == p.document_number
    face = lds.parse_dg2(p.files["DG2"]).faces[0]
    assert face.image == p.portrait_jpeg
    assert lds.decode_face_image(face).shape == (320, 240, 3)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    authenticated=st.booleans(),
    commands=st.lists(
        st.one_of(
            st.binary(max_size=300),
            st.builds(
                lambda head, body: bytes(head) + body,
                st.tuples(
                    st.sampled_from([0x00, 0x0C, 0x80]),
                    st.sampled_from([0xA4, 0xB0, 0xB1, 0x84, 0x82, 0x00]),
                    st.integers(0, 255),
                    st.integers(0, 255),
                ),
                st.binary(max_size=80),
            ),
        ),
        max_size=6,
    ),
)
def test_arbitrary_apdus_never_crash_the_chip(authenticated: bool, commands: list[bytes]) -> None:
    p = passport()
    chip = make_chip(p)  # strict: an emulator bug raises instead of answering 6F00
    sm = bac(chip, p.mrz_information)[1] if authenticated else None
    for raw in commands:
        answer = chip(raw)
        assert len(answer) >= 2
        assert answer[-2] in (0x61, 0x62, 0x63, 0x64, 0x65, 0x67, 0x68, 0x69, 0x6A, 0x6B) or (
            answer[-2] in (0x6C, 0x6D, 0x6E, 0x6F, 0x90)
        )
    if sm is not None and chip.authenticated:
        # Whatever came before, a well-formed protected command still gets an answer.
        assert len(chip(bytes(sm.protect(iso.select_file(iso.EF_COM))))) >= 2


# --- INTERNAL AUTHENTICATE (Active Authentication) --------------------------------------------
def test_internal_authenticate_signs_the_challenge_with_the_dg15_key() -> None:
    from drivers.emrtd import active_auth

    p = passport(0, large=True)  # with DG15 (EC P-256) and DG14 naming ecdsa-plain-SHA256
    chip = p.chip(strict=True)
    _, sm = bac(chip, p.mrz_information)
    assert sm is not None
    challenge = bytes.fromhex("F173589974BF40C6")
    answer = secure(chip, sm, iso.internal_authenticate(challenge))
    assert answer.sw == 0x9000 and len(answer.data) == 64  # r || s of P-256
    result = active_auth.check(
        p.files["DG15"], challenge, answer.sw, answer.data, dg15_signed=True, dg14=p.files["DG14"]
    )
    assert result.status.value == "passed"
    clone = chip.clone()
    _, clone_sm = bac(clone, p.mrz_information)
    assert clone_sm is not None
    forged = secure(clone, clone_sm, iso.internal_authenticate(challenge))
    assert forged.sw == 0x9000 and len(forged.data) == 64  # looks right, does not verify
    result = active_auth.check(
        p.files["DG15"], challenge, forged.sw, forged.data, dg15_signed=True, dg14=p.files["DG14"]
    )
    assert result.reason == active_auth.DRV_EMRTD_CLONE_SUSPECTED


def test_internal_authenticate_status_words() -> None:
    p = passport(0, large=True)
    chip = p.chip(strict=True)
    assert send(chip, iso.select_application()).sw == 0x9000
    assert send(chip, iso.internal_authenticate(bytes(8))).sw == 0x6982  # before BAC
    _, sm = bac(chip, p.mrz_information)
    assert sm is not None
    wrong = iso.CommandApdu(0x00, iso.INS_INTERNAL_AUTHENTICATE, 0, 0, bytes(7), le=256)
    assert secure(chip, sm, wrong).sw == 0x6700
    keyless = make_chip(p)  # the files without the key: the command is not implemented
    _, keyless_sm = bac(keyless, p.mrz_information)
    assert keyless_sm is not None
    assert secure(keyless, keyless_sm, iso.internal_authenticate(bytes(8))).sw == 0x6D00
