"""VerificationResult: deterministic bytes, a signature NEO can check, and refusal of any
tampering, non-canonical encoding or malformed payload (fuzzed)."""

from __future__ import annotations

import dataclasses

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from neo3.core import cryptography as neo_crypto

from drivers.document import ChipAuthentication, DocumentType
from edge_sync.protocol.result import (
    VerificationResult,
    decode_payload,
    sign_result,
    uuid7,
    verify_signed,
)
from kiosk.idv.decision import Assurance, DocumentEvidence, FlowPolicy, decide
from kiosk.idv.gestures import Gesture
from kiosk.idv.liveness import ChallengeReport, LivenessReport
from kiosk.idv.matching import MatchMode, match, thresholds_for
from kiosk.idv.record import verification_result
from kiosk.security.device_key import Keyring, create_machine_secret
from kiosk.security.errors import SecurityError
from kiosk.security.subject import subject_ref

SITE_KEY = b"k" * 32
DOCUMENT_NUMBER = "11010519491231002X"


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    root = tmp_path_factory.mktemp("device")
    return Keyring(root / "keys", create_machine_secret(root / "machine.secret")).create()


def liveness(passed: bool = True) -> LivenessReport:
    challenges = (
        ChallengeReport(Gesture.TURN_LEFT, 100.5, 101.7, (("turn_left", 101.2),)),
        ChallengeReport(Gesture.BLINK, 102.0, 102.9, (("blink", 102.6),)),
    )
    return LivenessReport(passed, None if passed else "IDV_LIVENESS_TIMEOUT", challenges,
                          100.0, 103.0, {})  # fmt: skip


def result_for(key, distance: float, *, passed: bool = True) -> VerificationResult:
    import numpy as np

    probe, template = np.zeros(128), np.zeros(128)
    template[0] = distance
    outcome = match(probe, template, thresholds_for("dlib_resnet_v1", MatchMode.PROBE_FUSED))
    document = DocumentEvidence(DocumentType.ICAO_TD3, ChipAuthentication.PASSED)
    verdict = decide(FlowPolicy(Assurance.EA5_PLUS), document, liveness(passed), outcome)
    return verification_result(
        verdict,
        key=key,
        site="demo-hospital",
        flow="pension_survival",
        document=document,
        subject_ref=subject_ref(SITE_KEY, document.doc_type.value, DOCUMENT_NUMBER),
        started_ms=1_790_000_000_000,
        decided_ms=1_790_000_012_345,
        probe_images=3,
    )


@pytest.mark.parametrize(
    ("distance", "passed", "decision", "zone"),
    [(0.30, True, "pass", "accept"), (0.42, True, "referred", "refer"),
     (0.70, True, "fail", "reject"), (0.30, False, "fail", "accept")],
)  # fmt: skip
def test_every_outcome_is_a_signed_result_with_its_zone(key, distance, passed, decision, zone):
    result = result_for(key, distance, passed=passed)
    assert result.decision == decision
    assert result.scores.match is not None and result.scores.match.zone == zone
    signed = sign_result(result, key)
    back = verify_signed(signed, {key.key_id: key.public_key})
    assert back == result
    assert signed.decision == decision and signed.result_id == result.result_id


def test_the_encoding_is_deterministic_and_float_free(key):
    result = result_for(key, 0.30)
    assert result.encode() == result.encode()
    assert VerificationResult.model_validate(cbor2.loads(result.encode())).encode() == (
        result.encode()
    )

    def no_floats(value: object) -> None:
        assert not isinstance(value, float)
        if isinstance(value, dict):
            for k, v in value.items():
                no_floats(k)
                no_floats(v)
        elif isinstance(value, list | tuple):
            for v in value:
                no_floats(v)

    no_floats(cbor2.loads(result.encode()))
    # map keys sorted shortest first, then bytewise (RFC 8949 section 4.2.1 for text keys)
    keys = list(cbor2.loads(result.encode()).keys())
    assert keys == sorted(keys, key=lambda k: (len(k.encode()), k.encode()))


def test_a_neo_node_would_accept_the_signature(key):
    signed = sign_result(result_for(key, 0.30), key)
    assert neo_crypto.verify_signature(signed.payload, signed.signature, key.public_key)


def test_no_personal_data_in_the_payload(key):
    payload = result_for(key, 0.30).encode()
    assert DOCUMENT_NUMBER.encode() not in payload
    assert b"11010519491231" not in payload


def test_tampering_is_refused_with_the_reason(key):
    signed = sign_result(result_for(key, 0.30), key)
    keys = {key.key_id: key.public_key}
    # a flipped byte anywhere in the payload
    for offset in (0, len(signed.payload) // 2, len(signed.payload) - 1):
        payload = bytearray(signed.payload)
        payload[offset] ^= 0x01
        with pytest.raises(SecurityError) as caught:
            verify_signed(dataclasses.replace(signed, payload=bytes(payload)), keys)
        assert caught.value.reason == "SEC_RESULT_SIGNATURE"
    # a decision changed in the envelope only
    with pytest.raises(SecurityError) as caught:
        verify_signed(dataclasses.replace(signed, decision="fail"), keys)
    assert caught.value.reason == "SEC_RESULT_ENVELOPE"
    with pytest.raises(SecurityError) as caught:
        verify_signed(signed, {})
    assert caught.value.reason == "SEC_KEY_UNKNOWN"


def test_a_re_signed_non_canonical_payload_is_still_refused(key):
    result = result_for(key, 0.30)
    loose = cbor2.dumps(dict(reversed(list(result.model_dump(mode="python").items()))))
    assert loose != result.encode()
    signed = dataclasses.replace(sign_result(result, key), payload=loose, signature=key.sign(loose))
    with pytest.raises(SecurityError) as caught:
        verify_signed(signed, {key.key_id: key.public_key})
    assert caught.value.reason == "SEC_RESULT_NOT_CANONICAL"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_decoding_garbage_raises_a_named_error_only(data):
    with pytest.raises(SecurityError) as caught:
        decode_payload(data)
    assert caught.value.reason.startswith("SEC_RESULT_")


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(max_size=12), st.integers() | st.text(max_size=8), max_size=12))
def test_decoding_wrong_maps_raises_a_named_error_only(data):
    with pytest.raises(SecurityError) as caught:
        decode_payload(cbor2.dumps({**data, "v": 1}, canonical=True))
    assert caught.value.reason.startswith("SEC_RESULT_")


def test_uuid7_is_time_ordered_and_well_formed():
    import uuid

    ids = [uuid7(1_790_000_000_000 + i) for i in range(50)]
    assert ids == sorted(ids)
    parsed = uuid.UUID(ids[0])
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert int(parsed.hex[:12], 16) == 1_790_000_000_000


def test_subject_ref_is_stable_normalised_and_site_bound():
    a = subject_ref(SITE_KEY, "icao_td3", "L898902C3")
    assert a == subject_ref(SITE_KEY, "icao_td3", "l898902c3<")
    assert a != subject_ref(SITE_KEY, "icao_td1", "L898902C3")
    assert a != subject_ref(b"o" * 32, "icao_td3", "L898902C3")
    assert len(a) == 64 and "L898902C3" not in a
    with pytest.raises(SecurityError):
        subject_ref(SITE_KEY, "icao_td3", " << ")
