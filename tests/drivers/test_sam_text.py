"""The resident ID card text block: fields, the GB 11643 check character, 长期, and fuzzing
(arbitrary bytes give DocumentInvalid naming a field, never another exception)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import DocumentInvalid
from drivers.sam.text import (
    LAYOUT,
    NATIONS,
    NO_EXPIRY,
    TEXT_BLOCK_SIZE,
    ResidentIdText,
    Sex,
    encode_text_block,
    id_check_character,
    is_valid_id_number,
    parse_text_block,
)
from drivers.sam.wlt import (
    WltDecoder,
    find_wlt_decoder,
    register_wlt_decoder,
    unregister_wlt_decoder,
)
from drivers.simulators.sam_reader import SAMPLE_IDENTITIES, fake_id_number

SAMPLE = SAMPLE_IDENTITIES[0].text  # 测试样本一, 长期
FIELDS = {name for name, _, _ in LAYOUT} | {"text_block"}


def _block_with(field: str, value: str) -> bytes:
    """The sample's block with one raw field replaced (space padded)."""
    block = bytearray(encode_text_block(SAMPLE))
    _, start, size = next(entry for entry in LAYOUT if entry[0] == field)
    encoded = value.encode("utf-16-le")
    block[start : start + size] = encoded + " ".encode("utf-16-le") * ((size - len(encoded)) // 2)
    return bytes(block)


def test_layout_covers_the_block_exactly() -> None:
    position = 0
    for _, start, size in LAYOUT:
        assert start == position
        position += size
    assert position == TEXT_BLOCK_SIZE


def test_fields_of_the_sample() -> None:
    text = parse_text_block(encode_text_block(SAMPLE))
    assert text.name == "测试样本一"
    assert text.sex is Sex.MALE and text.sex.icao == "M"
    assert text.nation_code == "01" and text.nation == "汉"
    assert text.birth_date == dt.date(1950, 1, 1)
    assert text.address.startswith("模拟地址")
    assert text.id_number == "999999195001010114"
    assert text.valid_from == dt.date(2020, 1, 1)
    assert text.valid_until is None  # 长期
    assert "测试" not in repr(text)


def test_layout_offsets_of_the_sample_block() -> None:
    block = encode_text_block(SAMPLE)
    assert block[0:10].decode("utf-16-le") == "测试样本一"
    assert block[30:32].decode("utf-16-le") == "1"
    assert block[32:36].decode("utf-16-le") == "01"
    assert block[36:52].decode("utf-16-le") == "19500101"
    assert block[122:158].decode("utf-16-le") == SAMPLE.id_number
    assert block[204:208].decode("utf-16-le") == NO_EXPIRY
    assert block[220:] == " ".encode("utf-16-le") * 18


def test_dated_validity() -> None:
    text = parse_text_block(encode_text_block(SAMPLE_IDENTITIES[1].text))
    assert text.valid_until == dt.date(2035, 3, 1)
    assert text.sex.icao == "F" and text.nation == "回"


def test_all_nation_codes() -> None:
    assert [code for code in NATIONS if code not in ("97", "98")] == [
        f"{n:02d}" for n in range(1, 57)
    ]
    assert len(set(NATIONS.values())) == 58
    for code in NATIONS:
        text = parse_text_block(_block_with("nation", code))
        assert text.nation == NATIONS[code]


@pytest.mark.parametrize("code", ["00", "57", "96", "99", "1", "汉"])
def test_unknown_nation_code(code: str) -> None:
    with pytest.raises(DocumentInvalid) as caught:
        parse_text_block(_block_with("nation", code))
    assert caught.value.field == "nation"


@pytest.mark.parametrize(("code", "icao"), [("0", ""), ("9", "X")])
def test_sex_codes_without_parity_rule(code: str, icao: str) -> None:
    assert parse_text_block(_block_with("sex", code)).sex.icao == icao


def test_sex_must_match_order_code_parity() -> None:
    with pytest.raises(DocumentInvalid) as caught:
        parse_text_block(_block_with("sex", "2"))  # sample's order code 011 is odd: male
    assert caught.value.field == "id_number"
    with pytest.raises(DocumentInvalid) as caught:
        parse_text_block(_block_with("sex", "3"))
    assert caught.value.field == "sex"


# -- GB 11643 check character ------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",  # GB 11643-1999 example, check character X
        "440524188001010014",  # GB 11643-1999 example
        "999999195001010114",
    ],
)
def test_check_character_positive(number: str) -> None:
    assert id_check_character(number[:17]) == number[17]
    assert is_valid_id_number(number)


@pytest.mark.parametrize(
    "number",
    [
        "110105194912310021",  # X replaced by a digit
        "440524188001010015",
        "999999195001010115",
        "99999919500101011",  # too short
        "99999919500101011X1",
        "9999991950010101AX",
        "",
    ],
)
def test_check_character_negative(number: str) -> None:
    assert not is_valid_id_number(number)


def test_block_with_a_wrong_check_character_names_id_number() -> None:
    wrong = SAMPLE.id_number[:17] + ("5" if SAMPLE.id_number[17] != "5" else "6")
    with pytest.raises(DocumentInvalid) as caught:
        parse_text_block(_block_with("id_number", wrong))
    assert caught.value.field == "id_number"
    assert wrong not in str(caught.value)  # errors never quote personal data


def test_id_number_birth_date_must_match_birth_field() -> None:
    other = fake_id_number(dt.date(1950, 1, 2), 11)
    with pytest.raises(DocumentInvalid) as caught:
        parse_text_block(_block_with("id_number", other))
    assert caught.value.field == "id_number"


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
@settings(max_examples=300, deadline=None)
def test_every_body_has_exactly_one_check_character(body: str) -> None:
    valid = [c for c in "0123456789X" if is_valid_id_number(body + c)]
    assert valid == [id_check_character(body)]


