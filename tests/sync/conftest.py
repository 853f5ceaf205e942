"""Gateway-side fixtures: a gateway database (SQLite file or the private PostgreSQL), a
registered device with a real device key, and signed results from it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from edge_sync.gateway.db import Device, DeviceKey, open_gateway_db
from edge_sync.protocol.result import (
    DocumentRecord,
    Scores,
    VerificationResult,
    sign_result,
    uuid7,
)
from edge_sync.protocol.signed import SignedResult
from kiosk.security.device_key import DeviceKey as Key
from kiosk.security.device_key import Keyring, create_machine_secret

SITE = "demo-hospital"
NOW_MS = 1_790_000_000_000


@pytest.fixture(params=["sqlite", "postgresql"])
def gateway_db(request, tmp_path) -> Iterator[object]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'gateway.sqlite'}"
    else:
        url = request.getfixturevalue("postgres").url
    db = open_gateway_db(url)
    yield db
    db.close()


@pytest.fixture(scope="session")
def device_key(tmp_path_factory) -> Key:
    root = tmp_path_factory.mktemp("device")
    return Keyring(root / "keys", create_machine_secret(root / "secret")).create()


def register(key: Key, site: str = SITE) -> None:
    Device.create(device_id=key.device_id, site=site, registered_at_ms=NOW_MS)
    DeviceKey.create(key_id=key.key_id, device=key.device_id, public_key=key.public_key)


def make_result(key: Key, *, decided_ms: int = NOW_MS, **changes: object) -> SignedResult:
    record = VerificationResult(
        result_id=uuid7(decided_ms),
        device_id=key.device_id,
        key_id=key.key_id,
        site=SITE,
        flow="hospital_checkin",
        assurance="EA5-",
        decision="pass",
        reasons=("IDV_LIVENESS_PASSED",),
        scores=Scores(),
        document=DocumentRecord(type="cn_resident_id", chip_authentication="not_applicable",
                                sam_authenticated=True),
        subject_ref="ab" * 32,
        started_ms=decided_ms - 20_000,
        decided_ms=decided_ms,
        app_version="test",
    )  # fmt: skip
    if changes:
        record = record.model_copy(update=changes)
    return sign_result(record, key)


def forged(signed: SignedResult) -> SignedResult:
    signature = bytearray(signed.signature)
    signature[10] ^= 0xFF
    return dataclasses.replace(signed, signature=bytes(signature))
