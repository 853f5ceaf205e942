"""Enrolled templates in the encrypted store: found by subject_ref and model, audited,
expired, never readable in the file's bytes."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.store import audit, enrolment
from kiosk.store.errors import StoreError

T0 = 1_780_000_000_000
DAY = 86_400_000


def test_an_enrolment_is_found_by_its_subject_and_model_until_it_expires(store):
    template = np.random.default_rng(1).normal(size=128)
    row = enrolment.enrol(store, "ref-a", template, model="dlib_resnet_v1", images_fused=3,
                          enrolled_by="staff", now_ms=T0, keep_ms=30 * DAY)  # fmt: skip
    assert row > 0
    found = enrolment.find(store, "ref-a", model="dlib_resnet_v1", now_ms=T0 + DAY, actor_id="s1")
    assert found is not None and found.images_fused == 3
    np.testing.assert_array_equal(found.embedding, template)
    assert "<redacted>" in repr(found)
    # another person, another model, or past the expiry: nothing
    assert enrolment.find(store, "ref-b", model="dlib_resnet_v1", now_ms=T0, actor_id="s") is None
    assert enrolment.find(store, "ref-a", model="other_model", now_ms=T0, actor_id="s") is None
    assert enrolment.find(store, "ref-a", model="dlib_resnet_v1", now_ms=T0 + 30 * DAY,
                          actor_id="s") is None  # fmt: skip


def test_the_newest_of_two_enrolments_is_used(store):
    old, new = np.zeros(128), np.ones(128)
    for at, vector in ((T0, old), (T0 + DAY, new)):
        enrolment.enrol(store, "ref", vector, model="m", images_fused=2, enrolled_by="staff",
                        now_ms=at, keep_ms=90 * DAY)  # fmt: skip
    found = enrolment.find(store, "ref", model="m", now_ms=T0 + 2 * DAY, actor_id="s")
    assert found is not None and found.embedding[0] == 1.0


def test_enrolment_and_every_read_are_in_the_audit_chain(store):
    enrolment.enrol(store, "ref", np.ones(128), model="m", images_fused=2, enrolled_by="staff",
                    now_ms=T0, keep_ms=DAY)  # fmt: skip
    enrolment.find(store, "ref", model="m", now_ms=T0 + 1, actor_id="session-1")
    rows = store.execute_sql(
        f"SELECT action, actor_kind, actor_id, record_kind FROM {audit.TABLE} ORDER BY seq"
    ).fetchall()
    assert rows[-2:] == [
        ("template_enrolled", "operator", "staff", "enrolled_template"),
        ("template_read", "patient_session", "session-1", "enrolled_template"),
    ]
    assert audit.verify_chain(store).ok


@pytest.mark.parametrize(
    "vector", [np.ones((2, 64)), np.array([np.nan] * 128), np.array([np.inf] * 128)]
)
def test_a_malformed_template_is_refused_and_nothing_is_written(store, vector):
    before = store.execute_sql("SELECT count(*) FROM enrolled_template").fetchone()[0]
    with pytest.raises(StoreError):
        enrolment.enrol(store, "ref", vector, model="m", images_fused=1, enrolled_by="staff",
                        now_ms=T0, keep_ms=DAY)  # fmt: skip
    assert store.execute_sql("SELECT count(*) FROM enrolled_template").fetchone()[0] == before


def test_the_template_is_not_in_the_files_bytes(store, db_path):
    template = np.full(128, 0.123456789)
    enrolment.enrol(store, "ref-visible?", template, model="m", images_fused=1,
                    enrolled_by="staff", now_ms=T0, keep_ms=DAY)  # fmt: skip
    store.execute_sql("PRAGMA wal_checkpoint(FULL)")
    raw = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    assert template.tobytes()[:16] not in raw and b"ref-visible?" not in raw
