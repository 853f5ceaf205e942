"""The gateway's intake on a real database (SQLite and PostgreSQL): valid results are
stored once and acknowledged; forged, unknown, revoked, replayed-with-changes, stale and
malformed messages are each rejected with a reason, logged, and never raise."""

from __future__ import annotations

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge_sync.gateway.db import Device, ReceivedResult, Rejection
from edge_sync.gateway.intake import Intake
from edge_sync.protocol.wire import AckMessage, ResultMessage, results_topic
from kiosk.security.device_key import Keyring, create_machine_secret
from tests.sync.conftest import NOW_MS, SITE, forged, make_result, register


def intake(db) -> Intake:
    return Intake(db, clock_ms=lambda: NOW_MS + 1000)


def send(db, signed, *, topic_device: str | None = None) -> AckMessage | None:
    topic = results_topic(SITE, topic_device or signed.device_id)
    return intake(db).receive(topic, ResultMessage(signed).encode())


def test_a_valid_result_is_stored_once_and_resends_are_idempotent(gateway_db, device_key):
    register(device_key)
    signed = make_result(device_key)
    assert send(gateway_db, signed) == AckMessage(signed.result_id, "accepted")
    assert send(gateway_db, signed) == AckMessage(signed.result_id, "accepted")
    assert ReceivedResult.select().count() == 1
    stored = ReceivedResult.get_by_id(signed.result_id)
    assert bytes(stored.payload) == signed.payload and bytes(stored.signature) == signed.signature


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("forged", "SEC_RESULT_SIGNATURE"),
        ("unknown_device", "GW_DEVICE_UNKNOWN"),
        ("revoked", "GW_DEVICE_REVOKED"),
        ("other_topic", "GW_TOPIC_MISMATCH"),
        ("future", "GW_TIME_FUTURE"),
        ("stale", "GW_TIME_TOO_OLD"),
        ("other_site", "GW_SITE_MISMATCH"),
    ],
)
def test_bad_results_are_rejected_with_a_reason(gateway_db, device_key, tmp_path, case, reason):
    register(device_key)
    signed = make_result(device_key)
    topic_device = None
    if case == "forged":
        signed = forged(signed)
    elif case == "unknown_device":
        stranger = Keyring(tmp_path / "k", create_machine_secret(tmp_path / "s")).create()
        signed = make_result(stranger)
    elif case == "revoked":
        Device.update(revoked=True).execute()
    elif case == "other_topic":
        topic_device = "0x" + "12" * 20
    elif case == "future":
        signed = make_result(device_key, decided_ms=NOW_MS + 3600_000)
    elif case == "stale":
        signed = make_result(device_key, decided_ms=NOW_MS - 100 * 24 * 3600_000)
    elif case == "other_site":
        signed = make_result(device_key, site="other-site")
    ack = send(gateway_db, signed, topic_device=topic_device)
    assert ack == AckMessage(signed.result_id, "rejected", reason=reason)
    assert ReceivedResult.select().count() == 0
    logged = Rejection.get()
    assert logged.reason == reason and logged.result_id == signed.result_id


def test_a_replay_with_other_content_is_a_conflict(gateway_db, device_key):
    register(device_key)
    first = make_result(device_key)
    assert send(gateway_db, first).status == "accepted"
    # Same result id, different (validly signed) content: a replay that tries to rewrite.
    twin = make_result(device_key, result_id=first.result_id, decision="fail", assurance="none")
    ack = send(gateway_db, twin)
    assert ack == AckMessage(first.result_id, "rejected", reason="GW_RESULT_CONFLICT")
    assert bytes(ReceivedResult.get_by_id(first.result_id).payload) == first.payload


def test_malformed_messages_are_rejected_and_logged(gateway_db, device_key):
    register(device_key)
    topic = results_topic(SITE, device_key.device_id)
    gateway = intake(gateway_db)
    for data, reason in (
        (b"\xff\x00garbage", "WIRE_NOT_CBOR"),
        (cbor2.dumps({"v": 1}), "WIRE_SCHEMA"),
        (cbor2.dumps([1, 2]), "WIRE_SCHEMA"),
    ):
        ack = gateway.receive(topic, data)
        assert ack is not None and ack.status == "rejected" and ack.reason == reason
    assert gateway.receive("not/a/topic", b"") is None
    assert Rejection.select().count() == 4


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=400))
def test_fuzzed_messages_never_raise(gateway_db, device_key, data):
    if Device.get_or_none(Device.device_id == device_key.device_id) is None:
        register(device_key)
    ack = intake(gateway_db).receive(results_topic(SITE, device_key.device_id), data)
    assert ack is not None and ack.status == "rejected"


def test_a_batch_is_checked_and_stored_as_its_messages_one_by_one(gateway_db, device_key):
    """The intake reads the registry and writes the results once per batch (issue 19); each
    message still gets the answer it would get alone, in its place: new, resent, repeated
    within the batch, rewritten under a known id, forged, malformed."""
    register(device_key)
    topic = results_topic(SITE, device_key.device_id)
    old, new = make_result(device_key), make_result(device_key)
    assert send(gateway_db, old).status == "accepted"
    twin = make_result(device_key, result_id=new.result_id, decision="fail", assurance="none")
    bad = forged(make_result(device_key))
    batch = [
        (topic, ResultMessage(new).encode()),
        (topic, ResultMessage(old).encode()),  # a resend of a stored result
        (topic, b"\xff\x00garbage"),
        (topic, ResultMessage(new).encode()),  # the same result twice in one batch
        (topic, ResultMessage(twin).encode()),  # other content under an id in this batch
        (topic, ResultMessage(bad).encode()),
        ("not/a/topic", b""),
    ]
    answers = intake(gateway_db).receive_batch(batch)
    assert [t for t, _ in answers] == [t for t, _ in batch]
    assert [a and (a.result_id, a.status, a.reason) for _, a in answers] == [
        (new.result_id, "accepted", None),
        (old.result_id, "accepted", None),
        ("", "rejected", "WIRE_NOT_CBOR"),
        (new.result_id, "accepted", None),
        (new.result_id, "rejected", "GW_RESULT_CONFLICT"),
        (bad.result_id, "rejected", "SEC_RESULT_SIGNATURE"),
        None,
    ]
    assert ReceivedResult.select().count() == 2
    assert bytes(ReceivedResult.get_by_id(new.result_id).payload) == new.payload


def test_a_revocation_counts_from_the_next_batch(gateway_db, device_key):
    register(device_key)
    topic = results_topic(SITE, device_key.device_id)
    gateway = intake(gateway_db)
    first, second = make_result(device_key), make_result(device_key)
    assert gateway.receive_batch([(topic, ResultMessage(first).encode())])[0][1].status == (
        "accepted"
    )
    Device.update(revoked=True).execute()
    ((_, ack),) = gateway.receive_batch([(topic, ResultMessage(second).encode())])
    assert ack == AckMessage(second.result_id, "rejected", reason="GW_DEVICE_REVOKED")
