"""Acks the agent can check: the gateway signs each one, the agent verifies it against the
gateway keys pinned in its config before any state changes.

Why: an ack moves a result forward in the device's outbox, and ``anchored`` is the state after
which the device may forget it. Before acks were signed, whoever could publish on a device's
ack topic (a stolen gateway certificate, a hostile broker) could mark results anchored that no
gateway held; they were never resent and were purged 30 days later (issue 18).

The signature is ECDSA P-256 with SHA-256, the curve and encoding of NEO (64 bytes, r || s), by
the gateway's anchoring account: the key the chain already knows as the one that anchors, so a
device pins one public key per gateway account and needs no other PKI.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from edge_sync.protocol.merkle import verify_inclusion
from edge_sync.protocol.registration_wire import RegistrationAck
from edge_sync.protocol.signature import verify
from edge_sync.protocol.wire import AckMessage

Signer = Callable[[bytes], bytes]


def sign_ack(ack: AckMessage, device_id: str, sign: Signer) -> AckMessage:
    return replace(ack, signature=sign(ack.signed_bytes(device_id)))


def signed_by_gateway(ack: AckMessage, device_id: str, keys: Sequence[bytes]) -> bool:
    """True when one of the pinned gateway ``keys`` (compressed SEC1 points) signed ``ack``
    for ``device_id``."""
    if ack.signature is None:
        return False
    message = ack.signed_bytes(device_id)
    return any(verify(message, ack.signature, key) for key in keys)


def answer_holds_its_key(answer: RegistrationAck) -> bool:
    """A registration answer names the gateway's ack key and is signed by it: the device pins
    a key that the gateway that registered it proved it holds."""
    if answer.gateway_key is None or answer.signature is None:
        return False
    return verify(answer.signed_bytes(), answer.signature, answer.gateway_key)


def proves_payload(ack: AckMessage, payload: bytes) -> bool:
    """An ``anchored`` ack's inclusion proof leads from the hash of *this device's own*
    payload to the ack's root: a proof made for some other leaf does not."""
    if ack.root is None or ack.leaf_index is None or ack.tree_size is None:
        return False
    return verify_inclusion(payload, ack.leaf_index, ack.tree_size, ack.path, ack.root)
