"""``kioskctl doc parse-sam | verify-lds | mrz-check`` run as the technician runs them: as a
subprocess, checking exit codes, ``--json`` and that personal data stays hidden by default."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from drivers.emrtd import lds
from drivers.emrtd.passive_auth import build_sod
from drivers.sam.frame import encode_response
from drivers.sam.message import BaseMessage, encode_base_message
from drivers.sam.text import encode_text_block
from drivers.simulators.sam_reader import SAMPLE_IDENTITIES
from tests.drivers.shared_data import require_shared_data

KIOSKCTL = Path(sys.executable).parent / "kioskctl"
TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KIOSKCTL, "doc", *map(str, args)], capture_output=True, text=True, timeout=60
    )


# --- parse-sam ------------------------------------------------------------------------------


@pytest.fixture
def sam_frame(tmp_path):
    identity = SAMPLE_IDENTITIES[0]
    message = BaseMessage(text=encode_text_block(identity.text), photo=identity.photo)
    frame = encode_response(0x90, encode_base_message(message, with_fingerprint=False))
    path = tmp_path / "read.bin"
    path.write_bytes(frame)
    return path, identity


def test_parse_sam_hides_personal_data_by_default(sam_frame):
    path, identity = sam_frame
    result = run("parse-sam", path)
    assert result.returncode == 0, result.stderr
    assert "SUCCESS" in result.stdout and "DRV_SAM_OK" in result.stdout
    assert "text 256 bytes, photo 1024 bytes" in result.stdout
    assert "id_number: 36" in result.stdout
    assert identity.text.name not in result.stdout
    assert identity.text.id_number not in result.stdout


def test_parse_sam_shows_personal_data_only_when_asked(sam_frame):
    path, identity = sam_frame
    result = run("parse-sam", path, "--show-personal-data", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    fields = {item["name"]: item for item in report["fields"]}
    assert fields["name"]["value"] == identity.text.name
    assert fields["id_number"]["value"] == identity.text.id_number
    assert report["status"]["name"] == "SUCCESS" and report["ok"] is True


def test_parse_sam_json_without_the_flag_has_no_values(sam_frame):
    path, identity = sam_frame
    report = json.loads(run("parse-sam", path, "--json").stdout)
    assert all("value" not in item for item in report["fields"])
    assert identity.text.name not in json.dumps(report, ensure_ascii=False)
    assert report["blocks"] == {"text": 256, "photo": 1024, "fingerprint": 0}


def test_parse_sam_accepts_hex_text_and_reports_a_failing_status(tmp_path):
    path = tmp_path / "nocard.hex"
    path.write_text(encode_response(0x80).hex(" ") + "\n")
    result = run("parse-sam", path, "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["status"]["code"] == "0x80" and report["status"]["ok"] is False


def test_parse_sam_bad_checksum_names_reason_and_offset(tmp_path):
    frame = bytearray(encode_response(0x90))
    frame[-1] ^= 0xFF
    path = tmp_path / "bad.bin"
    path.write_bytes(bytes(frame))
    result = run("parse-sam", path, "--json")
    assert result.returncode == 1
    error = json.loads(result.stdout)["error"]
    assert error["reason"] == "DRV_SAM_FRAME_CHECKSUM" and error["offset"] == len(frame) - 1


def test_parse_sam_of_an_endless_file_ends_with_a_reason_code():
    """``/dev/zero`` was read until MemoryError; now at most one frame's worth is read."""
    result = run("parse-sam", "/dev/zero", "--json")
    assert result.returncode == 1, result.stderr
    error = json.loads(result.stdout)["error"]
    assert error["reason"] == "DRV_SAM_FRAME_LENGTH"
    assert "MemoryError" not in result.stderr


def test_parse_sam_of_a_large_capture_is_refused_without_reading_it_all(tmp_path):
    from kiosk.cli.doc import MAX_FRAME_FILE_SIZE

    path = tmp_path / "capture.bin"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # 50 MB, sparse: cheap to make
    result = run("parse-sam", path)
    assert result.returncode == 1
    assert "DRV_SAM_FRAME_LENGTH" in result.stdout and str(MAX_FRAME_FILE_SIZE) in result.stdout


def test_parse_sam_names_the_text_photo_layout_for_a_text_photo_frame(sam_frame, tmp_path):
    """A text+photo frame with a wrong photo length was reported with the lengths the
    fingerprint layout reads (its third 'length' is two bytes of the name)."""
    identity = SAMPLE_IDENTITIES[0]
    data = bytearray(
        encode_base_message(
            BaseMessage(text=encode_text_block(identity.text), photo=identity.photo),
            with_fingerprint=False,
        )
    )
    data[2:4] = (1000).to_bytes(2, "big")  # photo announced 1000 bytes, 1024 follow
    path = tmp_path / "layout.bin"
    path.write_bytes(encode_response(0x90, bytes(data)))
    result = run("parse-sam", path, "--json")
    assert result.returncode == 1
    error = json.loads(result.stdout)["error"]
    assert error["reason"] == "DRV_SAM_MESSAGE_LAYOUT"
    assert "text+photo (30 01) layout" in error["message"]
    assert "[256, 1000]" in error["message"]


def test_parse_sam_missing_file_is_usage_error(tmp_path):
    assert run("parse-sam", tmp_path / "absent.bin").returncode == 2


# --- verify-lds -----------------------------------------------------------------------------


