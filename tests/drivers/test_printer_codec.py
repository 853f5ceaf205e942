"""The ESC/POS receipt codec and its reader: exact bytes for the commands a receipt uses
(from the Epson ESC/POS reference), GB18030 text, wrapping, and fuzzing of both."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.errors import ProtocolError
from drivers.printer.codec import (
    COLUMNS,
    Feed,
    QrCode,
    Text,
    display_width,
    encode_receipt,
    encode_text,
    printable,
    wrap,
)
from drivers.printer.parse import PrintedLine, parse_job


def test_a_receipt_starts_with_reset_and_chinese_mode_and_ends_with_a_cut():
    job = encode_receipt([Text("Hello")])
    assert job.startswith(b"\x1b@\x1c&")  # ESC @, FS &
    assert job.endswith(b"\x1dV\x00")  # GS V 0: full cut
    assert b"Hello\n" in job


def test_styles_are_the_escpos_commands():
    job = encode_receipt([Text("X", bold=True, large=True, align="center")])
    # GS ! 0x11 (double width and height, Chinese characters too), ESC E 1, ESC a 1
    assert b"\x1d!\x11\x1bE\x01\x1ba\x01X\n" in job


def test_the_qr_code_is_gs_k_model_2_with_its_payload():
    payload = "BDMI-LC:ABCD-1234:2026-01-01"
    job = encode_receipt([QrCode(payload)])
    store = b"\x1d(k" + (len(payload) + 3).to_bytes(2, "little") + b"1P0" + payload.encode()
    assert b"\x1d(k\x04\x001A2\x00" in job  # fn 65: model 2
    assert b"\x1d(k\x03\x001C\x06" in job  # fn 67: 6 dots a module
    assert b"\x1d(k\x03\x001E1" in job  # fn 69: error correction M
    assert store in job
    assert job.index(store) < job.index(b"\x1d(k\x03\x001Q0")  # fn 81: print it, after
    assert parse_job(job).qr_codes == [payload]


@pytest.mark.parametrize("payload", ["", "x" * 256, "参考", "a\nb"])
def test_a_qr_payload_is_short_printable_ascii(payload):
    with pytest.raises(ValueError):
        encode_receipt([QrCode(payload)])


def test_chinese_is_gb18030():
    assert encode_text("参考编号\uff1a") == bytes.fromhex("b2ce bfbc b1e0 bac5 a3ba")
    # punctuation alone (python-escpos's own encoder would send a code page switch here)
    assert encode_text("\uff1a\uff08\uff09") == bytes.fromhex("a3ba a3a8 a3a9")
    job = encode_receipt([Text("已签到")])
    assert "已签到".encode("gb18030") + b"\n" in job
    assert "已签到".encode() not in job  # not UTF-8


def test_what_the_printer_cannot_print_is_replaced_or_dropped():
    assert printable("ok \U0001f600") == "ok ?"  # four-byte GB18030: not in the font
    assert printable("a\x1b@b\x1dV\x00c") == "a@bVc"  # no command smuggled in by a text
    assert printable("a\tb\u200bc") == "a bc"
    assert encode_text("\x1b") == b""


def test_widths_count_two_byte_characters_twice():
    assert display_width("AB") == 2
    assert display_width("参考") == 4
    assert display_width("\uff1a") == 2


def test_wrap_keeps_words_and_breaks_chinese_anywhere():
    assert wrap("the quick brown fox", 10) == ["the quick", "brown fox"]
    assert wrap("参考编号参考", 8) == ["参考编号", "参考"]
    assert wrap("abcdefghijkl", 5) == ["abcde", "fghij", "kl"]
    assert wrap("a\nb", 5) == ["a", "b"]


def test_large_text_wraps_at_half_the_columns():
    line = "x" * COLUMNS[58]
    lines = parse_job(encode_receipt([Text(line, large=True)])).lines
    assert [entry.text for entry in lines] == ["x" * 16, "x" * 16]
    lines = parse_job(encode_receipt([Text(line, large=True)], paper=80)).lines
    assert [entry.text for entry in lines] == ["x" * 24, "x" * 8]


def test_the_reader_gives_back_lines_with_their_style():
    job = encode_receipt(
        [Text("已签到", bold=True, large=True, align="center"), Feed(1), Text("ABCD-1234")]
    )
    transcript = parse_job(job)
    assert transcript.lines == [
        PrintedLine("已签到", bold=True, large=True, align="center"),
        PrintedLine("", bold=True, large=True, align="center"),
        PrintedLine("ABCD-1234", bold=False, large=False, align="left"),
    ]
    assert transcript.cuts == 1


@pytest.mark.parametrize(
    "data",
    [b"\x1b", b"\x1bZ\x00", b"\x1d(k\x05\x001P0", b"\x1d(k\x03\x001Q0", b"ab\x1b@", b"\x81\n"],
)
def test_the_reader_refuses_what_it_does_not_know(data):
    with pytest.raises(ProtocolError) as caught:
        parse_job(data)
    assert caught.value.reason == "DRV_PRINTER_PROTOCOL"
    assert caught.value.offset is not None


styles = st.builds(
    Text,
    st.text(max_size=120),
    bold=st.booleans(),
    large=st.booleans(),
    align=st.sampled_from(["left", "center", "right"]),
)
qr_payloads = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=80
)


@given(st.lists(st.one_of(styles, st.builds(QrCode, qr_payloads)), max_size=6),
       st.sampled_from([58, 80]))  # fmt: skip
def test_any_receipt_reads_back_as_what_was_meant(blocks, paper):
    transcript = parse_job(encode_receipt(blocks, paper=paper))
    expected: list[PrintedLine] = []
    for block in blocks:
        if isinstance(block, Text):
            width = COLUMNS[paper] // (2 if block.large else 1)
            expected += [PrintedLine(line, block.bold, block.large, block.align)
                         for line in wrap(block.text, width)]  # fmt: skip
        else:
            expected.append(PrintedLine("", False, False, "center"))  # the feed after a code
    assert transcript.lines == expected
    assert transcript.qr_codes == [b.payload for b in blocks if isinstance(b, QrCode)]
    assert transcript.cuts == 1
    for line in transcript.lines:
        assert display_width(line.text) <= COLUMNS[paper] // (2 if line.large else 1)


@given(st.text(max_size=200), st.integers(2, 60))
def test_wrap_fits_the_width_and_loses_only_spaces(text, columns):
    lines = wrap(text, columns)
    assert all(display_width(line) <= columns for line in lines)
    assert "".join(lines).replace(" ", "") == printable(text).replace("\n", "").replace(" ", "")


@given(st.text())
def test_encoded_text_never_holds_a_control_byte_and_decodes_back(text):
    data = encode_text(text)
    assert all(byte >= 0x20 or byte == 0x0A for byte in data)
    assert data.decode("gb18030") == printable(text)


@given(st.binary(max_size=300))
def test_the_reader_fails_only_with_a_protocol_error(data):
    try:
        parse_job(data)
    except ProtocolError as exc:
        assert exc.reason == "DRV_PRINTER_PROTOCOL"
