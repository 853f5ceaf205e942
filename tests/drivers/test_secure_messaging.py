"""Secure messaging: round trips against a chip-side model, and every malformed response
raising a typed error. The chip side is built here from the same ICAO formulas, so a
change in the reader's encoding that the chip would reject shows up as a failure."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.emrtd import apdu
from drivers.emrtd.bac import KeyPair
from drivers.emrtd.iso9797 import pad, retail_mac, tdes_cbc_encrypt, unpad
from drivers.emrtd.secure_messaging import (
    DRV_SM_MAC,
    DRV_SM_MALFORMED,
    DRV_SM_PADDING,
    DRV_SM_UNPROTECTED,
    SecureMessaging,
)
from drivers.emrtd.tlv import encode_tlv
from drivers.errors import ProtocolError

h = bytes.fromhex
KEYS = KeyPair(h("979EC13B1CBFE9DCD01AB0FED307EAE5"), h("F1CB1F1FB5ADF208806B89DC579DC1F8"))
SSC = h("887022120C06C226")
# The READ BINARY response of Appendix D.4, valid at SSC ...C22A (after one exchange and
# one protect).
READ_RESPONSE = h("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000")


def session_at_read_response() -> SecureMessaging:
    sm = SecureMessaging(KEYS, h("887022120C06C229"))
    return sm


def chip_response(
    ssc: bytes, data: bytes, sw: bytes = h("9000"), *, encrypted: bytes | None = None
) -> bytes:
    """What a chip answers at ``ssc`` (already incremented) with ``data`` and status ``sw``."""
    objects = b""
    if data or encrypted is not None:
        cryptogram = encrypted if encrypted is not None else tdes_cbc_encrypt(KEYS.k_enc, pad(data))
        objects += encode_tlv(0x87, b"\x01" + cryptogram)
    objects += encode_tlv(0x99, sw)
    objects += encode_tlv(0x8E, retail_mac(KEYS.k_mac, ssc + objects))
    return objects + sw


def test_read_response_of_the_example() -> None:
    assert session_at_read_response().unprotect(READ_RESPONSE).data == h("60145F01")


@pytest.mark.parametrize(
    ("raw", "reason", "offset"),
    [
        (READ_RESPONSE[:-3] + b"\x00" + READ_RESPONSE[-2:], DRV_SM_MAC, 15),  # MAC byte
        (READ_RESPONSE[:4] + b"\x00" + READ_RESPONSE[5:], DRV_SM_MAC, 15),  # cryptogram byte
        (READ_RESPONSE[:15] + h("9000"), DRV_SM_UNPROTECTED, 15),  # DO'8E' stripped
        (h("9000"), DRV_SM_UNPROTECTED, 0),  # bare success
        (h("6282"), DRV_SM_UNPROTECTED, 0),  # bare warning
        (READ_RESPONSE[:11] + READ_RESPONSE[15:], DRV_SM_MALFORMED, 11),  # no DO'99'
        (h("99029000") + READ_RESPONSE[:11] + READ_RESPONSE[15:], DRV_SM_MALFORMED, 4),  # order
        (READ_RESPONSE[:-2] + h("01009000"), DRV_SM_MALFORMED, 25),  # after DO'8E'
        (h("5301009000"), DRV_SM_MALFORMED, 0),  # unknown tag
        (h("8709"), "DRV_APDU", 0),
        (h("87099000"), DRV_SM_MALFORMED, 1),  # DO'87' overruns
        (READ_RESPONSE[:-12] + h("8E07AD55CC17140B2D9000"), DRV_SM_MALFORMED, 15),  # short MAC
    ],
)
def test_malformed_responses(raw: bytes, reason: str, offset: int) -> None:
    with pytest.raises(ProtocolError) as info:
        session_at_read_response().unprotect(raw)
    assert (info.value.reason, info.value.offset, info.value.raw) == (reason, offset, raw)


def test_bare_error_status_is_returned_unauthenticated() -> None:
    sm = session_at_read_response()
    response = sm.unprotect(h("6988"))
    assert (response.sw, response.data) == (0x6988, b"")
    assert sm.ssc == h("887022120C06C22A")  # the response still counts


def test_mac_fails_when_the_counter_is_out_of_step() -> None:
    sm = SecureMessaging(KEYS, h("887022120C06C228"))
    with pytest.raises(ProtocolError) as info:
        sm.unprotect(READ_RESPONSE)
    assert info.value.reason == DRV_SM_MAC


def test_wrong_padding_indicator_and_bad_padding() -> None:
    ssc = h("887022120C06C22A")
    # Indicator 02 instead of 01, correctly MACed: refused as malformed.
    objects = encode_tlv(0x87, b"\x02" + tdes_cbc_encrypt(KEYS.k_enc, pad(b"x"))) + h("99029000")
    raw = objects + encode_tlv(0x8E, retail_mac(KEYS.k_mac, ssc + objects)) + h("9000")
    with pytest.raises(ProtocolError) as info:
        session_at_read_response().unprotect(raw)
    assert (info.value.reason, info.value.offset) == (DRV_SM_MALFORMED, 0)
    # A cryptogram whose plaintext has no 80 00.. padding, correctly MACed.
    raw = chip_response(ssc, b"", encrypted=tdes_cbc_encrypt(KEYS.k_enc, bytes(8)))
    with pytest.raises(ProtocolError) as info:
        session_at_read_response().unprotect(raw)
    assert info.value.reason == DRV_SM_PADDING


def test_error_status_inside_secure_messaging() -> None:
    raw = chip_response(h("887022120C06C22A"), b"", h("6A82"))
    response = session_at_read_response().unprotect(raw)
    assert (response.sw, response.data) == (0x6A82, b"")


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=600), st.integers(0, 0x7FFF), st.one_of(st.none(), st.integers(1, 65536)))
def test_protect_and_unprotect_round_trip_against_a_chip_model(data, offset, le) -> None:
    reader = SecureMessaging(KEYS, SSC)
    command = apdu.CommandApdu(0x00, 0xD6, offset >> 8, offset & 0xFF, data, le)
    protected = reader.protect(command)
    # Chip side: verify the command MAC over the padded header and the DOs before DO'8E'.
    ssc = int.from_bytes(SSC, "big")
    ssc_cmd = (ssc + 1).to_bytes(8, "big")
    body = protected.data
    assert protected.cla == 0x0C and body[-10:-8] == h("8E08")
    header = pad(bytes([protected.cla, protected.ins, protected.p1, protected.p2]))
    assert retail_mac(KEYS.k_mac, ssc_cmd + header + body[:-10]) == body[-8:]
    if data:
        assert body[0] == 0x87
    # Chip answers with the data it was sent, the reader opens it.
    ssc_rsp = (ssc + 2).to_bytes(8, "big")
    response = reader.unprotect(chip_response(ssc_rsp, data))
    assert (response.data, response.sw) == (data, 0x9000)
    assert reader.ssc == ssc_rsp
    assert protected.extended == (len(body) > 255 or command.extended)


def test_odd_ins_uses_do85() -> None:
    protected = SecureMessaging(KEYS, SSC).protect(apdu.read_binary(0x10000, 0xE0))
    assert protected.ins == 0xB1 and protected.data[0] == 0x85


def test_unpad_rejects_garbage() -> None:
    for bad in (b"", bytes(8), h("0102030405060780") + bytes(8), h("80") + bytes(6)):
        with pytest.raises(ValueError):
            unpad(bad)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=120))
def test_arbitrary_responses_raise_only_protocol_errors(raw: bytes) -> None:
    try:
        session_at_read_response().unprotect(raw)
    except ProtocolError as exc:
        assert exc.raw == raw


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(READ_RESPONSE) - 1), st.integers(1, 255))
def test_any_flipped_byte_of_a_response_is_refused(index: int, flip: int) -> None:
    raw = bytearray(READ_RESPONSE)
    raw[index] ^= flip
    if index >= len(raw) - 2:
        return  # the plain SW is not authenticated; DO'99' is what counts
    with pytest.raises(ProtocolError):
        session_at_read_response().unprotect(bytes(raw))
