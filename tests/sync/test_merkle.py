"""RFC 6962 Merkle trees: the published test vectors, and every inclusion proof checks."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from edge_sync.protocol.merkle import (
    EMPTY_ROOT,
    all_audit_paths,
    audit_path,
    leaf_hash,
    node_hash,
    root_from_path,
    root_of,
    verify_inclusion,
)

# RFC 6962 / Certificate Transparency reference inputs (the "leaves" of its test suite).
CT_INPUTS = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]


def ct_leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def test_ct_reference_roots():
    leaves = [ct_leaf(d) for d in CT_INPUTS]
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root_of(leaves[:1]).hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert root_of(leaves).hex() == (
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    )


def test_leaves_and_nodes_are_domain_separated():
    payload = b"x" * 64
    assert leaf_hash(payload) != hashlib.sha256(payload).digest()
    left, right = leaf_hash(b"a"), leaf_hash(b"b")
    assert node_hash(left, right) != leaf_hash(left + right)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=70))
def test_every_leaf_has_a_proof_to_the_root(payloads):
    leaves = [leaf_hash(p) for p in payloads]
    root = root_of(leaves)
    for index, payload in enumerate(payloads):
        path = audit_path(leaves, index)
        assert verify_inclusion(payload, index, len(leaves), path, root)
        assert not verify_inclusion(payload + b"!", index, len(leaves), path, root)
        if len(leaves) > 1:
            wrong = (index + 1) % len(leaves)
            assert root_from_path(leaves[index], wrong, len(leaves), path) != root or (
                leaves[wrong] == leaves[index]
            )


@settings(max_examples=200, deadline=None)
@given(
    index=st.integers(-3, 80),
    size=st.integers(-3, 80),
    path=st.lists(st.binary(max_size=40), max_size=9),
)
def test_malformed_proofs_never_crash(index, size, path):
    result = root_from_path(b"\x00" * 32, index, size, path)
    assert result is None or len(result) == 32


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=8), min_size=0, max_size=70))
def test_every_path_at_once_is_each_path_alone(payloads):
    """all_audit_paths (one pass, for anchoring a whole batch) gives exactly RFC 6962 PATH
    for every leaf, and each proves its leaf to the root."""
    leaves = [leaf_hash(p) for p in payloads]
    paths = all_audit_paths(leaves)
    assert paths == [audit_path(leaves, i) for i in range(len(leaves))]
    root = root_of(leaves)
    for i, payload in enumerate(payloads):
        assert verify_inclusion(payload, i, len(leaves), paths[i], root)
