"""``kioskctl provision`` from a blank device to a registered device that syncs, against the
real site: Mosquitto with mTLS, ``bdmi-gateway run`` with registration on, the IdvRegistry on
neo-go. Then a second run changes nothing, and each failure leaves the device re-runnable."""

from __future__ import annotations

import asyncio
import json
import tomllib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from neo3.api.wrappers import ChainFacade

from edge_sync.gateway.chain import IdvRegistryClient
from edge_sync.protocol.device_cert import build_csr, sign_csr
from kiosk.config import load_config
from kiosk.security.identity import keyring_from_config
from tests.harness.pki import create_test_pki
from tests.harness.ports import free_port
from tests.provisioning.conftest import TECHNICIAN, Device, kioskctl
from tests.sync.rig import SITE, Kiosk, wait_for

pytestmark = pytest.mark.services


def _report(result) -> dict:
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def _on_chain(chain, device_id: str):
    client = IdvRegistryClient(ChainFacade(rpc_host=chain.rpc_url), chain.contract_hash, None)
    return asyncio.run(client.get_device(device_id))


def _audit_actions(config_path) -> list[tuple[str, str, str]]:
    from kiosk.store.database import open_from_config

    db = open_from_config(load_config(config_path))
    try:
        rows = db.execute_sql(
            "SELECT action, actor_kind, actor_id FROM audit_entry ORDER BY seq"
        ).fetchall()
    finally:
        db.close()
    return [tuple(r) for r in rows]


def test_a_blank_device_is_provisioned_registered_and_syncs(
    device, broker_address, site_gateway, chain
):
    first = device.provision(broker_address, *device.site_ca)
    assert first.returncode == 0, first.stderr
    report = _report(first)
    assert report["ok"] and report["site"] == SITE
    assert [s["status"] for s in report["steps"]] == ["done"] * 7
    assert "[6/7] registering with the gateway ... ok" in first.stderr
    device_id = report["device_id"]

    # The config: merged (the technician's comment and key survive) and valid.
    text = device.config.read_text()
    assert "# the ward asked for longer" in text and "inactivity_timeout_s = 90" in text
    merged = tomllib.loads(text)
    assert merged["device"]["site"] == SITE and merged["device"]["mode"] == "production"
    host, port = broker_address.split(":")
    assert (merged["sync"]["broker_host"], merged["sync"]["broker_port"]) == (host, int(port))
    checked = kioskctl("config", "check", str(device.config))
    assert checked.returncode == 0, checked.stderr
    config = load_config(device.config)
    for secret in (
        config.sync.key_file,
        config.store.key_file,
        config.security.site_key_file,
        config.machine_secret_path,
    ):
        assert secret.stat().st_mode & 0o077 == 0, secret

    # The certificate: CN = device id, the site in the SAN, issued by the site CA.
    cert = x509.load_pem_x509_certificate(config.sync.cert_file.read_bytes())
    assert cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == device_id
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == [
        f"urn:bdmi:{SITE}:{device_id}"
    ]

    # Registered at the gateway and on chain, with the device's key.
    listed = json.loads(site_gateway.run("device", "list").stdout)
    assert [d for d in listed if d["device_id"] == device_id] == [
        {"device_id": device_id, "site": SITE, "revoked": False, "keys": [device_id], "results": 0}
    ]
    info = _on_chain(chain, device_id)
    key = keyring_from_config(config).active()
    assert info is not None and info.active and info.site == SITE
    assert bytes(info.public_key) == key.public_key
    assert _audit_actions(device.config) == [("device_provisioned", "technician", TECHNICIAN)]

    # A second run, even without the CA key: every step already done, nothing changed.
    before = device.files()
    second = device.provision(broker_address)
    assert second.returncode == 0, second.stderr
    assert [s["status"] for s in _report(second)["steps"]] == ["already done"] * 7
    assert device.files() == before

    # A result recorded by the kiosk syncs and is anchored.
    kiosk = Kiosk(device.config, config, key, device.home / "bdmi-sync.log")
    kiosk.record(kiosk.results(3))
    kiosk.start_sync()
    try:
        wait_for(lambda: kiosk.states()["anchored"] == 3, 120, "3 results anchored")
    finally:
        kiosk.stop_sync()
    assert any(
        d["device_id"] == device_id and d["results"] == 3
        for d in json.loads(site_gateway.run("device", "list").stdout)
    )

    # Everything synced: deprovisioning needs no --force, and leaves a blank device.
    wiped = kioskctl(
        "deprovision", "--config", str(device.config), "--yes", "--technician", TECHNICIAN, "--json"
    )
    assert wiped.returncode == 0, wiped.stderr
    assert not config.keyring_dir.exists() and not config.database_path.exists()


def _csr_of(device: Device) -> x509.CertificateSigningRequest:
    """Where step 2 says it wrote the CSR (next to the TLS key; the config comes at step 5)."""
    path = device.state / "secrets" / "device-tls.csr"
    return x509.load_pem_x509_csr(path.read_bytes())


