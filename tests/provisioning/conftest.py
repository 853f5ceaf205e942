"""A site to provision against, built with the product's own commands (tests/sync/rig.py):
the session's neo-go node with an IdvRegistry deployed by ``bdmi-gateway deploy``, the
session's Mosquitto with mutual TLS, and one ``bdmi-gateway run`` with ``[registration]``
enabled, trusting the test CA as the site CA. Each test gets a blank device: a production
config pointing at its own temp dirs, and the technician's USB stick (the site CA and the
site key)."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness.pki import TestPki
from tests.sync.rig import BIN, SITE, Chain, Gateway, deploy_registry, make_gateway, wait_for

TECHNICIAN = "T-042"
BLANK_CONFIG = """\
# The kiosk's config before provisioning: the technician's own choices, which must survive.
[device]
mode = "production"
state_dir = "{state}"

[logging]
format = "kv"

[ui]
inactivity_timeout_s = 90   # the ward asked for longer

[readers.sam]
kind = "serial"
port = "/dev/bdmi/sam0"

[camera]
kind = "v4l2"
source = "/dev/bdmi/camera0"
"""


def kioskctl(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``kioskctl`` as a technician without a terminal would run it (stdin not a tty)."""
    return subprocess.run(
        [str(BIN / "kioskctl"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@dataclass
class Device:
    """A blank device and the material a technician brings."""

    home: Path
    config: Path
    state: Path
    usb: Path

    @property
    def site_ca(self) -> list[str]:
        return [
            "--site-ca-cert",
            str(self.usb / "ca.pem"),
            "--site-ca-key",
            str(self.usb / "ca.key"),
        ]

    def provision(
        self, broker: str, *extra: str, timeout_s: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return kioskctl(
            "provision",
            "--config",
            str(self.config),
            "--site",
            SITE,
            "--broker",
            broker,
            "--site-key",
            str(self.usb / "site.key"),
            "--technician",
            TECHNICIAN,
            "--timeout",
            str(timeout_s),
            "--json",
            *extra,
        )

    def files(self) -> dict[str, bytes]:
        """Every file under the device's home with its content (the config included)."""
        return {
            str(p.relative_to(self.home)): p.read_bytes()
            for p in sorted(self.home.rglob("*"))
            if p.is_file()
        }


@pytest.fixture
def device(tmp_path: Path, test_pki: TestPki) -> Device:
    home = tmp_path / "kiosk"
    state = home / "state"
    usb = tmp_path / "usb"
    usb.mkdir(parents=True)
    home.mkdir()
    shutil.copy(test_pki.ca.cert, usb / "ca.pem")
    shutil.copy(test_pki.ca.key, usb / "ca.key")
    (usb / "site.key").write_text(secrets.token_hex(32) + "\n")
    os.chmod(usb / "site.key", 0o600)
    config = home / "kiosk.toml"
    config.write_text(BLANK_CONFIG.format(state=state), encoding="utf-8")
    return Device(home, config, state, usb)


@pytest.fixture(scope="module")
def chain(_neo_session, tmp_path_factory) -> Chain:
    return deploy_registry(_neo_session, tmp_path_factory.mktemp("chain"))


@pytest.fixture(scope="module")
def site_gateway(chain, _mosquitto_session, test_pki, tmp_path_factory) -> Iterator[Gateway]:
    """``bdmi-gateway run`` with self-registration on, for the whole module."""
    workdir = tmp_path_factory.mktemp("gateway")
    broker = _mosquitto_session
    gateway = make_gateway(
        workdir,
        chain,
        f"sqlite:///{workdir / 'gw.sqlite'}",
        broker.host,
        broker.port,
        test_pki,
        "reg",
    )
    with gateway.config.open("a", encoding="utf-8") as out:
        out.write(f'[registration]\nenabled = true\nca_file = "{test_pki.ca.cert}"\n')
    gateway.start()
    try:
        # Subscribed before any device asks: a request nobody is subscribed to is dropped.
        wait_for(
            lambda: "gateway connected" in gateway.log.read_text(errors="replace"),
            60,
            "the gateway to subscribe",
        )
        yield gateway
    finally:
        gateway.stop()


@pytest.fixture
def broker_address(_mosquitto_session, site_gateway) -> str:
    return f"{_mosquitto_session.host}:{_mosquitto_session.port}"
