"""The strict BER-TLV reader."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.emrtd.tlv import DRV_TLV, encode_length, encode_tlv, parse_tlvs, read_tlv
from drivers.errors import ProtocolError

h = bytes.fromhex

# EF.COM of the 9303-11 Appendix D example (its decrypted READ BINARY data).
EF_COM = h("60145F0104303130365F36063034303030305C026175")


def test_ef_com_of_the_worked_example() -> None:
    com, end = read_tlv(EF_COM)
    assert (com.tag, com.offset, end, com.constructed) == (0x60, 0, len(EF_COM), True)
    children = com.children()
    assert [(c.tag, c.value) for c in children] == [
        (0x5F01, b"0106"),
        (0x5F36, b"040000"),
        (0x5C, h("6175")),
    ]
    assert children[0].encoded == h("5F010430313036")
    assert not children[0].constructed


def test_secure_messaging_objects() -> None:
    data = h("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED")
    objects = parse_tlvs(data)
    assert [(o.tag, o.offset) for o in objects] == [(0x87, 0), (0x99, 11), (0x8E, 15)]
    assert objects[1].encoded == h("99029000")


@pytest.mark.parametrize(
    ("length", "encoded"),
    [
        (0, "00"),
        (0x7F, "7F"),
        (0x80, "8180"),
        (0xFF, "81FF"),
        (1999, "8207CF"),
        (0x10000, "83010000"),
    ],
)
def test_length_forms(length: int, encoded: str) -> None:
    assert encode_length(length) == h(encoded)
    tlv, _ = read_tlv(encode_tlv(0x04, bytes(length)))
    assert len(tlv.value) == length


def test_non_minimal_length_is_accepted_as_ber() -> None:
    tlv, _ = read_tlv(h("8E8103AABBCC"))
    assert tlv.value == h("AABBCC")


@pytest.mark.parametrize(
    ("data", "offset"),
    [
        (h("87"), 1),  # length missing
        (h("8705AABB"), 1),  # value overruns
        (h("8780AABB0000"), 1),  # indefinite length
        (h("878500000000"), 1),  # five length bytes
        (h("8782AA"), 2),  # length truncated
        (h("5F"), 1),  # multi-byte tag truncated
        (h("5F8181818101"), 0),  # tag too long
        (h("000100"), 0),  # padding where a tag belongs
        (h("990290008E"), 5),  # trailing tag without length
    ],
)
def test_malformed_tlv_names_the_offset(data: bytes, offset: int) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_tlvs(data)
    assert (info.value.reason, info.value.offset, info.value.raw) == (DRV_TLV, offset, data)


def test_empty_input() -> None:
    assert parse_tlvs(b"") == []
    with pytest.raises(ProtocolError) as info:
        read_tlv(b"")
    assert info.value.offset == 0


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=64))
def test_arbitrary_bytes_raise_only_protocol_errors(data: bytes) -> None:
    try:
        objects = parse_tlvs(data)
    except ProtocolError as exc:
        assert exc.reason == DRV_TLV
        assert exc.offset is not None and 0 <= exc.offset <= len(data)
    else:
        assert b"".join(o.encoded for o in objects) == data


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0x04, 0x87, 0x5F1F, 0x7F61]), st.binary(max_size=300))))
def test_encode_then_parse_round_trips(items) -> None:
    data = b"".join(encode_tlv(tag, value) for tag, value in items)
    assert [(o.tag, o.value) for o in parse_tlvs(data)] == items
