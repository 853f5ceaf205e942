"""The SAM frame codec against the frames transcribed in the shared data set, plus fuzzing:
whatever bytes arrive, the decoders raise ProtocolError and nothing else."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import DriverError, NoCard, ProtocolError, ReaderUnavailable
from drivers.sam import frame, status
from drivers.sam.frame import (
    PREAMBLE,
    Command,
    Discarded,
    Frame,
    FrameDecoder,
    decode_command,
    decode_frame,
    decode_response,
    encode_command,
    encode_response,
)
from drivers.sam.message import BaseMessage, decode_base_message, encode_base_message
from tests.drivers.shared_data import shared_data_dir

FUZZ = settings(max_examples=300, deadline=None)


def _verified_frames() -> list[object]:
    root = shared_data_dir()
    if root is None:
        return [pytest.param(None, None, marks=pytest.mark.skip(reason="no shared data set"))]
    table = Path(root, "idcard_sam", "short_frames_verified.tsv")
    rows = []
    for line in table.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, hex_frame, *_ = line.split("\t")
        rows.append(pytest.param(name, bytes.fromhex(hex_frame), id=name))
    return rows


COMMANDS_BY_NAME = {
    "cmd_get_sam_status": (Command.GET_SAM_STATUS, b""),
    "cmd_reset_sam": (Command.RESET_SAM, b""),
    "cmd_find_card": (Command.FIND_CARD, b""),
    "cmd_select_card": (Command.SELECT_CARD, b""),
    "cmd_read_base_msg": (Command.READ_BASE_MESSAGE, b""),
    "cmd_read_base_msg_with_fp": (Command.READ_BASE_MESSAGE_WITH_FINGERPRINT, b""),
    "cmd_set_max_rf_byte": (Command.SET_MAX_RF_BYTES, b"\x50"),
}


@pytest.mark.parametrize(("name", "raw"), _verified_frames())
def test_verified_frame_decodes_and_reencodes_exactly(name: str, raw: bytes) -> None:
    if name.startswith("cmd_"):
        command = decode_command(raw)
        assert (command.command, command.data) == COMMANDS_BY_NAME[name]
        assert encode_command(command.code, command.data) == raw
    else:
        response = decode_response(raw)
        assert (response.sw1, response.sw2) == (0, 0)
        assert encode_response(response.sw3, response.data) == raw
        # the status named in the row is the one the table knows
        assert f"_0x{response.sw3:02x}" in name.lower()
        assert status.lookup(response.sw3).name != "UNKNOWN"


def test_every_verified_command_is_known() -> None:
    if shared_data_dir() is None:
        pytest.skip("no shared data set")
    names = {p.values[0] for p in _verified_frames()}
    assert set(COMMANDS_BY_NAME) <= names


def test_read_base_message_header_matches_notes() -> None:
    """PROTOCOL_NOTES: a 30 01 success is 1295 bytes, header AA AA AA 96 69 05 08 00 00 90
    01 00 04 00, text at 14..269, photo at 270..1293, checksum at 1294."""
    text, photo = bytes(range(256)), bytes(1024)
    raw = encode_response(
        status.SUCCESS,
        encode_base_message(BaseMessage(text, photo), with_fingerprint=False),
    )
    assert len(raw) == 1295
    assert raw[:14] == bytes.fromhex("AAAAAA96690508000090 01000400".replace(" ", ""))
    assert raw[14:270] == text and raw[270:1294] == photo
    with_fp = encode_response(
        status.SUCCESS,
        encode_base_message(BaseMessage(text, photo, bytes(1024)), with_fingerprint=True),
    )
    assert len(with_fp) == 2321
    assert with_fp[:16] == bytes.fromhex("AAAAAA9669090A000090010004000400")


@pytest.mark.parametrize(
    ("raw", "reason", "offset"),
    [
        (b"", frame.REASON_TRUNCATED, 0),
        (bytes.fromhex("AAAAAB9669000311FFED"), frame.REASON_PREAMBLE, 2),
        (bytes.fromhex("AAAAAA9669000311FFEE"), frame.REASON_CHECKSUM, 9),
        (bytes.fromhex("AAAAAA9669000411FFED"), frame.REASON_TRUNCATED, 10),
        (bytes.fromhex("AAAAAA9669000211FFED"), frame.REASON_TRAILING, 9),
        (bytes.fromhex("AAAAAA96690000"), frame.REASON_LENGTH, 5),
        (bytes.fromhex("AAAAAA9669FFFF"), frame.REASON_LENGTH, 5),
        (bytes.fromhex("AAAAAA966900"), frame.REASON_TRUNCATED, 6),
    ],
)
def test_malformed_frames_name_reason_and_offset(raw: bytes, reason: str, offset: int) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_frame(raw)
    assert caught.value.reason == reason
    assert caught.value.offset == offset
    assert caught.value.raw == raw


def test_response_too_short_for_status_words() -> None:
    with pytest.raises(ProtocolError):
        decode_response(encode_command(0x0011))  # a valid frame with a 2-byte payload


def test_stream_decoder_skips_garbage_and_reports_where() -> None:
    ok = encode_response(status.SUCCESS)
    found = encode_response(status.FIND_CARD_SUCCESS, bytes(4))
    stream = b"\x01\x02" + ok + b"\xaa\xaa\x13" + found
    events = FrameDecoder().feed(stream)
    assert [type(e) for e in events] == [Discarded, Frame, Discarded, Frame]
    assert (events[0].offset, events[0].raw) == (0, b"\x01\x02")
    assert events[1].raw == ok and events[1].offset == 2
    assert events[2].offset == 2 + len(ok) and events[2].raw == b"\xaa\xaa\x13"
    assert events[3].raw == found


def test_stream_decoder_waits_for_split_frames_and_partial_preambles() -> None:
    raw = encode_response(status.SUCCESS, bytes(range(40)))
    decoder = FrameDecoder()
    collected: list[Frame | Discarded] = []
    for byte in raw:
        collected += decoder.feed(bytes([byte]))
    assert len(collected) == 1
    assert isinstance(collected[0], Frame) and collected[0].raw == raw
    assert decoder.pending == b""


def test_stream_decoder_drops_a_frame_with_a_bad_checksum_then_resyncs() -> None:
    good = encode_response(status.SUCCESS)
    bad = good[:-1] + bytes([good[-1] ^ 1])
    events = FrameDecoder().feed(bad + good)
    assert isinstance(events[0], Discarded)
    assert events[0].error.reason == frame.REASON_CHECKSUM
    assert events[0].error.offset == len(bad) - 1
    assert isinstance(events[1], Frame) and events[1].raw == good


def test_stream_decoder_implausible_length_discards_only_the_false_preamble() -> None:
    good = encode_response(status.SUCCESS)
    events = FrameDecoder().feed(PREAMBLE + b"\xff\xff" + good)
    assert isinstance(events[-1], Frame) and events[-1].raw == good
    assert all(isinstance(e, Discarded) for e in events[:-1])


def test_truncation_is_reported_when_the_stream_stops() -> None:
    decoder = FrameDecoder()
    assert decoder.truncation() is None
    decoder.feed(encode_response(status.SUCCESS)[:6])
    error = decoder.truncation()
    assert error is not None and error.reason == frame.REASON_TRUNCATED
    assert error.raw == decoder.pending and error.offset == 6


def test_base_message_layout_errors_are_protocol_errors() -> None:
    with pytest.raises(ProtocolError):
        decode_base_message(b"\x01\x00\x04", with_fingerprint=False)
    with pytest.raises(ProtocolError):
        decode_base_message(b"\x00\x02\x00\x00\x41", with_fingerprint=False)


# -- fuzzing ---------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=64))
def test_fuzz_one_shot_decoders_raise_only_protocol_errors(raw: bytes) -> None:
    for decode in (decode_frame, decode_command, decode_response):
        try:
            decode(raw)
        except ProtocolError as exc:
            assert exc.raw == raw
            assert exc.offset is not None and 0 <= exc.offset <= len(raw)


@FUZZ
@given(st.binary(max_size=40).map(lambda tail: PREAMBLE + tail))
def test_fuzz_decoders_past_the_preamble(raw: bytes) -> None:
    for decode in (decode_command, decode_response):
        try:
            decode(raw)
        except ProtocolError as exc:
            assert 0 <= (exc.offset or 0) <= len(raw)


@FUZZ
@given(st.binary(max_size=300), st.booleans())
def test_fuzz_base_message(data: bytes, with_fingerprint: bool) -> None:
    with contextlib.suppress(ProtocolError):
        decode_base_message(data, with_fingerprint=with_fingerprint)


@FUZZ
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=20),  # noise, including stray preamble bytes
            st.sampled_from([PREAMBLE, PREAMBLE[:3], b"\xaa"]),
            st.builds(
                lambda sw3, data: encode_response(sw3, data),
                st.integers(0, 255),
                st.binary(max_size=30),
            ),
        ),
        max_size=8,
    ),
    st.integers(1, 17),
)
def test_fuzz_stream_decoder_never_raises_and_accounts_for_every_byte(
    pieces: list[bytes], chunk: int
) -> None:
    stream = b"".join(pieces)
    decoder = FrameDecoder()
    events: list[Frame | Discarded] = []
    for start in range(0, len(stream), chunk):
        events += decoder.feed(stream[start : start + chunk])
    # every byte is in exactly one event or still pending, in order
    assert b"".join(e.raw for e in events) + decoder.pending == stream
    position = 0
    for event in events:
        assert event.offset == position
        position += len(event.raw)
        if isinstance(event, Frame):
            decode_response(event.raw)  # a reported frame is always a valid frame
        else:
            assert isinstance(event.error, ProtocolError)


@FUZZ
@given(
    st.binary(max_size=10).filter(lambda b: PREAMBLE[:1] not in b),
    st.integers(0, 255),
    st.binary(max_size=200),
)
def test_fuzz_frames_after_noise_are_found(noise: bytes, sw3: int, data: bytes) -> None:
    raw = encode_response(sw3, data)
    events = FrameDecoder().feed(noise + raw)
    frames = [e for e in events if isinstance(e, Frame)]
    assert [f.raw for f in frames] == [raw]


@FUZZ
@given(st.integers(0, 0xFFFF), st.binary(max_size=100))
def test_round_trip_command(code: int, data: bytes) -> None:
    decoded = decode_command(encode_command(code, data))
    assert (decoded.code, decoded.data) == (code, data)


@FUZZ
@given(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255), st.binary(max_size=2400))
def test_round_trip_response(sw1: int, sw2: int, sw3: int, data: bytes) -> None:
    decoded = decode_response(encode_response(sw3, data, sw1=sw1, sw2=sw2))
    assert (decoded.sw1, decoded.sw2, decoded.sw3, decoded.data) == (sw1, sw2, sw3, data)


@FUZZ
@given(st.binary(max_size=300), st.binary(max_size=1100), st.binary(max_size=1100))
def test_round_trip_base_message(text: bytes, photo: bytes, fingerprint: bytes) -> None:
    message = BaseMessage(text, photo, fingerprint)
    encoded = encode_base_message(message, with_fingerprint=True)
    assert decode_base_message(encoded, with_fingerprint=True) == message


# -- status table ------------------------------------------------------------------------------


def test_every_status_in_the_notes_is_mapped() -> None:
    root = shared_data_dir()
    if root is None:
        pytest.skip("no shared data set")
    notes = Path(root, "idcard_sam", "PROTOCOL_NOTES.txt").read_text(encoding="utf-8")
    section = notes.split("SW3 status codes", 1)[1].split("Other observed", 1)[0]
    section = section.split("\n", 1)[1]  # past the heading line
    codes = {int(code, 16) for code in re.findall(r"(?:^|;)\s*([0-9A-F]{2}) ", section, re.M)}
    assert len(codes) == 25
    assert codes == set(status.STATUSES)


def test_status_reasons_are_stable_and_distinct() -> None:
    reasons = [s.reason for s in status.STATUSES.values()]
    assert len(set(reasons)) == len(reasons)
    assert all(reason.startswith("DRV_SAM_") for reason in reasons)


@pytest.mark.parametrize(
    ("code", "error", "reason"),
    [
        (0x80, NoCard, "DRV_SAM_FIND_CARD_FAILED"),
        (0x41, status.CardReadFailed, "DRV_SAM_READ_FAILED"),
        (0x10, ProtocolError, "DRV_SAM_COMMAND_CHECKSUM"),
        (0x11, ProtocolError, "DRV_SAM_COMMAND_LENGTH"),
        (0x60, ReaderUnavailable, "DRV_SAM_SELFTEST"),
        (0x66, ReaderUnavailable, "DRV_SAM_NOT_AUTHORISED"),
        (0x32, status.CardReadFailed, "DRV_SAM_SAM_AUTHENTICATES_CARD_FAILED"),
        (0x77, ProtocolError, "DRV_SAM_UNKNOWN_STATUS"),
    ],
)
def test_status_errors(code: int, error: type[DriverError], reason: str) -> None:
    raised = status.error_for(code)
    assert type(raised) is error and raised.reason == reason
    assert str(raised).startswith(reason)


def test_success_statuses_have_no_error() -> None:
    for code in (status.SUCCESS, status.FIND_CARD_SUCCESS):
        assert status.lookup(code).ok
        with pytest.raises(ValueError):
            status.error_for(code)
