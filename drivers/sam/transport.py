"""The serial line to a SAM reader (pyserial), kept apart from the frame codec.

A USB-serial SAM reader can be unplugged at any moment; pyserial then raises
``SerialException`` or ``OSError`` (EIO) on the next read or write. This module turns both
into :class:`drivers.errors.ReaderUnavailable`, closes the dead handle, and opens the port
afresh (re-resolving ``"auto"``) on the next :meth:`SerialTransport.open`, so a replugged
reader is picked up without restarting the kiosk.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import termios
import time
from collections.abc import Iterable, Sequence

import serial
from serial.tools import list_ports

from drivers.errors import ReaderUnavailable

_log = logging.getLogger(__name__)

AUTO = "auto"
DEFAULT_BAUDRATE = 115200
# The udev rule in systemd/ names the reader /dev/bdmi-sam; generic names come after it.
UDEV_NAMES: tuple[str, ...] = ("/dev/bdmi-sam",)
GENERIC_PATTERNS: tuple[str, ...] = ("/dev/ttyUSB*", "/dev/ttyACM*")
# USB-UART bridges found in serial SAM readers (Prolific, WCH, FTDI, Silicon Labs): a port
# behind one of these is tried before other USB serial ports.
KNOWN_BRIDGES: frozenset[tuple[int, int]] = frozenset(
    {(0x067B, 0x2303), (0x1A86, 0x7523), (0x0403, 0x6001), (0x10C4, 0xEA60)}
)

# What a vanished device raises from pyserial: SerialException, OSError (EIO) from ioctl,
# termios.error (not an OSError) from tcflush/tcsetattr, ValueError on a closed handle.
_PORT_ERRORS = (serial.SerialException, OSError, termios.error, ValueError)

REASON_NO_PORT = "DRV_SAM_NO_PORT"
REASON_PORT_OPEN = "DRV_SAM_PORT_OPEN_FAILED"
REASON_PORT_LOST = "DRV_SAM_PORT_LOST"


def candidate_ports(
    udev_names: Iterable[str] = UDEV_NAMES, patterns: Iterable[str] = GENERIC_PATTERNS
) -> list[str]:
    """Serial ports that may hold a SAM reader, most likely first: udev names, then
    ports behind known USB-UART bridges, then other USB serial ports."""
    ordered: list[str] = [name for name in udev_names if os.path.exists(name)]
    infos = sorted(list_ports.comports(), key=lambda info: info.device)
    known = [i.device for i in infos if (i.vid, i.pid) in KNOWN_BRIDGES]
    usb = [i.device for i in infos if i.vid is not None]
    globbed = sorted(path for pattern in patterns for path in glob.glob(pattern))
    for device in (*known, *usb, *globbed):
        # udev symlinks and the device they point to are the same reader: list it once
        if device not in ordered and os.path.realpath(device) not in map(os.path.realpath, ordered):
            ordered.append(device)
    return ordered


def resolve_port(port: str, candidates: Sequence[str] | None = None) -> str:
    """``port`` itself, or for ``"auto"`` the most likely candidate."""
    if port != AUTO:
        return port
    found = list(candidates) if candidates is not None else candidate_ports()
    if not found:
        raise ReaderUnavailable("no serial port found for the SAM reader", reason=REASON_NO_PORT)
    return found[0]


class SerialTransport:
    """Bytes in and out of one serial port, 8N1, with deadline-based reads."""

    def __init__(self, port: str = AUTO, *, baudrate: int = DEFAULT_BAUDRATE) -> None:
        self.port = port
        self.baudrate = baudrate
        self._serial: serial.Serial | None = None
        self.device: str | None = None  # the path actually opened

    @property
    def is_open(self) -> bool:
        return self._serial is not None

    def open(self) -> None:
        if self._serial is not None:
            return
        device = resolve_port(self.port)
        try:
            self._serial = serial.Serial(
                device,
                self.baudrate,
                bytesize=serial.EIGHTBITS,
                parity=serial.PARITY_NONE,
                stopbits=serial.STOPBITS_ONE,
                timeout=0,
                write_timeout=2.0,
                exclusive=True,  # a second process on the same reader would interleave frames
            )
        except _PORT_ERRORS as exc:
            raise ReaderUnavailable(
                f"cannot open {device}: {exc}", reason=REASON_PORT_OPEN
            ) from exc
        self.device = device
        _log.info("SAM port %s open at %d 8N1", device, self.baudrate)

    def close(self) -> None:
        handle, self._serial = self._serial, None
        if handle is not None:
            # closing a port whose device is gone: nothing is left to release
            with contextlib.suppress(*_PORT_ERRORS):
                handle.close()

    def discard_input(self) -> None:
        """Drop bytes left from an earlier exchange (a late answer would be mistaken for
        the answer to the next command)."""
        handle = self._require()
        try:
            handle.reset_input_buffer()
        except _PORT_ERRORS as exc:
            raise self._lost(exc) from exc

    def write(self, data: bytes) -> None:
        handle = self._require()
        try:
            handle.write(data)
            handle.flush()
        except _PORT_ERRORS as exc:
            raise self._lost(exc) from exc

    def read(self, deadline: float) -> bytes:
        """Whatever arrives before ``deadline`` (``time.monotonic()``): returns as soon as
        at least one byte is there, ``b""`` at the deadline."""
        handle = self._require()
        try:
            handle.timeout = max(0.0, deadline - time.monotonic())
            data = handle.read(1)
            if data:
                waiting = handle.in_waiting
                if waiting:
                    handle.timeout = 0
                    data += handle.read(waiting)
            return bytes(data)
        except _PORT_ERRORS as exc:
            raise self._lost(exc) from exc

    def _require(self) -> serial.Serial:
        if self._serial is None:
            raise ReaderUnavailable("SAM port is not open", reason=REASON_PORT_LOST)
        return self._serial

    def _lost(self, exc: BaseException) -> ReaderUnavailable:
        _log.warning("SAM port %s lost: %s", self.device, exc)
        self.close()
        return ReaderUnavailable(f"SAM port {self.device} lost: {exc}", reason=REASON_PORT_LOST)
