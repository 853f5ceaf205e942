"""The demo devices as the self-test meets them on a real kiosk, each on a real transport:
the SAM reader simulator on a pty (configured as a serial reader on that port), the specimen
passport on the harness's pcscd through vpcd (configured as a PC/SC reader), a video file
as the camera, the harness's Mosquitto with mTLS, and a real encrypted store with a device
keyring. Tests unplug one part and see the report name it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pytest

from drivers.simulators.emrtd_chip import EmrtdChip
from drivers.simulators.sam_reader import SimulatedSamReader
from drivers.simulators.test_passport import generate_test_passport
from drivers.simulators.vicc import VirtualICC
from kiosk.config import KioskConfig, load_config
from kiosk.security.identity import ensure_demo_identity
from kiosk.store.database import open_from_config
from tests.harness.mosquitto import MosquittoBroker
from tests.harness.pki import CertPair

SITE = "ops-test-site"


def write_clip(path: Path, *, level: int = 120, frames: int = 30, fps: float = 15.0) -> Path:
    """A well-exposed MJPG clip: mid-grey noise around ``level``, no clipped pixels."""
    rng = np.random.default_rng(7)
    partial = path.with_name(path.name + ".partial.avi")
    writer = cv2.VideoWriter(str(partial), cv2.VideoWriter.fourcc(*"MJPG"), fps, (320, 240))
    assert writer.isOpened(), "OpenCV cannot write MJPG/AVI here"
    for _ in range(frames):
        noise = rng.integers(level - 40, level + 40, size=(240, 320, 3), dtype=np.int16)
        writer.write(noise.clip(0, 255).astype(np.uint8))
    writer.release()
    partial.rename(path)
    return path


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("ops-camera") / "room.avi")


@dataclass
class Rig:
    """One kiosk's config pieces; ``config()`` writes the TOML and loads it."""

    home: Path
    camera: str
    sam_port: str | None = None
    pcsc_reader: str | None = None
    csca_dir: Path | None = None
    broker: MosquittoBroker | None = None
    broker_port: int | None = None
    ca_file: Path | None = None
    health: dict[str, object] = field(default_factory=dict)
    store: dict[str, object] = field(default_factory=dict)
    device_cert: CertPair | None = None
    """The device's own TLS identity (CN = device id, as provisioning issues it), made by
    ``config()`` once the device id exists: the broker's ACL confines a device to its topics."""

    @property
    def path(self) -> Path:
        return self.home / "kiosk.toml"

    def toml(self) -> str:
        lines = [
            "[device]",
            f'site = "{SITE}"',
            'mode = "demo"',
            f'state_dir = "{self.home / "state"}"',
            "[logging]",
            'format = "kv"',
            "[camera]",
            'kind = "file"',
            f'source = "{self.camera}"',
        ]
        if self.sam_port is not None:
            lines += ["[readers.sam]", 'kind = "serial"', f'port = "{self.sam_port}"']
        if self.pcsc_reader is not None:
            lines += ["[readers.pcsc]", 'kind = "pcsc"', f'reader = "{self.pcsc_reader}"']
            if self.csca_dir is not None:
                lines.append(f'csca_dir = "{self.csca_dir}"')
        if self.broker is None:
            lines += ["[sync]", "enabled = false"]
        else:
            b = self.broker
            lines += [
                "[sync]",
                "enabled = true",
                f'broker_host = "{b.host}"',
                f"broker_port = {self.broker_port or b.port}",
                f'ca_file = "{self.ca_file or b.ca_cert}"',
                f'cert_file = "{self.device_cert.cert if self.device_cert else b.client_cert}"',
                f'key_file = "{self.device_cert.key if self.device_cert else b.client_key}"',
            ]
        if self.store:
            lines.append("[store]")
            lines += [f"{k} = {_toml(v)}" for k, v in self.store.items()]
        health = {"cert_warn_days": 7, "mqtt_timeout_s": 5.0, **self.health}
        lines.append("[health]")
        lines += [f"{k} = {_toml(v)}" for k, v in health.items()]
        return "\n".join(lines) + "\n"

    def config(self) -> KioskConfig:
        self.path.write_text(self.toml(), encoding="utf-8")
        config = load_config(self.path)
        key = ensure_demo_identity(config)
        if self.broker is not None and self.device_cert is None:
            self.device_cert = self.broker.identity(key.device_id)
            self.path.write_text(self.toml(), encoding="utf-8")
            config = load_config(self.path)
        open_from_config(config, create=True).close()
        return config


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | Path):
        return f'"{value}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


@pytest.fixture
def sam() -> Iterator[SimulatedSamReader]:
    """The SAM reader simulator on a pty, a test card on it."""
    with SimulatedSamReader() as simulator:
        simulator.insert_card()
        yield simulator


@dataclass
class Passport:
    card: VirtualICC
    csca_dir: Path
    reader_name: str


@pytest.fixture
def passport(pcscd_vpcd, tmp_path) -> Iterator[Passport]:
    """The specimen passport in the harness pcscd's first vpcd slot."""
    specimen = generate_test_passport(0)
    csca = tmp_path / "csca"
    csca.mkdir()
    specimen.write_csca(csca)
    card = VirtualICC(EmrtdChip(specimen.by_fid, specimen.mrz_information), pcscd_vpcd.vpcd_port)
    card.insert(timeout=5.0)
    try:
        yield Passport(card, csca, pcscd_vpcd.reader_name)
    finally:
        card.stop()


@pytest.fixture
def rig(tmp_path, clip, sam, passport, mosquitto_tls) -> Rig:
    """Every demo device present and the broker up."""
    home = tmp_path / "kiosk"
    home.mkdir()
    return Rig(
        home=home,
        camera=str(clip),
        sam_port=sam.port,
        pcsc_reader=passport.reader_name,
        csca_dir=passport.csca_dir,
        broker=mosquitto_tls,
    )
