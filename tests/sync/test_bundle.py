"""The offline USB bundle: the codec refuses anything malformed with a named BUNDLE_* reason
(fuzzed: nothing else ever escapes), and the gateway's import checks the bundle's own
signature against its registry, then applies the MQTT intake's checks to every result, on
SQLite and PostgreSQL. Import is idempotent: a second import changes nothing."""

from __future__ import annotations

import dataclasses

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_sync.gateway.bundle_import import import_bundle
from edge_sync.gateway.db import Device, DeviceKey, ReceivedResult, Rejection
from edge_sync.protocol.bundle import (
    Bundle,
    BundleError,
    read_bundle,
    verify_bundle_signature,
    write_bundle,
)
from edge_sync.protocol.signed import SignedResult
from kiosk.security.device_key import DeviceKey as Key
from kiosk.security.device_key import Keyring, create_machine_secret
from tests.sync.conftest import NOW_MS, SITE, forged, make_result, register

DAY_MS = 24 * 3600 * 1000


def clock() -> int:
    return NOW_MS + 1000


def bundle_of(key: Key, results: list[SignedResult], *, site: str = SITE) -> bytes:
    return write_bundle(
        device_id=key.device_id, site=site, created_at_ms=NOW_MS, results=results, signer=key
    )


def results_of(key: Key, n: int) -> list[SignedResult]:
    return [make_result(key, decided_ms=NOW_MS - 60_000 * (n - i)) for i in range(n)]


@pytest.fixture(scope="module")
def sample(device_key) -> tuple[bytes, list[SignedResult]]:
    results = results_of(device_key, 3)
    return bundle_of(device_key, results), results


@pytest.fixture(scope="module")
def stranger(tmp_path_factory) -> Key:
    """A device the gateway has never heard of."""
    root = tmp_path_factory.mktemp("stranger")
    return Keyring(root / "keys", create_machine_secret(root / "secret")).create()


def reencoded(data: bytes, **changes: object) -> bytes:
    """The bundle's map with fields replaced, canonically re-encoded (signature unchanged)."""
    value = cbor2.loads(data)
    value.update(changes)
    return cbor2.dumps(value, canonical=True)


# codec ------------------------------------------------------------------------------------------
def test_round_trip_and_signature(device_key, sample):
    data, results = sample
    bundle = read_bundle(data)
    assert isinstance(bundle, Bundle)
    assert (bundle.device_id, bundle.key_id, bundle.site) == (
        device_key.device_id,
        device_key.key_id,
        SITE,
    )
    assert bundle.created_at_ms == NOW_MS and list(bundle.results) == results
    verify_bundle_signature(bundle, {device_key.key_id: device_key.public_key})
    # The bundle's bytes are the canonical encoding: what was signed plus the signature.
    assert cbor2.dumps(cbor2.loads(data), canonical=True) == data


def test_a_changed_result_or_signature_does_not_verify(device_key, sample):
    data, results = sample
    keys = {device_key.key_id: device_key.public_key}
    at = data.find(results[1].payload) + 40
    altered = bytearray(data)
    altered[at] ^= 0x01
    bad_signature = reencoded(data, bundle_signature=bytes(64))
    for tampered in (bytes(altered), bad_signature):
        bundle = read_bundle(tampered)  # still well-formed ...
        with pytest.raises(BundleError) as caught:  # ... but not what the device signed
            verify_bundle_signature(bundle, keys)
        assert caught.value.reason == "BUNDLE_SIGNATURE"
    with pytest.raises(BundleError) as caught:
        verify_bundle_signature(read_bundle(data), {})
    assert caught.value.reason == "BUNDLE_KEY_UNKNOWN"