# -- dates and validity --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("birth_date", "19500230"),
        ("birth_date", "1950-1-1"),
        ("birth_date", ""),
        ("valid_from", "2020013"),
        ("valid_until", "永久"),
        ("valid_until", "20191231"),  # before valid_from
        ("valid_until", "\uff12\uff10\uff13\uff100101"),  # full-width digits
    ],
)
def test_bad_dates_name_their_field(field: str, value: str) -> None:
    with pytest.raises(DocumentInvalid) as caught:
        parse_text_block(_block_with(field, value))
    assert caught.value.field == field


@pytest.mark.parametrize("field", ["name", "address", "issuer"])
def test_required_text_fields(field: str) -> None:
    with pytest.raises(DocumentInvalid) as caught:
        parse_text_block(_block_with(field, ""))
    assert caught.value.field == field


def test_control_characters_are_rejected() -> None:
    with pytest.raises(DocumentInvalid) as caught:
        parse_text_block(_block_with("name", "测试\x07"))
    assert caught.value.field == "name"


def test_lone_surrogate_is_not_ucs2() -> None:
    block = bytearray(encode_text_block(SAMPLE))
    block[0:2] = b"\x00\xd8"
    with pytest.raises(DocumentInvalid) as caught:
        parse_text_block(bytes(block))
    assert caught.value.field == "name"


@pytest.mark.parametrize("size", [0, 255, 257, 1024])
def test_block_size(size: int) -> None:
    with pytest.raises(DocumentInvalid) as caught:
        parse_text_block(bytes(size))
    assert caught.value.field == "text_block"


def test_encoder_rejects_overlong_fields() -> None:
    with pytest.raises(DocumentInvalid) as caught:
        encode_text_block(dataclasses.replace(SAMPLE, name="测" * 16))
    assert caught.value.field == "name"


# -- fuzzing and round trips -------------------------------------------------------------------


@given(st.binary(min_size=TEXT_BLOCK_SIZE, max_size=TEXT_BLOCK_SIZE))
@settings(max_examples=300, deadline=None)
def test_fuzz_arbitrary_blocks_raise_only_document_invalid(block: bytes) -> None:
    try:
        parse_text_block(block)
    except DocumentInvalid as exc:
        assert exc.field in FIELDS


@given(st.binary(max_size=600))
@settings(max_examples=300, deadline=None)
def test_fuzz_arbitrary_lengths(block: bytes) -> None:
    try:
        parse_text_block(block)
    except DocumentInvalid as exc:
        assert exc.field in FIELDS


@given(
    st.integers(0, 17).flatmap(
        lambda n: st.lists(
            st.sampled_from(list(range(TEXT_BLOCK_SIZE // 2))), min_size=n, max_size=n
        )
    ),
    st.data(),
)
@settings(max_examples=300, deadline=None)
def test_fuzz_single_character_mutations_of_a_valid_block(
    positions: list[int], data: st.DataObject
) -> None:
    block = bytearray(encode_text_block(SAMPLE))
    for position in positions:
        block[2 * position : 2 * position + 2] = data.draw(st.binary(min_size=2, max_size=2))
    try:
        parse_text_block(bytes(block))
    except DocumentInvalid as exc:
        assert exc.field in FIELDS


CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)


@st.composite
def resident_texts(draw: st.DrawFn) -> ResidentIdText:
    birth = draw(st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31)))
    sex = draw(st.sampled_from(list(Sex)))
    order = draw(st.integers(0, 999))
    if sex is Sex.MALE:
        order |= 1
    elif sex is Sex.FEMALE:
        order &= ~1
    region = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    body = f"{region}{birth:%Y%m%d}{order:03d}"
    valid_from = draw(st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1)))
    valid_until = draw(st.one_of(st.none(), st.dates(valid_from, dt.date(2099, 12, 31))))
    return ResidentIdText(
        name=draw(st.text(CJK, min_size=1, max_size=15)),
        sex=sex,
        nation_code=draw(st.sampled_from(sorted(NATIONS))),
        birth_date=birth,
        address=draw(
            st.text(st.one_of(CJK, st.sampled_from("0123456789号-")), min_size=1, max_size=35)
        ),
        id_number=body + id_check_character(body),
        issuer=draw(st.text(CJK, min_size=1, max_size=15)),
        valid_from=valid_from,
        valid_until=valid_until,
    )


@given(resident_texts())
@settings(max_examples=300, deadline=None)
def test_round_trip_text_block(text: ResidentIdText) -> None:
    block = encode_text_block(text)
    assert len(block) == TEXT_BLOCK_SIZE
    assert parse_text_block(block) == text


# -- WLT portrait plug-in point ------------------------------------------------------------------


class _LabelDecoder:
    """Stands in for a licensed vendor decoder (none is shipped)."""

    name = "label"

    def decode(self, wlt: bytes) -> tuple[bytes, str]:
        return b"image:" + wlt[:4], "png"


def test_wlt_decoder_registry() -> None:
    assert find_wlt_decoder() is None  # nothing shipped, nothing installed
    decoder = _LabelDecoder()
    assert isinstance(decoder, WltDecoder)
    register_wlt_decoder(decoder)
    try:
        assert find_wlt_decoder() is decoder
        assert decoder.decode(SAMPLE_IDENTITIES[0].photo)[1] == "png"
    finally:
        unregister_wlt_decoder(decoder)
    assert find_wlt_decoder() is None
