"""A receipt printer behind a device file: the kernel's USB printer class driver (``usblp``,
``/dev/usb/lp0``; the udev rule names it ``/dev/bdmi/printer0``), or any character device
or file that takes the job's bytes.

Each job opens the device, asks for the printer's status, writes the job and closes it:
holding it open across sessions would keep a stale file descriptor after an unplug, and
opening costs microseconds. The write is non-blocking with a deadline, because ``usblp``
blocks a writer for as long as the printer does not take data (offline, out of paper
without ``LPABORT``): the kiosk would wait forever for a receipt nobody will get.

``usblp`` answers ``LPGETSTATUS`` with the IEEE 1284 status byte; the paper-empty bit is the
one thermal printers set reliably (the "selected" and "error" bits differ between models,
so they are not trusted to refuse a job). ``LPABORT`` makes ``usblp`` fail a write with
``ENOSPC`` when the paper runs out mid-job, instead of waiting for a new roll.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import select
import struct
import time
from pathlib import Path

from drivers.printer.errors import PrinterNoPaper, PrinterTimeout, PrinterUnavailable

log = logging.getLogger(__name__)

LPABORT = 0x0604
LPGETSTATUS = 0x060B
LP_POUTPA = 0x20
"""Paper empty, in the status byte of ``LPGETSTATUS`` (linux/lp.h)."""
UNPLUGGED = frozenset({errno.ENOENT, errno.ENODEV, errno.ENXIO, errno.EIO, errno.ESHUTDOWN})
CHUNK = 4096


def paper_out(status: int) -> bool:
    """Whether an IEEE 1284 status byte says the paper is out."""
    return bool(status & LP_POUTPA)


class DevicePrinter:
    """``print_job`` to the device file at ``path``; ``timeout_s`` bounds one job."""

    def __init__(self, path: str | Path, *, timeout_s: float = 10.0) -> None:
        self.path = Path(path)
        self.timeout_s = timeout_s

    def print_job(self, data: bytes) -> None:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as exc:
            reason = os.strerror(exc.errno or 0)
            raise PrinterUnavailable(f"cannot open {self.path}: {reason}") from exc
        try:
            self._check_status(fd)
            self._write(fd, data)
        finally:
            os.close(fd)
        log.info("receipt job sent", extra={"device": str(self.path), "bytes": len(data)})

    def _check_status(self, fd: int) -> None:
        status = _lp_status(fd)
        if status is not None and paper_out(status):
            raise PrinterNoPaper(f"{self.path} reports its paper out (status 0x{status:02x})")
        if status is not None:
            # Fail a write with ENOSPC when the roll runs out mid-job, rather than wait.
            with contextlib.suppress(OSError):
                fcntl.ioctl(fd, LPABORT, 1)

    def _write(self, fd: int, data: bytes) -> None:
        deadline = time.monotonic() + self.timeout_s
        view = memoryview(data)
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        while view:
            try:
                written = os.write(fd, view[:CHUNK])
            except BlockingIOError:
                written = 0
            except OSError as exc:
                raise self._write_error(exc) from exc
            view = view[written:]
            if not view:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                status = _lp_status(fd)
                if status is not None and paper_out(status):
                    raise PrinterNoPaper(f"{self.path}: paper ran out (status 0x{status:02x})")
                raise PrinterTimeout(
                    f"{self.path} took {len(data) - len(view)} of {len(data)} bytes "
                    f"in {self.timeout_s:g} s"
                )
            for _fd, events in poller.poll(left * 1000):
                if events & (select.POLLERR | select.POLLHUP | select.POLLNVAL):
                    raise PrinterUnavailable(f"{self.path} went away during the job")

    def _write_error(self, exc: OSError) -> Exception:
        if exc.errno == errno.ENOSPC:
            return PrinterNoPaper(f"{self.path}: paper ran out during the job")
        if exc.errno in UNPLUGGED or exc.errno == errno.EPIPE:
            return PrinterUnavailable(f"{self.path}: {os.strerror(exc.errno or 0)}")
        return PrinterUnavailable(f"{self.path}: write failed: {os.strerror(exc.errno or 0)}")


def _lp_status(fd: int) -> int | None:
    try:
        raw = fcntl.ioctl(fd, LPGETSTATUS, struct.pack("i", 0))
    except OSError:  # ENOTTY, EINVAL: not a usblp device (a FIFO, a file, a tty)
        return None
    return struct.unpack("i", raw)[0] & 0xFF
