"""Shared test personas (healthchecks style).

alice: caseworker who opened the case · bob: lawyer on the case · carol: supervisor on the
case · dave: caseworker in the same organisation, not on the case · erin: monitor in the
same organisation · frank: caseworker in another organisation.
"""

from __future__ import annotations

import pytest

from qorgau.accounts.models import Organisation, User
from qorgau.accounts.services import add_member, create_user
from qorgau.cases import services
from qorgau.cases.models import Case, Event, Party

PASSWORD = "correct horse battery staple"


@pytest.fixture
def org(db: None) -> Organisation:
    return Organisation.objects.create(name="Test Crisis Centre", slug="tcc", region="kz-west")


@pytest.fixture
def other_org(db: None) -> Organisation:
    return Organisation.objects.create(name="Other Centre", slug="other", region="kz-almaty")


def _person(email: str, org: Organisation, role: str) -> User:
    user = create_user(email, PASSWORD, display_name=email.split("@")[0].title())
    add_member(user, org, role)
    return user


@pytest.fixture
def alice(org: Organisation) -> User:
    return _person("alice@tcc.test", org, "caseworker")


@pytest.fixture
def bob(org: Organisation) -> User:
    return _person("bob@tcc.test", org, "lawyer")


@pytest.fixture
def carol(org: Organisation) -> User:
    return _person("carol@tcc.test", org, "supervisor")


@pytest.fixture
def dave(org: Organisation) -> User:
    return _person("dave@tcc.test", org, "caseworker")


@pytest.fixture
def erin(org: Organisation) -> User:
    return _person("erin@tcc.test", org, "monitor")


@pytest.fixture
def frank(other_org: Organisation) -> User:
    return _person("frank@other.test", other_org, "caseworker")


@pytest.fixture
def case(org: Organisation, alice: User, bob: User, carol: User) -> Case:
    case = services.create_case(org, alice, region="kz-west")
    services.assign(case, bob, alice)
    services.assign(case, carol, alice)
    return case


@pytest.fixture
def survivor(case: Case, alice: User) -> Party:
    return services.add_party(case, alice, role="survivor", relationship="self",
                              full_name="Zhanar Testbayeva")


@pytest.fixture
def respondent(case: Case, alice: User) -> Party:
    return services.add_party(case, alice, role="respondent", relationship="ex_spouse",
                              co_resident=True, full_name="Marat Testbayev")


def make_event(case: Case, by: User, kind: str = "physical_assault", start: str = "2024-01-05",
               **extra: object) -> Event:
    data = services.EventInput(
        kind=kind, span=services.parse_span(start), source="survivor",
        reliability="probable", narrative=str(extra.pop("narrative", "")),
    )
    for name, value in extra.items():
        setattr(data, name, value)
    return services.record_event(case, by, data)
