"""The gateway's registration checks, each refusal with its reason, on a real gateway
database (SQLite file) and the IdvRegistry on neo-go: a device that skipped its own checks (or
is not a device at all) must be refused by the gateway itself."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from neo3.api.wrappers import ChainFacade

from edge_sync.gateway.chain import IdvRegistryClient
from edge_sync.gateway.cli.common import load_account
from edge_sync.gateway.db import Device, Rejection, open_gateway_db
from edge_sync.gateway.registration import Registrar
from edge_sync.protocol.device_cert import build_csr, sign_csr
from edge_sync.protocol.registration_wire import RegistrationRequest, new_request_id
from kiosk.security.device_key import DeviceKey, Keyring, create_machine_secret
from tests.harness.pki import create_test_pki
from tests.sync.rig import SITE

pytestmark = pytest.mark.services
DER = serialization.Encoding.DER


def _ca(pair):
    cert = x509.load_pem_x509_certificate(pair.cert.read_bytes())
    return cert, serialization.load_pem_private_key(pair.key.read_bytes(), password=None)


@pytest.fixture
def registrar(chain, test_pki, tmp_path) -> Registrar:
    admin = load_account(chain.admin_wallet, chain.admin_wallet.with_suffix(".password"), "admin_")
    client = IdvRegistryClient(
        ChainFacade(rpc_host=chain.rpc_url, receipt_timeout=30),
        chain.contract_hash,
        None,
        admin_account=admin,
    )
    db = open_gateway_db(f"sqlite:///{tmp_path / 'gw.sqlite'}")
    roots = [x509.load_pem_x509_certificate(test_pki.ca.cert.read_bytes())]
    gateway = load_account(chain.gateway_wallet, chain.gateway_wallet.with_suffix(".password"), "")
    return Registrar(
        db,
        client,
        roots,
        lambda: int(time.time() * 1000),
        gateway.public_key.encode_point(True),
        gateway.sign,
    )


def _device(tmp_path) -> DeviceKey:
    return Keyring(tmp_path / "keys", create_machine_secret(tmp_path / "secret")).create()


def _request(key: DeviceKey, ca, *, site: str = SITE, at_ms: int | None = None):
    tls_key = ec.generate_private_key(ec.SECP256R1())
    csr = build_csr(tls_key, key.device_id, site)
    cert = sign_csr(csr, *ca, days=30)
    request = RegistrationRequest(
        new_request_id(),
        key.device_id,
        site,
        key.public_key,
        cert.public_bytes(DER),
        csr.public_bytes(DER),
        at_ms if at_ms is not None else int(time.time() * 1000),
    )
    return dataclasses.replace(request, signature=key.sign(request.signed_bytes()))


def _send(registrar: Registrar, request: RegistrationRequest, site: str = SITE):
    topic = f"bdmi/v1/{site}/{request.device_id}/register"
    return asyncio.run(registrar.receive(topic, request.encode()))


def test_a_valid_request_registers_once_and_a_second_is_already_done(registrar, test_pki, tmp_path):
    key = _device(tmp_path)
    request = _request(key, _ca(test_pki.ca))
    topic, ack = _send(registrar, request)
    assert topic == f"bdmi/v1/{SITE}/{key.device_id}/registered"
    assert (ack.status, ack.already, ack.request_id) == ("registered", False, request.request_id)
    assert ack.tx_hash and ack.tx_hash.startswith("0x")
    assert Device.get_by_id(key.device_id).site == SITE
    _, again = _send(registrar, _request(key, _ca(test_pki.ca)))
    assert (again.status, again.already, again.tx_hash) == ("registered", True, None)


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("forged_signature", "GW_REG_SIGNATURE"),
        ("another_ca", "PROV_CERT_UNTRUSTED"),
        ("stale", "GW_REG_STALE"),
        ("another_site_topic", "GW_TOPIC_MISMATCH"),
        ("someone_elses_key", "GW_REG_KEY_MISMATCH"),
        ("csr_of_another_key", "PROV_CERT_KEY_MISMATCH"),
    ],
)
def test_a_bad_request_is_refused_with_its_reason(registrar, test_pki, tmp_path, tamper, reason):
    key = _device(tmp_path)
    ca = _ca(test_pki.ca)
    request = _request(key, ca)
    site = SITE
    if tamper == "forged_signature":
        request = dataclasses.replace(request, signature=bytes(64))
    elif tamper == "another_ca":
        request = _request(key, _ca(create_test_pki(tmp_path / "other").ca))
    elif tamper == "stale":
        request = _request(key, ca, at_ms=int(time.time() * 1000) - 3_600_000)
    elif tamper == "another_site_topic":
        site = "other-site"
    elif tamper == "someone_elses_key":
        other = _device(tmp_path / "b")
        request = dataclasses.replace(request, public_key=other.public_key)
        request = dataclasses.replace(request, signature=other.sign(request.signed_bytes()))
    elif tamper == "csr_of_another_key":
        stranger = build_csr(ec.generate_private_key(ec.SECP256R1()), key.device_id, SITE)
        request = dataclasses.replace(request, csr=stranger.public_bytes(DER))
        request = dataclasses.replace(request, signature=key.sign(request.signed_bytes()))
    topic, ack = _send(registrar, request, site)
    assert (ack.status, ack.reason) == ("rejected", reason)
    assert topic == f"bdmi/v1/{site}/{key.device_id}/registered"
    assert Device.get_or_none(Device.device_id == key.device_id) is None
    assert [r.reason for r in Rejection.select()] == [reason]
    assert asyncio.run(registrar.registry.get_device(key.device_id)) is None
