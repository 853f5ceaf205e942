"""A simulated receipt printer: keeps every job it is sent, and runs out of paper or is
unplugged when a test or the demo says so.

It takes the same bytes a real printer would (``drivers.printer.codec``) and can write
them to a file, so ``xxd`` or ``drivers.printer.parse`` shows a technician exactly what a
real printer would have printed. The production config refuses it.
"""

from __future__ import annotations

import threading
from pathlib import Path

from drivers.printer.errors import PrinterNoPaper, PrinterUnavailable
from drivers.printer.parse import Transcript, parse_job


class SimulatedPrinter:
    def __init__(self, output: Path | None = None) -> None:
        self.output = output
        """Every job is appended to this file as well, when set."""
        self.jobs: list[bytes] = []
        self._lock = threading.Lock()
        self._fault: str | None = None

    # -- what a test or the demo does to it ------------------------------------------------
    def run_out_of_paper(self) -> None:
        with self._lock:
            self._fault = "paper"

    def unplug(self) -> None:
        with self._lock:
            self._fault = "unplugged"

    def restore(self) -> None:
        """A new roll is in, the cable is back."""
        with self._lock:
            self._fault = None

    def transcripts(self) -> list[Transcript]:
        """What each job printed, read back from its bytes."""
        with self._lock:
            jobs = list(self.jobs)
        return [parse_job(job) for job in jobs]

    # -- the printer -------------------------------------------------------------------------
    def print_job(self, data: bytes) -> None:
        with self._lock:
            if self._fault == "paper":
                raise PrinterNoPaper("the simulated printer is out of paper")
            if self._fault == "unplugged":
                raise PrinterUnavailable("the simulated printer is unplugged")
            self.jobs.append(bytes(data))
            if self.output is not None:
                with self.output.open("ab") as out:
                    out.write(data)