def _loes() -> dict[str, Path]:
    root = require_shared_data("emrtd", "jmrtd_samples", "loes2006")
    return {
        "sod": root / "ef011D.bin",
        "1": root / "ef0101.bin",
        "2": root / "ef0102.bin",
        "15": root / "ef010F.bin",
    }


def test_verify_lds_sample_without_csca_exits_3():
    files = _loes()
    result = run(
        "verify-lds",
        "--sod",
        files["sod"],
        *(f"--dg={n}={files[n]}" for n in ("1", "2", "15")),
        "--at",
        "2008-01-01",
    )
    assert result.returncode == 3, result.stderr
    assert "DG1: match" in result.stdout and "DG15: match" in result.stdout
    assert "DRV_PA_CSCA_UNKNOWN" in result.stdout
    assert "UNKNOWN_CSCA" in result.stdout


def test_verify_lds_json_reports_every_dg(tmp_path):
    files = _loes()
    dg2 = bytearray(files["2"].read_bytes())
    dg2[500] ^= 0x01
    altered = tmp_path / "dg2.bin"
    altered.write_bytes(bytes(dg2))
    result = run(
        "verify-lds",
        "--sod",
        files["sod"],
        "--dg",
        f"1={files['1']}",
        "--dg",
        f"2={altered}",
        "--at",
        "2008-01-01T00:00:00+00:00",
        "--json",
    )
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["status"] == "failed" and report["signature"] == "valid"
    statuses = {item["number"]: item["status"] for item in report["data_groups"]}
    assert statuses == {1: "match", 2: "mismatch", 15: "not_read"}
    assert {"reason": "DRV_PA_DG_HASH_MISMATCH", "data_group": 2}.items() <= next(
        f for f in report["failures"] if f["reason"] == "DRV_PA_DG_HASH_MISMATCH"
    ).items()
    assert report["ds_certificate"]["subject"].startswith("Common Name: DS Test")


def _generated(tmp_path: Path) -> tuple[Path, Path, Path]:
    now = dt.datetime.now(dt.UTC)
    csca_key = ec.generate_private_key(ec.SECP256R1())
    csca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CSCA CLI Test")])
    csca = (
        x509.CertificateBuilder()
        .subject_name(csca_name)
        .issuer_name(csca_name)
        .public_key(csca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(csca_key, hashes.SHA256())
    )
    ds_key = ec.generate_private_key(ec.SECP256R1())
    ds = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "DS CLI Test")]))
        .issuer_name(csca_name)
        .public_key(ds_key.public_key())
        .serial_number(2)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(csca_key, hashes.SHA256())
    )
    dg1 = lds.build_dg1(TD3)
    (tmp_path / "dg1.bin").write_bytes(dg1)
    (tmp_path / "sod.bin").write_bytes(build_sod({1: dg1}, ds_key, ds))
    trust = tmp_path / "csca"
    trust.mkdir()
    (trust / "csca.pem").write_bytes(csca.public_bytes(serialization.Encoding.PEM))
    return tmp_path / "sod.bin", tmp_path / "dg1.bin", trust


def test_verify_lds_generated_passport_passes_with_exit_0(tmp_path):
    sod, dg1, trust = _generated(tmp_path)
    result = run("verify-lds", "--sod", sod, "--dg", f"1={dg1}", "--csca", trust, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "passed" and report["chain"] == "valid"
    assert report["csca"] == "Common Name: CSCA CLI Test"


def test_a_junk_csca_file_is_warned_about_once(tmp_path):
    sod, dg1, trust = _generated(tmp_path)
    (trust / "junk.pem").write_bytes(b"not a certificate")
    result = run("verify-lds", "--sod", sod, "--dg", f"1={dg1}", "--csca", trust)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.count("junk.pem") == 1, result.stderr


def test_verify_lds_unparsable_sod_exits_1_with_reason(tmp_path):
    sod = tmp_path / "sod.bin"
    sod.write_bytes(b"\x77\x03\x02\x01\x00")
    result = run("verify-lds", "--sod", sod, "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"]["reason"] == "DRV_PA_SOD"


def test_verify_lds_usage_errors_exit_2(tmp_path):
    sod, dg1, _ = _generated(tmp_path)
    assert run("verify-lds", "--sod", sod, "--dg", "x=1").returncode == 2
    assert run("verify-lds", "--sod", sod, "--dg", f"17={dg1}").returncode == 2
    assert run("verify-lds", "--sod", sod, "--csca", tmp_path / "absent").returncode == 2


# --- mrz-check ------------------------------------------------------------------------------


def test_mrz_check_ok_hides_personal_data():
    result = run("mrz-check", "\n".join(TD3))
    assert result.returncode == 0
    assert "TD3" in result.stdout and "ERIKSSON" not in result.stdout
    shown = run("mrz-check", "--show-personal-data", "\n".join(TD3))
    assert "ERIKSSON" in shown.stdout


def test_mrz_check_names_the_failing_field_in_json():
    result = run("mrz-check", "--json", TD3[0] + TD3[1][:-1] + "1")
    assert result.returncode == 1
    error = json.loads(result.stdout)["error"]
    assert error["reason"] == "DRV_MRZ_CHECK_DIGIT"
    assert error["field"] == "composite" and (error["line"], error["position"]) == (2, 44)


def test_mrz_check_of_garbage_is_a_format_error():
    result = run("mrz-check", "HELLO")
    assert result.returncode == 1
    assert "DRV_MRZ_FORMAT" in result.stdout


def test_doc_without_action_is_usage_error():
    assert run().returncode == 2
