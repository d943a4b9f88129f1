"""The case ledger's chain: the shared hash chain of qorgau.chain (pure: no Django)."""

from qorgau.chain import (
    GENESIS,
    Entry,
    Problem,
    Write,
    canonical,
    chain_hash,
    digest,
    payload_digest,
    payload_matches,
    verify_chain,
    verify_records,
)

__all__ = ["GENESIS", "Entry", "Problem", "Write", "canonical", "chain_hash", "digest",
           "payload_digest", "payload_matches", "verify_chain", "verify_records"]
