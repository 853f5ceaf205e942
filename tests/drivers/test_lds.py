"""LDS files of ICAO 9303-10: EF.COM, DG1 and DG2 of the JMRTD German (BSI 2008) and Dutch
(2006 specimen) test passports, the face image decoded, the encoders round-tripped, and
fuzzing (arbitrary and mutated bytes give only ProtocolError or DocumentInvalid)."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from drivers.emrtd import lds
from drivers.errors import DocumentInvalid, ProtocolError
from tests.drivers.shared_data import require_shared_data

TODAY = dt.date(2026, 1, 1)
TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)


def sample(*parts: str) -> bytes:
    return require_shared_data("emrtd", "jmrtd_samples", *parts).read_bytes()


def jpeg(width: int, height: int) -> bytes:
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[..., 0] = np.arange(width, dtype=np.uint8)[None, :]
    pixels[..., 2] = 200
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", quality=90)
    return out.getvalue()


# --- EF.COM ---------------------------------------------------------------------------------


def test_com_of_the_german_passport_lists_dg1_dg2_dg3_dg14():
    com = lds.parse_com(sample("bsi2008", "EF_COM.bin"))
    assert com.lds_version == "0107" and com.lds_version_text == "1.7"
    assert com.unicode_version == "040000" and com.unicode_version_text == "4.0.0"
    assert com.tags == (0x61, 0x75, 0x63, 0x6E)
    assert com.data_groups == (1, 2, 3, 14)


def test_com_of_the_dutch_specimen_lists_dg1_dg2_dg15():
    com = lds.parse_com(sample("loes2006", "ef011E.bin"))
    assert com.lds_version_text == "1.7"
    assert com.data_groups == (1, 2, 15)


def test_com_round_trip():
    assert lds.parse_com(lds.build_com([1, 2, 14])).data_groups == (1, 2, 14)


@pytest.mark.parametrize(
    ("raw", "error", "reason"),
    [
        (b"", ProtocolError, lds.DRV_LDS_STRUCTURE),
        (bytes.fromhex("6103 5C0161"), ProtocolError, lds.DRV_LDS_TAG),
        (bytes.fromhex("6003 5C0161 00"), ProtocolError, lds.DRV_LDS_STRUCTURE),
        (bytes.fromhex("6005 5C0361"), ProtocolError, lds.DRV_LDS_STRUCTURE),
        (bytes.fromhex("6003 5C0161"), DocumentInvalid, lds.DRV_LDS_COM),
    ],
)
def test_malformed_com_names_reason(raw, error, reason):
    with pytest.raises(error) as caught:
        lds.parse_com(raw)
    assert caught.value.reason == reason


def test_com_error_offset_points_into_the_file():
    raw = bytearray(sample("bsi2008", "EF_COM.bin"))
    raw[1] += 1  # the outer length now overruns the file by one byte
    with pytest.raises(ProtocolError) as caught:
        lds.parse_com(bytes(raw))
    assert caught.value.offset == 1
    assert caught.value.raw == bytes(raw)


def test_com_with_an_unknown_data_group_tag_names_the_field():
    raw = lds.build_com([1, 2]).replace(b"\x5c\x02\x61\x75", b"\x5c\x02\x61\x99")
    with pytest.raises(DocumentInvalid) as caught:
        lds.parse_com(raw)
    assert caught.value.field == "tag_list"


# --- DG1 ------------------------------------------------------------------------------------


def test_dg1_of_the_german_passport():
    mrz = lds.parse_dg1(sample("bsi2008", "Datagroup1.bin"), today=TODAY).mrz
    assert mrz.format.value == "TD3"
    assert mrz.issuing_state == "D"
    assert mrz.document_number == "C11T002JM"
    assert mrz.primary_identifier == "MUSTERMANN"
    assert mrz.secondary_identifier == "ERIKA"
    assert mrz.birth_date == dt.date(1996, 8, 12)
    assert mrz.expiry_date == dt.date(2013, 10, 31)


def test_dg1_of_the_dutch_specimen():
    mrz = lds.parse_dg1(sample("loes2006", "ef0101.bin"), today=TODAY).mrz
    assert mrz.issuing_state == "NLD"
    assert mrz.document_number == "XX0001328"
    assert mrz.primary_identifier == "MEULENDIJK"
    assert mrz.secondary_identifier.startswith("LOES")
    assert mrz.birth_date == dt.date(1971, 10, 19)


def test_dg1_repr_hides_the_mrz():
    assert "MUSTERMANN" not in repr(lds.parse_dg1(sample("bsi2008", "Datagroup1.bin")))


def test_dg1_round_trip():
    assert lds.parse_dg1(lds.build_dg1(TD3), today=TODAY).mrz.lines == TD3
    assert lds.parse_dg1(lds.build_dg1("\n".join(TD3)), today=TODAY).mrz.document_number == (
        "L898902C3"
    )


def test_dg1_with_a_wrong_check_digit_is_the_mrz_error():
    raw = lds.build_dg1((TD3[0], TD3[1][:-1] + "1"))  # build_dg1 checks shape only
    with pytest.raises(DocumentInvalid) as caught:
        lds.parse_dg1(raw, today=TODAY)
    assert caught.value.reason == "DRV_MRZ_CHECK_DIGIT"


@pytest.mark.parametrize("lines", [("P<UTO",), (TD3[0], TD3[1].lower()), (TD3[0], TD3[1] + "<")])
def test_build_dg1_refuses_what_is_not_an_mrz(lines):
    with pytest.raises(DocumentInvalid):
        lds.build_dg1(lines)


def test_dg1_of_the_wrong_length_is_dg1_error():
    raw = bytes.fromhex("6104 5F1F 0141")
    with pytest.raises(DocumentInvalid) as caught:
        lds.parse_dg1(raw)
    assert caught.value.reason == lds.DRV_LDS_DG1


# --- DG2 ------------------------------------------------------------------------------------


def test_dg2_of_the_dutch_specimen_decodes_to_its_declared_size():
    dg2 = lds.parse_dg2(sample("loes2006", "ef0102.bin"))
    (face,) = dg2.faces
    assert face.image_format is lds.ImageFormat.JPEG2000
    assert face.image_data_type == 1
    assert (face.width, face.height) == (449, 598)
    assert face.image == sample("loes2006_face.jp2")
    assert dg2.templates[0].header == {0x81: b"\x02", 0x82: b"\x00", 0x87: b"\x01\x01",
                                       0x88: b"\x00\x08"}  # fmt: skip
    pixels = lds.decode_face_image(face)
    assert pixels.dtype == np.uint8
    assert pixels.shape == (598, 449, 3)


def test_dg2_of_the_german_passport_declares_another_size_than_its_image():
    """The BSI 2008 test record declares 337x449 but its JPEG 2000 image is 413x531: the
    parser reports what is declared, the decoder what is there (the kiosk uses the pixels)."""
    (face,) = lds.parse_dg2(sample("bsi2008", "Datagroup2.bin")).faces
    assert face.image_format is lds.ImageFormat.JPEG2000
    assert (face.width, face.height) == (337, 449)
    assert face.image == sample("bsi2008_face.jp2")
    assert lds.decode_face_image(face.image).shape == (531, 413, 3)
    assert "<14999 bytes>" in repr(face)


def test_dg2_round_trip_with_a_jpeg():
    image = jpeg(64, 80)
    dg2 = lds.parse_dg2(lds.build_dg2(image, 64, 80))
    (face,) = dg2.faces
    assert face.image == image
    assert face.image_format is lds.ImageFormat.JPEG
    assert face.image_data_type == 0
    assert (face.width, face.height) == (64, 80)
    assert lds.decode_face_image(face).shape == (80, 64, 3)


def test_dg2_round_trip_with_a_jpeg2000():
    image = sample("loes2006_face.jp2")
    (face,) = lds.parse_dg2(lds.build_dg2(image, 449, 598)).faces
    assert face.image_format is lds.ImageFormat.JPEG2000 and face.image_data_type == 1


def test_build_dg2_refuses_an_image_that_is_neither_jpeg_nor_jpeg2000():
    with pytest.raises(DocumentInvalid) as caught:
        lds.build_dg2(b"\x89PNG\r\n\x1a\n", 1, 1)
    assert caught.value.reason == lds.DRV_LDS_IMAGE_TYPE


def test_truncated_face_image_is_a_decode_error():
    with pytest.raises(DocumentInvalid) as caught:
        lds.decode_face_image(jpeg(32, 32)[:40])
    assert caught.value.reason == lds.DRV_LDS_IMAGE_DECODE


def test_wrong_facial_record_length_names_its_offset():
    raw = bytearray(lds.build_dg2(jpeg(8, 8), 8, 8))
    fac = raw.index(b"FAC\x00")
    raw[fac + 11] ^= 0x01  # record length
    with pytest.raises(ProtocolError) as caught:
        lds.parse_dg2(bytes(raw))
    assert caught.value.reason == lds.DRV_LDS_FACE_RECORD
    assert caught.value.offset == fac + 8


def test_wrong_instance_count_is_a_biometric_error():
    raw = bytearray(lds.build_dg2(jpeg(8, 8), 8, 8))
    count = raw.index(b"\x02\x01\x01")
    raw[count + 2] = 2
    with pytest.raises(ProtocolError) as caught:
        lds.parse_dg2(bytes(raw))
    assert caught.value.reason == lds.DRV_LDS_BIOMETRIC


# --- fuzzing --------------------------------------------------------------------------------

PARSERS = (lds.parse_com, lds.parse_dg1, lds.parse_dg2)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _only_typed_errors(parser, data: bytes) -> None:
    try:
        parser(data)
    except ProtocolError as exc:
        assert exc.reason.startswith(("DRV_LDS_", "DRV_MRZ_"))
        assert exc.offset is not None
    except DocumentInvalid as exc:
        assert exc.reason.startswith(("DRV_LDS_", "DRV_MRZ_"))


@FUZZ
@given(data=st.binary(max_size=300), which=st.integers(0, len(PARSERS) - 1))
def test_arbitrary_bytes_give_only_typed_errors(data, which):
    _only_typed_errors(PARSERS[which], data)


@FUZZ
@given(data=st.binary(max_size=60), tag=st.sampled_from([b"\x60", b"\x61\x5f\x1f", b"\x75"]))
def test_arbitrary_bytes_after_a_valid_tag_give_only_typed_errors(data, tag):
    parser = {b"\x60": lds.parse_com, b"\x61\x5f\x1f": lds.parse_dg1, b"\x75": lds.parse_dg2}
    _only_typed_errors(parser[tag], tag + data)


def _valid_files() -> list[tuple[object, bytes]]:
    image = jpeg(16, 16)
    return [
        (lds.parse_com, lds.build_com([1, 2, 15])),
        (lds.parse_dg1, lds.build_dg1(TD3)),
        (lds.parse_dg2, lds.build_dg2(image, 16, 16)),
    ]


VALID = _valid_files()


@FUZZ
@given(
    which=st.integers(0, len(VALID) - 1),
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4),
    cut=st.integers(0, 10_000),
)
def test_mutated_valid_files_give_only_typed_errors(which, edits, cut):
    parser, valid = VALID[which]
    data = bytearray(valid)
    for position, value in edits:
        data[position % len(data)] = value
    data = data[: max(1, len(data) - cut % 8)] if cut % 3 == 0 else data
    _only_typed_errors(parser, bytes(data))


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 600), st.integers(0, 255)), min_size=1, max_size=3))
def test_mutated_face_images_decode_or_give_a_typed_error(edits):
    data = bytearray(jpeg(16, 16))
    for position, value in edits:
        data[position % len(data)] = value
    try:
        pixels = lds.decode_face_image(bytes(data))
    except DocumentInvalid as exc:
        assert exc.reason in (lds.DRV_LDS_IMAGE_DECODE, lds.DRV_LDS_IMAGE_TYPE)
    else:
        assert pixels.dtype == np.uint8 and pixels.ndim == 3


def test_the_real_samples_survive_mutation_as_typed_errors():
    for parser, name in (
        (lds.parse_dg2, ("loes2006", "ef0102.bin")),
        (lds.parse_dg1, ("bsi2008", "Datagroup1.bin")),
        (lds.parse_com, ("bsi2008", "EF_COM.bin")),
    ):
        valid = sample(*name)
        for position in range(0, min(len(valid), 120)):
            data = bytearray(valid)
            data[position] ^= 0xFF
            _only_typed_errors(parser, bytes(data))
