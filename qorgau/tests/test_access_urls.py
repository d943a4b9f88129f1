"""Every case URL answers 404 to everyone who is not on the case (never 403, never 200).

The URLs are enumerated from qorgau.cases.urls, so a new case URL that forgets
get_case_for_user fails here without anyone having to remember to add it.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, reverse

from qorgau.cases import urls as case_urls
from qorgau.conftest import make_event

CASE_INDEPENDENT = {"list", "new"}


def _case_patterns() -> list[URLPattern]:
    patterns = [p for p in case_urls.urlpatterns if isinstance(p, URLPattern)]
    assert len(patterns) == len(case_urls.urlpatterns), "nested includes need handling here"
    return [p for p in patterns if "ref" in p.pattern.converters]


def test_every_url_is_either_case_independent_or_takes_ref():
    for pattern in case_urls.urlpatterns:
        if "ref" not in pattern.pattern.converters:
            assert pattern.name in CASE_INDEPENDENT, (
                f"cases:{pattern.name} takes no case reference: decide whether it leaks cases"
            )


@pytest.fixture
def case_urls_for(case, alice, survivor):
    event = make_event(case, alice, parties=[(survivor, "victim")])
    kwargs_for = {"ref": case.reference, "number": event.number, "pk": survivor.pk}
    result = []
    for pattern in _case_patterns():
        unknown = set(pattern.pattern.converters) - set(kwargs_for)
        assert not unknown, f"cases:{pattern.name}: teach this test about {unknown}"
        kwargs = {name: kwargs_for[name] for name in pattern.pattern.converters}
        result.append((pattern.name, reverse(f"cases:{pattern.name}", kwargs=kwargs)))
    assert len(result) >= 8
    return result


@pytest.mark.parametrize("persona", ["dave", "erin", "frank"])
def test_outsiders_get_404_everywhere(request, client, case_urls_for, persona):
    client.force_login(request.getfixturevalue(persona))
    for name, url in case_urls_for:
        assert client.get(url).status_code == 404, f"GET cases:{name} {url}"
        assert client.post(url, {"status": "closed", "full_name": "X", "role": "other"}
                           ).status_code == 404, f"POST cases:{name} {url}"


def test_outsider_writes_nothing(client, case, case_urls_for, dave):
    before = case.ledger.count()
    client.force_login(dave)
    for _name, url in case_urls_for:
        client.get(url)
        client.post(url, {"status": "closed"})
    assert case.ledger.count() == before


def test_member_gets_every_page(client, case_urls_for, alice):
    client.force_login(alice)
    for name, url in case_urls_for:
        if name == "status":  # POST only
            assert client.get(url).status_code == 405
            continue
        response = client.get(url)
        assert response.status_code == 200, f"GET cases:{name} {url}"


def test_unknown_reference_is_404(client, alice, case):
    client.force_login(alice)
    assert client.get(reverse("cases:detail", args=["NOPE-NOPE"])).status_code == 404


def test_anonymous_is_sent_to_login(client, case_urls_for):
    login = reverse("account_login")
    for name, url in [("list", reverse("cases:list")), ("new", reverse("cases:new")),
                      *case_urls_for]:
        response = client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(login), name
