"""A simulated serial SAM reader that speaks the real GA 467-style protocol on a pty.

The kiosk's driver opens the pty's slave path with pyserial exactly as it opens
``/dev/bdmi-sam`` in production, so the demo and the tests run the production driver code.
Given ``link``, the simulator keeps a symlink pointing at the current slave, like the udev
rule does for a real reader; :meth:`SimulatedSamReader.unplug` and
:meth:`SimulatedSamReader.replug` then behave like pulling and replugging the USB cable.

The identities are clearly fake: names 测试样本一/二, addresses 模拟地址, ID numbers in the
non-existent region 999999 (with correct GB 11643 check characters), a "photo" that is a
labelled byte pattern rather than a WLT portrait.

Faults for tests: garbage before an answer, a wrong checksum, a given status for the next
answer to a command, and a card that leaves between select and read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import queue
import select
import threading
import tty
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from drivers.sam import status
from drivers.sam.frame import (
    PREAMBLE,
    REASON_CHECKSUM,
    REASON_LENGTH,
    Command,
    Discarded,
    Frame,
    FrameDecoder,
    decode_command,
    encode_response,
)
from drivers.sam.message import BaseMessage, encode_base_message
from drivers.sam.text import ResidentIdText, Sex, encode_text_block, id_check_character
from drivers.sam.wlt import WLT_SIZE

_log = logging.getLogger(__name__)

FAKE_REGION = "999999"  # no such administrative division: numbers can never be real ones


def fake_id_number(birth: dt.date, order: int) -> str:
    """An ID number in the fake region with a valid check character."""
    body = f"{FAKE_REGION}{birth:%Y%m%d}{order:03d}"
    return body + id_check_character(body)


def fake_photo(label: str) -> bytes:
    """1024 labelled bytes standing in for a WLT portrait. It embeds the frame preamble on
    purpose: a decoder that resynchronises inside intact frames would break on it."""
    seed = f"SIMULATED-WLT {label} not a portrait ".encode() + PREAMBLE
    return (seed * (WLT_SIZE // len(seed) + 1))[:WLT_SIZE]


@dataclass(frozen=True, repr=False)
class SimulatedIdentity:
    text: ResidentIdText
    photo: bytes
    fingerprint: bytes = b""

    def __repr__(self) -> str:
        return "SimulatedIdentity(<fake>)"


def _identity(
    name: str,
    sex: Sex,
    nation: str,
    birth: dt.date,
    order: int,
    valid: tuple[dt.date, dt.date | None],
) -> SimulatedIdentity:
    text = ResidentIdText(
        name=name,
        sex=sex,
        nation_code=nation,
        birth_date=birth,
        address="模拟地址测试路1号",
        id_number=fake_id_number(birth, order),
        issuer="模拟公安局",
        valid_from=valid[0],
        valid_until=valid[1],
    )
    return SimulatedIdentity(text=text, photo=fake_photo(name), fingerprint=bytes(1024))


SAMPLE_IDENTITIES: tuple[SimulatedIdentity, ...] = (
    # born 1950: a card issued past 46 is valid 长期 (no expiry)
    _identity("测试样本一", Sex.MALE, "01", dt.date(1950, 1, 1), 11, (dt.date(2020, 1, 1), None)),
    _identity(
        "测试样本二",
        Sex.FEMALE,
        "03",
        dt.date(1990, 6, 15),
        22,
        (dt.date(2015, 3, 1), dt.date(2035, 3, 1)),
    ),
)

_FIND_CARD_DATA = bytes(4)  # as observed: 9F followed by four zero bytes
_SELECT_CARD_DATA = bytes(8)  # as observed: 90 followed by eight zero bytes


@dataclass
class _Faults:
    garbage: list[bytes] = field(default_factory=list)
    corrupt_checksums: int = 0
    statuses: dict[int, list[int]] = field(default_factory=dict)
    remove_after_select: bool = False


class SimulatedSamReader:
    """A SAM reader on a pseudo-terminal, served by a background thread."""

    def __init__(self, *, link: str | Path | None = None, chunk_size: int = 64) -> None:
        self.link = Path(link) if link is not None else None
        self.chunk_size = chunk_size
        self.sam_status = status.SUCCESS  # set to 0x60 to simulate a failed self-test
        self.received: list[int] = []  # command codes, in order (for tests and the demo log)
        self._card: SimulatedIdentity | None = None
        self._foreign = False
        self._found = False
        self._selected = False
        self._faults = _Faults()
        self._lock = threading.Lock()
        self._master: int | None = None
        self._slave: int | None = None
        self._slave_path = ""
        self._decoder = FrameDecoder()
        self._actions: queue.Queue[Callable[[], None]] = queue.Queue()
        self._wake_r, self._wake_w = -1, -1
        self._stopping = False
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------

    @property
    def port(self) -> str:
        """The path the driver should open: the link if there is one, else the slave."""
        return str(self.link) if self.link is not None else self._slave_path

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._wake_r, self._wake_w = os.pipe()
        self._stopping = False
        self._plug()
        self._thread = threading.Thread(target=self._serve, name="sim-sam-reader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stopping = True
        os.write(self._wake_w, b"x")
        self._thread.join(timeout=10)  # a wedged simulator must not hang a test run
        self._thread = None
        self._unplug()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def __enter__(self) -> SimulatedSamReader:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def unplug(self) -> None:
        """Like pulling the USB cable: the driver's next read or write fails with EIO."""
        self._run_in_thread(self._unplug)

    def replug(self) -> None:
        """A new pty (as a real replug gives a new tty); the link follows it."""
        self._run_in_thread(self._plug)

    # -- card and faults --------------------------------------------------------------

    def insert_card(self, identity: SimulatedIdentity = SAMPLE_IDENTITIES[0]) -> None:
        with self._lock:
            self._card, self._foreign = identity, False
            self._found = self._selected = False

    def remove_card(self) -> None:
        with self._lock:
            self._card = None
            self._foreign = False
            self._found = self._selected = False

    def insert_foreign_card(self) -> None:
        """Another ISO 14443 type B card (a transit or social-security card): the SAM finds
        and selects it, then refuses to read it with 0x40 (not a resident ID card)."""
        with self._lock:
            self._card, self._foreign = None, True
            self._found = self._selected = False

    def inject_garbage(self, data: bytes = b"\x00\x13\xaa\xaa\x55\xff\x96\x69") -> None:
        """Send ``data`` before the next answer."""
        with self._lock:
            self._faults.garbage.append(bytes(data))

    def corrupt_next_checksums(self, count: int = 1) -> None:
        """Flip the checksum of the next ``count`` answers."""
        with self._lock:
            self._faults.corrupt_checksums += count

    def fail_next(self, command: Command, sw3: int) -> None:
        """Answer the next ``command`` with status ``sw3`` (and no data)."""
        with self._lock:
            self._faults.statuses.setdefault(int(command), []).append(sw3)

    def remove_card_after_select(self) -> None:
        """The card leaves right after the next successful select."""
        with self._lock:
            self._faults.remove_after_select = True

    # -- pty --------------------------------------------------------------------------

    def _plug(self) -> None:
        if self._master is not None:
            return
        master, slave = os.openpty()
        tty.setraw(slave)  # no line discipline: 0x0A, 0x11, 0x13 are data
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        self._slave_path = os.ttyname(slave)
        self._decoder = FrameDecoder()
        if self.link is not None:
            tmp = self.link.with_name(self.link.name + ".new")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            tmp.symlink_to(self._slave_path)
            tmp.replace(self.link)
        _log.info("simulated SAM reader on %s", self.port)

    def _unplug(self) -> None:
        master, slave = self._master, self._slave
        self._master = self._slave = None
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()
        for fd in (master, slave):
            if fd is not None:
                os.close(fd)
        with self._lock:
            self._found = self._selected = False

    def _run_in_thread(self, action: Callable[[], None]) -> None:
        """fds are only touched by the serving thread: closing one under its select() is a race."""
        if self._thread is None:
            action()
            return
        done = threading.Event()

        def run() -> None:
            try:
                action()
            finally:
                done.set()

        self._actions.put(run)
        os.write(self._wake_w, b"x")
        done.wait()

    def _serve(self) -> None:
        while not self._stopping:
            fds = [self._wake_r] + ([self._master] if self._master is not None else [])
            readable, _, _ = select.select(fds, [], [])
            if self._wake_r in readable:
                os.read(self._wake_r, 64)
                while not self._actions.empty():
                    self._actions.get_nowait()()
                continue
            if self._master is None or self._master not in readable:
                continue
            try:
                data = os.read(self._master, 4096)
            except BlockingIOError:
                continue
            except OSError:  # cannot happen while we hold the slave open; be safe anyway
                self._unplug()
                continue
            for event in self._decoder.feed(data):
                self._answer(event)

    def _answer(self, event: Frame | Discarded) -> None:
        if isinstance(event, Discarded):
            if event.error.reason == REASON_CHECKSUM:
                self._send(encode_response(0x10))
            elif event.error.reason == REASON_LENGTH:
                self._send(encode_response(0x11))
            return
        command = decode_command(event.raw)
        self.received.append(command.code)
        with self._lock:
            forced = self._faults.statuses.get(command.code)
            response = encode_response(forced.pop(0)) if forced else self._respond(command.code)
        self._send(response)

    def _respond(self, code: int) -> bytes:
        """The SAM's state machine: find, then select, then read. Called with the lock held."""
        if code in (Command.GET_SAM_STATUS, Command.RESET_SAM, Command.SET_MAX_RF_BYTES):
            return encode_response(self.sam_status)
        if self._foreign and code in (Command.FIND_CARD, Command.SELECT_CARD):
            self._found = self._selected = code == Command.SELECT_CARD
            if code == Command.FIND_CARD:
                return encode_response(status.FIND_CARD_SUCCESS, _FIND_CARD_DATA)
            return encode_response(status.SUCCESS, _SELECT_CARD_DATA)
        if code == Command.FIND_CARD:
            self._found = self._card is not None
            self._selected = False
            if self._card is None:
                return encode_response(status.FIND_CARD_FAIL)
            return encode_response(status.FIND_CARD_SUCCESS, _FIND_CARD_DATA)
        if code == Command.SELECT_CARD:
            if not (self._found and self._card is not None):
                return encode_response(status.SELECT_CARD_FAIL)
            self._selected = True
            if self._faults.remove_after_select:
                self._faults.remove_after_select = False
                self._card = None
            return encode_response(status.SUCCESS, _SELECT_CARD_DATA)
        if code in (Command.READ_BASE_MESSAGE, Command.READ_BASE_MESSAGE_WITH_FINGERPRINT):
            card, selected = self._card, self._selected
            self._found = self._selected = False
            if self._foreign and selected:
                return encode_response(status.UNRECOGNISED_CARD_TYPE)
            if card is None or not selected:
                return encode_response(status.READ_CARD_FAIL)
            with_fp = code == Command.READ_BASE_MESSAGE_WITH_FINGERPRINT
            message = BaseMessage(
                text=encode_text_block(card.text),
                photo=card.photo,
                fingerprint=card.fingerprint if with_fp else b"",
            )
            return encode_response(
                status.SUCCESS, encode_base_message(message, with_fingerprint=with_fp)
            )
        return encode_response(0x21)  # command error

    def _send(self, frame: bytes) -> None:
        with self._lock:
            garbage = b"".join(self._faults.garbage)
            self._faults.garbage.clear()
            if self._faults.corrupt_checksums:
                self._faults.corrupt_checksums -= 1
                frame = frame[:-1] + bytes([frame[-1] ^ 0xFF])
        data = garbage + frame
        for start in range(0, len(data), self.chunk_size):
            if self._master is None:
                return
            try:
                os.write(self._master, data[start : start + self.chunk_size])
            except BlockingIOError:
                _log.debug("simulated SAM: nobody reads, answer dropped")
                return
