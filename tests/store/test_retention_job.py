"""Retention runs in production: the installed ``kioskctl retention run`` (what
``systemd/bdmi-retention.service`` starts every 15 minutes) deletes what is due from a real
store named by a kiosk config, keeps what is not, and audits each round."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from kiosk.config import load_config
from kiosk.store.database import open_from_config
from kiosk.store.models import EnrolledTemplate, PersonalRecord
from kiosk.store.outbox import PersonalData, mark_anchored, record_result
from tests.store.fakes import fake_result

KIOSKCTL = Path(sys.executable).parent / "kioskctl"
DAY_MS = 86_400_000


def kioskctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(KIOSKCTL), *args], capture_output=True, text=True, timeout=120)


def test_one_round_of_the_installed_command_deletes_what_is_due(tmp_path):
    config_path = tmp_path / "kiosk.toml"
    config_path.write_text(
        f'[device]\nsite = "retention-site"\nmode = "demo"\nstate_dir = "{tmp_path / "state"}"\n'
        "[store]\nkeep_anchored_days = 30\n",
        encoding="utf-8",
    )
    config = load_config(config_path)
    now = int(time.time() * 1000)
    db = open_from_config(config, create=True)
    try:
        old, young, unsent = (fake_result(now - 50 * DAY_MS + n, n) for n in range(3))
        for signed, due in ((old, now + DAY_MS), (young, now + DAY_MS), (unsent, now - 60_000)):
            record_result(
                db, signed, actor_kind="patient_session", actor_id="s", now_ms=now,
                personal=[PersonalData("portrait", b"\xff\xd8jpeg", due)],
            )  # fmt: skip
        mark_anchored(db, old.result_id, "0xa", "b", b"p", now_ms=now - 40 * DAY_MS)
        mark_anchored(db, young.result_id, "0xa", "b", b"p", now_ms=now - DAY_MS)
        with db.bound():
            for subject, expires in (("aa", now - 3_600_000), ("bb", now + 400 * DAY_MS)):
                EnrolledTemplate.create(
                    subject_ref=subject * 32, embedding=bytes(512), model="dlib_resnet_v1",
                    images_fused=3, enrolled_at_ms=now - DAY_MS, enrolled_by="operator-7",
                    expires_at_ms=expires,
                )  # fmt: skip
    finally:
        db.close()

    first = kioskctl("retention", "run", "--config", str(config_path), "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    # the old result with its portrait, the unsent one's due portrait, the expired template
    assert (report["results"], report["personal_records"], report["templates"]) == (1, 2, 1)

    db = open_from_config(config)
    try:
        left = {r for (r,) in db.execute_sql("SELECT result_id FROM result")}
        assert left == {young.result_id, unsent.result_id}  # unsent: kept whatever its age
        with db.bound():
            assert [t.subject_ref for t in EnrolledTemplate.select()] == ["bb" * 32]
            assert [p.result_id for p in PersonalRecord.select()] == [young.result_id]
        (detail,) = db.execute_sql(
            "SELECT detail FROM audit_entry WHERE action = 'retention_purge'"
        ).fetchone()
        assert json.loads(detail)["templates"] == 1
    finally:
        db.close()

    second = kioskctl("retention", "run", "--config", str(config_path))
    assert second.returncode == 0, second.stderr
    assert "deleted 0 personal record(s), 0 expired template(s), 0 result(s)" in second.stdout


def test_a_round_on_a_missing_store_says_why_in_json(tmp_path):
    config_path = tmp_path / "kiosk.toml"
    config_path.write_text(
        f'[device]\nsite = "retention-site"\nmode = "demo"\nstate_dir = "{tmp_path / "absent"}"\n',
        encoding="utf-8",
    )
    result = kioskctl("retention", "run", "--config", str(config_path), "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["reason"].startswith("STORE_")
    assert "Traceback" not in result.stderr
