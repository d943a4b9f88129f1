"""RFC 6962 Merkle trees, and the leaves a ledger checkpoint commits to. Pure: no Django.

The tree is the one Certificate Transparency uses (RFC 6962 §2.1, unchanged in RFC 9162):
a leaf hashes as SHA-256(0x00 || leaf), an interior node as SHA-256(0x01 || left || right),
and a tree of n > 1 leaves splits at k, the largest power of two smaller than n, so a node
without a sibling is promoted unchanged rather than paired with itself. The empty tree's
root is SHA-256 of nothing.

Inclusion proofs show that a leaf is in a tree of a given root; consistency proofs show
that a tree of `old_size` leaves is a prefix of a larger one, i.e. that a log was only
appended to. Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2.

Hashes are raw 32-byte strings here; callers store them as hex.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from qorgau.cases.ledger import canonical

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class Tree:
    """A tree over `leaves` that answers for itself and for every prefix of itself.

    Every complete, aligned subtree is hashed once, so a root or proof for any prefix
    costs O(log n) hashes after the O(n) build.
    """

    def __init__(self, leaves: Iterable[bytes]) -> None:
        level = [leaf_hash(leaf) for leaf in leaves]
        self.size = len(level)
        # _levels[j][i] is the root of leaves [i * 2**j, (i + 1) * 2**j).
        self._levels = [level]
        while len(level) > 1:
            level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            self._levels.append(level)

    def _size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise ValueError(f"tree size {size} is outside 0..{self.size}")
        return size

    def _hash(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi]), hi > lo."""
        n = hi - lo
        if n & (n - 1) == 0 and lo % n == 0:
            j = n.bit_length() - 1
            return self._levels[j][lo >> j]
        k = _split(n)
        return node_hash(self._hash(lo, lo + k), self._hash(lo + k, hi))

    def root(self, size: int | None = None) -> bytes:
        size = self._size(size)
        return self._hash(0, size) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[0:size]) of RFC 6962 §2.1.1."""
        size = self._size(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf {index} is not in a tree of {size}")
        proof: list[bytes] = []
        lo, hi = 0, size
        while hi - lo > 1:
            k = _split(hi - lo)
            if index - lo < k:
                proof.append(self._hash(lo + k, hi))
                hi = lo + k
            else:
                proof.append(self._hash(lo, lo + k))
                lo += k
        return proof[::-1]

    def consistency_proof(self, old_size: int, size: int | None = None) -> list[bytes]:
        """PROOF(old_size, D[0:size]) of RFC 6962 §2.1.2 (empty for 0 and for size)."""
        size = self._size(size)
        if not 0 <= old_size <= size:
            raise ValueError(f"old size {old_size} is outside 0..{size}")
        if old_size in (0, size):
            return []
        proof: list[bytes] = []
        m, lo, hi, complete = old_size, 0, size, True
        while m != hi - lo:
            k = _split(hi - lo)
            if m <= k:
                proof.append(self._hash(lo + k, hi))
                hi = lo + k
            else:
                proof.append(self._hash(lo, lo + k))
                m, lo, complete = m - k, lo + k, False
        if not complete:
            proof.append(self._hash(lo, hi))
        return proof[::-1]


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]): the root of a tree over the leaves, in order."""
    return Tree(leaves).root()


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    return Tree(leaves).inclusion_proof(index)


def consistency_proof(old_size: int, new_leaves: Sequence[bytes]) -> list[bytes]:
    """Proof that the tree of the first `old_size` of `new_leaves` is a prefix of all of them."""
    return Tree(new_leaves).consistency_proof(old_size)


def _hashes(*values: object) -> bool:
    return all(isinstance(v, bytes) and len(v) == HASH_SIZE for v in values)


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether `leaf` is leaf `index` of the tree of `size` leaves with this `root`."""
    if not (0 <= index < size and _hashes(root, *proof)):
        return False
    fn, sn = index, size - 1
    r = leaf_hash(leaf)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, old_root: bytes, new_size: int, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether the tree (old_size, old_root) is a prefix of the tree (new_size, new_root)."""
    if not (0 <= old_size <= new_size and _hashes(old_root, new_root, *proof)):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


# --- what a ledger checkpoint commits to -----------------------------------------------------


def head_leaf(case_id: int, seq: int, hash: str) -> bytes:  # noqa: A002 - the ledger's word
    """One case's head: canonical JSON of {"case", "seq", "hash"}."""
    return canonical({"case": case_id, "seq": seq, "hash": hash})


def heads_root(heads: Iterable[Sequence[Any]]) -> bytes:
    """Root over [case id, head seq, head hash] triples, in ascending case id order."""
    return root([head_leaf(int(c), int(s), str(h)) for c, s, h in heads])


def checkpoint_digest(
    number: int, heads_root: str, case_count: int, created_at: str, previous_log_root: str
) -> bytes:
    """A checkpoint's leaf in the checkpoint log: SHA-256 of its canonical JSON."""
    return hashlib.sha256(canonical({
        "number": number,
        "heads_root": heads_root,
        "case_count": case_count,
        "created_at": created_at,
        "previous_log_root": previous_log_root,
    })).digest()
