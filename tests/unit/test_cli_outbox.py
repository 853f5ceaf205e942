"""``kioskctl outbox status | list | show | export`` on a real encrypted store with a real
device identity (the demo config in a temp dir), and the exported USB bundle imported by
``bdmi-gateway import`` as a technician would run both."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from edge_sync.protocol.bundle import read_bundle, verify_bundle_signature
from edge_sync.protocol.proof import InclusionProof
from edge_sync.protocol.signed import SignedResult
from kiosk.cli.main import main
from kiosk.config import load_config
from kiosk.security.device_key import DeviceKey
from kiosk.security.identity import ensure_demo_identity
from kiosk.store import outbox
from kiosk.store.audit import verify_chain
from kiosk.store.database import open_from_config
from kiosk.store.models import AuditEntry
from kiosk.sync.store_outbox import REJECTED_PREFIX
from tests.sync.conftest import make_result

BIN = Path(sys.executable).parent
SUBJECT_REF = "ab" * 32  # what make_result puts in every payload
PROOF = InclusionProof(
    batch_id=str(uuid.uuid4()),
    tx_hash="0x" + "cd" * 32,
    leaf_index=1,
    tree_size=3,
    path=(b"\x01" * 32, b"\x02" * 32),
)


@dataclass
class Kiosk:
    config: Path
    key: DeviceKey
    results: dict[str, SignedResult]
    """By what happened to them: pending, sending, rejected, accepted, anchored."""
    now_ms: int


@pytest.fixture
def kiosk(demo_config_file: Path) -> Kiosk:
    config = load_config(demo_config_file)
    key = ensure_demo_identity(config)
    now = int(time.time() * 1000)
    names = ("pending", "sending", "rejected", "accepted", "anchored")
    results = {
        name: make_result(key, decided_ms=now - 3_600_000 + 60_000 * i)
        for i, name in enumerate(names)
    }
    db = open_from_config(config, create=True)
    try:
        for signed in results.values():
            outbox.record_result(
                db, signed, actor_kind="patient_session", actor_id="session-1", now_ms=now
            )
        outbox.mark_sending(db, results["sending"].result_id)
        outbox.mark_failed(
            db, results["rejected"].result_id, f"{REJECTED_PREFIX}GW_DEVICE_UNKNOWN", now + 60_000
        )
        outbox.mark_accepted(db, results["accepted"].result_id, now_ms=now)
        outbox.mark_anchored(
            db,
            results["anchored"].result_id,
            PROOF.tx_hash,
            PROOF.batch_id,
            PROOF.encode(),
            now_ms=now,
        )
    finally:
        db.close()
    return Kiosk(demo_config_file, key, results, now)


def kioskctl(capsys, *args: str | Path) -> tuple[int, str, str]:
    code = main(["outbox", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_status_counts_states_age_rejections_and_disk(kiosk, capsys):
    code, out, _ = kioskctl(capsys, "status", "--config", kiosk.config, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["counts"] == {"pending": 2, "sending": 1, "accepted": 1, "anchored": 1}
    assert report["total"] == 5
    assert report["rejected_waiting"] == 1
    assert report["rejected_by_reason"] == {"GW_DEVICE_UNKNOWN": 1}
    # The oldest unsent result was decided an hour ago (give the test a minute).
    assert 3600 <= report["oldest_unsent_age_s"] < 3660
    capacity = report["capacity"]
    assert capacity["status"] == "ok" and 0 < capacity["store_bytes"] < capacity["quota_bytes"]
    code, out, _ = kioskctl(capsys, "status", "--config", kiosk.config)
    assert code == 0
    assert "results: 2 pending, 1 sending, 1 accepted, 1 anchored (5 in all)" in out
    assert "waiting to retry: 1 (GW_DEVICE_UNKNOWN 1)" in out
    assert "oldest unsent: 1 h 0 min" in out


def test_status_exits_1_when_the_store_refuses_new_results(kiosk, capsys):
    text = kiosk.config.read_text() + "\n[store]\nmin_free_mb = 1048576\n"
    kiosk.config.write_text(text)
    code, out, _ = kioskctl(capsys, "status", "--config", kiosk.config)
    assert code == 1 and "STORE_DISK_LOW, new results are refused" in out


def test_list_filters_and_prints_no_payload(kiosk, capsys):
    code, out, _ = kioskctl(capsys, "list", "--config", kiosk.config, "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["result_id"] for r in rows] == sorted(
        (r.result_id for r in kiosk.results.values()), reverse=True
    )  # newest first
    assert set(rows[0]) == {
        "result_id",
        "flow",
        "decision",
        "created",
        "created_at_ms",
        "state",
        "attempts",
        "last_error",
    }
    rejected = next(r for r in rows if r["result_id"] == kiosk.results["rejected"].result_id)
    assert rejected["state"] == "pending" and rejected["attempts"] == 1
    assert rejected["last_error"] == "rejected by the gateway: GW_DEVICE_UNKNOWN"
    assert SUBJECT_REF not in out

    code, out, _ = kioskctl(capsys, "list", "--config", kiosk.config, "--state", "pending")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("result_id") and len(lines) == 3
    assert {line.split()[0] for line in lines[1:]} == {
        kiosk.results["pending"].result_id,
        kiosk.results["rejected"].result_id,
    }
    assert "GW_DEVICE_UNKNOWN" in out and SUBJECT_REF not in out

    code, out, _ = kioskctl(capsys, "list", "--config", kiosk.config, "--limit", "2", "--json")
    assert [r["state"] for r in json.loads(out)] == ["anchored", "accepted"]


def test_show_decodes_the_payload_and_the_proof(kiosk, capsys):
    anchored = kiosk.results["anchored"]
    code, out, _ = kioskctl(capsys, "show", anchored.result_id, "--config", kiosk.config, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["outbox"]["state"] == "anchored"
    assert report["outbox"]["tx_hash"] == PROOF.tx_hash
    assert report["payload"]["result_id"] == anchored.result_id
    assert report["payload"]["subject_ref"] == SUBJECT_REF  # pseudonymous by design
    assert report["signature"] == anchored.signature.hex()
    assert report["proof"] == {
        "batch_id": PROOF.batch_id,
        "tx_hash": PROOF.tx_hash,
        "leaf_index": 1,
        "tree_size": 3,
        "path": ["01" * 32, "02" * 32],
    }
    code, out, _ = kioskctl(capsys, "show", anchored.result_id, "--config", kiosk.config)
    assert code == 0
    assert "leaf 1 of 3" in out and "02" * 32 in out

    pending = kiosk.results["pending"].result_id
    code, out, _ = kioskctl(capsys, "show", pending, "--config", kiosk.config, "--json")
    assert code == 0 and json.loads(out)["proof"] is None


def test_show_of_an_unknown_result_exits_1(kiosk, capsys):
    unknown = str(uuid.uuid4())
    code, _, err = kioskctl(capsys, "show", unknown, "--config", kiosk.config)
    assert code == 1 and f"STORE_RESULT_UNKNOWN: no result {unknown}" in err
    code, out, _ = kioskctl(capsys, "show", unknown, "--config", kiosk.config, "--json")
    assert code == 1 and json.loads(out)["error"]["reason"] == "STORE_RESULT_UNKNOWN"


def test_a_store_that_does_not_open_exits_2_with_its_reason(tmp_path, demo_config_file, capsys):
    code, _, err = kioskctl(capsys, "status", "--config", demo_config_file)
    assert code == 2 and "STORE_" in err  # no store yet: the kiosk never started
    code, _, err = kioskctl(capsys, "status", "--config", tmp_path / "missing.toml")
    assert code == 2 and "CFG_NOT_FOUND" in err


def test_export_writes_one_signed_bundle_of_the_unsent_results(kiosk, capsys, tmp_path):
    stick = tmp_path / "usb"
    stick.mkdir()
    _, before, _ = kioskctl(capsys, "list", "--config", kiosk.config, "--json")
    code, out, err = kioskctl(
        capsys, "export", "--config", kiosk.config, "--to", stick, "--technician", "tech-042",
        "--json",
    )  # fmt: skip
    assert code == 0, err
    assert "signing a bundle of 3 results" in err  # progress on stderr, not stdout
    report = json.loads(out)
    files = list(stick.iterdir())
    assert files == [Path(report["file"])]  # no temporary file left behind
    assert re.fullmatch(
        rf"bdmi-bundle-{kiosk.key.device_id}-\d{{8}}T\d{{6}}\.\d{{3}}Z\.cbor", files[0].name
    )
    data = files[0].read_bytes()
    assert report["sha256"] == hashlib.sha256(data).hexdigest() and report["bytes"] == len(data)
    assert (report["results"], report["pending"], report["sending"]) == (3, 2, 1)

    bundle = read_bundle(data)
    verify_bundle_signature(bundle, {kiosk.key.key_id: kiosk.key.public_key})
    unsent = [kiosk.results[name] for name in ("pending", "sending", "rejected")]
    assert list(bundle.results) == sorted(unsent, key=lambda r: r.result_id)
    assert bundle.site == "demo-hospital" and bundle.device_id == kiosk.key.device_id

    # Nothing changed in the outbox; one audit entry says who took what away.
    _, after, _ = kioskctl(capsys, "list", "--config", kiosk.config, "--json")
    assert json.loads(after) == json.loads(before)
    db = open_from_config(load_config(kiosk.config))
    try:
        with db.bound():
            entry = AuditEntry.select().order_by(AuditEntry.seq.desc()).first()
        assert (entry.actor_kind, entry.actor_id, entry.action) == (
            "technician",
            "tech-042",
            "outbox_exported",
        )
        assert entry.record_kind == "bundle" and entry.record_id == report["sha256"]
        assert json.loads(entry.detail) == {
            "bytes": len(data),
            "pending": 2,
            "results": 3,
            "sending": 1,
        }
        assert entry.seq == report["audit_seq"] and verify_chain(db).ok
    finally:
        db.close()


def test_export_with_nothing_unsent_writes_nothing(demo_config_file, capsys, tmp_path):
    config = load_config(demo_config_file)
    ensure_demo_identity(config)
    open_from_config(config, create=True).close()
    code, out, _ = kioskctl(
        capsys, "export", "--config", demo_config_file, "--to", tmp_path, "--technician", "t1"
    )
    assert code == 0 and "nothing to export" in out
    assert not list(tmp_path.glob("bdmi-bundle-*"))


def test_export_refuses_a_missing_stick_or_a_name_for_an_id(kiosk, capsys, tmp_path):
    code, _, err = kioskctl(
        capsys, "export", "--config", kiosk.config, "--to", tmp_path / "not-mounted",
        "--technician", "t1",
    )  # fmt: skip
    assert code == 2 and "is the USB stick mounted" in err
    code, _, err = kioskctl(
        capsys, "export", "--config", kiosk.config, "--to", tmp_path, "--technician", "Zhang Wei"
    )
    assert code == 2 and "technician id" in err
    with pytest.raises(SystemExit) as usage:
        main(["outbox", "export", "--config", str(kiosk.config), "--to", str(tmp_path)])
    assert usage.value.code == 2


def test_the_bundle_imports_at_the_gateway_once(kiosk, capsys, tmp_path):
    """Kiosk to gateway on a USB stick, with both real command-line tools."""
    stick = tmp_path / "usb"
    stick.mkdir()
    code, out, err = kioskctl(
        capsys, "export", "--config", kiosk.config, "--to", stick, "--technician", "t1", "--json"
    )
    assert code == 0, err
    bundle = json.loads(out)["file"]
    gateway_toml = tmp_path / "gateway.toml"
    gateway_toml.write_text(f'database = "sqlite:///{tmp_path / "gateway.sqlite"}"\n')

    def gateway(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [BIN / "bdmi-gateway", "--config", str(gateway_toml), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    refused = gateway("import", bundle)
    assert refused.returncode == 1 and "GW_DEVICE_UNKNOWN" in refused.stderr
    assert json.loads(refused.stdout)["reason"] == "GW_DEVICE_UNKNOWN"
    registered = gateway(
        "device", "register", "--public-key", kiosk.key.public_key.hex(),
        "--site", "demo-hospital", "--no-chain",
    )  # fmt: skip
    assert registered.returncode == 0, registered.stderr
    first = gateway("import", bundle)
    assert first.returncode == 0, first.stderr
    counts = json.loads(first.stdout)
    assert (counts["results"], counts["accepted"], counts["duplicate"]) == (3, 3, 0)
    again = json.loads(gateway("import", bundle).stdout)
    assert (again["accepted"], again["duplicate"], again["rejected"]) == (0, 3, {})

    Path(bundle).write_bytes(Path(bundle).read_bytes()[:-10])  # a stick pulled too early
    cut = gateway("import", bundle)
    assert cut.returncode == 1 and json.loads(cut.stdout)["reason"] == "BUNDLE_TRUNCATED"
