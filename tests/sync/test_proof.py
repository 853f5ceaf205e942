"""Inclusion proofs as the kiosk stores them: the codec (fuzzed) and the check against an
anchor. The anchors here are built from real Merkle trees of real payload bytes; the chain's
side of the check is exercised end to end in test_end_to_end.py."""

from __future__ import annotations

import os

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_sync.protocol.anchor import Anchor
from edge_sync.protocol.merkle import audit_path, leaf_hash, root_of
from edge_sync.protocol.proof import InclusionProof, ProofError, check_proof

BATCH = "01a2025e-4b0b-7df1-8140-4c0b65bff775"


def tree(size: int) -> tuple[list[bytes], list[bytes]]:
    payloads = [os.urandom(40 + i) for i in range(size)]
    return payloads, [leaf_hash(p) for p in payloads]


def proof_for(leaves: list[bytes], index: int) -> InclusionProof:
    return InclusionProof(BATCH, "0x" + "ab" * 32, index, len(leaves),
                          tuple(audit_path(leaves, index)))  # fmt: skip


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 500])
def test_every_leaf_of_a_tree_proves_against_its_anchor(size):
    payloads, leaves = tree(size)
    anchor = Anchor(root_of(leaves), size, 10, 0)
    for index in {0, size // 2, size - 1}:
        proof = InclusionProof.decode(proof_for(leaves, index).encode())
        check = check_proof(payloads[index], proof, anchor)
        assert check.ok and check.reason == "PROOF_OK", (size, index)


def test_an_altered_payload_or_anchor_is_caught_with_its_reason():
    payloads, leaves = tree(9)
    proof = proof_for(leaves, 4)
    anchor = Anchor(root_of(leaves), 9, 10, 0)
    assert check_proof(payloads[4] + b"x", proof, anchor).reason == "PROOF_ROOT_MISMATCH"
    assert check_proof(payloads[5], proof, anchor).reason == "PROOF_ROOT_MISMATCH"
    assert check_proof(payloads[4], proof, Anchor(anchor.merkle_root, 10, 10, 0)).reason == (
        "PROOF_SIZE_MISMATCH"
    )
    assert check_proof(payloads[4], proof, None).reason == "PROOF_NOT_ON_CHAIN"
    short = InclusionProof(BATCH, "", 4, 9, proof.path[:-1])
    assert check_proof(payloads[4], short, anchor).reason == "PROOF_PATH_SHAPE"


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"\xff",
        cbor2.dumps([1, 2]),
        cbor2.dumps({"batch_id": "nope", "leaf_index": 0, "tree_size": 1, "path": []}),
        cbor2.dumps({"batch_id": BATCH, "leaf_index": 3, "tree_size": 3, "path": []}),
        cbor2.dumps({"batch_id": BATCH, "leaf_index": 0, "tree_size": 2, "path": [b"short"]}),
        cbor2.dumps({"batch_id": BATCH, "tree_size": 2, "path": []}),
    ],
)
def test_malformed_proofs_are_refused_with_proof_malformed(blob):
    with pytest.raises(ProofError) as caught:
        InclusionProof.decode(blob)
    assert caught.value.reason == "PROOF_MALFORMED"


@given(st.binary(max_size=300))
def test_fuzz_decode_raises_only_proof_error(blob):
    try:
        InclusionProof.decode(blob)
    except ProofError as exc:
        assert exc.reason == "PROOF_MALFORMED"


@given(
    st.dictionaries(
        st.sampled_from(["batch_id", "tx_hash", "leaf_index", "tree_size", "path", "x"]),
        st.one_of(
            st.integers(),
            st.text(max_size=40),
            st.binary(max_size=40),
            st.lists(st.binary(min_size=32, max_size=32), max_size=3),
            st.none(),
        ),
    )
)
def test_fuzz_decode_of_near_valid_maps(data):
    try:
        proof = InclusionProof.decode(cbor2.dumps(data))
    except ProofError:
        return
    assert 0 <= proof.leaf_index < proof.tree_size
