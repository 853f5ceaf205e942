"""Serial MRZ swipe readers: the pure line assembler, and the pyserial transport on a pty."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import ReaderUnavailable
from drivers.mrz import MrzLineAssembler, SerialSwipeReader, parse_mrz
from drivers.mrz.swipe import MAX_LINE_BYTES

TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C<3UTO6908061F9406236ZE184226B<<<<<14",
)
TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)
TD2 = (
    "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
    "D231458907UTO7408122F1204159<<<<<<<6",
)


def swipe(lines: tuple[str, ...], end: bytes = b"\r\n") -> bytes:
    return b"".join(line.encode("ascii") + end for line in lines)


@pytest.mark.parametrize("lines", [TD3, TD1, TD2])
@pytest.mark.parametrize("end", [b"\r\n", b"\r", b"\n"])
def test_one_swipe_gives_one_mrz(lines: tuple[str, ...], end: bytes) -> None:
    assembler = MrzLineAssembler()
    assert assembler.feed(swipe(lines, end)) == [lines]
    assert not assembler.pending
    assert assembler.discarded_lines == 0


def test_byte_by_byte_feeding_is_the_same() -> None:
    assembler = MrzLineAssembler()
    out = []
    for byte in swipe(TD1) + swipe(TD3):
        out += assembler.feed(bytes([byte]))
    assert out == [TD1, TD3]


def test_garbage_between_swipes_is_dropped_and_counted() -> None:
    assembler = MrzLineAssembler()
    stream = (
        b"\x00\xff\xfeREADER V1.2 READY\r\n"
        + swipe(TD3)
        + b"\r\n\r\n@@@@\r\n"
        + b"\x02"
        + swipe(TD1)
        + b"\x03"
        + "Ünïcode\n".encode()
    )
    assert assembler.feed(stream) == [TD3, TD1]
    assert assembler.discarded_lines == 3


def test_lowercase_and_spaces_are_accepted() -> None:
    typed = tuple(line.lower().replace("<<", "< <") for line in TD3)
    assert MrzLineAssembler().feed(swipe(typed)) == [TD3]


def test_a_whole_mrz_on_one_line_is_split() -> None:
    assert MrzLineAssembler().feed("".join(TD3).encode() + b"\r") == [TD3]


def test_a_stale_first_line_does_not_poison_the_next_swipe() -> None:
    assembler = MrzLineAssembler()
    assert assembler.feed(swipe(TD3[:1])) == []  # half a swipe, then the real one
    assert assembler.feed(swipe(TD3)) == [TD3]
    assert assembler.discarded_lines == 1
    assembler = MrzLineAssembler()
    assert assembler.feed(swipe(TD1[:2]) + swipe(TD1)) == [TD1]
    assert assembler.discarded_lines == 2


def test_a_stale_first_line_with_a_short_name_is_still_told_apart() -> None:
    # Fillers where a line 2 has its birth date: the check digit after it decides.
    short = "P<UTOLI<<WU" + "<" * 33
    assembler = MrzLineAssembler()
    assert assembler.feed(swipe((short,)) + swipe(TD3)) == [TD3]
    assert assembler.discarded_lines == 1


def test_a_lone_second_line_is_dropped() -> None:
    assembler = MrzLineAssembler()
    assert assembler.feed(swipe(TD3[1:]) + swipe(TD3)) == [TD3]
    assert assembler.discarded_lines == 1


def test_switching_format_mid_swipe_drops_the_partial() -> None:
    assembler = MrzLineAssembler()
    assert assembler.feed(swipe(TD1[:1]) + swipe(TD2)) == [TD2]
    assert assembler.discarded_lines == 1


def test_reset_forgets_a_partial_swipe() -> None:
    assembler = MrzLineAssembler()
    assembler.feed(swipe(TD1[:2]) + b"I<UTO")
    assert assembler.pending
    assembler.reset()
    assert not assembler.pending
    assert assembler.feed(swipe(TD1[2:])) == []
    assert assembler.feed(swipe(TD1)) == [TD1]


def test_an_endless_line_keeps_the_buffer_bounded() -> None:
    assembler = MrzLineAssembler()
    assert assembler.feed(b"A" * (50 * MAX_LINE_BYTES)) == []
    assert len(assembler._buffer) <= MAX_LINE_BYTES
    assert assembler.feed(b"\r\n" + swipe(TD3)) == [TD3]
    assert assembler.discarded_lines == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=120), max_size=8))
def test_arbitrary_bytes_never_raise_and_give_only_mrz_shaped_lines(chunks) -> None:
    assembler = MrzLineAssembler()
    for chunk in chunks:
        for mrz in assembler.feed(chunk):
            assert len(mrz) in (2, 3)
            assert len({len(line) for line in mrz}) == 1


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=200),
    st.binary(max_size=200),
    st.sampled_from([TD3, TD1, TD2]),
    st.integers(1, 16),
)
def test_a_swipe_survives_garbage_around_it(before, after, lines, chunk) -> None:
    assembler = MrzLineAssembler()
    stream = before + b"\r\n" + swipe(lines) + after
    out = []
    for i in range(0, len(stream), chunk):
        out += assembler.feed(stream[i : i + chunk])
    assert lines in out
    assert parse_mrz(list(lines)).lines == lines


# --- the pyserial transport, on a real pseudo-terminal -------------------------------


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, str]]:
    master, slave = os.openpty()
    path = os.ttyname(slave)
    try:
        yield master, path
    finally:
        os.close(master)
        os.close(slave)


def test_serial_reader_on_a_pty(pty_pair: tuple[int, str]) -> None:
    master, path = pty_pair
    with SerialSwipeReader(path, read_timeout=0.05) as reader:
        os.write(master, b"noise\r\n" + swipe(TD3) + swipe(TD1))
        first = reader.read_mrz(max_reads=100)
        second = reader.read_mrz(max_reads=100)
        assert (first, second) == (TD3, TD1)
        assert reader.read_mrz(max_reads=2) is None


def test_serial_reader_drops_a_partial_swipe_when_the_line_goes_idle(
    pty_pair: tuple[int, str],
) -> None:
    master, path = pty_pair
    with SerialSwipeReader(path, read_timeout=0.05) as reader:
        os.write(master, swipe(TD1[:2]))
        assert reader.read_mrz(max_reads=5) is None
        os.write(master, swipe(TD1[2:]))  # the rest of an abandoned swipe: ignored
        os.write(master, swipe(TD1))
        assert reader.read_mrz(max_reads=100) == TD1


def test_missing_port_is_reader_unavailable(tmp_path) -> None:
    reader = SerialSwipeReader(str(tmp_path / "no-such-tty"))
    with pytest.raises(ReaderUnavailable):
        reader.open()
    with pytest.raises(ReaderUnavailable):
        reader.read_mrz()
