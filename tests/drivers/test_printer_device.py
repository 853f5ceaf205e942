"""The device-file transport over real kernel objects: a FIFO read by another thread stands
in for the printer (the kernel's usblp needs a USB printer), a FIFO nobody reads is an
unplugged printer, a full FIFO a printer that stopped taking bytes. The simulated printer's
faults are the ones the UI shows."""

from __future__ import annotations

import os

import pytest

from drivers.printer.codec import Text, encode_receipt
from drivers.printer.device import DevicePrinter, paper_out
from drivers.printer.errors import PrinterNoPaper, PrinterTimeout, PrinterUnavailable
from drivers.printer.parse import parse_job
from drivers.simulators.receipt_printer import SimulatedPrinter


def test_a_job_reaches_the_device(tmp_path):
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)
    printer_side = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # the printer, listening
    try:
        job = encode_receipt([Text("ABCD-1234")])
        DevicePrinter(fifo).print_job(job)  # smaller than the pipe: taken at once
        assert os.read(printer_side, 1 << 16) == job
    finally:
        os.close(printer_side)


def test_a_regular_file_takes_the_job_too(tmp_path):
    target = tmp_path / "spool"
    target.touch()
    DevicePrinter(target).print_job(b"\x1b@x\n")
    assert target.read_bytes() == b"\x1b@x\n"


def test_a_missing_device_is_unavailable(tmp_path):
    with pytest.raises(PrinterUnavailable) as caught:
        DevicePrinter(tmp_path / "nothing").print_job(b"x")
    assert caught.value.reason == "DRV_PRINTER_UNAVAILABLE"


def test_a_device_nobody_listens_on_is_unavailable(tmp_path):
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)  # no reader: opening it for writing without blocking is ENXIO
    with pytest.raises(PrinterUnavailable):
        DevicePrinter(fifo).print_job(b"x")


def test_a_printer_that_stops_taking_bytes_times_out(tmp_path):
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)
    held = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # open, but never read
    try:
        with pytest.raises(PrinterTimeout) as caught:
            DevicePrinter(fifo, timeout_s=0.2).print_job(b"x" * (4 << 20))  # > the pipe
        assert caught.value.reason == "DRV_PRINTER_TIMEOUT"
    finally:
        os.close(held)


@pytest.mark.parametrize("status, out", [(0x18, False), (0x38, True), (0x30, True), (0x00, False)])
def test_the_paper_empty_bit_of_the_status_byte(status, out):
    assert paper_out(status) is out


def test_the_simulated_printer_keeps_jobs_and_fails_on_demand(tmp_path):
    printer = SimulatedPrinter(output=tmp_path / "printed.bin")
    job = encode_receipt([Text("ABCD-1234")])
    printer.print_job(job)
    printer.run_out_of_paper()
    with pytest.raises(PrinterNoPaper) as caught:
        printer.print_job(job)
    assert caught.value.reason == "DRV_PRINTER_NO_PAPER"
    printer.unplug()
    with pytest.raises(PrinterUnavailable):
        printer.print_job(job)
    printer.restore()
    printer.print_job(job)
    assert printer.jobs == [job, job]
    assert (tmp_path / "printed.bin").read_bytes() == job + job
    assert [t.lines[0].text for t in printer.transcripts()] == ["ABCD-1234"] * 2


def test_the_test_print_reaches_the_device_and_names_a_failure(tmp_path, capsys):
    from drivers.printer.__main__ import main

    target = tmp_path / "lp0"
    target.touch()
    assert main([str(target), "--paper", "80"]) == 0
    assert parse_job(target.read_bytes()).qr_codes == ["BDMI-TEST"]
    assert main([str(tmp_path / "gone")]) == 1
    assert "DRV_PRINTER_UNAVAILABLE" in capsys.readouterr().err
