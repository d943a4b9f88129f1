"""The ledger's canonical JSON is written the same way as every stored digest was.

`_as_written` below is a frozen copy of qorgau.chain's encoder as of the commit before the
encoder was made faster (issue 30): whatever goes in, the current encoder must write the
same bytes or refuse as that one did, and entry hashes chained with it must still verify.
Pure: no database.
"""

from __future__ import annotations

import enum
import hashlib
import json
from typing import Any

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from qorgau import chain

# --- the encoder every stored digest was written with (frozen) ------------------------------

_INT_LIMIT = 2**53 - 1
_SURROGATES = "\ud800"
_old_fast = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                             allow_nan=False, check_circular=False).encode


def _old_plain(obj: Any) -> bool:
    if isinstance(obj, dict):
        for key in obj:
            if type(key) is not str or not (key.isascii() or max(key) < _SURROGATES):
                return False
        items: Any = obj.values()
    elif isinstance(obj, list | tuple):
        items = obj
    else:
        items = (obj,)
    for item in items:
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is int:
            if not -_INT_LIMIT <= item <= _INT_LIMIT:
                return False
        elif isinstance(item, dict | list | tuple):
            if not _old_plain(item):
                return False
        elif isinstance(item, str):
            continue
        elif isinstance(item, int):
            if not -_INT_LIMIT <= item <= _INT_LIMIT:
                return False
        else:
            return False
    return True


def _as_written(obj: Any) -> bytes:
    if _old_plain(obj):
        try:
            return _old_fast(obj).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise rfc8785.CanonicalizationError("input contains non-UTF-8 codepoints") from exc
    return rfc8785.dumps(obj)


# --- random payloads -------------------------------------------------------------------------


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Text(str):
    __slots__ = ()


_text = st.text(st.characters(codec=None), max_size=12)
_keys = _text | st.sampled_from(
    ["a", "b", "salt", "\ue000", "\uffff", "\U0001f600", "\ud800", "é", "қ", "\x00", "\u2028",
     "ключ"])
_ints = (st.integers(min_value=-(2**60), max_value=2**60)
         | st.sampled_from([2**53 - 1, 2**53, -(2**53) + 1, -(2**53), 10**15, 10**16 - 1])
         | st.integers(min_value=-1000, max_value=1000))
_scalars = (st.none() | st.booleans() | _text | _ints
            | st.floats(allow_nan=True, allow_infinity=True)
            | st.sampled_from([Level.LOW, Level.HIGH, Text("sub"), 1.0, -0.0, 1e16, 5e-324])
            | st.from_regex(r"\A[0-9a-f]{64}\Z") | st.from_regex(r"\A[0-9]{12,20}\Z"))
_json = st.recursive(
    _scalars,
    lambda inner: (st.lists(inner, max_size=5) | st.tuples(inner, inner)
                   | st.dictionaries(_keys, inner, max_size=6)
                   | st.dictionaries(st.integers(-5, 5), inner, max_size=3)),
    max_leaves=30)


def _outcome(dump: Any, value: Any) -> Any:
    try:
        return dump(value)
    except (ValueError, TypeError, RecursionError) as exc:
        return type(exc)


@settings(max_examples=1500)
@given(_json)
def test_canonical_writes_the_bytes_every_stored_digest_was_written_with(value):
    assert _outcome(chain.canonical, value) == _outcome(_as_written, value)


@settings(max_examples=500)
@given(st.dictionaries(_keys, _json, max_size=4), _json)
def test_payload_digests_are_the_same(detail, record):
    old = _outcome(lambda v: hashlib.sha256(_as_written(v)).hexdigest(),
                   {"detail": dict(detail), "record": record})
    assert _outcome(lambda _: chain.payload_digest(detail, record), None) == old


_fields = _text | st.sampled_from(["event.create", "system", "0" * 64, "2024-01-01T00:00:00+00:00",
                                   "\ud800", "\U0001f600"])


@settings(max_examples=1000)
@given(_fields, st.integers(min_value=-(2**60), max_value=2**60) | st.integers(1, 10**6),
       _fields, _fields, _fields, _fields, _fields, _fields)