def test_malformed_bundles_are_named(sample):
    data, _ = sample
    value = cbor2.loads(data)
    shuffled = dict(reversed(list(value.items())))
    missing = [dict(value["results"][0]), {k: v for k, v in value["results"][1].items()
                                            if k != "signature"}]  # fmt: skip
    cases = [
        (b"", "BUNDLE_TRUNCATED", 0),
        (data[:-7], "BUNDLE_TRUNCATED", len(data) - 7),
        (b"\xff\x00", "BUNDLE_NOT_CBOR", None),
        (data + b"\x00", "BUNDLE_TRAILING", len(data)),
        (cbor2.dumps([1, 2]), "BUNDLE_FORMAT", 0),
        (reencoded(data, format="bdmi-backup"), "BUNDLE_FORMAT", None),
        (reencoded(data, version=2), "BUNDLE_VERSION", None),
        (reencoded(data, extra=1), "BUNDLE_FORMAT", None),
        (reencoded(data, site="Not A Site"), "BUNDLE_FORMAT", None),
        (reencoded(data, bundle_signature=b"short"), "BUNDLE_FORMAT", None),
        (reencoded(data, results={"a": 1}), "BUNDLE_FORMAT", None),
        (reencoded(data, results=missing), "BUNDLE_RESULT", None),
        (reencoded(data, results=[1]), "BUNDLE_RESULT", None),
        (cbor2.dumps(shuffled), "BUNDLE_NOT_CANONICAL", None),
    ]
    for raw, reason, offset in cases:
        with pytest.raises(BundleError) as caught:
            read_bundle(raw)
        assert caught.value.reason == reason, (raw[:20], str(caught.value))
        if offset is not None:
            assert caught.value.offset == offset, str(caught.value)
    with pytest.raises(BundleError) as caught:
        read_bundle(reencoded(data, results=missing))
    assert caught.value.index == 1 and "signature" in str(caught.value)


def test_the_writer_refuses_what_the_reader_would(device_key):
    with pytest.raises(BundleError) as caught:
        bundle_of(device_key, [], site="Bad Site")
    assert caught.value.reason == "BUNDLE_FORMAT"


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=600))
def test_fuzzed_bytes_raise_only_the_typed_error(data):
    try:
        read_bundle(data)
    except BundleError as error:
        assert error.reason.startswith("BUNDLE_")


@settings(max_examples=150, deadline=None)
@given(cut=st.integers(min_value=0), flip=st.integers(min_value=0), bit=st.integers(0, 7))
def test_truncated_or_flipped_bundles_are_refused(device_key, sample, cut, flip, bit):
    data, _ = sample
    cut %= len(data)
    with pytest.raises(BundleError) as caught:
        read_bundle(data[:cut])
    assert caught.value.reason == "BUNDLE_TRUNCATED" and caught.value.offset <= cut
    flipped = bytearray(data)
    flipped[flip % len(data)] ^= 1 << bit
    with pytest.raises(BundleError) as caught:
        # Either unreadable, or readable but no longer signed by the device.
        verify_bundle_signature(
            read_bundle(bytes(flipped)), {device_key.key_id: device_key.public_key}
        )
    assert caught.value.reason.startswith("BUNDLE_")


# import at the gateway ----------------------------------------------------------------------------
def test_import_stores_every_result_once_and_is_idempotent(gateway_db, device_key, sample):
    register(device_key)
    data, results = sample
    first = import_bundle(gateway_db, data, clock, source="stick.cbor")
    assert first == {
        "device_id": device_key.device_id,
        "site": SITE,
        "created_at_ms": NOW_MS,
        "results": 3,
        "accepted": 3,
        "duplicate": 0,
        "rejected": {},
    }
    stored = {r.result_id: bytes(r.payload) for r in ReceivedResult.select()}
    assert stored == {r.result_id: r.payload for r in results}
    again = import_bundle(gateway_db, data, clock, chunk_size=2)
    assert (again["accepted"], again["duplicate"], again["rejected"]) == (0, 3, {})
    assert ReceivedResult.select().count() == 3 and Rejection.select().count() == 0


def test_results_already_synced_over_mqtt_count_as_duplicates(gateway_db, device_key):
    from edge_sync.gateway.intake import Intake
    from edge_sync.protocol.wire import ResultMessage, results_topic

    register(device_key)
    results = results_of(device_key, 4)
    intake = Intake(gateway_db, clock_ms=clock)
    for signed in results[:2]:  # the agent got these through before the network went
        intake.receive(results_topic(SITE, device_key.device_id), ResultMessage(signed).encode())
    counts = import_bundle(gateway_db, bundle_of(device_key, results), clock)
    assert (counts["accepted"], counts["duplicate"]) == (2, 2)


