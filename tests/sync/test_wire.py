"""MQTT message codecs: round trips, and every malformed message is a named WireError
(with the byte offset where the CBOR decoder knows it), never a crash (fuzzed)."""

from __future__ import annotations

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_sync.protocol.result import uuid7
from edge_sync.protocol.signed import SignedResult
from edge_sync.protocol.wire import (
    AckMessage,
    ResultMessage,
    WireError,
    decode_health,
    decode_status,
    encode_health,
    encode_status,
    parse_topic,
    results_topic,
)

DEVICE = "0x" + "ab" * 20
SIGNED = SignedResult(
    result_id=uuid7(1_790_000_000_000),
    device_id=DEVICE,
    key_id=DEVICE,
    kind="verification",
    flow="hospital_checkin",
    decision="referred",
    created_at_ms=1_790_000_000_000,
    payload=b"\xa1av\x01",
    signature=bytes(range(64)),
)


def test_result_round_trip():
    data = ResultMessage(SIGNED).encode()
    assert ResultMessage.decode(data).signed == SIGNED
    assert data == ResultMessage(SIGNED).encode()  # deterministic


def test_ack_round_trips():
    for ack in (
        AckMessage(SIGNED.result_id, "accepted"),
        AckMessage(SIGNED.result_id, "rejected", reason="SEC_RESULT_SIGNATURE"),
        AckMessage(SIGNED.result_id, "anchored", batch_id="b1", tx_hash="0x" + "1" * 64,
                   root=b"\x02" * 32, leaf_index=3, tree_size=5, path=(b"\x03" * 32,)),
    ):  # fmt: skip
        assert AckMessage.decode(ack.encode()) == ack


def test_status_and_health_round_trip():
    assert decode_status(encode_status("offline", 5))["state"] == "offline"
    assert decode_health(encode_health({"queue": 3, "oldest_s": 12})) == {
        "queue": 3,
        "oldest_s": 12,
    }


def test_topics():
    topic = results_topic("demo-hospital", DEVICE)
    assert parse_topic(topic) == ("demo-hospital", DEVICE, "results")
    for bad in ("bdmi/v2/x/y/results", "bdmi/v1/UPPER/0x00/results", "a/b"):
        with pytest.raises(WireError) as caught:
            parse_topic(bad)
        assert caught.value.reason == "WIRE_TOPIC"


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: {**d, "v": 2}, "WIRE_VERSION"),
        (lambda d: {**d, "signature": b"short"}, "WIRE_SCHEMA"),
        (lambda d: {**d, "result_id": "not-a-uuid"}, "WIRE_SCHEMA"),
        (lambda d: {**d, "device_id": "0xZZ"}, "WIRE_SCHEMA"),
        (lambda d: {**d, "created_at_ms": True}, "WIRE_SCHEMA"),
        (lambda d: {k: v for k, v in d.items() if k != "payload"}, "WIRE_SCHEMA"),
    ],
)
def test_malformed_result_messages_are_named(mutate, reason):
    data = cbor2.loads(ResultMessage(SIGNED).encode())
    with pytest.raises(WireError) as caught:
        ResultMessage.decode(cbor2.dumps(mutate(data)))
    assert caught.value.reason == reason


def test_truncated_and_trailing_bytes_give_the_offset():
    data = ResultMessage(SIGNED).encode()
    with pytest.raises(WireError) as caught:
        ResultMessage.decode(data[:40])
    assert caught.value.reason == "WIRE_NOT_CBOR" and caught.value.offset is not None
    with pytest.raises(WireError) as caught:
        ResultMessage.decode(data + b"\x00")
    assert caught.value.reason == "WIRE_TRAILING" and caught.value.offset == len(data)
    with pytest.raises(WireError) as caught:
        ResultMessage.decode(b"\x00" * (64 * 1024 + 1))
    assert caught.value.reason == "WIRE_SIZE"


def test_an_anchored_ack_must_carry_its_proof():
    bad = AckMessage(SIGNED.result_id, "anchored", batch_id="b1").encode()
    with pytest.raises(WireError):
        AckMessage.decode(bad)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_fuzzed_bytes_never_crash_a_decoder(data):
    for decode in (ResultMessage.decode, AckMessage.decode, decode_status, decode_health):
        try:
            decode(data)
        except WireError as exc:
            assert exc.reason.startswith("WIRE_")


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["v", "result_id", "status", "path", "signature", "payload", "x"]),
        st.integers(-3, 3) | st.text(max_size=5) | st.binary(max_size=40)
        | st.lists(st.binary(max_size=33), max_size=3),
        max_size=7,
    )
)  # fmt: skip
def test_fuzzed_maps_never_crash_a_decoder(value):
    data = cbor2.dumps(value)
    for decode in (ResultMessage.decode, AckMessage.decode):
        try:
            decode(data)
        except WireError as exc:
            assert exc.reason.startswith("WIRE_")
