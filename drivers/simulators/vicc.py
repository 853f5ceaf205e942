"""Card side of the vsmartcard ``vpcd`` protocol: a virtual ICC behind a PC/SC reader.

Why: the eMRTD driver must be tested through the real PC/SC stack (pcscd + libpcsclite +
pyscard), not a mock.  vsmartcard's ``vpcd`` is a pcscd reader driver that forwards everything to
a TCP peer; this module is that peer.  It only moves bytes: the ICAO chip emulator plugs in as the
APDU handler later.

Protocol (vsmartcard "Creating a virtual smart card"): every message in both directions is a
2-byte big-endian length followed by the payload.  vpcd sends 1-byte control payloads -- ``0x00``
power off, ``0x01`` power on, ``0x02`` reset (no answer expected), ``0x04`` get ATR (answer: the
ATR) -- and any longer payload is a command APDU that must be answered with a response APDU.
vpcd polls the ATR several times a second to decide whether a card is present, so the handler
thread must always answer promptly; closing the connection is how a card is "removed".
"""

from __future__ import annotations

import contextlib
import enum
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

APDUHandler = Callable[[bytes], bytes]

#: ISO 14443-4 Type A card without historical bytes, as PC/SC readers report it (PC/SC part 3).
DEFAULT_ATR = bytes.fromhex("3B80800101")

#: Answer when the APDU handler raises: "no precise diagnosis".
SW_NO_PRECISE_DIAGNOSIS = bytes.fromhex("6F00")


class PowerEvent(enum.IntEnum):
    """vpcd control codes (1-byte payloads)."""

    OFF = 0x00
    ON = 0x01
    RESET = 0x02
    ATR = 0x04


class VirtualICC:
    """Connects to vpcd's TCP port and serves ``handler`` from a background thread.

    ``insert()`` connects (the reader then reports a present card), ``remove()`` closes the
    connection (the reader reports removal on its next poll), ``stop()`` removes for good.  The
    object can be inserted again after ``remove()``.  Exceptions raised by the handler are
    answered with ``6F00`` and kept in ``errors`` so tests can fail on them.
    """

    def __init__(
        self,
        handler: APDUHandler,
        port: int,
        host: str = "127.0.0.1",
        atr: bytes = DEFAULT_ATR,
        on_power: Callable[[PowerEvent], None] | None = None,
    ) -> None:
        self.handler = handler
        self.host = host
        self.port = port
        self.atr = atr
        self.on_power = on_power
        self.errors: list[BaseException] = []
        self.powered = False
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._connected = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    # Public API ------------------------------------------------------------------------------
    @property
    def inserted(self) -> bool:
        """True while connected to vpcd (the reader sees a card)."""
        return self._connected.is_set()

    def insert(self, timeout: float = 10.0) -> None:
        """Connect to vpcd and start serving; raises ``ConnectionError`` if vpcd is unreachable.

        vpcd accepts one card per slot, so connecting is retried briefly in case the previous
        connection is still being torn down on the reader side.
        """
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping.clear()
            sock = self._connect(timeout)
            self._sock = sock
            self._connected.set()
            self._thread = threading.Thread(
                target=self._serve, args=(sock,), name=f"vicc:{self.port}", daemon=True
            )
            self._thread.start()

    def remove(self, timeout: float = 5.0) -> None:
        """Take the card out of the field: close the connection and wait for the thread."""
        with self._lock:
            self._stopping.set()
            sock = self._sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            thread = self._thread
            if thread is not None:
                thread.join(timeout)
            self._thread = None
            self._sock = None
            self._connected.clear()
            self.powered = False

    def stop(self) -> None:
        """Alias of ``remove()``: the transport holds no other resources."""
        self.remove()

    def __enter__(self) -> VirtualICC:
        self.insert()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()

    # Internals -------------------------------------------------------------------------------
    def _connect(self, timeout: float) -> socket.socket:
        deadline = time.monotonic() + timeout
        last_error: OSError | None = None
        while time.monotonic() < deadline:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=2.0)
            except OSError as exc:
                last_error = exc
                time.sleep(0.05)
                continue
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        raise ConnectionError(
            f"vpcd not reachable on {self.host}:{self.port} within {timeout:.0f} s: {last_error}"
        )

    @staticmethod
    def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
        buf = bytearray()
        while len(buf) < size:
            chunk = sock.recv(size - len(buf))
            if not chunk:
                return None
            buf += chunk
        return bytes(buf)

    @staticmethod
    def _send(sock: socket.socket, payload: bytes) -> None:
        if len(payload) > 0xFFFF:
            raise ValueError("vpcd messages are limited to 65535 bytes")
        sock.sendall(struct.pack(">H", len(payload)) + payload)

    def _serve(self, sock: socket.socket) -> None:
        try:
            while not self._stopping.is_set():
                header = self._recv_exact(sock, 2)
                if header is None:
                    break
                (length,) = struct.unpack(">H", header)
                payload = self._recv_exact(sock, length) if length else b""
                if payload is None:
                    break
                answer = self._dispatch(payload)
                if answer is not None:
                    self._send(sock, answer)
        except OSError as exc:
            if not self._stopping.is_set():
                log.warning("vicc connection to vpcd port %d lost: %s", self.port, exc)
        finally:
            with contextlib.suppress(OSError):
                sock.close()
            self._connected.clear()
            self.powered = False

    def _dispatch(self, payload: bytes) -> bytes | None:
        if len(payload) == 1:
            code = payload[0]
            if code == PowerEvent.ATR:
                return self.atr
            if code in (PowerEvent.OFF, PowerEvent.ON, PowerEvent.RESET):
                event = PowerEvent(code)
                self.powered = event != PowerEvent.OFF
                if self.on_power is not None:
                    try:
                        self.on_power(event)
                    except Exception as exc:
                        self.errors.append(exc)
                        log.exception("vicc power listener failed")
                return None
            log.warning("vicc: unknown vpcd control byte 0x%02x ignored", code)
            return None
        try:
            return self.handler(payload)
        except Exception as exc:
            self.errors.append(exc)
            log.exception("vicc APDU handler failed for %s", payload.hex())
            return SW_NO_PRECISE_DIAGNOSIS
