"""The hand-off to the hospital's system (kiosk/his): a passed check-in's FHIR Bundle, queued
in the real encrypted store with its result, delivered over mutual TLS to a real HTTPS server
that validates it with the same FHIR library; a HIS that is down, one that refuses, and a
certificate that does not match. Nothing is lost, nothing is sent twice, and the patient
identifier leaves the store once delivered."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.document import DocumentType
from kiosk.config.schema import HisConfig
from kiosk.his.delivery import HisDelivery
from kiosk.his.fhir_checkin import (
    ASSURANCE_EXTENSION,
    VERIFICATION_REFERENCE_SYSTEM,
    CheckIn,
    HisMessageError,
    checkin_bundle,
    identifier_system,
    parse_checkin_bundle,
)
from kiosk.his.transport import HisEndpoint
from kiosk.store import his_outbox, retention
from kiosk.store.database import StoreDatabase
from tests.harness.his_server import HisServer
from tests.harness.pki import TestPki, create_test_pki, issue_certificate
from tests.store.fakes import fake_result
from tests.store.test_store import T0, count, record

ID_NUMBER = "11010519491231002X"
RESIDENT_SYSTEM = "urn:oid:2.16.840.1.113883.2.99.1"  # a test hospital's system


def checkin(result_id: str, number: str = ID_NUMBER) -> CheckIn:
    return CheckIn(identifier_system=RESIDENT_SYSTEM, identifier=number, reference="7K3M-Q9TX",
                   result_id=result_id, assurance="EA5+", site="demo-hospital",
                   arrived_at=dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC))  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = T0 / 1000

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def pki(tmp_path: Path) -> TestPki:
    return create_test_pki(tmp_path / "pki", client_cn="kiosk-his-client")


@pytest.fixture
def his(pki: TestPki) -> Iterator[HisServer]:
    server = HisServer(pki)
    server.start()
    yield server
    server.stop()


def endpoint(pki: TestPki, url: str) -> HisEndpoint:
    return HisEndpoint(url=url, ca_file=pki.ca_cert, cert_file=pki.client.cert,
                       key_file=pki.client.key, timeout_s=5.0)  # fmt: skip


def queued(store: StoreDatabase, n: int = 1) -> list[str]:
    """``n`` passed check-ins recorded with their HIS message, as the kiosk records them."""
    ids = []
    for i in range(n):
        signed = fake_result(T0 + i, i)
        record(store, signed, his_body=checkin_bundle(checkin(signed.result_id)))
        ids.append(signed.result_id)
    return ids


def states(store: StoreDatabase) -> dict[str, str]:
    return dict(store.execute_sql("SELECT result_id, state FROM his_message").fetchall())


# -- the message ----------------------------------------------------------------------------


def test_the_bundle_is_a_valid_fhir_check_in_with_the_identifier_only_in_the_patient():
    bundle = parse_checkin_bundle(checkin_bundle(checkin("r-1")))
    assert bundle.type == "transaction"
    patient, encounter = (entry.resource for entry in bundle.entry)
    assert patient.get_resource_type() == "Patient"
    assert [(i.system, i.value) for i in patient.identifier] == [(RESIDENT_SYSTEM, ID_NUMBER)]
    assert patient.name is None and patient.birthDate is None  # the desk has the card
    assert bundle.entry[0].request.ifNoneExist == f"identifier={RESIDENT_SYSTEM}|{ID_NUMBER}"
    assert encounter.status == "arrived"
    assert encounter.subject.reference == bundle.entry[0].fullUrl
    assert (VERIFICATION_REFERENCE_SYSTEM, "7K3M-Q9TX") in [
        (i.system, i.value) for i in encounter.identifier
    ]
    assert [(e.url, e.valueCode) for e in encounter.extension] == [(ASSURANCE_EXTENSION, "EA5+")]
    assert ID_NUMBER not in repr(checkin("r-1"))


def test_the_identifier_system_follows_the_document():
    his = HisConfig(endpoint="https://his.local/fhir", ca_file=Path("ca.pem"),
                    cert_file=Path("c.pem"), key_file=Path("c.key"),
                    resident_id_system=RESIDENT_SYSTEM)  # fmt: skip
    assert identifier_system(his, DocumentType.CN_RESIDENT_ID, None) == RESIDENT_SYSTEM
    assert (
        identifier_system(his, DocumentType.ICAO_TD3, "nld")
        == "http://hl7.org/fhir/sid/passport-NLD"
    )
    with pytest.raises(HisMessageError) as caught:
        identifier_system(his, DocumentType.ICAO_TD3, "")
    assert caught.value.reason == "HIS_MESSAGE_INVALID"


@pytest.mark.parametrize(
    "bad", [checkin("r-1", number=" "), CheckIn(RESIDENT_SYSTEM, ID_NUMBER, "7K3M-Q9TX", "r",
                                                 "EA5+", dt.datetime(2026, 1, 1), "s")],
)  # fmt: skip
def test_a_message_that_cannot_be_right_is_refused_by_name(bad):
    with pytest.raises(HisMessageError) as caught:
        checkin_bundle(bad)
    assert caught.value.reason == "HIS_MESSAGE_INVALID"
    assert ID_NUMBER not in str(caught.value)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=20_000))
def test_garbage_is_not_a_bundle(data):
    """The reading side (the test HIS, a technician's tool): bounded, and a reason code for
    anything that is not a Bundle."""
    try:
        parse_checkin_bundle(data)
    except HisMessageError as error:
        assert error.reason == "HIS_MESSAGE_INVALID"


# -- delivery -------------------------------------------------------------------------------


def test_a_check_in_reaches_the_his_once_and_its_identifier_leaves_the_store(store, pki, his):
    [result_id] = queued(store)
    delivery = HisDelivery(endpoint(pki, his.url), store, clock=Clock())
    assert delivery.run_once() == 1
    [bundle] = his.received
    assert bundle.entry[0].resource.identifier[0].value == ID_NUMBER
    assert bundle.entry[1].resource.status == "arrived"
    assert states(store) == {result_id: "delivered"}
    body = store.execute_sql("SELECT body FROM his_message").fetchone()[0]
    assert bytes(body) == b""  # the patient identifier is gone from the kiosk
    assert delivery.run_once() == 0 and len(his.received) == 1  # not sent twice


def test_a_his_that_is_down_gets_the_check_in_when_it_is_back(store, pki, his, caplog):
    url = his.url
    port = his.port
    his.stop()
    [result_id] = queued(store)
    clock = Clock()
    delivery = HisDelivery(endpoint(pki, url), store, clock=clock)
    with caplog.at_level(logging.WARNING):
        assert delivery.run_once() == 1
    status = his_outbox.status(store, now_ms=int(clock.now * 1000))
    assert status.counts["pending"] == 1 and status.last_error == "HIS_UNREACHABLE"
    assert ID_NUMBER not in caplog.text
    assert delivery.run_once() == 0  # backing off: not due yet
    his.start(port)
    clock.now += his_outbox.FIRST_RETRY_MS / 1000
    assert delivery.run_once() == 1
    assert states(store) == {result_id: "delivered"} and len(his.received) == 1


def test_a_refusal_is_kept_for_staff_and_not_sent_again(store, pki, his):
    his.answer = 400
    [result_id] = queued(store)
    clock = Clock()
    delivery = HisDelivery(endpoint(pki, his.url), store, clock=clock)
    delivery.run_once()
    assert states(store) == {result_id: "refused"}
    assert his_outbox.status(store, now_ms=T0).last_error == "HIS_REFUSED"
    clock.now += 3600
    assert delivery.run_once() == 0 and his.requests == 1
    # Retention erases it (with the identifier) after keep_refused_his_days, not before.
    policy = retention.RetentionPolicy(keep_refused_his_days=14)
    assert retention.purge(store, T0 + 13 * retention.DAY_MS, policy).his_messages == 0
    assert retention.purge(store, T0 + 15 * retention.DAY_MS, policy).his_messages == 1
    assert count(store, "his_message") == 0 and count(store, "result") == 1


def test_a_his_that_fails_itself_is_tried_again(store, pki, his):
    his.answer = 503
    queued(store)
    clock = Clock()
    delivery = HisDelivery(endpoint(pki, his.url), store, clock=clock)
    delivery.run_once()
    assert his_outbox.status(store, now_ms=T0).counts["pending"] == 1
    his.answer = 201
    clock.now += his_outbox.FIRST_RETRY_MS / 1000
    delivery.run_once()
    assert his_outbox.status(store, now_ms=T0).counts["delivered"] == 1


def test_a_his_certificate_from_another_ca_is_not_trusted(store, pki, tmp_path):
    stranger = create_test_pki(tmp_path / "other")
    impostor = HisServer(pki, server_cert=stranger.server.cert, server_key=stranger.server.key)
    impostor.start()
    try:
        queued(store)
        delivery = HisDelivery(endpoint(pki, impostor.url), store, clock=Clock())
        delivery.run_once()
    finally:
        impostor.stop()
    assert impostor.received == []
    status = his_outbox.status(store, now_ms=T0)
    assert status.counts["pending"] == 1 and status.last_error == "HIS_TLS_FAILED"


def test_a_kiosk_certificate_the_his_does_not_know_gets_nothing_in(store, pki, his, tmp_path):
    stranger = create_test_pki(tmp_path / "other")
    foreign = issue_certificate(stranger.ca, tmp_path / "other", "foreign", "kiosk-x",
                                server=False)  # fmt: skip
    queued(store)
    delivery = HisDelivery(
        HisEndpoint(url=his.url, ca_file=pki.ca_cert, cert_file=foreign.cert,
                    key_file=foreign.key, timeout_s=5.0),
        store, clock=Clock(),
    )  # fmt: skip
    delivery.run_once()
    assert his.received == []
    status = his_outbox.status(store, now_ms=T0)
    assert status.counts["pending"] == 1
    assert status.last_error in ("HIS_TLS_FAILED", "HIS_UNREACHABLE")  # TLS 1.3: after the hello


def test_a_pending_message_keeps_its_result_past_retention(store, pki):
    [result_id] = queued(store)
    store.execute_sql(
        "UPDATE outbox SET state = 'anchored', anchored_at_ms = ? WHERE result_id = ?",
        (T0, result_id),
    )
    report = retention.purge(store, T0 + 90 * retention.DAY_MS, retention.RetentionPolicy())
    assert report.results == 0 and states(store) == {result_id: "pending"}


def test_the_queue_goes_in_the_same_transaction_as_the_result(store):
    signed = fake_result(T0, 0)
    body = checkin_bundle(checkin(signed.result_id))
    assert record(store, signed, his_body=body)
    assert not record(store, signed, his_body=body)  # the flow retried: no second message
    assert count(store, "his_message") == 1
