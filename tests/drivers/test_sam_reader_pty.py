"""SamIdCardReader end to end through a real pty: the simulated reader on the master side,
the production driver opening the slave path with pyserial. No mocks, no timing asserts."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from drivers.document import DocumentReader, DocumentType
from drivers.errors import CardReadFailed, CardRemoved, NoCard, ProtocolError, ReaderUnavailable
from drivers.sam import frame, status
from drivers.sam.frame import Command, decode_response, encode_command, encode_response
from drivers.sam.reader import SamIdCardReader
from drivers.sam.transport import SerialTransport, candidate_ports, resolve_port
from drivers.simulators.sam_reader import SAMPLE_IDENTITIES, SimulatedSamReader

FIRST, SECOND = SAMPLE_IDENTITIES


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimulatedSamReader]:
    # the link plays the udev name /dev/bdmi-sam: it survives unplug/replug
    with SimulatedSamReader(link=tmp_path / "bdmi-sam", chunk_size=61) as simulator:
        yield simulator


@pytest.fixture
def reader(sim: SimulatedSamReader) -> Iterator[SamIdCardReader]:
    driver = SamIdCardReader(sim.port, timeout=5.0, read_timeout=10.0)
    yield driver
    driver.close()


def test_is_a_document_reader(reader: SamIdCardReader) -> None:
    assert isinstance(reader, DocumentReader)


def test_full_read(sim: SimulatedSamReader, reader: SamIdCardReader) -> None:
    sim.insert_card(FIRST)
    reader.open()
    document = reader.read()
    assert document.doc_type is DocumentType.CN_RESIDENT_ID
    assert document.name == "测试样本一"
    assert document.document_number == FIRST.text.id_number
    assert document.sex == "M"
    assert document.nationality == "汉"
    assert document.birth_date == FIRST.text.birth_date
    assert document.valid_from == FIRST.text.valid_from
    assert document.valid_until is None  # 长期
    assert document.issuer == FIRST.text.issuer
    assert document.extra["address"] == FIRST.text.address
    assert document.portrait == FIRST.photo and document.portrait_format == "wlt"
    assert sim.received == [
        Command.GET_SAM_STATUS,
        Command.FIND_CARD,
        Command.SELECT_CARD,
        Command.READ_BASE_MESSAGE,
    ]


def test_second_identity_and_fingerprint_variant(sim: SimulatedSamReader, tmp_path: Path) -> None:
    sim.insert_card(SECOND)
    with SamIdCardReader(sim.port, timeout=5.0, read_timeout=10.0, with_fingerprint=True) as r:
        document = r.read()
    assert document.sex == "F" and document.valid_until is not None
    assert bytes.fromhex(document.extra["fingerprint_hex"]) == SECOND.fingerprint
    assert sim.received[-1] == Command.READ_BASE_MESSAGE_WITH_FINGERPRINT


def test_no_card(sim: SimulatedSamReader, reader: SamIdCardReader) -> None:
    assert reader.card_present() is False
    with pytest.raises(NoCard) as caught:
        reader.read()
    assert caught.value.reason == "DRV_SAM_FIND_CARD_FAILED"
    sim.insert_card()
    assert reader.card_present() is True


def test_garbage_before_a_frame_is_skipped(
    sim: SimulatedSamReader, reader: SamIdCardReader
) -> None:
    sim.insert_card()
    reader.open()
    sim.inject_garbage(b"\x00\xff" + frame.PREAMBLE[:3] + b"\x13")
    sim.inject_garbage(frame.PREAMBLE + b"\xff\xff")  # a false preamble with a silly length
    assert reader.read().name == "测试样本一"
    # skipped, not retried: one find, select, read after the status check
    assert sim.received.count(Command.FIND_CARD) == 1


def test_one_wrong_checksum_restarts_the_sequence(
    sim: SimulatedSamReader, reader: SamIdCardReader
) -> None:
    sim.insert_card()
    reader.open()
    sim.corrupt_next_checksums(1)
    assert reader.read().name == "测试样本一"
    assert sim.received.count(Command.FIND_CARD) == 2


def test_persistent_wrong_checksums_give_protocol_error(
    sim: SimulatedSamReader, reader: SamIdCardReader
) -> None:
    sim.insert_card()
    reader.open()
    sim.corrupt_next_checksums(reader.attempts)
    with pytest.raises(ProtocolError) as caught:
        reader.read()
    assert caught.value.reason == frame.REASON_CHECKSUM
    assert caught.value.offset == len(caught.value.raw) - 1


def test_card_pulled_between_select_and_read(
    sim: SimulatedSamReader, reader: SamIdCardReader
) -> None:
    sim.insert_card()
    reader.open()
    sim.remove_card_after_select()
    with pytest.raises(CardRemoved) as caught:
        reader.read()
    assert caught.value.reason == "DRV_SAM_CARD_REMOVED"
    assert isinstance(caught.value.__cause__, CardReadFailed)
    # nothing partial was kept: the next card read is whole and is that card's
    sim.insert_card(SECOND)
    assert reader.read().name == "测试样本二"


def test_read_failure_with_the_card_still_there(
    sim: SimulatedSamReader, reader: SamIdCardReader
) -> None:
    sim.insert_card()
    reader.open()
    sim.fail_next(Command.READ_BASE_MESSAGE, status.READ_CARD_FAIL)
    with pytest.raises(CardReadFailed) as caught:
        reader.read()
    assert caught.value.reason == "DRV_SAM_READ_FAILED"


@pytest.mark.parametrize(
    ("sw3", "reason"),
    [(0x60, "DRV_SAM_SELFTEST"), (0x66, "DRV_SAM_NOT_AUTHORISED")],
)
def test_sam_that_fails_its_status_is_unavailable(
    sim: SimulatedSamReader, reader: SamIdCardReader, sw3: int, reason: str
) -> None:
    sim.fail_next(Command.GET_SAM_STATUS, sw3)
    with pytest.raises(ReaderUnavailable) as caught:
        reader.open()
    assert caught.value.reason == reason
    reader.open()  # the next attempt asks the SAM again, which now answers 90
    assert reader.sam_status().ok


def test_unplug_then_reconnect(sim: SimulatedSamReader, reader: SamIdCardReader) -> None:
    sim.insert_card()
    assert reader.read().name == "测试样本一"
    sim.unplug()
    with pytest.raises(ReaderUnavailable) as caught:
        reader.read()
    assert caught.value.reason == "DRV_SAM_PORT_LOST"
    with pytest.raises(ReaderUnavailable) as caught:  # still gone: the link has vanished
        reader.card_present()
    assert caught.value.reason == "DRV_SAM_PORT_OPEN_FAILED"
    sim.replug()
    assert reader.read().name == "测试样本一"


def test_frames_are_logged_without_personal_data(
    sim: SimulatedSamReader, reader: SamIdCardReader, caplog: pytest.LogCaptureFixture
) -> None:
    sim.insert_card()
    with caplog.at_level(logging.DEBUG, logger="drivers.sam"):
        reader.read()
    lines = [record.getMessage() for record in caplog.records]
    assert any("READ_BASE_MESSAGE" in line for line in lines)
    assert any("len=1295" in line for line in lines)
    text = FIRST.text
    for line in lines:
        for secret in (text.name, text.id_number, text.address, text.id_number[:6]):
            assert secret not in line
        assert FIRST.photo[:8].hex() not in line


def test_simulator_answers_a_bad_command_checksum_with_status_10(
    sim: SimulatedSamReader,
) -> None:
    bad = encode_command(Command.FIND_CARD)
    bad = bad[:-1] + bytes([bad[-1] ^ 1])
    with serial.Serial(sim.port, 115200, timeout=5) as port:
        port.write(bad)
        answer = port.read(11)
    assert decode_response(answer).sw3 == 0x10


# -- a silent or half-answering device, on a bare pty ------------------------------------


@pytest.fixture
def bare_pty() -> Iterator[tuple[int, str]]:
    master, slave = os.openpty()
    path = os.ttyname(slave)
    yield master, path
    os.close(master)
    os.close(slave)


def test_no_answer_is_reader_unavailable(bare_pty: tuple[int, str]) -> None:
    _, path = bare_pty
    reader = SamIdCardReader(path, timeout=0.2)
    with pytest.raises(ReaderUnavailable) as caught:
        reader.open()
    assert caught.value.reason == "DRV_SAM_NO_RESPONSE"


def test_half_an_answer_is_a_truncated_frame(bare_pty: tuple[int, str]) -> None:
    master, path = bare_pty
    # an already open transport skips the SAM status check: the test plays the SAM by hand
    transport = SerialTransport(path)
    transport.open()
    reader = SamIdCardReader(transport=transport, timeout=0.5)
    half = encode_response(status.SUCCESS)[:6]

    # the driver drops input queued before its command, so answer after it is written
    def answer() -> None:
        os.read(master, 10)
        os.write(master, half)

    helper = threading.Thread(target=answer)
    helper.start()
    with pytest.raises(ProtocolError) as caught:
        reader.exchange(Command.FIND_CARD)
    helper.join()
    reader.close()
    assert caught.value.reason == frame.REASON_TRUNCATED
    assert caught.value.raw == half


# -- port detection --------------------------------------------------------------------------


def test_udev_name_comes_first(sim: SimulatedSamReader) -> None:
    ports = candidate_ports(udev_names=[sim.port, "/nonexistent/bdmi-sam"], patterns=())
    assert ports[0] == sim.port
    assert "/nonexistent/bdmi-sam" not in ports
    assert resolve_port("auto", candidates=ports) == sim.port
    assert resolve_port("/dev/ttyS9") == "/dev/ttyS9"


def test_no_port_at_all() -> None:
    with pytest.raises(ReaderUnavailable) as caught:
        resolve_port("auto", candidates=[])
    assert caught.value.reason == "DRV_SAM_NO_PORT"
