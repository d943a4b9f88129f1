"""RFC 6962 Merkle trees (pure): reference vectors, and properties against the RFC's text."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from qorgau.cases import merkle

# Certificate Transparency's reference leaves and tree heads (sizes 0..8), as published with
# its implementations and reproduced by every compatible one.
CT_LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
)]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]
CT_CONSISTENCY = [
    (2, 8, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]


# --- RFC 6962 §2.1, transcribed literally, as the reference ----------------------------------


def _k(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d):
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m, d):
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return ref_path(m, d[:k]) + [ref_mth(d[k:])]
    return ref_path(m - k, d[k:]) + [ref_mth(d[:k])]


def ref_subproof(m, d, b):
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = _k(len(d))
    if m <= k:
        return ref_subproof(m, d[:k], b) + [ref_mth(d[k:])]
    return ref_subproof(m - k, d[k:], False) + [ref_mth(d[:k])]


leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


@st.composite
def tree_and_index(draw):
    leaves = draw(leaf_lists)
    return leaves, draw(st.integers(0, len(leaves) - 1))


@st.composite
def tree_and_prefix(draw):
    leaves = draw(leaf_lists)
    return leaves, draw(st.integers(1, len(leaves)))


def flip(h: bytes, bit: int = 0) -> bytes:
    return bytes([h[0] ^ (1 << bit)]) + h[1:]


# --- reference vectors ---------------------------------------------------------------------


def test_ct_roots():
    for size, expected in enumerate(CT_ROOTS):
        assert merkle.root(CT_LEAVES[:size]).hex() == expected
    tree = merkle.Tree(CT_LEAVES)
    assert [tree.root(n).hex() for n in range(9)] == CT_ROOTS


@pytest.mark.parametrize(("index", "size", "proof"), CT_INCLUSION)
def test_ct_inclusion(index, size, proof):
    assert [h.hex() for h in merkle.inclusion_proof(CT_LEAVES[:size], index)] == proof
    assert merkle.verify_inclusion(CT_LEAVES[index], index, size,
                                   [bytes.fromhex(h) for h in proof],
                                   bytes.fromhex(CT_ROOTS[size]))


@pytest.mark.parametrize(("old", "new", "proof"), CT_CONSISTENCY)
def test_ct_consistency(old, new, proof):
    assert [h.hex() for h in merkle.consistency_proof(old, CT_LEAVES[:new])] == proof
    assert merkle.verify_consistency(old, bytes.fromhex(CT_ROOTS[old]), new,
                                     bytes.fromhex(CT_ROOTS[new]),
                                     [bytes.fromhex(h) for h in proof])


def test_degenerate_consistency():
    root4, root5 = merkle.root(CT_LEAVES[:4]), merkle.root(CT_LEAVES[:5])
    assert merkle.verify_consistency(4, root4, 4, root4, [])
    assert not merkle.verify_consistency(4, root4, 4, root5, [])
    assert not merkle.verify_consistency(4, root4, 4, root4, [root4])
    assert merkle.verify_consistency(0, merkle.EMPTY_ROOT, 5, root5, [])
    assert not merkle.verify_consistency(0, root4, 5, root5, [])
    assert not merkle.verify_consistency(4, root4, 5, root5, [])
    assert not merkle.verify_consistency(5, root5, 4, root4, [])
    assert merkle.consistency_proof(0, CT_LEAVES) == merkle.consistency_proof(8, CT_LEAVES) == []


def test_bad_arguments():
    with pytest.raises(ValueError, match="not in a tree"):
        merkle.inclusion_proof(CT_LEAVES, 8)
    with pytest.raises(ValueError, match="outside"):
        merkle.consistency_proof(9, CT_LEAVES)
    with pytest.raises(ValueError, match="outside"):
        merkle.Tree(CT_LEAVES).root(9)
    proof = merkle.inclusion_proof(CT_LEAVES, 5)
    root = merkle.root(CT_LEAVES)
    assert not merkle.verify_inclusion(CT_LEAVES[5], 8, 8, proof, root)
    assert not merkle.verify_inclusion(CT_LEAVES[5], -1, 8, proof, root)
    assert not merkle.verify_inclusion(CT_LEAVES[5], 5, 8, [proof[0][:31], *proof[1:]], root)
    assert not merkle.verify_inclusion(CT_LEAVES[5], 5, 8, proof, root.hex().encode())


def test_odd_node_is_promoted_not_duplicated():
    """[a, b, c] hashes as node(node(a, b), c): c is not paired with itself (CVE-2012-2459)."""
    a, b, c = (merkle.leaf_hash(x) for x in (b"a", b"b", b"c"))
    assert merkle.root([b"a", b"b", b"c"]) == merkle.node_hash(merkle.node_hash(a, b), c)
    assert merkle.root([b"a", b"b", b"c"]) != merkle.root([b"a", b"b", b"c", b"c"])


# --- properties ----------------------------------------------------------------------------


@given(st.lists(st.binary(max_size=8), max_size=70))
def test_root_and_every_prefix_match_the_rfc(leaves):
    tree = merkle.Tree(leaves)
    assert tree.root() == ref_mth(leaves)
    for n in range(len(leaves) + 1):
        assert tree.root(n) == ref_mth(leaves[:n])


@given(tree_and_index())
def test_every_inclusion_proof_verifies(case):
    leaves, index = case
    proof = merkle.inclusion_proof(leaves, index)
    assert proof == ref_path(index, leaves)
    assert merkle.verify_inclusion(leaves[index], index, len(leaves), proof, merkle.root(leaves))


@given(tree_and_prefix())
def test_consistency_between_any_prefix_sizes_verifies(case):
    leaves, new_size = case
    tree = merkle.Tree(leaves)
    new_root = tree.root(new_size)
    for old_size in range(new_size + 1):
        proof = tree.consistency_proof(old_size, new_size)
        if 0 < old_size < new_size:
            assert proof == ref_subproof(old_size, leaves[:new_size], True)
        assert proof == merkle.consistency_proof(old_size, leaves[:new_size])
        assert merkle.verify_consistency(old_size, tree.root(old_size), new_size, new_root,
                                         proof)


@given(tree_and_index(), st.data())
def test_tampered_inclusion_fails(case, data):
    leaves, index = case
    size, root = len(leaves), merkle.root(leaves)
    proof = merkle.inclusion_proof(leaves, index)
    assert not merkle.verify_inclusion(leaves[index] + b"x", index, size, proof, root)
    assert not merkle.verify_inclusion(leaves[index], index, size, proof, flip(root))
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 7))
        bad = [*proof[:at], flip(proof[at], bit), *proof[at + 1:]]
        assert not merkle.verify_inclusion(leaves[index], index, size, bad, root)
        assert not merkle.verify_inclusion(leaves[index], index, size, proof[:-1], root)
    assert not merkle.verify_inclusion(leaves[index], index, size, [*proof, root], root)
    other = data.draw(st.integers(0, size - 1))
    assume(leaves[other] != leaves[index])
    assert not merkle.verify_inclusion(leaves[other], index, size, proof, root)


@given(tree_and_prefix(), st.data())
def test_tampered_consistency_fails(case, data):
    leaves, new_size = case
    assume(new_size >= 2)
    old_size = data.draw(st.integers(1, new_size - 1))
    tree = merkle.Tree(leaves)
    old_root, new_root = tree.root(old_size), tree.root(new_size)
    proof = tree.consistency_proof(old_size, new_size)
    assert not merkle.verify_consistency(old_size, flip(old_root), new_size, new_root, proof)
    assert not merkle.verify_consistency(old_size, old_root, new_size, flip(new_root), proof)
    at = data.draw(st.integers(0, len(proof) - 1))
    bad = [*proof[:at], flip(proof[at], data.draw(st.integers(0, 7))), *proof[at + 1:]]
    assert not merkle.verify_consistency(old_size, old_root, new_size, new_root, bad)
    assert not merkle.verify_consistency(old_size, old_root, new_size, new_root, proof[:-1])
    assert not merkle.verify_consistency(old_size, old_root, new_size, new_root,
                                         [*proof, new_root])


@given(st.lists(st.binary(max_size=8), min_size=2, max_size=40), st.data())
def test_rewritten_history_is_not_consistent(leaves, data):
    """Changing any leaf of the old tree breaks consistency with the new tree."""
    new_size = len(leaves)
    old_size = data.draw(st.integers(1, new_size - 1))
    changed = data.draw(st.integers(0, old_size - 1))
    rewritten = [*leaves[:changed], leaves[changed] + b"!", *leaves[changed + 1:]]
    old_root = merkle.root(leaves[:old_size])
    forged = merkle.Tree(rewritten)
    proof = forged.consistency_proof(old_size)
    assert not merkle.verify_consistency(old_size, old_root, new_size, forged.root(), proof)


def test_head_leaves_and_checkpoint_digest_are_canonical_json():
    assert merkle.head_leaf(7, 12, "ab" * 32) == (
        b'{"case":7,"hash":"' + b"ab" * 32 + b'","seq":12}')
    assert merkle.heads_root([[1, 3, "a"], [2, 1, "b"]]) == merkle.root(
        [merkle.head_leaf(1, 3, "a"), merkle.head_leaf(2, 1, "b")])
    digest = merkle.checkpoint_digest(1, "00" * 32, 0, "2026-01-01T00:00:00+00:00",
                                      merkle.EMPTY_ROOT.hex())
    assert len(digest) == 32
    assert digest != merkle.checkpoint_digest(2, "00" * 32, 0, "2026-01-01T00:00:00+00:00",
                                              merkle.EMPTY_ROOT.hex())
