"""``kioskctl doc read`` end to end: the CLI process reads through the real transports
(a pty for the simulated SAM reader, the real pcscd for the emulated passport)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.simulators.sam_reader import SAMPLE_IDENTITIES
from drivers.simulators.test_passport import generate_test_passport

KIOSKCTL = Path(sys.executable).parent / "kioskctl"


def doc_read(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KIOSKCTL, "doc", "read", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_sam_read_masks_personal_data_unless_asked(demo_config_file):
    result = doc_read("--config", str(demo_config_file), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["doc_type"] == "cn_resident_id"
    assert report["portrait_format"] == "wlt" and report["portrait_bytes"] == 1024
    sample = SAMPLE_IDENTITIES[0].text
    assert sample.name not in result.stdout and sample.id_number not in result.stdout
    assert "reading the document" in result.stderr  # progress on stderr

    shown = doc_read("--config", str(demo_config_file), "--json", "--show-personal-data")
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    assert report["name"] == sample.name and report["document_number"] == sample.id_number


def passport_config(demo_config_file: Path, vpcd_port: int) -> Path:
    text = demo_config_file.read_text(encoding="utf-8")
    text = text.replace(
        '[readers.pcsc]\nkind = "simulated"',
        f'[readers.pcsc]\nkind = "simulated"\nsimulated_vpcd_port = {vpcd_port}',
    )
    demo_config_file.write_text(text, encoding="utf-8")
    return demo_config_file


@pytest.mark.services
def test_emulated_passport_read_through_pcscd(pcscd_vpcd, demo_config_file):
    config = passport_config(demo_config_file, pcscd_vpcd.vpcd_port)
    env = {"PCSCLITE_CSOCK_NAME": str(pcscd_vpcd.socket_path)}
    result = doc_read("--config", str(config), "--reader", "pcsc", "--json", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["doc_type"] == "icao_td3"
    assert report["chip_authentication"] == "passed"
    assert report["portrait_format"] == "jpeg" and report["portrait_bytes"] > 1000
    assert report["apdus"] >= 11
    assert generate_test_passport(0).document_number not in result.stdout


@pytest.mark.services
def test_wrong_mrz_is_refused_by_the_chip(pcscd_vpcd, demo_config_file):
    config = passport_config(demo_config_file, pcscd_vpcd.vpcd_port)
    env = {"PCSCLITE_CSOCK_NAME": str(pcscd_vpcd.socket_path)}
    specimen = (  # a valid MRZ, but not the emulated passport's
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
    )
    result = doc_read(
        "--config", str(config), "--reader", "pcsc", "--mrz", specimen, "--json", env=env
    )
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"]["reason"] == "DRV_EMRTD_BAC_DENIED"


def test_unreachable_pcscd_is_a_clear_error(demo_config_file):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = passport_config(demo_config_file, port)
    result = doc_read("--config", str(config), "--reader", "pcsc", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"]["reason"] == "DRV_SIMULATOR_UNAVAILABLE"


@pytest.mark.services
def test_failed_passive_authentication_is_not_ok_and_names_its_reasons(
    pcscd_vpcd, demo_config_file, tmp_path
):
    """A CSCA of the same name but another key is trusted: the DS certificate does not
    chain. The report said ``ok: True`` with exit 1 and no reason code."""
    impostor_csca = tmp_path / "csca"
    generate_test_passport(1).write_csca(impostor_csca)
    config = passport_config(demo_config_file, pcscd_vpcd.vpcd_port)
    text = config.read_text(encoding="utf-8").replace(
        '[readers.pcsc]\nkind = "simulated"',
        f'[readers.pcsc]\nkind = "simulated"\ncsca_dir = "{impostor_csca}"',
    )
    config.write_text(text, encoding="utf-8")
    env = {"PCSCLITE_CSOCK_NAME": str(pcscd_vpcd.socket_path)}
    result = doc_read("--config", str(config), "--reader", "pcsc", "--json", env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["chip_authentication"] == "failed"
    assert "DRV_PA_CHAIN_SIGNATURE" in report["passive_authentication_reasons"]
    plain = doc_read("--config", str(config), "--reader", "pcsc", env=env)
    assert "ok: False" in plain.stdout
    assert "passive_authentication_reasons: DRV_PA_CHAIN_SIGNATURE" in plain.stdout


@pytest.mark.services
@pytest.mark.parametrize("chip", ["genuine", "clone"])
def test_active_authentication_of_the_specimen_and_its_clone(pcscd_vpcd, demo_config_file, chip):
    config = passport_config(demo_config_file, pcscd_vpcd.vpcd_port)
    text = config.read_text(encoding="utf-8").replace(
        '[readers.pcsc]\nkind = "simulated"',
        f'[readers.pcsc]\nkind = "simulated"\nsimulated_chip = "{chip}"',
    )
    config.write_text(text, encoding="utf-8")
    env = {"PCSCLITE_CSOCK_NAME": str(pcscd_vpcd.socket_path)}
    result = doc_read("--config", str(config), "--reader", "pcsc", "--json", env=env)
    report = json.loads(result.stdout)
    if chip == "genuine":
        assert result.returncode == 0, result.stdout + result.stderr
        assert report["ok"] is True and report["active_authentication"] == "passed"
        assert report["active_authentication_algorithm"].startswith("ecdsa_plain_sha256")
    else:
        assert result.returncode == 1
        assert report["ok"] is False
        assert report["error"]["reason"] == "DRV_EMRTD_CLONE_SUSPECTED"
