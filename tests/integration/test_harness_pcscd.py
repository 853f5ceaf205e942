"""The pcscd+vpcd fixture and the vicc transport form a working PC/SC stack.

pyscard (through libpcsclite and the private pcscd) must list the virtual reader, see the
virtual card arrive and leave, and move APDUs to the handler and back.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from smartcard.scard import (
    SCARD_E_TIMEOUT,
    SCARD_S_SUCCESS,
    SCARD_SCOPE_USER,
    SCARD_STATE_EMPTY,
    SCARD_STATE_PRESENT,
    SCARD_STATE_UNAWARE,
    SCardEstablishContext,
    SCardGetStatusChange,
    SCardReleaseContext,
)
from smartcard.System import readers

from drivers.simulators.vicc import DEFAULT_ATR, PowerEvent, VirtualICC
from tests.harness.pcscd import SOCKET_ENV, PcscdVpcd

pytestmark = pytest.mark.services


def echo_handler(apdu: bytes) -> bytes:
    """Answer 90 00, echoing the command data field of a short case-3/4 APDU."""
    if len(apdu) > 5 and len(apdu) >= 5 + apdu[4]:
        return apdu[5 : 5 + apdu[4]] + b"\x90\x00"
    return b"\x90\x00"


class ReaderWatch:
    """SCardGetStatusChange on one reader, remembering the last state (blocking waits)."""

    def __init__(self, reader: str) -> None:
        rv, self.context = SCardEstablishContext(SCARD_SCOPE_USER)
        assert rv == SCARD_S_SUCCESS, hex(rv)
        self.reader = reader
        self.state = SCARD_STATE_UNAWARE
        self.atr = b""

    def wait(self, flag: int, timeout_ms: int = 10_000) -> None:
        """Block until the reader state has ``flag`` (present/empty)."""
        remaining = timeout_ms
        while remaining > 0:
            rv, states = SCardGetStatusChange(self.context, 500, [(self.reader, self.state)])
            remaining -= 500
            if rv == SCARD_E_TIMEOUT:
                continue
            assert rv == SCARD_S_SUCCESS, hex(rv)
            _name, event_state, atr = states[0]
            self.state = event_state & ~0xFFFF0000 & ~0x2  # drop event count and CHANGED bit
            self.atr = bytes(atr)
            if event_state & flag:
                return
        pytest.fail(f"reader {self.reader!r} never reached state 0x{flag:x}")

    def close(self) -> None:
        SCardReleaseContext(self.context)


@pytest.fixture
def card(pcscd_vpcd: PcscdVpcd) -> Iterator[VirtualICC]:
    vicc = VirtualICC(echo_handler, pcscd_vpcd.vpcd_port)
    try:
        yield vicc
    finally:
        vicc.stop()
    assert not vicc.errors, vicc.errors


def test_reader_listed_via_private_socket(pcscd_vpcd: PcscdVpcd) -> None:
    assert os.environ[SOCKET_ENV] == str(pcscd_vpcd.socket_path)
    names = [str(r) for r in readers()]
    assert pcscd_vpcd.reader_name in names
    assert set(pcscd_vpcd.reader_names) <= set(names)


def test_card_presence_apdu_roundtrip_and_removal(pcscd_vpcd: PcscdVpcd, card: VirtualICC) -> None:
    watch = ReaderWatch(pcscd_vpcd.reader_name)
    try:
        watch.wait(SCARD_STATE_EMPTY)
        card.insert()
        watch.wait(SCARD_STATE_PRESENT)
        assert watch.atr == DEFAULT_ATR

        reader = next(r for r in readers() if str(r) == pcscd_vpcd.reader_name)
        connection = reader.createConnection()
        connection.connect()
        try:
            assert bytes(connection.getATR()) == DEFAULT_ATR
            data, sw1, sw2 = connection.transmit([0x00, 0xA4, 0x04, 0x0C, 0x03, 1, 2, 3])
            assert (bytes(data), sw1, sw2) == (b"\x01\x02\x03", 0x90, 0x00)
            data, sw1, sw2 = connection.transmit([0x00, 0xB0, 0x00, 0x00, 0x00])
            assert (bytes(data), sw1, sw2) == (b"", 0x90, 0x00)
        finally:
            connection.disconnect()
            connection.release()
        assert card.powered

        card.remove()
        watch.wait(SCARD_STATE_EMPTY)

        card.insert()  # the same card can come back
        watch.wait(SCARD_STATE_PRESENT)
    finally:
        watch.close()


def test_power_events_reach_listener(pcscd_vpcd: PcscdVpcd) -> None:
    events: list[PowerEvent] = []
    vicc = VirtualICC(echo_handler, pcscd_vpcd.vpcd_port, on_power=events.append)
    watch = ReaderWatch(pcscd_vpcd.reader_name)
    try:
        watch.wait(SCARD_STATE_EMPTY)
        vicc.insert()
        watch.wait(SCARD_STATE_PRESENT)
        reader = next(r for r in readers() if str(r) == pcscd_vpcd.reader_name)
        connection = reader.createConnection()
        connection.connect()
        connection.disconnect()
        connection.release()
        assert PowerEvent.ON in events or PowerEvent.RESET in events
    finally:
        watch.close()
        vicc.stop()
    assert not vicc.errors


def test_handler_exception_answers_6f00(pcscd_vpcd: PcscdVpcd) -> None:
    def broken(_apdu: bytes) -> bytes:
        raise ValueError("emulator bug")

    vicc = VirtualICC(broken, pcscd_vpcd.vpcd_port)
    watch = ReaderWatch(pcscd_vpcd.reader_name)
    try:
        watch.wait(SCARD_STATE_EMPTY)
        vicc.insert()
        watch.wait(SCARD_STATE_PRESENT)
        reader = next(r for r in readers() if str(r) == pcscd_vpcd.reader_name)
        connection = reader.createConnection()
        connection.connect()
        try:
            _data, sw1, sw2 = connection.transmit([0x00, 0x84, 0x00, 0x00, 0x08])
        finally:
            connection.disconnect()
            connection.release()
        assert (sw1, sw2) == (0x6F, 0x00)
        assert len(vicc.errors) == 1 and isinstance(vicc.errors[0], ValueError)
    finally:
        watch.close()
        vicc.stop()


def test_pcscd_restart_keeps_socket_and_port(pcscd_vpcd: PcscdVpcd) -> None:
    socket_path, port = pcscd_vpcd.socket_path, pcscd_vpcd.vpcd_port
    pcscd_vpcd.stop()
    pcscd_vpcd.start()
    assert (pcscd_vpcd.socket_path, pcscd_vpcd.vpcd_port) == (socket_path, port)
    assert pcscd_vpcd.reader_name in [str(r) for r in readers()]
