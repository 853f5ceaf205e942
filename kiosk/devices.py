"""Builds the configured devices, real or simulated, behind the driver interfaces.

The one place where configuration meets concrete drivers: flows, the UI and ``kioskctl``
ask for "the ID-card reader" and get a ``DocumentReader``, whether it is a SAM on a serial
port or the simulator on a pty. Simulators run the same driver code as production over a
real transport (a pty, pcscd through vpcd); they exist for the demo and the tests, and the
production config refuses them.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from drivers.camera.base import Camera
from drivers.document import DocumentReader
from drivers.emrtd.reader import PcscPassportReader
from drivers.errors import ReaderUnavailable
from drivers.printer.errors import ReceiptPrinter
from drivers.sam.reader import SamIdCardReader
from kiosk.config import KioskConfig

ReaderKind = Literal["sam", "pcsc"]
SIMULATED_PCSC_READER = "Virtual PCD"


@dataclass
class OpenedReader:
    reader: DocumentReader
    simulated: bool
    access_mrz: str | None = None
    """For a simulated passport: the MRZ information of the specimen it carries."""
    simulator: object | None = None
    """The simulator behind a simulated reader (tests insert and pull cards through it)."""


@contextlib.contextmanager
def document_reader(config: KioskConfig, kind: ReaderKind) -> Iterator[OpenedReader]:
    """The configured reader of ``kind``, opened; closed (and its simulator stopped) after."""
    if kind == "sam":
        sam = config.readers.sam
        if sam is None:
            raise ReaderUnavailable("no [readers.sam] in the config", reason="DRV_NOT_CONFIGURED")
        if sam.kind == "simulated":
            with _simulated_sam() as opened:
                yield opened
            return
        reader = SamIdCardReader(sam.port, baudrate=sam.baudrate)
        with _opened(reader):
            yield OpenedReader(reader, simulated=False)
        return
    pcsc = config.readers.pcsc
    if pcsc is None:
        raise ReaderUnavailable("no [readers.pcsc] in the config", reason="DRV_NOT_CONFIGURED")
    if pcsc.kind == "simulated":
        with _simulated_passport(
            pcsc.simulated_vpcd_port, pcsc.csca_dir, clone=pcsc.simulated_chip == "clone"
        ) as opened:
            yield opened
        return
    reader = PcscPassportReader(pcsc.reader or None, csca_dir=pcsc.csca_dir)
    with _opened(reader):
        yield OpenedReader(reader, simulated=False)


@contextlib.contextmanager
def _opened(reader: DocumentReader) -> Iterator[None]:
    reader.open()
    try:
        yield
    finally:
        reader.close()


@contextlib.contextmanager
def _simulated_sam() -> Iterator[OpenedReader]:
    from drivers.simulators.sam_reader import SAMPLE_IDENTITIES, SimulatedSamReader

    with SimulatedSamReader() as simulator:
        simulator.insert_card(SAMPLE_IDENTITIES[0])
        reader = SamIdCardReader(simulator.port)
        with _opened(reader):
            yield OpenedReader(reader, simulated=True, simulator=simulator)


@contextlib.contextmanager
def _simulated_passport(
    vpcd_port: int, csca_dir: Path | None, *, clone: bool = False
) -> Iterator[OpenedReader]:
    """The specimen passport on pcscd's vpcd reader. Needs a running pcscd with the vpcd
    driver (Debian: pcscd + vsmartcard-vpcd); its CSCA is trusted in a temporary directory
    unless a CSCA directory is configured. The specimen has DG15 and its chip the Active
    Authentication key; ``clone`` puts a copy of its data on a chip without that key."""
    from drivers.simulators.test_passport import generate_test_passport
    from drivers.simulators.vicc import VirtualICC

    passport = generate_test_passport(0, with_dg15=True)
    with tempfile.TemporaryDirectory(prefix="bdmi-specimen-csca-") as tmp:
        trust_dir = csca_dir or Path(tmp)
        if csca_dir is None:
            passport.write_csca(trust_dir)
        chip = passport.chip()
        card = VirtualICC(chip.clone() if clone else chip, vpcd_port)
        try:
            try:
                card.insert(timeout=3.0)
            except OSError as exc:
                raise ReaderUnavailable(
                    f"cannot reach pcscd's vpcd driver on port {vpcd_port} ({exc}): "
                    "is pcscd running with vsmartcard-vpcd installed?",
                    reason="DRV_SIMULATOR_UNAVAILABLE",
                ) from exc
            reader = PcscPassportReader(SIMULATED_PCSC_READER, csca_dir=trust_dir)
            with _opened(reader):
                if not reader.wait_for_card(10.0):
                    raise ReaderUnavailable(
                        "the simulated passport did not appear in pcscd",
                        reason="DRV_SIMULATOR_UNAVAILABLE",
                    )
                yield OpenedReader(
                    reader, simulated=True, access_mrz=passport.mrz_information, simulator=card
                )
        finally:
            card.stop()


@dataclass
class OpenedCamera:
    camera: Camera
    simulated: bool
    """A simulated subject: answers liveness prompts through ``perform`` (demo and tests)."""


@contextlib.contextmanager
def camera(config: KioskConfig) -> Iterator[OpenedCamera]:
    """The configured camera, opened; closed after. A V4L2 device, a video file played in a
    loop, a stream URL, or (demo only) the simulated subject."""
    settings = config.camera
    if settings.kind == "simulated_subject":
        from drivers.simulators.face_subject import SimulatedSubject

        subject = SimulatedSubject(
            width=settings.width, height=settings.height, fps=float(settings.fps)
        )
        with subject:
            yield OpenedCamera(subject, simulated=True)
        return
    from drivers.camera.opencv_camera import OpenCvCamera

    device = OpenCvCamera(
        settings.source,
        kind=settings.kind,
        width=settings.width,
        height=settings.height,
        fps=float(settings.fps),
        rotation=settings.rotation,
        crop=settings.crop,
    )
    with device:
        yield OpenedCamera(device, simulated=False)


@dataclass
class OpenedPrinter:
    printer: ReceiptPrinter
    simulated: bool
    paper_mm: int


def receipt_printer(config: KioskConfig) -> OpenedPrinter | None:
    """The configured receipt printer, or ``None`` (``printer.kind = "none"``). Nothing is
    opened here: the device is opened for each job, so an unplugged printer at start-up is
    no error, only the receipt printed while it is away."""
    settings = config.printer
    if settings.kind == "none":
        return None
    if settings.kind == "simulated":
        from drivers.simulators.receipt_printer import SimulatedPrinter

        output = settings.simulated_output or config.device.state_dir / "printer.bin"
        return OpenedPrinter(SimulatedPrinter(output), True, settings.paper_mm)
    from drivers.printer.device import DevicePrinter

    device = DevicePrinter(settings.device, timeout_s=settings.timeout_s)
    return OpenedPrinter(device, False, settings.paper_mm)
