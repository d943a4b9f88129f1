"""A death stops the risk screen offering the fatal attack as a prior incident."""

from __future__ import annotations

import pytest

from qorgau.cases import services
from qorgau.conftest import make_event
from qorgau.risk import services as risk

pytestmark = pytest.mark.django_db


def _items(case) -> dict[str, list[int]]:
    found = risk.suggestions(case, risk.instrument("qorgau-open"), sees_restricted=True)
    return {item: [f.number for f in facts] for item, facts in found.items()}


def test_a_fatal_strangulation_is_not_offered_as_a_prior_one(org, alice):
    case = services.create_case(org, alice, region="kz-west")
    earlier = make_event(case, alice, kind="strangulation", start="2023-03-01")
    fatal = make_event(case, alice, kind="strangulation", start="2023-09-20")
    before = _items(case)
    assert any(fatal.number in numbers for numbers in before.values())
    make_event(case, alice, kind="death", start="2023-09-20", attributes={"cause": "killed"},
               links=[(fatal, "related_to")])
    after = _items(case)
    assert not any(fatal.number in numbers for numbers in after.values())
    # the earlier strangulation is still a prior incident
    assert any(earlier.number in numbers for numbers in after.values())


def test_the_respondents_death_changes_nothing(org, alice):
    case = services.create_case(org, alice, region="kz-west")
    attack = make_event(case, alice, kind="strangulation", start="2023-09-20")
    make_event(case, alice, kind="death", start="2023-09-21",
               attributes={"cause": "suicide", "subject": "respondent"})
    assert any(attack.number in numbers for numbers in _items(case).values())
