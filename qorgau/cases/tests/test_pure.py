"""Pure modules: dates, ledger chain, crypto. No database."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qorgau.cases import ledger
from qorgau.cases.dates import DateError, DateSpan, PartialDate
from qorgau.crypto import KeyRing, generate_key, normalise_for_index, parse_keys

# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "qualifier", "recurrence", "text"),
    [
        ("2003", "2024", "approximate", "repeated", "c. 2003 – 2024, repeatedly"),
        ("2024-02-26", "", "none", "once", "26 Feb 2024"),
        ("2024-02-26T14:05", "", "none", "once", "26 Feb 2024, 14:05"),
        ("2023-06", "", "approximate", "once", "c. Jun 2023"),
        ("2024", "", "before", "once", "before 2024"),
        ("2024-01", "", "after", "once", "after Jan 2024"),
        ("", "", "none", "several", "date unknown, several times"),
        ("", "", "none", "once", "date unknown"),
    ],
)
def test_span_format(start, end, qualifier, recurrence, text):
    assert DateSpan.parse(start, end, qualifier, recurrence).format() == text


@pytest.mark.parametrize(
    ("start", "end", "qualifier"),
    [
        ("2024-13", "", "none"),
        ("2024-02-30", "", "none"),
        ("24-02-01", "", "none"),
        ("2024-01-01T25:00", "", "none"),
        ("2024", "2023", "none"),
        ("", "2023", "none"),
        ("2020", "2021", "before"),
        ("", "", "approximate"),
        ("2020", "", "sometimes"),
    ],
)
def test_span_rejects_bad_input(start, end, qualifier):
    with pytest.raises(DateError):
        DateSpan.parse(start, end, qualifier)


def test_span_bounds():
    span = DateSpan.parse("2023-06", "2024", "approximate")
    assert span.earliest() == date(2023, 6, 1)
    assert span.latest() == date(2024, 12, 31)
    assert DateSpan.parse("2024", qualifier="before").earliest() is None
    assert DateSpan.parse("2024", qualifier="after").latest() is None
    assert DateSpan().sort_key() > DateSpan.parse("9999").sort_key()


def test_coarse_dates_sort_honestly():
    spans = ["2024", "2024-02-26", "2003", "2003", "2024-11", "2024-01"]
    quals = ["none", "none", "none", "none", "none", "after"]
    ordered = sorted(
        (DateSpan.parse(s, "2024" if i == 2 else "", q) for i, (s, q) in enumerate(
            zip(spans, quals, strict=True))),
        key=DateSpan.sort_key,
    )
    assert [s.format() for s in ordered] == [
        "2003 – 2024", "2003", "after Jan 2024", "26 Feb 2024", "2024", "Nov 2024"]


partial_dates = st.builds(
    lambda d, depth: PartialDate(d.year, d.month if depth > 0 else None,
                                 d.day if depth > 1 else None),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    st.integers(min_value=0, max_value=2),
)


@given(partial_dates)
def test_partial_date_round_trips_and_bounds(pd):
    assert PartialDate.parse(pd.iso()) == pd
    assert pd.lower() <= pd.upper()


@given(partial_dates, partial_dates)
def test_span_order_is_consistent_with_bounds(a, b):
    first, second = sorted([a, b], key=lambda p: p.lower())
    if second.upper() < first.lower():
        return
    span = DateSpan(first, second)
    earliest, latest = span.earliest(), span.latest()
    assert earliest is not None and latest is not None and earliest <= latest
    assert span.sort_key()[0] == first.lower()


# --- ledger --------------------------------------------------------------------------------


def _chain(n: int) -> list[ledger.Entry]:
    entries, prev = [], ledger.GENESIS
    for seq in range(1, n + 1):
        pd = ledger.payload_digest({"n": seq}, {"value": seq})
        h = ledger.chain_hash("7", seq, f"2024-01-01T00:00:{seq:02d}+00:00", "1", "event.create",
                              f"event:{seq}", pd, prev)
        entries.append(ledger.Entry("7", seq, f"2024-01-01T00:00:{seq:02d}+00:00", "1",
                                    "event.create", f"event:{seq}", pd, prev, h))
        prev = h
    return entries


def test_canonical_json_is_rfc8785():
    assert ledger.canonical({"b": 1, "a": [1.0, "é"]}) == b'{"a":[1,"\xc3\xa9"],"b":1}'


# Whatever goes in, the fast path writes the rfc8785 package's bytes or refuses as it does:
# keys beyond the BMP and in U+E000-U+FFFF (which sort differently as UTF-16), control
# characters, lone surrogates, floats, integers past 2**53.
_keys = st.text(st.characters(codec=None), max_size=4) | st.sampled_from(
    ["a", "b", "\ue000", "\U0001f600", "\ud800", "é", "\x00", "\u2028"])
_scalars = (st.none() | st.booleans() | st.text(st.characters(codec=None), max_size=8)
            | st.integers(min_value=-(2**54), max_value=2**54)
            | st.floats(allow_nan=True, allow_infinity=True))
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                     | st.tuples(inner, inner) | st.dictionaries(_keys, inner, max_size=4),
                     max_leaves=20)


def _outcome(dump, value):
    try:
        return dump(value)
    except ValueError as exc:
        return type(exc)


@settings(max_examples=500)
@given(_json)
def test_canonical_fast_path_writes_rfc8785s_bytes(value):
    import rfc8785

    assert _outcome(ledger.canonical, value) == _outcome(rfc8785.dumps, value)


def test_intact_chain_verifies():
    assert ledger.verify_chain(_chain(5)) is None


@given(st.integers(min_value=2, max_value=8), st.data())
def test_any_single_change_is_detected(n, data):
    entries = _chain(n)
    i = data.draw(st.integers(min_value=0, max_value=n - 1))
    field = data.draw(st.sampled_from(["at", "actor", "action", "subject", "payload_digest"]))
    tampered = entries[i].__class__(**{**entries[i].__dict__, field: "x"})
    entries[i] = tampered
    problem = ledger.verify_chain(entries)
    assert problem is not None
    assert problem.seq == i + 1


def test_removed_and_reordered_entries_are_detected():
    entries = _chain(4)
    problem = ledger.verify_chain(entries[:1] + entries[2:])
    assert problem is not None and problem.seq == 3
    swapped = [entries[0], entries[2], entries[1], entries[3]]
    assert ledger.verify_chain(swapped) is not None


def test_verify_records():
    pd = ledger.payload_digest({}, {"a": 1})
    latest = {"event:1": ledger.Write(1, {}, pd, removed=False)}
    assert ledger.verify_records(latest, {"event:1": {"a": 1}}) == []
    assert "differs" in ledger.verify_records(latest, {"event:1": {"a": 2}})[0].reason
    assert "missing" in ledger.verify_records(latest, {})[0].reason
    extra = ledger.verify_records(latest, {"event:1": {"a": 1}, "event:2": {}})
    assert extra[0].seq is None and "without a ledger entry" in extra[0].reason


# --- crypto --------------------------------------------------------------------------------


def test_keyring_round_trip_and_rotation():
    old, new = generate_key(), generate_key()
    token = KeyRing([old]).encrypt("Әйгерім Қасымқызы")
    ring = KeyRing([new, old])
    assert ring.decrypt(token) == "Әйгерім Қасымқызы"
    rotated = ring.rotate(token)
    assert KeyRing([new]).decrypt(rotated) == "Әйгерім Қасымқызы"


def test_blind_index_is_normalised_keyed_and_per_key():
    a, b = KeyRing([generate_key()]), KeyRing([generate_key()])
    assert a.blind_index("  Aigerim   SEITOVA ") == a.blind_index("aigerim seitova")
    assert a.blind_index("aigerim seitova") != b.blind_index("aigerim seitova")
    assert normalise_for_index("ＡＢＣ  d") == "abc d"
    both = KeyRing([b.keys[0], a.keys[0]])
    assert a.blind_index("x") in both.blind_indexes("x")


def test_parse_keys_rejects_garbage():
    key = generate_key()
    assert parse_keys(f"{key}, {key}") == [key, key]
    with pytest.raises(ValueError, match="entry 2"):
        parse_keys(f"{key},not-a-key")