def _write_cert(path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _ca(pair) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert = x509.load_pem_x509_certificate(pair.cert.read_bytes())
    key = serialization.load_pem_private_key(pair.key.read_bytes(), password=None)
    return cert, key  # type: ignore[return-value]


def test_an_imported_certificate_must_fit_the_key_and_the_site_ca(
    device, broker_address, test_pki, tmp_path, chain
):
    ca_file = ["--ca-file", str(device.usb / "ca.pem")]
    # No certificate source yet: the CSR is written for the site's PKI, step 3 says why.
    first = device.provision(broker_address, *ca_file)
    assert first.returncode == 1
    assert _report(first)["reason"] == "PROV_CERT_MISSING"
    assert [s["status"] for s in _report(first)["steps"]] == ["done", "done", "failed"]
    csr = _csr_of(device)
    device_id = _report(first)["device_id"]

    # Issued by another CA for this very CSR: refused, nothing installed.
    other = create_test_pki(tmp_path / "other-pki")
    foreign = tmp_path / "foreign.pem"
    _write_cert(foreign, sign_csr(csr, *_ca(other.ca), days=30))
    refused = device.provision(broker_address, *ca_file, "--import-cert", str(foreign))
    assert refused.returncode == 1
    assert _report(refused)["reason"] == "PROV_CERT_UNTRUSTED"
    assert not (device.state / "tls" / "device.pem").exists()

    # Issued by the right CA, for the same device and site, but for another key: refused.
    stranger = ec.generate_private_key(ec.SECP256R1())
    wrong_key = tmp_path / "wrong-key.pem"
    _write_cert(
        wrong_key, sign_csr(build_csr(stranger, device_id, SITE), *_ca(test_pki.ca), days=30)
    )
    mismatch = device.provision(broker_address, *ca_file, "--import-cert", str(wrong_key))
    assert mismatch.returncode == 1
    assert _report(mismatch)["reason"] == "PROV_CERT_KEY_MISMATCH"

    # The right one: the same device (key kept) goes all the way.
    good = tmp_path / "good.pem"
    _write_cert(good, sign_csr(csr, *_ca(test_pki.ca), days=30))
    done = device.provision(broker_address, *ca_file, "--import-cert", str(good))
    assert done.returncode == 0, done.stderr
    report = _report(done)
    assert report["device_id"] == device_id
    assert [s["status"] for s in report["steps"]][:2] == ["already done", "already done"]
    assert _on_chain(chain, device_id).active


def test_an_unreachable_gateway_fails_with_its_reason_and_the_run_can_be_repeated(
    device, broker_address, mosquitto_factory, chain
):
    # Nothing listens on this port.
    nobody = device.provision(f"127.0.0.1:{free_port()}", *device.site_ca, timeout_s=5)
    assert nobody.returncode == 1
    assert _report(nobody)["reason"] == "PROV_BROKER_UNREACHABLE"
    # A broker, but no gateway behind it: the request goes unanswered.
    lonely = mosquitto_factory()
    silent = device.provision(f"{lonely.host}:{lonely.port}", timeout_s=3)
    assert silent.returncode == 1
    report = _report(silent)
    assert report["reason"] == "PROV_GATEWAY_TIMEOUT"
    assert report["steps"][-1]["step"] == "registering with the gateway"
    assert "waiting for the gateway" in silent.stderr
    assert not _on_chain(chain, report["device_id"])

    # The site's broker: the same device finishes, its key and certificate kept.
    done = device.provision(broker_address)
    assert done.returncode == 0, done.stderr
    statuses = [s["status"] for s in _report(done)["steps"]]
    assert statuses[:4] == ["already done"] * 4 and statuses[5] == "done"
    assert _report(done)["device_id"] == report["device_id"]
    assert _on_chain(chain, report["device_id"]).active


def test_usage_errors_exit_2_and_change_nothing(device):
    before = device.files()
    no_technician = kioskctl("provision", "--config", str(device.config), "--site", SITE)
    assert no_technician.returncode == 2 and "PROV_USAGE" in no_technician.stderr
    both = device.provision("127.0.0.1:1", *device.site_ca, "--import-cert", "x.pem")
    assert both.returncode == 2 and "PROV_USAGE" in both.stderr
    no_broker = kioskctl(
        "provision", "--config", str(device.config), "--site", SITE, "--technician", TECHNICIAN
    )
    assert no_broker.returncode == 2 and "PROV_USAGE" in no_broker.stderr
    assert device.files() == before


def test_the_first_boot_prompt_asks_for_every_answer_on_a_terminal(device, broker_address):
    """``bdmi-firstboot`` runs ``kioskctl provision --config FILE`` on tty1 and nothing else."""
    import os
    import pty
    import subprocess

    from tests.sync.rig import BIN

    controller, terminal = pty.openpty()
    answers = [TECHNICIAN, str(device.usb / "ca.pem"), str(device.usb / "ca.key"), SITE,
               broker_address, str(device.usb / "site.key")]  # fmt: skip
    os.write(controller, ("\n".join(answers) + "\n").encode())
    process = subprocess.run(
        [str(BIN / "kioskctl"), "provision", "--config", str(device.config), "--json"],
        stdin=terminal, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    os.close(terminal)
    os.close(controller)
    assert process.returncode == 0, process.stderr
    assert "your technician id: " in process.stderr and "site id" in process.stderr
    assert json.loads(process.stdout)["ok"]