def test_entry_hash_is_the_digest_of_its_header_as_written(case, seq, at, actor, action,
                                                           subject, payload, prev):
    entry = chain.Entry(case, seq, at, actor, action, subject, payload, prev)
    old = _outcome(lambda h: hashlib.sha256(_as_written(h)).hexdigest(), entry.header())
    assert _outcome(chain.Entry.computed_hash, entry) == old


@settings(max_examples=200)
@given(st.lists(st.tuples(st.dictionaries(_keys, _json, max_size=3), _json, _text, _text),
                min_size=1, max_size=6))
def test_chains_written_with_the_old_encoder_verify(writes):
    """A chain hashed entry by entry with the frozen encoder, as the services wrote it,
    verifies with today's code; payloads the old encoder refused are left out."""
    entries: list[chain.Entry] = []
    prev = chain.GENESIS
    for detail, record, actor, subject in writes:
        try:
            payload = hashlib.sha256(
                _as_written({"detail": dict(detail), "record": record})).hexdigest()
        except (ValueError, TypeError):
            continue
        seq = len(entries) + 1
        header = {"case": "42", "seq": seq, "at": "2026-12-07T10:00:00+00:00", "actor": actor,
                  "action": "event.create", "subject": subject, "payload_digest": payload,
                  "prev_hash": prev}
        try:
            hashed = hashlib.sha256(_as_written(header)).hexdigest()
        except ValueError:
            continue
        entries.append(chain.Entry(**header, hash=hashed))
        prev = hashed
        assert chain.payload_digest(detail, record) == payload
    assert chain.verify_chain(entries) is None
    if entries:  # and a change is still seen
        first = entries[0]
        entries[0] = chain.Entry(**{**first.__dict__, "subject": first.subject + "x"})
        assert chain.verify_chain(entries) is not None


# --- verify's check of a payload against its recorded digest ---------------------------------


def _old_digest(detail: Any, record: Any) -> str:
    return hashlib.sha256(_as_written({"detail": dict(detail), "record": record})).hexdigest()


@settings(max_examples=800)
@given(st.dictionaries(_keys, _json, max_size=4), _json,
       st.dictionaries(_keys, _json, max_size=4), _json)
def test_a_payload_matches_exactly_the_digests_recorded_for_its_json_text(detail, record,
                                                                          other_detail,
                                                                          other_record):
    """payload_matches(p, digest of q) when p's digest is q's (as the old encoder wrote
    them), and only when p's C-encoded text is q's canonical text otherwise."""
    try:
        expected = _old_digest(other_detail, other_record)
    except (ValueError, TypeError):
        return
    try:
        own = _old_digest(detail, record)
    except (ValueError, TypeError):
        own = None
    try:
        matched = chain.payload_matches(detail, record, expected)
    except (ValueError, TypeError):
        matched = None  # refused, as payload_digest refuses it
        assert own is None
    if own == expected:
        assert matched is True
    if matched and own != expected:
        text = _old_fast({"detail": dict(detail), "record": record})
        assert text.encode() == _as_written({"detail": dict(other_detail),
                                             "record": other_record})
    # and a payload always matches its own digest
    if own is not None:
        assert chain.payload_matches(detail, record, own)


def test_payload_matches_by_the_canonical_form_where_the_c_encoder_differs():
    for record, recorded in (({"a": 1.0}, {"a": 1}), ({"n": 1e16}, {"n": 1e16}),
                             ({"\ue000": 1, "\U0001f600": 2}, {"\ue000": 1, "\U0001f600": 2})):
        assert chain.payload_matches({}, record, _old_digest({}, recorded))
    assert not chain.payload_matches({}, {"a": 1.5}, _old_digest({}, {"a": 1}))
    assert not chain.payload_matches({}, {"a": "1"}, _old_digest({}, {"a": 1}))
    # The same JSON text: an integer key where a string was recorded (the old encoder
    # refused to digest the integer key; a record read back from JSON never has one).
    assert chain.payload_matches({}, {1: "x"}, _old_digest({}, {"1": "x"}))
