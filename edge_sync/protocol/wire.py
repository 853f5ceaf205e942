"""What travels over MQTT between the device agent and the gateway: pure codecs.

Every message is a deterministic-CBOR map with a version ``v``. Decoders never trust the
sender: anything malformed raises ``WireError`` with a ``WIRE_*`` reason and, where the CBOR
decoder knows it, the byte offset, so a bad message is logged precisely and dropped (or,
at the gateway, answered with a ``rejected`` ack) without taking the process down.

Topics (``bdmi/v1/{site}/{device}/...``):

- ``results`` (device -> gateway, QoS 1): ``ResultMessage``, one signed result.
- ``acks`` (gateway -> device, QoS 1): ``AckMessage``: ``accepted`` (durable at the
  gateway: stop resending), ``anchored`` (with the batch, transaction and Merkle proof), or
  ``rejected`` (with a reason code; the device keeps the result and flags it).
- ``status`` (retained; last will ``offline``) and ``health``: ``StatusMessage``,
  ``HealthMessage``.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import cbor2

from edge_sync.protocol.signed import SignedResult

VERSION = 1
_SITE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_DEVICE = re.compile(r"^0x[0-9a-f]{40}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
MAX_MESSAGE = 64 * 1024


class WireError(ValueError):
    def __init__(self, message: str, *, reason: str, offset: int | None = None) -> None:
        where = f" at byte {offset}" if offset is not None else ""
        super().__init__(f"{reason}: {message}{where}")
        self.reason = reason
        self.offset = offset


def results_topic(site: str, device_id: str) -> str:
    return f"bdmi/v1/{site}/{device_id}/results"


def acks_topic(site: str, device_id: str) -> str:
    return f"bdmi/v1/{site}/{device_id}/acks"


def status_topic(site: str, device_id: str) -> str:
    return f"bdmi/v1/{site}/{device_id}/status"


def health_topic(site: str, device_id: str) -> str:
    return f"bdmi/v1/{site}/{device_id}/health"


def gateway_results(share_group: str) -> str:
    """The gateways' shared subscription to every device's results. The group name is a
    site secret (``broker.share_group``): Mosquitto's ACL file cannot refuse a subscription,
    only each delivery, so a device certificate that joined a group it could guess would be
    dealt a share of the results and have them dropped (tests/security/test_broker_acl.py)."""
    return f"$share/{share_group}/bdmi/v1/+/+/results"


def parse_topic(topic: str) -> tuple[str, str, str]:
    """(site, device_id, kind) of a ``bdmi/v1/...`` topic."""
    parts = topic.split("/")
    if len(parts) != 5 or parts[:2] != ["bdmi", "v1"]:
        raise WireError(f"not a bdmi/v1 topic: {topic!r}", reason="WIRE_TOPIC")
    site, device, kind = parts[2:]
    if not _SITE.match(site) or not _DEVICE.match(device):
        raise WireError(f"malformed site or device in {topic!r}", reason="WIRE_TOPIC")
    return site, device, kind


def _encode(data: dict[str, Any]) -> bytes:
    return cbor2.dumps({"v": VERSION, **data}, canonical=True)


def _decode(data: bytes, kind: str) -> dict[str, Any]:
    if len(data) > MAX_MESSAGE:
        raise WireError(f"{kind} of {len(data)} bytes exceeds {MAX_MESSAGE}", reason="WIRE_SIZE")
    stream = io.BytesIO(data)
    try:
        value = cbor2.CBORDecoder(stream).decode()
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError, EOFError) as exc:
        raise WireError(
            f"{kind} is not CBOR ({exc})", reason="WIRE_NOT_CBOR", offset=stream.tell()
        ) from exc
    if stream.tell() != len(data):
        raise WireError(f"{kind} has trailing bytes", reason="WIRE_TRAILING", offset=stream.tell())
    if not isinstance(value, dict):
        raise WireError(f"{kind} is not a map", reason="WIRE_SCHEMA")
    if value.get("v") != VERSION:
        raise WireError(f"{kind} version {value.get('v')!r} unsupported", reason="WIRE_VERSION")
    return value


def _field(data: dict[str, Any], name: str, kind: type, what: str) -> Any:
    value = data.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise WireError(
            f"{what}: field {name!r} missing or not {kind.__name__}", reason="WIRE_SCHEMA"
        )
    return value


@dataclass(frozen=True, slots=True)
class ResultMessage:
    signed: SignedResult

    def encode(self) -> bytes:
        s = self.signed
        return _encode(
            {
                "result_id": s.result_id,
                "device_id": s.device_id,
                "key_id": s.key_id,
                "kind": s.kind,
                "flow": s.flow,
                "decision": s.decision,
                "created_at_ms": s.created_at_ms,
                "payload": s.payload,
                "signature": s.signature,
            }
        )

    @classmethod
    def decode(cls, data: bytes) -> ResultMessage:
        d = _decode(data, "result message")
        what = "result message"
        result_id = _field(d, "result_id", str, what)
        if not _UUID.match(result_id):
            raise WireError(f"result_id {result_id!r} is not a UUIDv7", reason="WIRE_SCHEMA")
        for name in ("device_id", "key_id"):
            if not _DEVICE.match(_field(d, name, str, what)):
                raise WireError(f"{name} is not a 0x script hash", reason="WIRE_SCHEMA")
        signature = _field(d, "signature", bytes, what)
        if len(signature) != 64:
            raise WireError("signature is not 64 bytes", reason="WIRE_SCHEMA")
        return cls(
            SignedResult(
                result_id=result_id,
                device_id=d["device_id"],
                key_id=d["key_id"],
                kind=_field(d, "kind", str, what),
                flow=_field(d, "flow", str, what),
                decision=_field(d, "decision", str, what),
                created_at_ms=_field(d, "created_at_ms", int, what),
                payload=_field(d, "payload", bytes, what),
                signature=signature,
            )
        )


AckStatus = Literal["accepted", "anchored", "rejected"]


@dataclass(frozen=True, slots=True)
class AckMessage:
    result_id: str
    status: AckStatus
    reason: str | None = None
    batch_id: str | None = None
    tx_hash: str | None = None
    root: bytes | None = None
    leaf_index: int | None = None
    tree_size: int | None = None
    path: tuple[bytes, ...] = field(default_factory=tuple)
    signature: bytes | None = None
    """The gateway's signature over ``signed_bytes`` (edge_sync/protocol/ack_signature.py): the
    agent changes no state on an ack it cannot verify against a gateway key it pinned."""

    def _fields(self) -> dict[str, Any]:
        data: dict[str, Any] = {"result_id": self.result_id, "status": self.status}
        for name in ("reason", "batch_id", "tx_hash", "root", "leaf_index", "tree_size"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        if self.path:
            data["path"] = list(self.path)
        return data

    def encode(self) -> bytes:
        data = self._fields()
        if self.signature is not None:
            data["sig"] = self.signature
        return _encode(data)

    def signed_bytes(self, device_id: str) -> bytes:
        """What the gateway signs: every field but the signature, bound to the device the ack
        is for and to its purpose, so no signed ack can be replayed to another device or read
        as another kind of signed message."""
        return b"bdmi/v1/ack\x00" + device_id.encode("ascii") + b"\x00" + _encode(self._fields())

    @classmethod
    def decode(cls, data: bytes) -> AckMessage:
        d = _decode(data, "ack")
        status = _field(d, "status", str, "ack")
        if status not in ("accepted", "anchored", "rejected"):
            raise WireError(f"unknown ack status {status!r}", reason="WIRE_SCHEMA")
        path = d.get("path", [])
        if not isinstance(path, list) or not all(
            isinstance(p, bytes) and len(p) == 32 for p in path
        ):
            raise WireError("path is not a list of 32-byte hashes", reason="WIRE_SCHEMA")
        ack = cls(
            result_id=_field(d, "result_id", str, "ack"),
            status=status,  # type: ignore[arg-type]
            reason=d.get("reason"),
            batch_id=d.get("batch_id"),
            tx_hash=d.get("tx_hash"),
            root=d.get("root"),
            leaf_index=d.get("leaf_index"),
            tree_size=d.get("tree_size"),
            path=tuple(path),
            signature=d.get("sig"),
        )
        if ack.signature is not None and (
            not isinstance(ack.signature, bytes) or len(ack.signature) != 64
        ):
            raise WireError("signature is not 64 bytes", reason="WIRE_SCHEMA")
        if status == "anchored":
            ok = (
                isinstance(ack.batch_id, str)
                and isinstance(ack.tx_hash, str)
                and isinstance(ack.root, bytes)
                and len(ack.root) == 32
                and isinstance(ack.leaf_index, int)
                and isinstance(ack.tree_size, int)
                and 0 <= ack.leaf_index < ack.tree_size
            )
            if not ok:
                raise WireError("anchored ack without a complete proof", reason="WIRE_SCHEMA")
        if status == "rejected" and not isinstance(ack.reason, str):
            raise WireError("rejected ack without a reason", reason="WIRE_SCHEMA")
        return ack


def encode_status(state: Literal["online", "offline"], at_ms: int) -> bytes:
    return _encode({"state": state, "at_ms": at_ms})


def decode_status(data: bytes) -> dict[str, Any]:
    d = _decode(data, "status")
    if d.get("state") not in ("online", "offline"):
        raise WireError("status state is not online/offline", reason="WIRE_SCHEMA")
    return d


def encode_health(report: dict[str, Any]) -> bytes:
    """Queue depth, age of the oldest unsent result, disk, device states: numbers and codes
    only (the agent builds it; nothing personal can be in it)."""
    return _encode({"health": report})


def decode_health(data: bytes) -> dict[str, Any]:
    d = _decode(data, "health")
    if not isinstance(d.get("health"), dict):
        raise WireError("health message without a report", reason="WIRE_SCHEMA")
    return d["health"]