def test_each_result_meets_the_same_checks_as_over_mqtt(gateway_db, device_key, stranger):
    register(device_key)
    good = results_of(device_key, 2)
    stored = make_result(device_key)
    import_bundle(gateway_db, bundle_of(device_key, [stored]), clock)
    bad = [
        forged(make_result(device_key)),  # a result damaged in the kiosk's store
        make_result(device_key, decided_ms=NOW_MS - 100 * DAY_MS),
        make_result(device_key, decided_ms=NOW_MS + DAY_MS),
        make_result(device_key, site="other-site"),
        make_result(stranger),  # another device's result: a device speaks only for itself
        make_result(device_key, result_id=stored.result_id, decision="fail", assurance="none"),
    ]
    counts = import_bundle(gateway_db, bundle_of(device_key, good + bad), clock)
    assert counts["accepted"] == 2 and counts["duplicate"] == 0
    assert counts["rejected"] == {
        "GW_RESULT_CONFLICT": 1,
        "GW_SITE_MISMATCH": 1,
        "GW_TIME_FUTURE": 1,
        "GW_TIME_TOO_OLD": 1,
        "GW_TOPIC_MISMATCH": 1,
        "SEC_RESULT_SIGNATURE": 1,
    }
    assert Rejection.select().count() == 6  # each in the rejection log, as over MQTT


def test_an_operator_may_widen_the_age_limit_for_a_checked_backlog(gateway_db, device_key):
    register(device_key)
    old = bundle_of(device_key, [make_result(device_key, decided_ms=NOW_MS - 100 * DAY_MS)])
    assert import_bundle(gateway_db, old, clock)["rejected"] == {"GW_TIME_TOO_OLD": 1}
    counts = import_bundle(gateway_db, old, clock, max_age_ms=200 * DAY_MS)
    assert counts["accepted"] == 1


def test_a_tampered_bundle_is_refused_whole(gateway_db, device_key, sample):
    register(device_key)
    data, results = sample
    altered = bytearray(data)
    altered[data.find(results[2].payload) + 40] ^= 0x01
    for tampered in (bytes(altered), reencoded(data, bundle_signature=bytes(64))):
        with pytest.raises(BundleError) as caught:
            import_bundle(gateway_db, tampered, clock, source="stick.cbor")
        assert caught.value.reason == "BUNDLE_SIGNATURE"
    assert ReceivedResult.select().count() == 0
    logged = [(r.topic, r.reason) for r in Rejection.select()]
    assert logged == [("usb-bundle:stick.cbor", "BUNDLE_SIGNATURE")] * 2


def test_a_bundle_from_an_unregistered_device_is_refused(gateway_db, device_key, stranger):
    register(device_key)
    with pytest.raises(BundleError) as caught:
        import_bundle(gateway_db, bundle_of(stranger, [make_result(stranger)]), clock)
    assert caught.value.reason == "GW_DEVICE_UNKNOWN"
    assert ReceivedResult.select().count() == 0
    assert Rejection.get().reason == "GW_DEVICE_UNKNOWN"


def test_a_revoked_device_or_unregistered_key_is_refused(gateway_db, device_key, sample):
    data, _ = sample
    register(device_key)
    other = dataclasses.replace(device_key.record, key_id="0x" + "77" * 20)
    with pytest.raises(BundleError) as caught:
        import_bundle(gateway_db, bundle_of(Key(other, device_key.account), []), clock)
    assert caught.value.reason == "GW_KEY_UNKNOWN"
    Device.update(revoked=True).execute()
    with pytest.raises(BundleError) as caught:
        import_bundle(gateway_db, data, clock)
    assert caught.value.reason == "GW_DEVICE_REVOKED"
    assert ReceivedResult.select().count() == 0


def test_after_a_rotation_old_results_verify_with_the_old_key(gateway_db, tmp_path):
    keyring = Keyring(tmp_path / "keys", create_machine_secret(tmp_path / "secret"))
    old = keyring.create(now=1)
    before = make_result(old)
    new = keyring.rotate(now=2)
    after = make_result(new)
    register(old)
    data = bundle_of(new, [before, after])
    with pytest.raises(BundleError) as caught:  # the rotation is not registered yet
        import_bundle(gateway_db, data, clock)
    assert caught.value.reason == "GW_KEY_UNKNOWN"
    DeviceKey.create(key_id=new.key_id, device=new.device_id, public_key=new.public_key)
    assert import_bundle(gateway_db, data, clock)["accepted"] == 2
