"""APDU builders and the response parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.emrtd import apdu
from drivers.emrtd.apdu import DRV_APDU, CommandApdu, parse_response
from drivers.errors import ProtocolError

h = bytes.fromhex


@pytest.mark.parametrize(
    ("command", "encoded"),
    [
        (apdu.select_file(apdu.EF_COM), "00A4020C02011E"),
        (apdu.select_application(), "00A4040C07A0000002471001"),
        (apdu.select_master_file(), "00A4000C023F00"),
        (apdu.get_challenge(), "0084000008"),
        (apdu.read_binary(0, 4), "00B0000004"),
        (apdu.read_binary(0x1234, 256), "00B0123400"),
        (apdu.read_binary(0x7FFF, 0xE0), "00B07FFFE0"),
        (apdu.read_binary(0x8000, 0xE0), "00B1000004540280 00E0".replace(" ", "")),
        (apdu.read_binary(0, 0x1000), "00B00000001000"),
        (apdu.read_binary(0, 65536), "00B00000000000"),
        (apdu.read_binary_short_ef(0x1E, 0, 4), "00B09E0004"),
        (apdu.external_authenticate(h("0102")), "00820000020102"),
        (CommandApdu(0x00, 0xD6, 0, 0, bytes(300)), "00D60000" + "00012C" + "00" * 300),
        (
            CommandApdu(0x00, 0xD6, 0, 0, bytes(300), le=2),
            "00D60000" + "00012C" + "00" * 300 + "0002",
        ),
    ],
)
def test_command_encodings(command: CommandApdu, encoded: str) -> None:
    assert bytes(command) == h(encoded)


@pytest.mark.parametrize(
    "make",
    [
        lambda: apdu.select_file(0x10000),
        lambda: apdu.read_binary(-1, 4),
        lambda: apdu.read_binary(0, 0),
        lambda: apdu.read_binary(0, 65537),
        lambda: apdu.mutual_authenticate(bytes(39)),
        lambda: CommandApdu(0x100, 0, 0, 0),
        lambda: apdu.select_application(b""),
    ],
)
def test_builders_refuse_impossible_commands(make) -> None:
    with pytest.raises(ValueError):
        make()


def test_response_parser() -> None:
    response = parse_response(h("60145F019000"))
    assert (response.data, response.sw1, response.sw2, response.sw) == (
        h("60145F01"),
        0x90,
        0,
        0x9000,
    )
    assert response.ok and response.to_bytes() == h("60145F019000")
    assert parse_response(h("6A82")).sw == 0x6A82
    assert not parse_response(h("6282")).ok


@pytest.mark.parametrize(
    ("raw", "offset"), [(b"", 0), (h("90"), 0), (h("0000"), 0), (h("AA6000"), 1)]
)
def test_malformed_responses(raw: bytes, offset: int) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_response(raw)
    assert (info.value.reason, info.value.offset, info.value.raw) == (DRV_APDU, offset, raw)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_protocol_errors(raw: bytes) -> None:
    try:
        response = parse_response(raw)
    except ProtocolError as exc:
        assert exc.reason == DRV_APDU
    else:
        assert response.to_bytes() == raw


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 255),
    st.binary(max_size=600),
    st.one_of(st.none(), st.integers(1, 65536)),
)
def test_command_encoding_lengths(ins: int, data: bytes, le: int | None) -> None:
    encoded = bytes(CommandApdu(0x00, ins, 0, 0, data, le))
    body = len(encoded) - 4
    if len(data) > 255 or (le is not None and le > 256):
        expected = (3 + len(data) if data else 0) + ((2 if data else 3) if le is not None else 0)
    else:
        expected = (1 + len(data) if data else 0) + (1 if le is not None else 0)
    assert body == expected
