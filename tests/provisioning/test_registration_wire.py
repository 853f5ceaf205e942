"""The registration codecs: round trips, and nothing but ``WireError`` out of any bytes."""

from __future__ import annotations

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_sync.protocol.registration_wire import RegistrationAck, RegistrationRequest
from edge_sync.protocol.wire import WireError

requests = st.builds(
    RegistrationRequest,
    request_id=st.text("0123456789abcdef", min_size=32, max_size=32),
    device_id=st.text("0123456789abcdef", min_size=40, max_size=40).map(lambda h: "0x" + h),
    site=st.from_regex(r"[a-z0-9][a-z0-9-]{1,20}", fullmatch=True),
    public_key=st.binary(min_size=32, max_size=32).flatmap(
        lambda x: st.sampled_from([b"\x02" + x, b"\x03" + x])
    ),
    certificate=st.binary(min_size=1, max_size=300),
    csr=st.binary(min_size=1, max_size=300),
    requested_at_ms=st.integers(0, 2**63 - 1),
    signature=st.binary(min_size=64, max_size=64),
)
acks = st.one_of(
    st.builds(
        RegistrationAck,
        request_id=st.text(max_size=40),
        status=st.just("registered"),
        device_id=st.text(max_size=42),
        already=st.booleans(),
        tx_hash=st.none() | st.text(max_size=66),
    ),
    st.builds(
        RegistrationAck,
        request_id=st.text(max_size=40),
        status=st.just("rejected"),
        device_id=st.text(max_size=42),
        reason=st.from_regex(r"[A-Z][A-Z0-9_]{2,30}", fullmatch=True),
    ),
)


@given(requests)
def test_a_request_round_trips_and_its_signed_bytes_exclude_the_signature(request):
    decoded = RegistrationRequest.decode(request.encode())
    assert decoded == request
    unsigned = RegistrationRequest(**{**_fields(request), "signature": bytes(64)})
    assert unsigned.signed_bytes() == request.signed_bytes()


@given(acks)
def test_an_ack_round_trips(ack):
    assert RegistrationAck.decode(ack.encode()) == ack


@settings(max_examples=300)
@given(st.binary(max_size=2000))
def test_any_bytes_decode_or_raise_wire_error(data):
    for codec in (RegistrationRequest, RegistrationAck):
        try:
            codec.decode(data)
        except WireError as exc:
            assert exc.reason.startswith("WIRE_")


@settings(max_examples=300)
@given(requests, st.data())
def test_a_mutated_request_decodes_or_raises_wire_error(request, data):
    raw = bytearray(request.encode())
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    try:
        RegistrationRequest.decode(bytes(raw))
    except WireError as exc:
        assert exc.reason.startswith("WIRE_")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"signature": b"\x00" * 63}, "WIRE_SCHEMA"),
        ({"public_key": b"\x04" + bytes(32)}, "WIRE_SCHEMA"),
        ({"device_id": "0xABC"}, "WIRE_SCHEMA"),
        ({"certificate": b""}, "WIRE_SCHEMA"),
        ({"requested_at_ms": True}, "WIRE_SCHEMA"),
        ({"v": 2}, "WIRE_VERSION"),
    ],
)
def test_a_bad_field_is_named(change, reason):
    good = RegistrationRequest(
        "ab" * 16, "0x" + "12" * 20, "demo-hospital", b"\x02" + bytes(32), b"c", b"r", 1, bytes(64)
    )
    body = {"v": 1, **_fields(good), **change}
    with pytest.raises(WireError) as caught:
        RegistrationRequest.decode(cbor2.dumps(body, canonical=True))
    assert caught.value.reason == reason


def test_a_rejection_needs_a_reason_code():
    body = {"v": 1, "request_id": "", "status": "rejected", "device_id": "x", "already": False}
    with pytest.raises(WireError, match="without a reason"):
        RegistrationAck.decode(cbor2.dumps(body, canonical=True))
    with pytest.raises(WireError, match="not a reason code"):
        RegistrationAck.decode(cbor2.dumps({**body, "reason": "lower case"}, canonical=True))


def _fields(request: RegistrationRequest) -> dict:
    return {name: getattr(request, name) for name in request.__dataclass_fields__}
