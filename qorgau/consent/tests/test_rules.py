"""Validity and coverage of consent grants (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from qorgau.consent import rules

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def grant(purpose="court", categories=rules.BUNDLE_CATEGORIES, expires=NOW + timedelta(days=1),
          revoked=None, org=None, id=1):
    return rules.Grant(id, purpose, frozenset(categories), expires, revoked, org)


def test_state_at_the_boundaries():
    g = grant(expires=NOW)
    assert rules.state(g, NOW - timedelta(microseconds=1)) == rules.VALID
    assert rules.state(g, NOW) == rules.EXPIRED
    r = grant(revoked=NOW)
    assert rules.state(r, NOW - timedelta(seconds=1)) == rules.VALID
    assert rules.state(r, NOW) == rules.REVOKED
    # Revoked wins over expired: the stronger word.
    assert rules.state(grant(expires=NOW, revoked=NOW), NOW) == rules.REVOKED


def test_check_names_the_reason():
    assert rules.check(None, NOW, "court", ()) == rules.Refusal("none")
    assert rules.check(grant(), NOW, "court", rules.BUNDLE_CATEGORIES) is None
    assert rules.check(grant(expires=NOW), NOW, "court", ()).code == "expired"
    assert rules.check(grant(revoked=NOW), NOW, "court", ()).code == "revoked"
    assert rules.check(grant(), NOW, "transfer", ()).code == "purpose"
    narrow = grant(categories={"timeline"})
    refusal = rules.check(narrow, NOW, "court", rules.BUNDLE_CATEGORIES)
    assert refusal == rules.Refusal("categories", 1, ("duties", "evidence"))
    referral = grant("referral", {"timeline"}, org=7)
    assert rules.check(referral, NOW, "referral", {"timeline"}, 7) is None
    assert rules.check(referral, NOW, "referral", {"timeline"}, 8).code == "recipient"


def test_first_allowing_prefers_the_longest_valid_and_explains_the_newest():
    short = grant(id=1, expires=NOW + timedelta(days=1))
    long = grant(id=2, expires=NOW + timedelta(days=30))
    assert rules.first_allowing([short, long], NOW, "court", rules.BUNDLE_CATEGORIES) == long
    assert rules.first_allowing([], NOW, "court", ()) == rules.Refusal("none")
    other = grant("transfer", id=3)
    assert rules.first_allowing([other], NOW, "court", ()) == rules.Refusal("none")
    expired = grant(id=4, expires=NOW)
    revoked = grant(id=5, revoked=NOW - timedelta(hours=1))
    assert rules.first_allowing([expired, revoked], NOW, "court", ()) == rules.Refusal(
        "revoked", 5)


def test_every_message_and_vocabulary_is_complete():
    assert set(rules.MESSAGES) == {"none", "expired", "revoked", "purpose", "categories",
                                   "recipient"}
    assert set(rules.CATEGORIES) >= rules.BUNDLE_CATEGORIES
    assert set(rules.CATEGORIES) >= rules.EXPORT_CATEGORIES
    assert set(rules.KIND_CATEGORIES.values()) <= set(rules.CATEGORIES)
    assert rules.unknown_categories(["timeline", "diary"]) == ["diary"]
    assert rules.shared_kinds_excluded({"timeline"}) == {"risk_assessment", "safety_plan"}
    assert rules.shared_kinds_excluded(rules.CATEGORIES) == frozenset()


@given(granted=st.sets(st.sampled_from(sorted(rules.CATEGORIES))),
       wanted=st.sets(st.sampled_from(sorted(rules.CATEGORIES))),
       offset=st.integers(-10_000, 10_000))
def test_allowed_exactly_when_valid_and_covering(granted, wanted, offset):
    g = grant(categories=granted, expires=NOW + timedelta(seconds=offset))
    refusal = rules.check(g, NOW, "court", wanted)
    assert (refusal is None) == (offset > 0 and wanted <= granted)
    if refusal is not None and offset > 0:
        assert set(refusal.missing) == wanted - granted
